"""The vectorised strategy form: signals or target weights given up front, run in numba.

Two shapes, both booked by the same fill routine as the ``handle_data`` engine:

* **signals**, ``run_signals``: a long/flat array per symbol (1 long, 0 flat, NaN no
  instruction). On a long signal a flat symbol buys with ``size`` of its cash; on a flat
  signal a held symbol sells everything sellable. Nothing is scaled while long.
* **targets**, ``run_targets``: weights of total equity per symbol and bar (NaN: no
  instruction); each instruction rebalances that symbol, sells before buys.

With ``cash_sharing=False`` every symbol is its own sleeve (the cash split evenly), so
symbols run in parallel threads. :func:`sweep_signals` runs a numba signal function over
a parameter grid entirely inside numba.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
import pandas as pd

from quantlib.backtest import kernels as kn
from quantlib.backtest.config import BacktestConfig
from quantlib.backtest.market_data import MarketData
from quantlib.backtest.result import BacktestResult, RunIdentity
from quantlib.core.errors import ConfigError, MalformedSymbolError, UnknownSymbolError
from quantlib.market.symbols import normalize_symbol

_MIN_EVENTS = 256


def _aligned_frame(frame: pd.DataFrame, data: MarketData, name: str) -> pd.DataFrame:
    """A frame's columns put in the market's symbol order (any symbol form accepted) and
    its index checked against the market's bars, so labels are never ignored."""
    try:
        labels = [normalize_symbol(str(c)) for c in frame.columns]
    except (MalformedSymbolError, UnknownSymbolError) as exc:
        raise ConfigError(f"{name} has a column that is not a symbol: {exc}") from exc
    if len(set(labels)) != len(labels):
        raise ConfigError(f"{name} names a symbol twice in its columns")
    unknown = sorted(set(labels) - set(data.symbols))
    missing = [s for s in data.symbols if s not in set(labels)]
    if unknown or missing:
        raise ConfigError(
            f"{name} columns do not match the market's symbols"
            + (f"; not in the market: {', '.join(unknown[:5])}" if unknown else "")
            + (f"; missing: {', '.join(missing[:5])}" if missing else "")
        )
    frame = frame.set_axis(labels, axis=1)[list(data.symbols)]
    index = pd.DatetimeIndex(frame.index)
    if not index.equals(data.times):
        raise ConfigError(
            f"{name} index does not match the market's {len(data.times)} bars "
            f"({data.times[0]} .. {data.times[-1]}); reindex it to data.times"
        )
    return frame


def _signal_array(signal: Any, data: MarketData, name: str) -> np.ndarray:
    if isinstance(signal, pd.DataFrame):
        signal = _aligned_frame(signal, data, name).to_numpy(dtype=np.float64)
    array = np.asarray(signal, dtype=np.float64)
    shape = (len(data.times), len(data.symbols))
    if array.shape != shape:
        raise ConfigError(f"{name} has shape {array.shape}, expected {shape} (bars x symbols)")
    if np.isinf(array).any():
        bar, sym = np.argwhere(np.isinf(array))[0]
        raise ConfigError(
            f"{name} is infinite at {data.times[bar]} {data.symbols[sym]}; "
            "use NaN for no instruction"
        )
    return array


def _market_args(data: MarketData, config: BacktestConfig) -> tuple[np.ndarray, ...]:
    """The market arrays in kernel order (VWAP only computed when fills use it)."""
    return (
        data.open,
        data.high,
        data.low,
        data.close,
        data.fill_vwap(config.fill),
        data.volume,
        data.up_limit,
        data.down_limit,
        data.adj,
        data.day_start,
    )


