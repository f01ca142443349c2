"""The event engine: the clock, the strategy's hooks, and the gateway, bar by bar.

Per bar the engine makes one numba call (start of day, matching of resting orders,
marking) and one call of the strategy's ``handle_data``. The mode decides the clock and
the gateway: in ``backtest`` both are the simulator's; paper and live trading drive the
same :class:`~quantlib.backtest.context.Context` from a live clock and a broker gateway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from quantlib.backtest.config import BacktestConfig
from quantlib.backtest.context import BarData, Context, StrategyError
from quantlib.backtest.gateway import SimulatedExchange
from quantlib.backtest.market_data import MarketData
from quantlib.backtest.result import BacktestResult, RunIdentity, reason_text
from quantlib.backtest.strategy import LoadedStrategy, load_strategy, strategy_logger
from quantlib.core.errors import ConfigError, QuantlibError

MODES = ("backtest",)
#: Progress reports per run (about every 1% of bars), besides the final one.
PROGRESS_STEPS = 100

#: ``on_progress(bars_done, bars_total)``; an exception it raises stops the run.
type ProgressCallback = Callable[[int, int], None]


def _scheduled_due(
    times: pd.DatetimeIndex, day_end: np.ndarray, when: str, freq: str
) -> np.ndarray:
    """Bars at which a ``run_daily`` function fires: the day's close in daily backtests,
    else the first bar of each day at or after ``when`` (HH:MM)."""
    if freq == "1d":
        return day_end.copy()
    try:
        hour, minute = (int(x) for x in when.split(":"))
        at = dt.time(hour, minute)
    except ValueError:
        raise StrategyError(f"run_daily time must be HH:MM, got {when!r}") from None
    minutes = times.hour * 60 + times.minute
    after = np.asarray(minutes >= at.hour * 60 + at.minute)
    days = np.asarray(times.normalize())
    due = np.zeros(len(times), dtype=bool)
    seen: set[Any] = set()
    for t in np.flatnonzero(after):
        if days[t] not in seen:
            seen.add(days[t])
            due[t] = True
    return due


def _refused_frame(context: Context) -> pd.DataFrame:
    if not context.refused:
        return pd.DataFrame()
    frame = pd.DataFrame(context.refused)
    frame.insert(0, "id", [f"r{n}" for n in range(len(frame))])
    frame["side"] = ""
    frame["limit_price"] = np.nan
    frame["status"] = "rejected"
    frame["filled"] = 0.0
    frame["avg_price"] = 0.0
    frame["fees"] = 0.0
    frame["done"] = frame["time"]
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce")
    frame["reason_text"] = reason_text(frame["reason"])
    return frame.drop(columns=["detail"])


def run_backtest(
    strategy: Any,
    data: MarketData | None = None,
    *,
    store: Any = None,
    symbols: Sequence[str] | None = None,
    start: Any = None,
    end: Any = None,
    config: BacktestConfig | None = None,
    params: Mapping[str, Any] | None = None,
    mode: str = "backtest",
    name: str | None = None,
    freq: str = "1d",
    on_progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Run a strategy (script or class form) over market data and return the result.

    Parameters
    ----------
    strategy
        A ``.py`` path, source text, module, :class:`~quantlib.backtest.strategy.Strategy`
        subclass or instance.
    data
        The market (:class:`MarketData`); or give ``store`` (a path or an open store) with
        ``symbols`` (default: the script's ``UNIVERSE``, else every stock), ``start``
        and ``end``, and ``freq`` (``"1d"`` daily or ``"1m"`` one-minute bars).
    config
        Fills, fees, cash; the strategy's ``set_commission``/``set_slippage`` adjust it.
    params
        Overrides of the strategy's ``PARAMS`` (``context.params``).
    on_progress
        Called with ``(bars_done, bars_total)`` about every 1% of the bars and once at the
        end. An exception it raises stops the run and propagates (a way to cancel it).
    """
    if mode not in MODES:
        raise ConfigError(f"mode {mode!r} runs through the live runner; here: {', '.join(MODES)}")
    loaded = load_strategy(strategy, name=name)
    resolved = loaded.resolve_params(params)
    config = config or BacktestConfig()
    if data is None:
        if store is None:
            raise ConfigError("run_backtest needs market data or a store")
        data = MarketData.from_store(
            store, symbols or loaded.universe, start, end, benchmark=config.benchmark, freq=freq
        )
    if not len(data.times):
        raise ConfigError("the market data has no bars in the requested range")
    return Engine(loaded, data, config, resolved, store=store, on_progress=on_progress).run()


