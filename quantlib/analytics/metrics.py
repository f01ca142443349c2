"""Scalar performance metrics, computed with NumPy over rows of returns.

Every metric has one kernel that works on a matrix of returns (runs x periods, one run
per row). :func:`summary_table` applies the kernels to thousands of equity curves at
once (parameter sweeps); the scalar functions (:func:`sharpe`, :func:`sortino`, ...)
apply them to one series of returns. Definitions, annualisation and differences from
empyrical and JoinQuant are in ``docs/analytics.md``.

Conventions: ``periods_per_year`` annualises (default 242 A-share trading days);
``risk_free`` is an annual rate, turned into a per-period rate by compounding,
``(1 + risk_free) ** (1 / periods_per_year) - 1``. A metric that is undefined (a
volatility of 0, no drawdown, fewer than two returns) is NaN here; :mod:`performance`
reports it as None.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from quantlib.core.errors import ConfigError, DataValidationError

#: Trading days per year on the Shanghai and Shenzhen exchanges (the annualisation basis).
TRADING_DAYS = 242

#: Relative size below which a standard deviation is float noise and counts as 0.
ZERO_DISPERSION = 1e-12

METRIC_NAMES = (
    "final_equity",
    "total_return",
    "annual_return",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "var",
    "cvar",
)


def period_rate(annual_rate: float, periods_per_year: float = TRADING_DAYS) -> float:
    """The per-period rate that compounds to ``annual_rate`` over a year."""
    _check_periods(periods_per_year)
    return float((1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0)


def _check_periods(periods_per_year: float) -> None:
    if not periods_per_year > 0:
        raise ConfigError(f"periods_per_year must be positive, got {periods_per_year!r}")


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ConfigError(f"the VaR level must lie strictly between 0 and 1, got {level!r}")


def _ffill_rows(values: np.ndarray) -> np.ndarray:
    """Forward-fill NaNs along each row (leading NaNs stay NaN)."""
    idx = np.where(np.isnan(values), 0, np.arange(values.shape[1]))
    np.maximum.accumulate(idx, axis=1, out=idx)
    return np.take_along_axis(values, idx, axis=1)


def _rows(returns: ArrayLike) -> np.ndarray:
    """One series of returns as a 1-row matrix, NaN counted as 0."""
    rets = np.asarray(returns, dtype=np.float64).reshape(1, -1)
    return np.where(np.isnan(rets), 0.0, rets)


def _scalar(values: np.ndarray) -> float:
    return float(values[0])


# -- kernels: one value per row of a returns matrix ---------------------------------------


def _total(rets: np.ndarray) -> np.ndarray:
    return np.prod(1.0 + rets, axis=1) - 1.0


def _annual(total: np.ndarray, n_periods: int, periods_per_year: float) -> np.ndarray:
    if n_periods < 1:
        return np.full(total.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        grown = np.where(total > -1.0, 1.0 + total, 0.0) ** (periods_per_year / n_periods)
    return np.where(np.isnan(total), np.nan, grown - 1.0)


def _std(rets: np.ndarray) -> np.ndarray:
    """Sample standard deviation per row, NaN below two values; exactly 0 when it is
    within float noise of the returns' size (at most :data:`ZERO_DISPERSION` times the
    largest absolute return), so constant returns never yield a huge Sharpe ratio."""
    if rets.shape[1] < 2:
        return np.full(rets.shape[0], np.nan)
    std = rets.std(axis=1, ddof=1)
    return np.where(std <= ZERO_DISPERSION * np.abs(rets).max(axis=1), 0.0, std)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _sharpe(rets: np.ndarray, rf: float, periods_per_year: float) -> np.ndarray:
    excess = rets - rf
    mean = excess.mean(axis=1) if rets.shape[1] else np.full(rets.shape[0], np.nan)
    return _ratio(mean, _std(excess)) * np.sqrt(periods_per_year)


def _downside(rets: np.ndarray, rf: float) -> np.ndarray:
    if rets.shape[1] < 1:
        return np.full(rets.shape[0], np.nan)
    return np.sqrt((np.minimum(rets - rf, 0.0) ** 2).mean(axis=1))


def _sortino(rets: np.ndarray, rf: float, periods_per_year: float) -> np.ndarray:
    if rets.shape[1] < 2:
        return np.full(rets.shape[0], np.nan)
    mean = (rets - rf).mean(axis=1)
    return _ratio(mean, _downside(rets, rf)) * np.sqrt(periods_per_year)


def _drawdown_rows(equity: np.ndarray) -> np.ndarray:
    peak = np.fmax.accumulate(equity, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(peak > 0, equity / peak - 1.0, 0.0)


def _var_cvar(rets: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Historical VaR (the ``1 - level`` percentile, linear interpolation) and CVaR (the
    mean of the ``floor((n - 1) * (1 - level)) + 1`` lowest returns) per row."""
    _check_level(level)
    n_rows, n = rets.shape
    if n < 1:
        return np.full(n_rows, np.nan), np.full(n_rows, np.nan)
    cutoff = 1.0 - level
    var = np.percentile(rets, 100.0 * cutoff, axis=1)
    k = int((n - 1) * cutoff)
    cvar = np.partition(rets, k, axis=1)[:, : k + 1].mean(axis=1)
    return var, cvar


