"""What a tearsheet shows, computed from a backtest result and checked first.

Bad input never turns into a wrong number: an empty or unusable equity curve raises
:class:`ReportError`; gaps (NaNs, a benchmark on other dates, no trades, no positions)
are handled by the metrics and stated in the report's notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from quantlib.analytics import drawdown, rolling, trade_stats
from quantlib.analytics.benchmark import MIN_OVERLAP
from quantlib.analytics.metrics import TRADING_DAYS
from quantlib.analytics.performance import performance
from quantlib.analytics.report.errors import ReportError
from quantlib.analytics.report.formatting import date_text
from quantlib.analytics.report.labels import Labels
from quantlib.analytics.report.tables import FEE_KINDS
from quantlib.analytics.returns import equity_series
from quantlib.core.errors import QuantlibError

#: Days in the rolling windows (about a quarter of trading days).
ROLLING_WINDOW = 63


@dataclass
class TearsheetContent:
    """Everything a tearsheet draws, in one language; optional parts are None when the
    input cannot give them (the reason is in ``notes``)."""

    labels: Labels
    identity: Any
    equity: pd.Series
    benchmark: pd.Series | None
    metrics: dict[str, Any]
    drawdown: pd.Series
    drawdown_periods: pd.DataFrame
    monthly: pd.DataFrame
    yearly: pd.Series
    rolling_sharpe: pd.Series | None
    rolling_beta: pd.Series | None
    exposure: pd.Series | None
    n_positions: pd.Series | None
    turnover: pd.Series | None
    fees: pd.Series
    traded_value: float
    trades: pd.DataFrame
    window: int
    notes: list[str] = field(default_factory=list)


def _check_equity(equity: Any, labels: Labels, notes: list[str]) -> pd.Series:
    if not isinstance(equity, pd.Series) or equity.empty:
        raise ReportError(
            "the result has no equity curve (no bars): nothing to report / "
            "回测结果没有净值曲线（无交易日），无法生成报告"
        )
    if not isinstance(equity.index, pd.DatetimeIndex):
        raise ReportError(
            f"the equity curve needs dates (a DatetimeIndex), got {type(equity.index).__name__} / "
            "净值曲线须以日期为索引"
        )
    values = pd.to_numeric(equity, errors="coerce").astype(np.float64)
    missing = values.isna()
    if int((~missing).sum()) < 2:
        raise ReportError(
            f"the equity curve has {int((~missing).sum())} valid values; at least 2 are "
            f"needed / 净值曲线有效值不足 2 个，无法生成报告"
        )
    if missing.any():
        gaps = values.index[missing]
        notes.append(
            labels.format(
                "note_nan_equity",
                count=int(missing.sum()),
                first=date_text(gaps[0]),
                last=date_text(gaps[-1]),
            )
        )
    return values.rename("equity")


def _check_benchmark(
    benchmark: Any, equity: pd.Series, labels: Labels, notes: list[str]
) -> pd.Series | None:
    if benchmark is None:
        notes.append(labels["note_no_benchmark"])
        return None
    if not isinstance(benchmark, pd.Series) or not isinstance(benchmark.index, pd.DatetimeIndex):
        raise ReportError(
            "the benchmark must be a Series indexed by dates / 基准须为以日期为索引的序列"
        )
    clean = pd.to_numeric(benchmark, errors="coerce").astype(np.float64).dropna()
    common = equity.dropna().index.intersection(clean.index)
    if len(common) < MIN_OVERLAP:
        notes.append(labels["note_benchmark_disjoint"])
        return None
    covered = len(common)
    total = int(equity.notna().sum())
    if covered < total:
        notes.append(labels.format("note_benchmark_gap", covered=covered, total=total))
    return clean.rename("benchmark")


def _positions_of(result: Any) -> pd.DataFrame | None:
    try:
        positions = result.positions
    except (QuantlibError, AttributeError, KeyError):
        return None
    return positions if isinstance(positions, pd.DataFrame) else None


def _trades_of(result: Any) -> pd.DataFrame:
    trades = getattr(result, "trades", None)
    if not isinstance(trades, pd.DataFrame):
        return pd.DataFrame(columns=["time", "symbol", "side", "quantity", "price", "value"])
    return trades


def _fees(trades: pd.DataFrame) -> pd.Series:
    kinds = [kind for kind in FEE_KINDS if kind in trades.columns]
    sums = {kind: float(trades[kind].sum()) if kind in kinds else 0.0 for kind in FEE_KINDS}
    return pd.Series(sums, dtype=np.float64)


def build_content(
    result: Any,
    *,
    language: str | None = None,
    window: int = ROLLING_WINDOW,
    periods_per_year: float = TRADING_DAYS,
) -> TearsheetContent:
    """Check ``result`` (a :class:`~quantlib.backtest.result.BacktestResult` or anything
    with its attributes) and compute what its tearsheet shows."""
    labels = Labels(language)
    notes: list[str] = []
    equity = _check_equity(getattr(result, "equity", None), labels, notes)
    benchmark = _check_benchmark(getattr(result, "benchmark", None), equity, labels, notes)
    trades = _trades_of(result)
    positions = _positions_of(result)
    if trades.empty:
        notes.append(labels["note_no_trades"])
    if positions is None or positions.empty:
        notes.append(labels["note_no_positions"])
    try:
        perf = performance(
            equity,
            benchmark=benchmark,
            trades=trades if not trades.empty else None,
            positions=positions if positions is not None and not positions.empty else None,
            periods_per_year=periods_per_year,
        )
        clean = equity_series(equity)
        under = drawdown.drawdown_series(clean)
        long_enough = len(clean) > window
        if not long_enough:
            notes.append(labels.format("note_short", n=len(clean), window=window))
        sharpe = rolling.rolling_sharpe(clean, window=window) if long_enough else None
        beta = (
            rolling.rolling_beta(clean, benchmark, window=window)
            if long_enough and benchmark is not None
            else None
        )
        exposure = turnover = count = None
        if positions is not None and not positions.empty:
            exposure = trade_stats.exposure_series(positions, clean)
            count = trade_stats.position_count_series(positions, clean)
        if not trades.empty:
            daily = trade_stats.turnover_series(trades, clean)
            months = pd.DatetimeIndex(daily.index).to_period("M").to_timestamp()
            turnover = daily.groupby(months).sum()
    except QuantlibError as error:
        raise ReportError(f"cannot report this result: {error} / 无法生成报告：{error}") from error
    metrics = dict(perf.metrics)
    fees = _fees(trades)
    metrics["n_trades"] = len(trades)
    metrics["total_fees"] = float(fees.sum())
    traded = float(trades["value"].abs().sum()) if "value" in trades.columns else 0.0
    return TearsheetContent(
        labels=labels,
        identity=getattr(result, "identity", None),
        equity=clean,
        benchmark=benchmark,
        metrics=metrics,
        drawdown=under,
        drawdown_periods=perf.drawdowns,
        monthly=perf.monthly,
        yearly=perf.yearly,
        rolling_sharpe=sharpe,
        rolling_beta=beta,
        exposure=exposure,
        n_positions=count,
        turnover=turnover,
        fees=fees,
        traded_value=traded,
        trades=trades,
        window=window,
        notes=notes,
    )


__all__ = ["ROLLING_WINDOW", "TearsheetContent", "build_content"]
