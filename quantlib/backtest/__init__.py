"""The backtester: one strategy API, numba matching with the A-share rules, sweeps.

Entry points:

* :func:`run_backtest` runs a script or class strategy bar by bar (``handle_data``);
* :func:`run_signals` / :func:`run_targets` run signals or target weights given up front,
  entirely inside numba; :func:`sweep_signals` sweeps a numba signal function;
* :class:`MarketData` holds the bars (from a store or from DataFrames);
* :class:`BacktestConfig` sets fills, fees and cash; results are :class:`BacktestResult`.
"""

from quantlib.backtest.config import BacktestConfig
from quantlib.backtest.context import Context, StrategyError
from quantlib.backtest.engine import run_backtest
from quantlib.backtest.market_data import MarketData
from quantlib.backtest.result import BacktestResult, RunIdentity
from quantlib.backtest.strategy import Strategy, load_strategy
from quantlib.backtest.vectorised import run_signals, run_targets, sweep_signals

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "Context",
    "MarketData",
    "RunIdentity",
    "Strategy",
    "StrategyError",
    "load_strategy",
    "run_backtest",
    "run_signals",
    "run_targets",
    "sweep_signals",
]
