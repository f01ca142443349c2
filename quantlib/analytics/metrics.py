"""Headline performance metrics of equity curves, on NumPy arrays.

The report issue extends this module (benchmark-relative metrics, rolling windows,
tables); the backtester and the sweeps use the headline numbers below.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Trading days per year on the Shanghai and Shenzhen exchanges (the annualisation basis).
TRADING_DAYS = 242

METRIC_NAMES = (
    "final_equity",
    "total_return",
    "annual_return",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
)


def _returns(equity: np.ndarray) -> np.ndarray:
    """Simple returns along the last axis (one fewer column)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = equity[..., 1:] / equity[..., :-1] - 1.0
    return np.where(np.isfinite(out), out, 0.0)


def max_drawdown(equity: np.ndarray) -> np.ndarray | float:
    """Largest fall from a running peak, as a negative fraction (0 when none)."""
    peak = np.maximum.accumulate(equity, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = np.where(peak > 0, equity / peak - 1.0, 0.0)
    result = drawdown.min(axis=-1)
    return float(result) if np.ndim(result) == 0 else result


def summary_table(equity: np.ndarray, times: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Metrics of each row of an equity matrix (runs x bars) as a table."""
    equity = np.atleast_2d(np.asarray(equity, dtype=np.float64))
    n_bars = equity.shape[1]
    start, final = equity[:, 0], equity[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.where(start > 0, final / start - 1.0, np.nan)
        years = max(n_bars - 1, 1) / TRADING_DAYS
        annual = np.where(total > -1, (1.0 + total) ** (1.0 / years) - 1.0, -1.0)
    rets = _returns(equity)
    if rets.shape[1] >= 2:
        mean = rets.mean(axis=1)
        std = rets.std(axis=1, ddof=1)
        downside = np.sqrt((np.minimum(rets, 0.0) ** 2).mean(axis=1))
    else:
        mean = std = downside = np.zeros(equity.shape[0])
    scale = np.sqrt(TRADING_DAYS)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = np.where(std > 0, mean / std * scale, np.nan)
        sortino = np.where(downside > 0, mean / downside * scale, np.nan)
    mdd = np.asarray(max_drawdown(equity)).reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        calmar = np.where(mdd < 0, annual / -mdd, np.nan)
    return pd.DataFrame(
        {
            "final_equity": final,
            "total_return": total,
            "annual_return": annual,
            "volatility": std * scale,
            "sharpe": sharpe,
            "sortino": sortino,
            "max_drawdown": mdd,
            "calmar": calmar,
        }
    )


def summary(equity: pd.Series | np.ndarray) -> dict[str, Any]:
    """Headline metrics of one equity curve, as plain floats."""
    row = summary_table(np.asarray(equity, dtype=np.float64)).iloc[0]
    return {name: float(row[name]) for name in METRIC_NAMES}


__all__ = ["METRIC_NAMES", "TRADING_DAYS", "max_drawdown", "summary", "summary_table"]