class Engine:
    """One backtest run: the strategy bound to a fresh context and simulated exchange.

    ``on_progress(bars_done, bars_total)``, when given, is called about every 1% of the
    bars and once after the last one; an exception it raises stops the run.
    """

    def __init__(
        self,
        strategy: LoadedStrategy,
        data: MarketData,
        config: BacktestConfig,
        params: Mapping[str, Any],
        *,
        store: Any = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.strategy = strategy
        self.on_progress = on_progress
        self.data = data
        self.store = store
        self.exchange = SimulatedExchange(data, config)
        self.context = Context(
            data, self.exchange, params=params, logger=strategy_logger(strategy.name)
        )
        self.params = dict(params)

    def _call(self, hook: str, hooks: Any, bar: BarData) -> None:
        context = self.context
        context.phase = hook
        try:
            hooks.call(hook, context, bar)
        except QuantlibError:
            raise
        except Exception as error:
            when = context.current_dt if hook != "initialize" else "start"
            raise StrategyError(
                f"strategy {self.strategy.name} raised in {hook} at {when}: {error!r}"
            ) from error

    def run(self) -> BacktestResult:
        """Run every bar and assemble the result."""
        data, x, context = self.data, self.exchange, self.context
        hooks = self.strategy.bind(context)
        bar = BarData(data)
        self._call("initialize", hooks, bar)
        config = context.config
        n_bars = len(data.times)
        day_end = data.day_end
        scheduled = [
            (fn, _scheduled_due(data.times, day_end, when, data.freq))
            for fn, when in context.scheduled
        ]
        handle = hooks.two_argument("handle_data")
        has_before = hooks.has("before_trading_start")
        has_after = hooks.has("after_trading_end")
        at_close = config.fill == "close"
        equity = [0.0] * n_bars
        cash = [0.0] * n_bars
        starts = [bool(v) for v in data.day_start]
        ends = [bool(v) for v in day_end]
        on_progress = self.on_progress
        report_step = max(1, n_bars // PROGRESS_STEPS)
        report_at = report_step if on_progress is not None else -1
        for t in range(n_bars):
            if t == report_at and on_progress is not None:
                report_at += report_step
                on_progress(t, n_bars)
            context.bar = t
            bar.t = t
            if starts[t] and has_before:
                self._call("before_trading_start", hooks, bar)
            x.advance(t, starts[t])
            context.phase = "handle_data"
            try:
                if handle is not None:
                    handle(context, bar)
                for fn, due in scheduled:
                    if due[t]:
                        fn(context)
            except QuantlibError:
                raise
            except Exception as error:
                raise StrategyError(
                    f"strategy {self.strategy.name} raised in handle_data at "
                    f"{context.current_dt}: {error!r}"
                ) from error
            if at_close:
                x.match_at_close(t)
            total_cash = x.total_cash
            cash[t] = total_cash
            equity[t] = total_cash + x.value
            if ends[t] and has_after:
                self._call("after_trading_end", hooks, bar)
        if on_progress is not None:
            on_progress(n_bars, n_bars)
        context.phase = "done"
        identity = RunIdentity.build(
            data,
            context.config,
            strategy=self.strategy.name,
            source=self.strategy.source,
            params=self.params,
        )

        def orders() -> pd.DataFrame:
            book = x.orders_frame()
            refused = _refused_frame(context)
            if refused.empty:
                return book
            merged = pd.concat([book, refused[book.columns]], ignore_index=True)
            return merged.sort_values("time", kind="stable").reset_index(drop=True)

        return BacktestResult.from_arrays(
            data,
            context.config,
            np.asarray(equity),
            np.asarray(cash),
            x.events[:, : x.n_events],
            identity=identity,
            orders=orders,
            logs=context.logs,
            benchmark=self._benchmark(),
        )

    def _benchmark(self) -> pd.Series | None:
        """The benchmark series: the market's, or the one ``set_benchmark`` chose."""
        chosen = self.context.benchmark
        if chosen == self.context.config.benchmark:
            return self.data.benchmark
        if chosen is None:
            return None
        series = self.data.benchmark_series(chosen, self.store)
        if series is None:
            message = (
                f"benchmark {chosen} is neither in the market data nor in the store; "
                "the result has no benchmark"
            )
            self.context.logs.append(message)
            self.context.log.warning(message)
        return series


__all__ = ["MODES", "PROGRESS_STEPS", "Engine", "ProgressCallback", "run_backtest"]


def backtest_metrics(shared: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, float]:
    """One sweep task: run the shared strategy source on the shared data with ``params``.

    ``shared`` holds ``source``, ``name``, ``data`` (:class:`MarketData`) and ``config``;
    it is sent to each Dask worker once, and this function is what each task calls.
    """
    result = run_backtest(
        shared["source"],
        shared["data"],
        config=shared["config"],
        params=params,
        name=shared["name"],
    )
    return {k: float(v) for k, v in result.metrics().items()}
