"""Metrics relative to a benchmark: alignment by date, excess return, tracking error,
information ratio, alpha and beta.

The strategy's equity and the benchmark's level (an index close, or any positive
curve) are each cleaned like an equity curve (:func:`~quantlib.analytics.returns.equity_series`)
and then kept on the dates both have; returns are taken on those common dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from quantlib.analytics.metrics import (
    TRADING_DAYS,
    annual_return,
    period_rate,
    sharpe,
    volatility,
)
from quantlib.analytics.returns import equity_series
from quantlib.core.errors import DataValidationError

#: Fewest common dates accepted (two returns, the least a deviation needs).
MIN_OVERLAP = 3

#: Benchmark-relative metric names, as in :func:`relative_metrics`.
RELATIVE_NAMES = ("excess_return", "tracking_error", "information_ratio", "alpha", "beta")


@dataclass(frozen=True)
class Aligned:
    """Equity and benchmark on their common dates, and how many dates each lost."""

    equity: pd.Series
    benchmark: pd.Series
    dropped_equity: int
    dropped_benchmark: int

    @property
    def equity_returns(self) -> pd.Series:
        """Strategy returns on the common dates."""
        return self.equity.pct_change().iloc[1:]

    @property
    def benchmark_returns(self) -> pd.Series:
        """Benchmark returns on the common dates."""
        return self.benchmark.pct_change().iloc[1:]

    def note(self) -> str | None:
        """A sentence on dropped dates, or None when both had the same dates."""
        if not (self.dropped_equity or self.dropped_benchmark):
            return None
        return (
            f"benchmark metrics use the {len(self.equity)} common dates "
            f"({self.equity.index[0]!s} to {self.equity.index[-1]!s}): dropped "
            f"{self.dropped_equity} equity dates without a benchmark value and "
            f"{self.dropped_benchmark} benchmark dates without equity"
        )


def align(
    equity: pd.Series | ArrayLike,
    benchmark: pd.Series | ArrayLike,
    *,
    min_overlap: int = MIN_OVERLAP,
) -> Aligned:
    """Keep ``equity`` and ``benchmark`` on the dates both have (after dropping leading
    NaNs and forward-filling gaps in each).

    Raises :class:`DataValidationError` when they share fewer than ``min_overlap``
    dates, naming both date ranges. Arrays are aligned by position.
    """
    eq = equity_series(equity)
    bm = equity_series(benchmark, name="benchmark")
    if isinstance(eq.index, pd.DatetimeIndex) != isinstance(bm.index, pd.DatetimeIndex):
        raise DataValidationError(
            "equity and benchmark must both be dated (DatetimeIndex) or both undated"
        )
    common = eq.index.intersection(bm.index)
    if len(common) < min_overlap:
        raise DataValidationError(
            f"equity ({eq.index[0]!s} to {eq.index[-1]!s}, {len(eq)} dates) and benchmark "
            f"({bm.index[0]!s} to {bm.index[-1]!s}, {len(bm)} dates) share {len(common)} "
            f"dates; at least {min_overlap} are needed"
        )
    return Aligned(
        equity=eq.loc[common],
        benchmark=bm.loc[common].rename("benchmark"),
        dropped_equity=len(eq) - len(common),
        dropped_benchmark=len(bm) - len(common),
    )


def _pair(aligned: Aligned) -> tuple[np.ndarray, np.ndarray]:
    return aligned.equity_returns.to_numpy(), aligned.benchmark_returns.to_numpy()


def beta(aligned: Aligned) -> float:
    """``cov(r, b) / var(b)`` of strategy and benchmark returns (NaN when the benchmark
    does not move)."""
    r, b = _pair(aligned)
    resid = b - b.mean()
    variance = float(np.mean(resid**2))
    if variance < 1e-30:
        return float("nan")
    return float(np.mean(resid * (r - r.mean())) / variance)


def alpha(
    aligned: Aligned, *, risk_free: float = 0.0, periods_per_year: float = TRADING_DAYS
) -> float:
    """Annualised Jensen's alpha: ``(1 + mean(r - rf - β(b - rf))) ** periods_per_year - 1``
    with the per-period risk-free rate ``rf``."""
    rf = period_rate(risk_free, periods_per_year)
    r, b = _pair(aligned)
    active = (r - rf) - beta(aligned) * (b - rf)
    return float((1.0 + active.mean()) ** periods_per_year - 1.0)


def tracking_error(aligned: Aligned, *, periods_per_year: float = TRADING_DAYS) -> float:
    """Annualised standard deviation of active returns ``r - b``."""
    r, b = _pair(aligned)
    return volatility(r - b, periods_per_year=periods_per_year)


def information_ratio(aligned: Aligned, *, periods_per_year: float = TRADING_DAYS) -> float:
    """``mean(r - b) / std(r - b) × sqrt(periods_per_year)`` (NaN when the active return
    is constant): the Sharpe ratio of the active returns."""
    r, b = _pair(aligned)
    return sharpe(r - b, periods_per_year=periods_per_year)


def excess_return(aligned: Aligned, *, periods_per_year: float = TRADING_DAYS) -> float:
    """Annual return of the strategy minus that of the benchmark, over the common dates."""
    r, b = _pair(aligned)
    return annual_return(r, periods_per_year=periods_per_year) - annual_return(
        b, periods_per_year=periods_per_year
    )


def relative_metrics(
    equity: pd.Series | ArrayLike,
    benchmark: pd.Series | ArrayLike,
    *,
    risk_free: float = 0.0,
    periods_per_year: float = TRADING_DAYS,
    min_overlap: int = MIN_OVERLAP,
) -> dict[str, float]:
    """All of :data:`RELATIVE_NAMES` for ``equity`` against ``benchmark``."""
    aligned = align(equity, benchmark, min_overlap=min_overlap)
    return {
        "excess_return": excess_return(aligned, periods_per_year=periods_per_year),
        "tracking_error": tracking_error(aligned, periods_per_year=periods_per_year),
        "information_ratio": information_ratio(aligned, periods_per_year=periods_per_year),
        "alpha": alpha(aligned, risk_free=risk_free, periods_per_year=periods_per_year),
        "beta": beta(aligned),
    }


__all__ = [
    "MIN_OVERLAP",
    "RELATIVE_NAMES",
    "Aligned",
    "align",
    "alpha",
    "beta",
    "excess_return",
    "information_ratio",
    "relative_metrics",
    "tracking_error",
]
