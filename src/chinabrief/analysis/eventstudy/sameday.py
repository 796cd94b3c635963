"""One observation per token per event day: events that share a day 0 are merged.

A daily event study cannot tell apart two events with the same day 0: their abnormal returns are
the same numbers. Counting both would enter each token's CAR twice in a category's average and in
its tests. :func:`merge_same_day_events` turns the catalogue into *observations*, one per day 0;
the observation keeps the id of its first member (catalogue order) so single events keep theirs.
"""

from __future__ import annotations

import pandas as pd

#: Category of an observation whose merged events disagree on their category.
MIXED_CATEGORY = "mixed"
#: Columns of the membership table.
MEMBER_COLUMNS = ["event_id", "observation_id", "day0", "category", "n_merged"]


def merge_same_day_events(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge events that share a day 0 into one observation.

    Parameters
    ----------
    events : pandas.DataFrame
        Columns ``event_id`` (unique), ``day0`` and ``category``; other columns are carried on the
        observation from its first member.

    Returns
    -------
    observations : pandas.DataFrame
        One row per day 0, in the order of each day's first event: the first member's row, with
        ``category`` the members' common category (``'mixed'`` when they disagree; such a day
        enters no category's statistics), ``n_merged`` and ``members`` (the event ids joined
        by ``' + '``).
    members : pandas.DataFrame
        ``event_id, observation_id, day0, category, n_merged``: every catalogue event and the
        observation it counts in (``category`` is the event's own).

    Raises
    ------
    ValueError
        If a column is missing or an event id repeats.

    Examples
    --------
    >>> ev = pd.DataFrame({"event_id": ["a", "b", "c"], "category": ["x", "x", "y"],
    ...                    "day0": pd.to_datetime(["2025-04-09", "2025-04-09", "2025-04-10"])})
    >>> obs, members = merge_same_day_events(ev)
    >>> obs[["event_id", "members", "n_merged"]].values.tolist()
    [['a', 'a + b', 2], ['c', 'c', 1]]
    >>> members["observation_id"].tolist()
    ['a', 'a', 'c']
    """
    missing = [c for c in ("event_id", "day0", "category") if c not in events.columns]
    if missing:
        raise ValueError(f"events lacks column(s) {', '.join(missing)}")
    ids = events["event_id"].astype(str)
    if ids.duplicated().any():
        raise ValueError(f"event_id not unique: {', '.join(sorted(ids[ids.duplicated()].unique())[:5])}")
    frame = events.reset_index(drop=True).copy()
    day0 = pd.to_datetime(frame["day0"])
    first = frame.groupby(day0, sort=False)["event_id"].transform("first").astype(str)
    n_merged = frame.groupby(day0, sort=False)["event_id"].transform("size").astype(int)
    members = pd.DataFrame(
        {
            "event_id": ids.to_numpy(),
            "observation_id": first.to_numpy(),
            "day0": day0.to_numpy(),
            "category": frame["category"].astype(str).to_numpy(),
            "n_merged": n_merged.to_numpy(),
        },
        columns=MEMBER_COLUMNS,
    )
    grouped = members.groupby("observation_id", sort=False)
    categories = grouped["category"].agg(lambda c: c.iloc[0] if c.nunique() == 1 else MIXED_CATEGORY)
    joined = grouped["event_id"].agg(" + ".join)
    observations = frame[frame["event_id"].astype(str).isin(categories.index)].copy()
    observations["category"] = observations["event_id"].map(categories).to_numpy()
    observations["n_merged"] = observations["event_id"].map(grouped.size()).astype(int).to_numpy()
    observations["members"] = observations["event_id"].map(joined).to_numpy()
    return observations.reset_index(drop=True), members


def merged_days(members: pd.DataFrame) -> pd.DataFrame:
    """The observations that merge more than one event (day0, observation_id, event_id per member)."""
    return members[members["n_merged"].gt(1)].reset_index(drop=True)
