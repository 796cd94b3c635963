"""Estimation and event windows as integer row positions in a complete daily calendar.

Crypto trades every calendar day, so a relative day ``k`` is simply the row ``k`` rows after the
row of day 0 in a complete daily index. Every window is a closed interval ``(start, end)`` of
such offsets. Rows that fall outside the data are reported as invalid (never wrapped around);
they count as missing observations downstream.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Window = tuple[int, int]

#: Default estimation window, days relative to day 0.
DEFAULT_ESTIMATION_WINDOW: Window = (-120, -11)

#: Default CAR windows, days relative to day 0.
DEFAULT_EVENT_WINDOWS: tuple[Window, ...] = ((0, 0), (0, 1), (-1, 1), (0, 3), (-5, 5))


@dataclass(frozen=True)
class EventWindows:
    """Row positions of the estimation and event windows of every event.

    Attributes
    ----------
    day0_rows : numpy.ndarray
        Shape ``(n_events,)``; row of day 0 of each event.
    estimation_offsets : numpy.ndarray
        Shape ``(n_est_days,)``; relative days of the estimation window.
    estimation_rows : numpy.ndarray
        Shape ``(n_events, n_est_days)``; row of each estimation day (may be out of range).
    estimation_usable : numpy.ndarray
        Same shape, bool; True where the row exists in the data and is not an excluded day.
    estimation_excluded : numpy.ndarray
        Same shape, bool; True where the day was dropped because it is in ``exclude_days``.
    event_offsets : numpy.ndarray
        Shape ``(n_event_days,)``; relative days of the event span, the union
        ``min(start) .. max(end)`` of all event windows.
    event_rows : numpy.ndarray
        Shape ``(n_events, n_event_days)``; row of each event-span day (may be out of range).
    event_in_range : numpy.ndarray
        Same shape, bool; True where the row exists in the data.
    estimation_window : tuple of int
        The estimation window.
    event_windows : tuple of tuple of int
        The event (CAR) windows.
    n_rows : int
        Length of the daily index the rows refer to.
    """

    day0_rows: np.ndarray
    estimation_offsets: np.ndarray
    estimation_rows: np.ndarray
    estimation_usable: np.ndarray
    estimation_excluded: np.ndarray
    event_offsets: np.ndarray
    event_rows: np.ndarray
    event_in_range: np.ndarray
    estimation_window: Window
    event_windows: tuple[Window, ...]
    n_rows: int

    def window_columns(self, window: Window) -> np.ndarray:
        """Return the column positions of ``window`` inside the event span.

        Parameters
        ----------
        window : tuple of int
            One of ``self.event_windows`` (or any window inside the span).

        Returns
        -------
        numpy.ndarray
            Integer positions into the last axis of event-span arrays.

        Raises
        ------
        ValueError
            If the window is not inside the event span.
        """
        start, end = validate_window(window, "event window")
        first = int(self.event_offsets[0])
        last = int(self.event_offsets[-1])
        if start < first or end > last:
            raise ValueError(f"event window {window} is outside the event span ({first}, {last})")
        return np.arange(start - first, end - first + 1)


def validate_window(window: Sequence[int], name: str = "window") -> Window:
    """Check that a window is a pair of integers with ``start <= end``.

    Parameters
    ----------
    window : sequence of int
        ``(start, end)``, days relative to day 0, both included.
    name : str
        What the window is, for the error message.

    Returns
    -------
    tuple of int
        ``(start, end)`` as Python ints.

    Raises
    ------
    ValueError
        If the window is not two integers or starts after it ends.
    """
    try:
        start, end = window
    except (TypeError, ValueError):
        raise ValueError(f"{name} {window!r} must be a pair (start, end) of integer day offsets") from None
    for value in (start, end):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} {window!r} must hold integer day offsets, got {value!r}")
    if start > end:
        raise ValueError(f"{name} ({start}, {end}) starts after it ends")
    return int(start), int(end)


def validate_windows(
    estimation_window: Sequence[int], event_windows: Iterable[Sequence[int]]
) -> tuple[Window, tuple[Window, ...]]:
    """Validate the estimation window and the event windows together.

    Parameters
    ----------
    estimation_window : sequence of int
        ``(start, end)`` of the estimation window.
    event_windows : iterable of sequence of int
        The CAR windows.

    Returns
    -------
    tuple
        ``(estimation_window, event_windows)`` as tuples of ints, duplicates removed, order kept.

    Raises
    ------
    ValueError
        If a window is malformed, no event window is given, or the estimation window does not end
        before the earliest event window starts (estimation would then see the event).
    """
    est = validate_window(estimation_window, "estimation window")
    windows: list[Window] = []
    for window in event_windows:
        checked = validate_window(window, "event window")
        if checked not in windows:
            windows.append(checked)
    if not windows:
        raise ValueError("at least one event window is needed")
    earliest = min(start for start, _ in windows)
    if est[1] >= earliest:
        raise ValueError(
            f"estimation window {est} must end before the earliest event window starts "
            f"(day {earliest}); overlapping windows would let the event move the normal-return model"
        )
    return est, tuple(windows)


def check_daily_calendar(index: pd.Index) -> pd.DatetimeIndex:
    """Check that ``index`` is a complete, tz-naive, strictly increasing daily calendar.

    Parameters
    ----------
    index : pandas.Index
        Candidate index of UTC days.

    Returns
    -------
    pandas.DatetimeIndex
        The same index.

    Raises
    ------
    ValueError
        If it is not a DatetimeIndex, is tz-aware, holds times other than midnight, is not
        strictly increasing, or skips a day.
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(f"returns index must be a DatetimeIndex of UTC days, got {type(index).__name__}")
    if index.tz is not None:
        raise ValueError(f"returns index must be tz-naive UTC days, got tz={index.tz}")
    if len(index) == 0:
        raise ValueError("returns index is empty")
    if not (index == index.normalize()).all():
        raise ValueError("returns index must hold dates at midnight (UTC days), found times of day")
    steps = np.diff(index.to_numpy())
    one_day = np.timedelta64(1, "D")
    if (steps <= np.timedelta64(0, "D")).any():
        raise ValueError("returns index must be strictly increasing without duplicates")
    gaps = np.flatnonzero(steps != one_day)
    if gaps.size:
        first = gaps[0]
        raise ValueError(
            f"returns index must be a complete daily calendar; {gaps.size} gap(s), first between "
            f"{index[first].date()} and {index[first + 1].date()} (reindex and leave NaN for missing days)"
        )
    return index


