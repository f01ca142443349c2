"""One call for every metric and table of a backtest or an equity curve.

:func:`performance` takes a :class:`~quantlib.backtest.result.BacktestResult` (or any
object with ``equity`` and optionally ``benchmark``, ``trades`` and ``positions``) or a
bare equity Series, and returns a :class:`Performance`: the metrics under the stable
keys of :data:`METRIC_KEYS` plus the drawdown, calendar and round-trip tables. A metric
that cannot be computed from what was given (no benchmark, no trades, a volatility of 0)
is None, and :attr:`Performance.notes` says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from quantlib.analytics import benchmark as bm
from quantlib.analytics import metrics as mt
from quantlib.analytics import trade_stats as ts
from quantlib.analytics.drawdown import drawdown_periods, max_drawdown_info
from quantlib.analytics.returns import equity_series, monthly_returns_table, yearly_returns
from quantlib.core.errors import ConfigError, QuantlibError

#: Keys of :attr:`Performance.metrics`, always present (None when not available).
METRIC_KEYS = (
    "total_return",
    "annual_return",
    "volatility",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_peak",
    "max_drawdown_trough",
    "max_drawdown_recovery",
    "max_drawdown_days",
    "var",
    "cvar",
    *ts.TRADE_STAT_NAMES,
    "turnover",
    "exposure",
    "time_in_market",
    "excess_return",
    "tracking_error",
    "information_ratio",
    "alpha",
    "beta",
    "final_equity",
    "start",
    "end",
    "n_bars",
)

Value = float | int | str | None

_WHY_UNDEFINED = {
    "annual_return": "needs at least one return (two equity points)",
    "volatility": "needs at least two returns",
    "sharpe": "needs at least two returns that are not all equal",
    "sortino": "needs at least two returns, one of them below the risk-free rate",
    "calmar": "needs a drawdown",
    "var": "needs at least one return",
    "cvar": "needs at least one return",
}


@dataclass(frozen=True)
class Performance:
    """Metrics and tables of one equity curve.

    Attributes
    ----------
    metrics
        :data:`METRIC_KEYS` to plain floats, ints (counts, bar positions), ISO date
        strings (dates) or None (not available; see ``notes``).
    drawdowns
        The five deepest drawdown periods (:func:`~quantlib.analytics.drawdown.drawdown_periods`).
    monthly
        Compounded returns, years x months 1..12 plus ``"year"``; empty without dates.
    yearly
        Compounded return per calendar year; empty without dates.
    round_trips
        Closed FIFO round trips (empty without trades).
    open_lots
        Lots still held after the last trade (empty without trades).
    notes
        Why metrics are None, and what was dropped to align the benchmark.
    """

    metrics: dict[str, Value]
    drawdowns: pd.DataFrame
    monthly: pd.DataFrame
    yearly: pd.Series
    round_trips: pd.DataFrame
    open_lots: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Value]:
        """The metrics as a new plain dict (JSON-serialisable)."""
        return dict(self.metrics)

    def to_frame(self) -> pd.DataFrame:
        """The metrics as a one-column table (index: metric key, column ``value``)."""
        frame = pd.DataFrame({"value": pd.Series(self.metrics, dtype=object)})
        frame.index.name = "metric"
        return frame


def _plain(value: Any) -> Value:
    """A metric value as float/int/str/None: NaN and infinities become None, dates ISO
    (``2024-01-05``, with the time of day only when there is one)."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return str(value)


def _attribute(source: object, name: str, notes: list[str]) -> Any:
    try:
        return getattr(source, name, None)
    except QuantlibError as exc:
        notes.append(f"{name}: not available ({exc})")
        return None


def _return_metrics(
    equity: pd.Series, periods_per_year: float, risk_free: float, var_level: float
) -> dict[str, Any]:
    row = mt.summary(
        equity.to_numpy(),
        periods_per_year=periods_per_year,
        risk_free=risk_free,
        var_level=var_level,
    )
    worst = max_drawdown_info(equity)
    dated = isinstance(equity.index, pd.DatetimeIndex)
    return {
        **{key: row[key] for key in mt.METRIC_NAMES},
        "max_drawdown_peak": worst["peak"],
        "max_drawdown_trough": worst["trough"],
        "max_drawdown_recovery": worst["recovery"],
        "max_drawdown_days": worst["duration_days"],
        "start": equity.index[0] if dated else 0,
        "end": equity.index[-1] if dated else len(equity) - 1,
        "n_bars": len(equity),
    }


def _undefined_notes(values: dict[str, Any]) -> list[str]:
    return [
        f"{key} is None: it {why}"
        for key, why in _WHY_UNDEFINED.items()
        if not math.isfinite(values[key])
    ]


