"""Multiple testing: Benjamini–Hochberg q-values (false discovery rate) beside p-values."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests


def bh_qvalues(p) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN p-values stay NaN and do not count.

    ``q_(i) = min_{j >= i} m p_(j) / j`` over the ``m`` finite p-values sorted ascending, capped
    at 1 (statsmodels ``multipletests(method='fdr_bh')``).

    Parameters
    ----------
    p : array-like
        p-values in [0, 1], NaN where undefined.

    Returns
    -------
    numpy.ndarray
        q-values, same shape.

    Raises
    ------
    ValueError
        If a finite p-value lies outside [0, 1].

    Examples
    --------
    >>> bh_qvalues([0.01, 0.04, 0.03, float("nan")]).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    values = np.asarray(p, dtype=float)
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    if ((values[finite] < 0) | (values[finite] > 1)).any():
        raise ValueError("p-values must lie in [0, 1]")
    if finite.any():
        out[finite] = multipletests(values[finite], method="fdr_bh")[1]
    return out


def add_qvalues(frame: pd.DataFrame, by: list[str], p: str = "p", q: str = "q") -> pd.DataFrame:
    """Add a q-value column: BH over the rows of each group of ``by`` (one family of tests each).

    Parameters
    ----------
    frame : pandas.DataFrame
        Holds ``p`` and the ``by`` columns.
    by : list of str
        The columns that define a family (e.g. model and window).
    p, q : str
        Names of the p-value column and of the new q-value column.

    Returns
    -------
    pandas.DataFrame
        A copy with ``q`` inserted right after ``p``.
    """
    out = frame.copy()
    values = np.full(len(out), np.nan)
    if len(out):
        for _, positions in out.groupby(by, sort=False, dropna=False).indices.items():
            values[positions] = bh_qvalues(out[p].to_numpy(dtype=float)[positions])
    if q in out.columns:
        out = out.drop(columns=q)
    out.insert(out.columns.get_loc(p) + 1, q, values)
    return out