def run_signals(
    data: MarketData,
    signal: Any,
    *,
    size: float = 1.0,
    config: BacktestConfig | None = None,
    identity: RunIdentity | None = None,
) -> BacktestResult:
    """Backtest a long/flat signal array (bars x symbols) as per-symbol sleeves.

    ``size`` is the fraction of a sleeve's cash an entry spends. With shared cash
    (``config.cash_sharing``) an entry buys ``size / N`` of total equity, a held symbol
    is not rebalanced while its signal stays long, and a flat signal sells it.
    """
    config = config or BacktestConfig(cash_sharing=False)
    if not 0 < size <= 1:
        raise ConfigError(f"size must be in (0, 1], got {size}")
    array = _signal_array(signal, data, "signal")
    if config.cash_sharing:
        weights = np.where(np.isnan(array), np.nan, (array > 0) * (size / len(data.symbols)))
        return _run_shared(data, weights, config, identity, entry_only=True)
    n_syms = len(data.symbols)
    cash0 = config.cash / n_syms
    n_chunks = max(1, min(numba.get_num_threads() * 4, n_syms))
    changes = np.count_nonzero(array[1:] != array[:-1]) if len(array) > 1 else 0
    capacity = _MIN_EVENTS + 2 * changes // n_chunks
    rates = data.rates_for(config)
    while True:
        events = np.empty((n_chunks, kn.N_EVENT_COLS, capacity))
        equity, counts = kn.run_signal_sleeves(
            array,
            float(size),
            *_market_args(data, config),
            data.lots,
            data.groups,
            rates,
            config.vector(),
            cash0,
            n_chunks,
            events,
        )
        if counts.max() <= capacity:
            break
        capacity = int(counts.max())
    merged = np.concatenate([events[c, :, : counts[c]] for c in range(n_chunks)], axis=1)
    return BacktestResult.from_arrays(
        data, config, equity.sum(axis=0), None, merged, identity=identity
    )


def run_targets(
    data: MarketData,
    targets: Any,
    *,
    config: BacktestConfig | None = None,
    identity: RunIdentity | None = None,
) -> BacktestResult:
    """Backtest target weights (bars x symbols, NaN = no instruction) with shared cash."""
    config = config or BacktestConfig()
    array = _signal_array(targets, data, "targets")
    if not config.cash_sharing:
        raise ConfigError("target weights need cash_sharing=True (one account)")
    if (array < 0).any():
        raise ConfigError("target weights must not be negative (no short selling of A-shares)")
    return _run_shared(data, array, config, identity, entry_only=False)


def _run_shared(
    data: MarketData,
    array: np.ndarray,
    config: BacktestConfig,
    identity: RunIdentity | None,
    *,
    entry_only: bool,
) -> BacktestResult:
    """Run weights through the shared-cash kernel, growing the event buffer if needed."""
    capacity = max(_MIN_EVENTS, int(np.isfinite(array).sum()) + 16)
    rates = data.rates_for(config)
    while True:
        events = np.empty((kn.N_EVENT_COLS, capacity))
        equity, cash, count = kn.run_targets_shared(
            array,
            *_market_args(data, config),
            data.lots,
            data.groups,
            rates,
            config.vector(),
            config.cash,
            entry_only,
            events,
        )
        if count <= capacity:
            break
        capacity = count
    return BacktestResult.from_arrays(
        data, config, equity, cash, events[:, :count], identity=identity
    )


def _read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view (the typed sweep kernel takes its market arrays read-only)."""
    view = array.view()
    view.flags.writeable = False
    return view


def sweep_signals(
    data: MarketData,
    signal_fn: Callable[..., None],
    params: pd.DataFrame,
    *,
    config: BacktestConfig | None = None,
) -> pd.DataFrame:
    """Run a numba signal function over every parameter row, inside numba.

    ``signal_fn(close_column, params_row, out)`` must be ``numba.njit``-compiled; the
    rows of ``params`` (numeric columns) are passed as float arrays. Symbols are
    per-symbol sleeves. Returns ``params`` with the metrics of each row added.
    """
    from quantlib.analytics.metrics import summary_table

    config = config or BacktestConfig(cash_sharing=False)
    if config.cash_sharing:
        raise ConfigError("sweep_signals runs per-symbol sleeves: set cash_sharing=False")
    compile_for = getattr(signal_fn, "compile", None)
    if not hasattr(signal_fn, "py_func") or compile_for is None:
        raise ConfigError("signal_fn must be a numba.njit function")
    try:
        compile_for(kn.SIGNAL_FN_SIGNATURE)
    except Exception as error:
        raise ConfigError(
            f"signal_fn {signal_fn.__name__} does not compile as "
            f"fn(close_column, params_row, out) on float64 arrays: {error}"
        ) from error
    values = params.to_numpy(dtype=np.float64)
    cash0 = config.cash / len(data.symbols)
    market = list(_market_args(data, config))
    market[5] = np.asarray(market[5], dtype=np.float64)  # the kernel is typed: float volume
    arrays = (*market, data.lots, data.groups, data.rates_for(config), config.vector())
    equity, fills, refused = kn.sweep_kernel()(
        signal_fn, np.ascontiguousarray(values), *(_read_only(a) for a in arrays), cash0
    )
    table = summary_table(equity, data.times)
    table["n_trades"] = fills
    table["n_rejected"] = refused
    return pd.concat([params.reset_index(drop=True), table], axis=1)


__all__ = ["run_signals", "run_targets", "sweep_signals"]