def _trade_metrics(
    trades: pd.DataFrame,
    corporate_actions: pd.DataFrame | None,
    equity: pd.Series,
    periods_per_year: float,
    notes: list[str],
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    lots = ts.fifo_lots(trades, times=equity.index, corporate_actions=corporate_actions)
    stats: dict[str, Any] = dict(ts.trade_statistics(lots.closed))
    stats["turnover"] = ts.turnover(trades, equity, periods_per_year=periods_per_year)
    if len(lots.open):
        notes.append(
            f"{len(lots.open)} open lot(s) at the end are not counted in the trade statistics"
        )
    if len(lots.unmatched):
        notes.append(
            f"{len(lots.unmatched)} sell(s) found no earlier buy for "
            f"{lots.unmatched['quantity'].sum():g} shares (e.g. bonus shares); left out"
        )
    if not len(lots.closed):
        notes.append("no closed round trip: win/loss statistics undefined")
    return stats, lots.closed, lots.open


def performance(
    result_or_equity: object,
    benchmark: pd.Series | ArrayLike | None = None,
    trades: pd.DataFrame | None = None,
    positions: pd.DataFrame | None = None,
    *,
    periods_per_year: float = mt.TRADING_DAYS,
    risk_free: float = 0.0,
    var_level: float = 0.95,
) -> Performance:
    """Every metric and table of a backtest result or an equity curve.

    ``result_or_equity`` is an object with an ``equity`` Series (a
    ``BacktestResult``; its ``benchmark``, ``trades`` and ``positions`` are used unless
    given here, and with the result's own trades its ``corporate_actions`` adjust the
    FIFO lots) or the equity itself (Series or array). ``periods_per_year`` annualises,
    ``risk_free`` is an annual rate, ``var_level`` the VaR/CVaR confidence level.

    Raises :class:`~quantlib.core.errors.DataValidationError` for an unusable equity
    curve (empty, all NaN, non-positive, unsorted or duplicate dates) or a benchmark
    that shares too few dates with it.
    """
    notes: list[str] = []
    source = result_or_equity
    corporate_actions = None
    if isinstance(source, pd.Series | np.ndarray | list | tuple):
        equity = equity_series(source)
    else:
        raw = _attribute(source, "equity", notes)
        if raw is None:
            raise ConfigError(
                f"performance() takes an equity Series or array, or an object with an "
                f"equity attribute (a BacktestResult); got {type(source).__name__}"
            )
        equity = equity_series(raw)
        if benchmark is None:
            benchmark = _attribute(source, "benchmark", notes)
        if trades is None:
            trades = _attribute(source, "trades", notes)
            corporate_actions = _attribute(source, "corporate_actions", notes)
        if positions is None:
            positions = _attribute(source, "positions", notes)
    values: dict[str, Any] = dict.fromkeys(METRIC_KEYS)
    values.update(_return_metrics(equity, periods_per_year, risk_free, var_level))
    notes.extend(_undefined_notes(values))

    if benchmark is None:
        notes.append("no benchmark: excess return, tracking error, IR, alpha, beta are None")
    else:
        aligned = bm.align(equity, benchmark)
        relative = bm.relative_metrics(
            aligned.equity,
            aligned.benchmark,
            risk_free=risk_free,
            periods_per_year=periods_per_year,
        )
        values.update(relative)
        if (note := aligned.note()) is not None:
            notes.append(note)

    round_trip_table = pd.DataFrame(columns=list(ts.ROUND_TRIP_COLUMNS))
    open_table = pd.DataFrame(columns=list(ts.OPEN_LOT_COLUMNS))
    if trades is None:
        notes.append("no trades: round-trip statistics and turnover are None")
    else:
        stats, round_trip_table, open_table = _trade_metrics(
            trades, corporate_actions, equity, periods_per_year, notes
        )
        values.update(stats)

    if positions is None:
        notes.append("no positions: exposure and time in market are None")
    else:
        values["exposure"] = ts.exposure(positions, equity)
        values["time_in_market"] = ts.time_in_market(positions, equity)

    dated = isinstance(equity.index, pd.DatetimeIndex)
    if not dated:
        notes.append("equity has no dates: monthly and yearly tables are empty")
    return Performance(
        metrics={key: _plain(values[key]) for key in METRIC_KEYS},
        drawdowns=drawdown_periods(equity, top=5),
        monthly=monthly_returns_table(equity, kind="equity") if dated else pd.DataFrame(),
        yearly=yearly_returns(equity, kind="equity") if dated else pd.Series(dtype=np.float64),
        round_trips=round_trip_table,
        open_lots=open_table,
        notes=tuple(notes),
    )


__all__ = ["METRIC_KEYS", "Performance", "performance"]
