"""Drawdowns: the underwater curve and the table of drawdown periods.

A drawdown period starts at a peak (the last bar at the running high before equity
falls below it), reaches its trough (the lowest point, first one on ties) and ends at
the recovery (the first bar back at or above the peak's equity), or is still open at
the last bar. Durations count bars (trading days for daily bars) and calendar days.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from quantlib.analytics.returns import equity_series
from quantlib.core.errors import ConfigError

#: Columns of :func:`drawdown_periods`.
PERIOD_COLUMNS = (
    "peak",
    "trough",
    "recovery",
    "depth",
    "duration_days",
    "recovery_days",
    "calendar_days",
    "recovered",
)


def drawdown_series(equity: pd.Series | ArrayLike) -> pd.Series:
    """Fall from the running peak at each bar, as a fraction ≤ 0 (0 at a new high)."""
    clean = equity_series(equity)
    return (clean / clean.cummax() - 1.0).rename("drawdown")


def drawdown_periods(equity: pd.Series | ArrayLike, top: int | None = 5) -> pd.DataFrame:
    """The ``top`` deepest drawdown periods (all of them for ``top=None``), deepest first.

    Columns: ``peak``, ``trough``, ``recovery`` (labels of the equity index; NaT/<NA>
    when not recovered), ``depth`` (trough / peak - 1, ≤ 0), ``duration_days`` (bars
    from peak to recovery, or to the last bar when not recovered), ``recovery_days``
    (bars from trough to recovery, NaN when not recovered), ``calendar_days`` (calendar
    days from peak to recovery or the last date; NaN without a DatetimeIndex) and
    ``recovered``.
    """
    if top is not None and top < 0:
        raise ConfigError(f"top must be a non-negative number of periods, got {top!r}")
    clean = equity_series(equity)
    dd = (clean / clean.cummax() - 1.0).to_numpy()
    n = len(dd)
    under = np.concatenate([[0], (dd < 0).astype(np.int8), [0]])
    edges = np.diff(under)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    peaks = starts - 1
    troughs = np.array(
        [s + int(np.argmin(dd[s : e + 1])) for s, e in zip(starts, ends, strict=True)],
        dtype=np.int64,
    )
    recovered = ends + 1 < n
    recoveries = np.where(recovered, ends + 1, n - 1)
    depth = dd[troughs] if len(troughs) else np.array([], dtype=np.float64)
    order = np.argsort(depth, kind="stable")[:top]
    index = clean.index
    dated = isinstance(index, pd.DatetimeIndex)
    peak_labels = index[peaks[order]]
    end_labels = index[recoveries[order]]
    rec = recovered[order]
    recovery: Any
    calendar: Any
    if dated:
        recovery = pd.DatetimeIndex(end_labels).where(rec)
        calendar = (pd.DatetimeIndex(end_labels) - pd.DatetimeIndex(peak_labels)).days
    else:
        recovery = pd.array(np.asarray(end_labels), dtype="Int64")
        recovery[~rec] = pd.NA
        calendar = np.full(len(order), np.nan)
    return pd.DataFrame(
        {
            "peak": peak_labels,
            "trough": index[troughs[order]],
            "recovery": recovery,
            "depth": depth[order],
            "duration_days": (recoveries - peaks)[order],
            "recovery_days": np.where(rec, (recoveries - troughs)[order], np.nan),
            "calendar_days": np.asarray(calendar, dtype=np.float64),
            "recovered": rec,
        },
        columns=list(PERIOD_COLUMNS),
    )


def max_drawdown_info(equity: pd.Series | ArrayLike) -> dict[str, Any]:
    """The deepest drawdown: ``depth`` (0 without one), ``peak``, ``trough``,
    ``recovery`` (None if not recovered), ``duration_days``, ``recovery_days`` and
    ``calendar_days`` (None where undefined)."""
    periods = drawdown_periods(equity, top=1)
    if periods.empty:
        return {
            "depth": 0.0,
            "peak": None,
            "trough": None,
            "recovery": None,
            "duration_days": None,
            "recovery_days": None,
            "calendar_days": None,
        }
    row = periods.iloc[0]
    return {
        "depth": float(row["depth"]),
        "peak": row["peak"],
        "trough": row["trough"],
        "recovery": None if pd.isna(row["recovery"]) else row["recovery"],
        "duration_days": int(row["duration_days"]),
        "recovery_days": None if pd.isna(row["recovery_days"]) else int(row["recovery_days"]),
        "calendar_days": None if pd.isna(row["calendar_days"]) else int(row["calendar_days"]),
    }


__all__ = ["PERIOD_COLUMNS", "drawdown_periods", "drawdown_series", "max_drawdown_info"]
