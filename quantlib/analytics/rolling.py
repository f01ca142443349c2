"""Rolling-window metrics: Sharpe ratio, volatility and beta over the last ``window``
returns, as Series indexed like the returns (NaN until a full window is available).

Each window is evaluated exactly (NumPy sliding windows, no running sums), with the
definitions of :mod:`quantlib.analytics.metrics` and :mod:`quantlib.analytics.benchmark`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from quantlib.analytics.benchmark import align
from quantlib.analytics.metrics import TRADING_DAYS, ZERO_DISPERSION, period_rate
from quantlib.analytics.returns import Kind, as_returns
from quantlib.core.errors import ConfigError

#: Default window: about a quarter of trading days.
WINDOW = 63


def _windows(values: np.ndarray, window: int) -> np.ndarray:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
        raise ConfigError(f"window must be an integer of at least 2 bars, got {window!r}")
    if len(values) < window:
        return np.empty((0, window))
    return sliding_window_view(values, window)


def _padded(values: np.ndarray, index: pd.Index, window: int, name: str) -> pd.Series:
    out = np.full(len(index), np.nan)
    out[window - 1 :] = values
    return pd.Series(out, index=index, name=name)


def _window_std(win: np.ndarray) -> np.ndarray:
    if win.shape[0] == 0:
        return np.empty(0)
    std = win.std(axis=1, ddof=1)
    return np.where(std <= ZERO_DISPERSION * np.abs(win).max(axis=1), 0.0, std)


def rolling_volatility(
    equity_or_returns: pd.Series | ArrayLike,
    window: int = WINDOW,
    *,
    periods_per_year: float = TRADING_DAYS,
    kind: Kind = "auto",
) -> pd.Series:
    """Annualised volatility of each window of returns."""
    rets = as_returns(equity_or_returns, kind)
    win = _windows(rets.to_numpy(), window)
    vol = _window_std(win) * np.sqrt(periods_per_year)
    return _padded(vol, rets.index, window, "rolling_volatility")


def rolling_sharpe(
    equity_or_returns: pd.Series | ArrayLike,
    window: int = WINDOW,
    *,
    risk_free: float = 0.0,
    periods_per_year: float = TRADING_DAYS,
    kind: Kind = "auto",
) -> pd.Series:
    """Annualised Sharpe ratio of each window of returns (NaN where the window's
    volatility is 0)."""
    rf = period_rate(risk_free, periods_per_year)
    rets = as_returns(equity_or_returns, kind)
    win = _windows(rets.to_numpy(), window) - rf
    std = _window_std(win)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(std > 0, win.mean(axis=1) / std, np.nan) * np.sqrt(periods_per_year)
    return _padded(values, rets.index, window, "rolling_sharpe")


def rolling_beta(
    equity: pd.Series | ArrayLike,
    benchmark: pd.Series | ArrayLike,
    window: int = WINDOW,
) -> pd.Series:
    """Beta of strategy returns on benchmark returns over each window, on the dates both
    curves have (both are levels: equity and index close); NaN where the benchmark does
    not move within the window."""
    aligned = align(equity, benchmark)
    r = aligned.equity_returns
    rw = _windows(r.to_numpy(), window)
    bw = _windows(aligned.benchmark_returns.to_numpy(), window)
    b_resid = bw - bw.mean(axis=1, keepdims=True)
    cov = (b_resid * (rw - rw.mean(axis=1, keepdims=True))).mean(axis=1)
    var = (b_resid**2).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(var >= 1e-30, cov / var, np.nan)
    return _padded(values, r.index, window, "rolling_beta")


__all__ = ["WINDOW", "rolling_beta", "rolling_sharpe", "rolling_volatility"]