# -- batch ------------------------------------------------------------------------------


def summary_table(
    equity: np.ndarray,
    times: pd.DatetimeIndex | None = None,
    *,
    periods_per_year: float = TRADING_DAYS,
    risk_free: float = 0.0,
    var_level: float = 0.95,
) -> pd.DataFrame:
    """Metrics of each row of an equity matrix (runs x bars) as a table, vectorised.

    Columns are :data:`METRIC_NAMES`. NaNs inside a row are forward-filled (a bar
    without a value kept the previous equity); a row that starts with NaN or reaches a
    non-positive equity has NaN for the metrics that are undefined. ``times``, when
    given, must have one entry per bar; the table's ``attrs`` then carry ``start`` and
    ``end``.
    """
    _check_periods(periods_per_year)
    equity = _ffill_rows(np.atleast_2d(np.asarray(equity, dtype=np.float64)))
    n_bars = equity.shape[1]
    if n_bars == 0:
        raise DataValidationError("summary_table: the equity matrix has no bars")
    if times is not None and len(times) != n_bars:
        raise DataValidationError(
            f"summary_table: {len(times)} times for an equity matrix of {n_bars} bars"
        )
    start, final = equity[:, 0], equity[:, -1]
    usable = (equity > 0).all(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rets = np.where(usable[:, None], equity[:, 1:] / equity[:, :-1] - 1.0, 0.0)
        total = np.where(start > 0, final / start - 1.0, np.nan)
    rf = period_rate(risk_free, periods_per_year)
    annual = _annual(total, n_bars - 1, periods_per_year)
    mdd = _drawdown_rows(equity).min(axis=1)
    var, cvar = _var_cvar(rets, var_level)
    scale = np.sqrt(periods_per_year)
    per_period = {
        "volatility": _std(rets) * scale,
        "sharpe": _sharpe(rets, rf, periods_per_year),
        "sortino": _sortino(rets, rf, periods_per_year),
        "var": var,
        "cvar": cvar,
    }
    table = pd.DataFrame(
        {
            "final_equity": final,
            "total_return": total,
            "annual_return": annual,
            **{name: np.where(usable, values, np.nan) for name, values in per_period.items()},
            "max_drawdown": mdd,
            "calmar": _ratio(annual, -mdd),
        }
    )[list(METRIC_NAMES)]
    if times is not None:
        table.attrs.update(start=times[0], end=times[-1])
    return table


def summary(
    equity: pd.Series | np.ndarray,
    *,
    periods_per_year: float = TRADING_DAYS,
    risk_free: float = 0.0,
    var_level: float = 0.95,
) -> dict[str, Any]:
    """Headline metrics (:data:`METRIC_NAMES`) of one equity curve, as plain floats."""
    row = summary_table(
        np.asarray(equity, dtype=np.float64).reshape(1, -1),
        periods_per_year=periods_per_year,
        risk_free=risk_free,
        var_level=var_level,
    ).iloc[0]
    return {name: float(row[name]) for name in METRIC_NAMES}


# -- one series of returns -----------------------------------------------------------------


def max_drawdown(equity: np.ndarray) -> np.ndarray | float:
    """Largest fall from a running peak of equity (last axis), as a negative fraction
    (0 when none); a float for one curve, an array for a matrix of curves."""
    result = _drawdown_rows(np.atleast_2d(np.asarray(equity, dtype=np.float64))).min(axis=1)
    return float(result[0]) if np.ndim(equity) <= 1 else result


def total_return(returns: ArrayLike) -> float:
    """Compounded return ``prod(1 + r) - 1``."""
    return _scalar(_total(_rows(returns)))


def annual_return(returns: ArrayLike, *, periods_per_year: float = TRADING_DAYS) -> float:
    """Compound annual growth rate: ``(1 + total) ** (periods_per_year / n) - 1`` for
    ``n`` returns (NaN without returns; -1 after a total loss)."""
    _check_periods(periods_per_year)
    rets = _rows(returns)
    return _scalar(_annual(_total(rets), rets.shape[1], periods_per_year))


def volatility(returns: ArrayLike, *, periods_per_year: float = TRADING_DAYS) -> float:
    """Annualised volatility: sample standard deviation × ``sqrt(periods_per_year)``."""
    _check_periods(periods_per_year)
    return _scalar(_std(_rows(returns))) * float(np.sqrt(periods_per_year))


def sharpe(
    returns: ArrayLike, *, risk_free: float = 0.0, periods_per_year: float = TRADING_DAYS
) -> float:
    """Annualised Sharpe ratio ``mean(r - rf) / std(r - rf) × sqrt(periods_per_year)``
    (NaN when the volatility is 0 or there are fewer than two returns)."""
    rf = period_rate(risk_free, periods_per_year)
    return _scalar(_sharpe(_rows(returns), rf, periods_per_year))


def sortino(
    returns: ArrayLike, *, risk_free: float = 0.0, periods_per_year: float = TRADING_DAYS
) -> float:
    """Annualised Sortino ratio ``mean(r - rf) / sqrt(mean(min(r - rf, 0)²))`` ×
    ``sqrt(periods_per_year)`` (NaN when no return falls below ``rf``)."""
    rf = period_rate(risk_free, periods_per_year)
    return _scalar(_sortino(_rows(returns), rf, periods_per_year))


def calmar(returns: ArrayLike, *, periods_per_year: float = TRADING_DAYS) -> float:
    """Calmar ratio: annual return / |max drawdown| (NaN without a drawdown)."""
    rets = _rows(returns)
    equity = np.concatenate([[1.0], np.cumprod(1.0 + rets[0])]).reshape(1, -1)
    mdd = _drawdown_rows(equity).min(axis=1)
    annual = _annual(_total(rets), rets.shape[1], periods_per_year)
    return _scalar(_ratio(annual, -mdd))


def value_at_risk(returns: ArrayLike, level: float = 0.95) -> float:
    """Historical VaR: the ``1 - level`` percentile of the returns (a return; negative
    means a loss)."""
    return _scalar(_var_cvar(_rows(returns), level)[0])


def conditional_value_at_risk(returns: ArrayLike, level: float = 0.95) -> float:
    """Historical CVaR (expected shortfall): the mean of the worst
    ``floor((n - 1) × (1 - level)) + 1`` returns."""
    return _scalar(_var_cvar(_rows(returns), level)[1])


__all__ = [
    "METRIC_NAMES",
    "TRADING_DAYS",
    "ZERO_DISPERSION",
    "annual_return",
    "calmar",
    "conditional_value_at_risk",
    "max_drawdown",
    "period_rate",
    "sharpe",
    "sortino",
    "summary",
    "summary_table",
    "total_return",
    "value_at_risk",
    "volatility",
]