def locate_days(index: pd.DatetimeIndex, days: Iterable, what: str = "event day 0") -> np.ndarray:
    """Return the row of each day in a complete daily index.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Complete daily calendar (see :func:`check_daily_calendar`).
    days : iterable of date-like
        Days to locate.
    what : str
        What the days are, for the error message.

    Returns
    -------
    numpy.ndarray
        Integer rows, shape ``(len(days),)``.

    Raises
    ------
    ValueError
        If a day is tz-aware, not at midnight, or outside the index.
    """
    stamps = pd.DatetimeIndex(list(days)) if not isinstance(days, pd.DatetimeIndex) else days
    if stamps.tz is not None:
        raise ValueError(f"{what} must be tz-naive UTC days, got tz={stamps.tz}")
    if len(stamps) and not (stamps == stamps.normalize()).all():
        raise ValueError(f"{what} must be dates at midnight (UTC days), found times of day")
    rows = index.get_indexer(stamps)
    outside = np.flatnonzero(rows < 0)
    if outside.size:
        listed = ", ".join(str(stamps[i].date()) for i in outside[:5])
        raise ValueError(
            f"{outside.size} {what}(s) outside the data range {index[0].date()} .. {index[-1].date()}: {listed}"
        )
    return rows.astype(np.int64)


def build_event_windows(
    index: pd.DatetimeIndex,
    event_days: Iterable,
    estimation_window: Sequence[int] = DEFAULT_ESTIMATION_WINDOW,
    event_windows: Iterable[Sequence[int]] = DEFAULT_EVENT_WINDOWS,
    exclude_event_days: Iterable | None = None,
) -> EventWindows:
    """Build the row positions of every event's estimation window and event span.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Complete daily calendar (tz-naive UTC days).
    event_days : iterable of date-like
        Day 0 of each event, in event order.
    estimation_window : sequence of int, default (-120, -11)
        Estimation window relative to day 0, both ends included.
    event_windows : iterable of sequence of int
        CAR windows; default ``[(0, 0), (0, 1), (-1, 1), (0, 3), (-5, 5)]``.
    exclude_event_days : iterable of date-like, optional
        Days dropped from every estimation window (typically day 0 of the other catalogue
        events). An event's own day 0 never lies in its own estimation window, so passing all
        catalogue days 0 drops exactly the *other* events' days. Days outside the index are
        ignored.

    Returns
    -------
    EventWindows
        Rows and masks, vectorised over events.

    Raises
    ------
    ValueError
        If a window is malformed, the index is not a complete daily calendar, or a day 0 is
        outside the index.
    """
    est, windows = validate_windows(estimation_window, event_windows)
    index = check_daily_calendar(index)
    day0_rows = locate_days(index, event_days)
    n_rows = len(index)

    est_offsets = np.arange(est[0], est[1] + 1)
    est_rows = day0_rows[:, None] + est_offsets[None, :]
    est_in_range = (est_rows >= 0) & (est_rows < n_rows)
    excluded = np.zeros_like(est_in_range)
    if exclude_event_days is not None:
        drop = pd.DatetimeIndex(list(exclude_event_days))
        drop_rows = index.get_indexer(drop)
        drop_rows = np.unique(drop_rows[drop_rows >= 0])
        excluded = np.isin(est_rows, drop_rows) & est_in_range

    span_offsets = np.arange(min(s for s, _ in windows), max(e for _, e in windows) + 1)
    span_rows = day0_rows[:, None] + span_offsets[None, :]
    span_in_range = (span_rows >= 0) & (span_rows < n_rows)

    return EventWindows(
        day0_rows=day0_rows,
        estimation_offsets=est_offsets,
        estimation_rows=est_rows,
        estimation_usable=est_in_range & ~excluded,
        estimation_excluded=excluded,
        event_offsets=span_offsets,
        event_rows=span_rows,
        event_in_range=span_in_range,
        estimation_window=est,
        event_windows=windows,
        n_rows=n_rows,
    )


def gather_rows(panel: np.ndarray, rows: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Gather a ``(day, series)`` panel into ``(event, series, day)`` blocks, NaN where unusable.

    Parameters
    ----------
    panel : numpy.ndarray
        Shape ``(n_rows, n_series)``, float.
    rows : numpy.ndarray
        Shape ``(n_events, n_days)``, integer rows (may be out of range).
    usable : numpy.ndarray
        Same shape as ``rows``, bool; False rows come out as NaN.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_events, n_series, n_days)``, C-contiguous.
    """
    n_rows, n_series = panel.shape
    # series-major copy with a trailing NaN column that unusable rows point to
    by_series = np.full((n_series, n_rows + 1), np.nan)
    by_series[:, :n_rows] = panel.T
    safe_rows = np.where(usable, rows, n_rows)
    out = np.empty((rows.shape[0], n_series, rows.shape[1]))
    for event, event_rows in enumerate(safe_rows):  # one contiguous gather per event
        np.take(by_series, event_rows, axis=1, out=out[event])
    return out
