"""Equity curves to returns, and calendar tables of returns (monthly, yearly).

NaN handling, used by every function of :mod:`quantlib.analytics`:

* leading NaNs (the curve has not started yet) are dropped;
* any later NaN (a suspension, a missing bar) is forward-filled: the equity did not
  change, so the bar's return is 0 and the bar still counts towards the number of
  periods used to annualise.

Equity must be finite and positive once started, dates (when the index is a
``DatetimeIndex``) strictly increasing; anything else raises
:class:`~quantlib.core.errors.DataValidationError` naming the problem.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from quantlib.core.errors import DataValidationError

#: What a series holds: equity levels, periodic simple returns, or "auto" (guess, see
#: :func:`as_returns`).
Kind = Literal["auto", "equity", "returns"]

_MONTHS = list(range(1, 13))


def equity_series(equity: pd.Series | ArrayLike, *, name: str = "equity") -> pd.Series:
    """Validated equity curve as a float Series (leading NaNs dropped, gaps forward-filled).

    Arrays and lists get a ``RangeIndex`` (bar positions). Raises
    :class:`DataValidationError` when the curve is empty or all NaN, holds an infinite,
    zero or negative value, or has unsorted or duplicate dates.
    """
    series = (
        equity.astype(np.float64)
        if isinstance(equity, pd.Series)
        else pd.Series(np.asarray(equity, dtype=np.float64).reshape(-1))
    )
    if series.empty:
        raise DataValidationError(f"{name} is empty")
    if not series.index.is_unique:
        dupes = series.index[series.index.duplicated()].unique()
        raise DataValidationError(f"{name} has duplicate dates, e.g. {dupes[0]!s}")
    if not series.index.is_monotonic_increasing:
        raise DataValidationError(f"{name} dates are not sorted in increasing order")
    values = series.to_numpy()
    if np.isinf(values).any():
        raise DataValidationError(f"{name} holds an infinite value")
    valid = ~np.isnan(values)
    if not valid.any():
        raise DataValidationError(f"{name} is all NaN")
    if (values[valid] <= 0).any():
        where = series.index[valid & (values <= 0)][0]
        raise DataValidationError(f"{name} must be positive; it is {series[where]!r} at {where!s}")
    first = int(np.argmax(valid))
    clean = series.iloc[first:].ffill()
    clean.name = series.name if series.name is not None else name
    return clean


def simple_returns(equity: pd.Series | ArrayLike) -> pd.Series:
    """Bar-on-bar simple returns ``e[t] / e[t-1] - 1`` of a cleaned equity curve.

    One value per bar after the first (empty for a single point), indexed by the bar the
    return ends on; bars that were NaN in ``equity`` have return 0.
    """
    clean = equity_series(equity)
    values = clean.to_numpy()
    return pd.Series(values[1:] / values[:-1] - 1.0, index=clean.index[1:], name="returns")


def returns_series(returns: pd.Series | ArrayLike) -> pd.Series:
    """Validated periodic returns: NaN counts as 0 (no change), values must exceed -1."""
    series = (
        returns.astype(np.float64)
        if isinstance(returns, pd.Series)
        else pd.Series(np.asarray(returns, dtype=np.float64).reshape(-1))
    )
    if not series.index.is_unique or not series.index.is_monotonic_increasing:
        raise DataValidationError("returns dates must be unique and sorted in increasing order")
    values = series.to_numpy()
    if np.isinf(values).any() or (values <= -1.0).any():
        raise DataValidationError("returns must be finite and greater than -1 (a total loss)")
    return series.fillna(0.0).rename("returns")


def as_returns(data: pd.Series | ArrayLike, kind: Kind = "auto") -> pd.Series:
    """Periodic simple returns of ``data``, an equity curve or a returns series.

    ``kind="auto"`` treats ``data`` as equity when every non-NaN value is positive and
    the largest is at least 0.5, else as returns: a return series is almost never all
    positive with a value of 50% or more (A-share daily limits are at most ±30%). Pass
    ``kind`` explicitly to avoid the guess.
    """
    if kind == "auto":
        values = np.asarray(data, dtype=np.float64).reshape(-1)
        present = values[~np.isnan(values)]
        is_equity = present.size > 0 and bool((present > 0).all()) and present.max() >= 0.5
        kind = "equity" if is_equity else "returns"
    return simple_returns(data) if kind == "equity" else returns_series(data)


def _dated(returns: pd.Series, what: str) -> pd.Series:
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise DataValidationError(
            f"{what} needs a DatetimeIndex; got {type(returns.index).__name__}"
        )
    return returns


def _compound(returns: pd.Series) -> float:
    return float(np.prod(1.0 + returns.to_numpy()) - 1.0)


def monthly_returns_table(
    equity_or_returns: pd.Series | ArrayLike, *, kind: Kind = "auto"
) -> pd.DataFrame:
    """Compounded returns by calendar month: rows are years, columns months 1..12 and
    ``"year"`` (the year's compounded return). Months without bars are NaN.

    The first month starts from the first equity point, so the product of
    ``1 + year`` over all rows equals ``1 + total return``.
    """
    rets = _dated(as_returns(equity_or_returns, kind), "a monthly returns table")
    index = pd.DatetimeIndex(rets.index)
    grouped = rets.groupby([index.year, index.month]).apply(_compound)
    table = grouped.unstack().reindex(columns=_MONTHS)
    table.index.name = "year"
    table.columns.name = "month"
    table["year"] = yearly_returns(rets, kind="returns").reindex(table.index)
    return table


def yearly_returns(equity_or_returns: pd.Series | ArrayLike, *, kind: Kind = "auto") -> pd.Series:
    """Compounded return of each calendar year (indexed by year, as int)."""
    rets = _dated(as_returns(equity_or_returns, kind), "yearly returns")
    years = pd.DatetimeIndex(rets.index).year
    out = rets.groupby(years).apply(_compound).astype(np.float64)
    out.index.name = "year"
    return out.rename("return")


__all__ = [
    "Kind",
    "as_returns",
    "equity_series",
    "monthly_returns_table",
    "returns_series",
    "simple_returns",
    "yearly_returns",
]
