"""The handle_data engine: parity with the vectorised form, the script/PTrade and class
forms, phases and refusals, T+1 on minute bars, persistence, and the CLI."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantlib.backtest import (
    BacktestConfig,
    BacktestResult,
    MarketData,
    Strategy,
    StrategyError,
    run_backtest,
    run_signals,
    run_targets,
)
from quantlib.backtest.indicators import sma_cross_signals
from quantlib.cli import main
from quantlib.core.errors import ConfigError
from quantlib.model.orders import Reason
from tests.unit.backtest.conftest import random_market

EXAMPLE = Path(__file__).parents[3] / "quantlib" / "backtest" / "examples" / "dual_ma.py"


def market(n_syms: int = 6, n_days: int = 160, seed: int = 3) -> MarketData:
    """A random walk on the tick with +-10% limits and a few suspensions."""
    return random_market([f"6000{i:02d}.SH" for i in range(n_syms)], n_days, seed)


def test_handle_data_and_vectorised_fill_identically() -> None:
    data = market()
    config = BacktestConfig(cash=600_000, cash_sharing=False, benchmark=None)
    event = run_backtest(EXAMPLE, data, config=config, params={"fast": 5, "slow": 20})
    vector = run_signals(data, sma_cross_signals(data.close, 5, 20), config=config)
    columns = ["time", "symbol", "side", "quantity", "price", "commission", "stamp_duty"]
    assert len(event.trades) > 10
    pd.testing.assert_frame_equal(
        event.trades[columns].sort_values(["time", "symbol"]).reset_index(drop=True),
        vector.trades[columns].sort_values(["time", "symbol"]).reset_index(drop=True),
    )
    assert event.equity.iloc[-1] == pytest.approx(vector.equity.iloc[-1], rel=1e-12)


def test_target_weights_match_between_forms_with_shared_cash() -> None:
    data = market(n_syms=4, n_days=60)
    weights = np.full((60, 4), np.nan)
    weights[::10] = 0.2
    weights[5::10] = 0.0
    config = BacktestConfig(cash=1_000_000, benchmark=None)
    vector = run_targets(data, weights, config=config)
    source = """
import numpy as np
def initialize(context):
    pass
def handle_data(context, data):
    row = WEIGHTS[context.bar]
    live = np.flatnonzero(row == row)
    sells = [i for i in live if row[i] == 0.0]
    buys = [i for i in live if row[i] > 0.0]
    if sells:
        order_target_percent(np.array(sells), 0.0)
    if buys:
        order_target_percent(np.array(buys), 0.2)
"""
    loaded = __import__("quantlib.backtest.strategy", fromlist=["from_source"]).from_source(source)
    original = loaded.bind

    def bind(context):  # inject the weights as a script global
        hooks = original(context)
        hooks.functions["handle_data"].__globals__["WEIGHTS"] = weights
        return hooks

    loaded.bind = bind
    event = run_backtest(loaded, data, config=config)
    cols = ["time", "symbol", "side", "quantity", "price"]
    assert len(vector.trades) > 0
    pd.testing.assert_frame_equal(
        event.trades[cols].reset_index(drop=True), vector.trades[cols].reset_index(drop=True)
    )


PTRADE = """
def initialize(context):
    g.security = '600000.SS'
    set_universe([g.security])
    set_commission(commission_ratio=0.0003, min_commission=5.0)
    run_daily(context, check, time='14:40')

def check(context):
    g.checked = getattr(g, 'checked', 0) + 1

def before_trading_start(context, data):
    g.days = getattr(g, 'days', 0) + 1

def handle_data(context, data):
    hist = get_history(5, '1d', 'close', g.security, fq=None, include=False)
    position = get_position(g.security)
    if len(hist) == 5 and position.amount == 0 and data[g.security].close > hist[g.security].mean():
        order(g.security, 1000)
    elif position.enable_amount > 0 and data[g.security]['close'] < hist[g.security].mean():
        order_target(g.security, 0)
    log.info('cash %s', context.portfolio.cash)
"""


def test_ptrade_style_script_runs_unchanged() -> None:
    data = market(n_syms=2)
    result = run_backtest(PTRADE, data, config=BacktestConfig(benchmark=None), name="ptrade")
    assert len(result.trades) > 2
    assert result.identity.config["commission_rate"] == 0.0003
    assert result.identity.code_hash
    assert set(result.trades["symbol"]) == {"600000.SH"}


def test_runs_share_no_state_across_threads() -> None:
    data = market(n_syms=3)
    config = BacktestConfig(cash=300_000, cash_sharing=False, benchmark=None)
    results: dict[int, float] = {}

    def go(slow: int) -> None:
        r = run_backtest(EXAMPLE, data, config=config, params={"fast": 5, "slow": slow})
        results[slow] = float(r.equity.iloc[-1])

    threads = [threading.Thread(target=go, args=(s,)) for s in (20, 30, 20, 30)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    solo = run_backtest(EXAMPLE, data, config=config, params={"fast": 5, "slow": 30})
    assert results[30] == float(solo.equity.iloc[-1])
    assert results[20] != results[30]


class Misbehaving(Strategy):
    params = {"size": 150}  # noqa: RUF012 - the strategy API's class attribute

    def initialize(self, context):
        context.order("600000.SH", 100)  # wrong phase: refused and logged

    def handle_data(self, context, data):
        if context.bar == 1:
            context.order("600000.SH", self_size(context))  # not on the lot grid
            context.order("999999.XX", 100)  # unknown symbol
            context.order("600001.SH", float("nan"))  # invalid amount
            context.order("600002.SH", 10_000_000)  # more than the cash
        if context.bar == 3:
            context.order_target("600003.SH", 0)  # nothing held


def self_size(context):
    return context.params["size"]


def test_refusals_are_recorded_with_reasons() -> None:
    data = market()
    result = run_backtest(Misbehaving, data, config=BacktestConfig(benchmark=None))
    reasons = set(result.orders.loc[result.orders["status"] == "rejected", "reason"])
    assert {
        int(Reason.WRONG_PHASE),
        int(Reason.NOT_ON_LOT_GRID),
        int(Reason.UNKNOWN_SYMBOL),
        int(Reason.INVALID_ARGUMENT),
        int(Reason.INSUFFICIENT_CASH),
        int(Reason.BELOW_ONE_LOT),
    } <= reasons
    assert result.rejected["reason_text"].str.len().min() > 0
    assert any("lot grid" in line or "交易单位" in line for line in result.logs)
    assert result.metrics()["n_rejected"] >= 6
    assert (result.equity == 1_000_000).all()


def test_setup_calls_in_the_wrong_phase_raise() -> None:
    source = (
        "def initialize(context):\n    pass\n"
        "def handle_data(context, data):\n    set_benchmark('000300.SH')\n"
    )
    with pytest.raises(StrategyError, match="set_benchmark"):
        run_backtest(source, market(), config=BacktestConfig(benchmark=None))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def initialize(context)\n", "does not compile"),
        ("x = 1\n", "no initialize"),
        ("def initialize(context):\n    pass\n", "no handle_data"),
        ("def initialize(context):\n    1/0\ndef handle_data(c, d):\n    pass\n", "initialize"),
    ],
)
def test_malformed_strategies_are_refused(source: str, message: str) -> None:
    with pytest.raises(StrategyError, match=message):
        run_backtest(source, market(), config=BacktestConfig(benchmark=None))


def test_parameters_are_checked() -> None:
    with pytest.raises(ConfigError, match="no parameter 'fsat'"):
        run_backtest(EXAMPLE, market(), params={"fsat": 3})
    with pytest.raises(ConfigError, match="must be an integer"):
        run_backtest(EXAMPLE, market(), params={"fast": 2.5})


def test_minute_bars_t_plus_one_and_resting_limit_orders() -> None:
    times = pd.DatetimeIndex(
        ["2024-03-01 09:31", "2024-03-01 09:32", "2024-03-01 09:33", "2024-03-04 09:31"]
    )
    frame = lambda v: pd.DataFrame({"600000.SH": v}, index=times)  # noqa: E731
    data = MarketData.from_frames(
        {
            "open": frame([10.0, 10.0, 9.9, 10.1]),
            "high": frame([10.0, 10.05, 9.95, 10.2]),
            "low": frame([10.0, 9.95, 9.85, 10.0]),
            "close": frame([10.0, 10.0, 9.9, 10.1]),
            "up_limit": frame([11.0] * 4),
            "down_limit": frame([9.0] * 4),
        }
    )
    assert data.freq == "1m"
    source = """
def initialize(context):
    pass
def handle_data(context, data):
    if context.bar == 0:
        order('600000.SH', 1000)
        order('600000.SH', 1000, limit_price=9.9)
    if context.bar in (1, 2):
        order('600000.SH', -1000)
"""
    result = run_backtest(source, data, config=BacktestConfig(benchmark=None))
    trades = result.trades
    assert list(trades["side"]) == ["buy", "buy", "sell"]
    assert list(trades["price"]) == [10.0, 9.9, 10.1]  # the limit buy rested one bar
    assert list(trades["time"]) == [times[1], times[2], times[3]]
    refused = result.orders[result.orders["reason"] == int(Reason.T_PLUS_ONE)]
    assert list(refused["time"]) == [times[1]]  # the same-day sell was refused (T+1)


def test_result_saves_and_loads(tmp_path: Path) -> None:
    result = run_backtest(EXAMPLE, market(), params={"fast": 5, "slow": 20})
    path = result.save(tmp_path / "run")
    loaded = BacktestResult.load(path)
    pd.testing.assert_series_equal(loaded.equity, result.equity, check_freq=False)
    pd.testing.assert_frame_equal(loaded.trades, result.trades)
    assert loaded.identity == result.identity
    assert loaded.metrics() == result.metrics()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("x")
    with pytest.raises(Exception, match="not a saved backtest result"):
        result.save(tmp_path / "other")
    with pytest.raises(Exception, match="not a saved backtest result"):
        BacktestResult.load(tmp_path / "other")
    assert (tmp_path / "other" / "keep.txt").read_text() == "x"


def test_cli_backtest_json(demo_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "backtest",
            str(EXAMPLE),
            "--store",
            str(demo_store),
            "--symbols",
            "600519.SH,000001.SZ,300750.SZ,688981.SH",
            "--param",
            "fast=5",
            "--param",
            "slow=20",
            "--cash",
            "2000000",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("final_equity", "total_return", "sharpe", "max_drawdown", "n_trades", "n_rejected"):
        assert key in out
    assert out["final_equity"] > 0
    assert out["identity"]["params"] == {"fast": 5, "slow": 20}


def test_cli_backtest_bad_input(demo_store: Path, tmp_path: Path, capsys) -> None:
    assert main(["backtest", str(tmp_path / "none.py"), "--store", str(demo_store)]) == 2
    assert "does not exist" in capsys.readouterr().err
    code = main(["backtest", str(EXAMPLE), "--store", str(demo_store), "--param", "fast=x"])
    assert code == 2
    assert "fast" in capsys.readouterr().err


def test_one_argument_handle_data_is_called() -> None:
    source = (
        "def initialize(context):\n    g.bars = 0\n"
        "def handle_data(context):\n    g.bars += 1\n"
        "    if g.bars == 2:\n        order('600000.SH', 100)\n"
    )
    result = run_backtest(source, market(), config=BacktestConfig(benchmark=None))
    assert len(result.trades) == 1


def test_set_benchmark_chooses_the_results_benchmark() -> None:
    data = market(n_syms=3, n_days=20)
    source = (
        "def initialize(context):\n    set_benchmark('{}')\n"
        "def handle_data(context, data):\n    pass\n"
    )
    chosen = run_backtest(source.format("600001.XSHG"), data, config=BacktestConfig())
    assert chosen.benchmark is not None and chosen.benchmark.name == "600001.SH"
    close = pd.Series(data.close[:, 1], index=data.times).ffill()
    pd.testing.assert_series_equal(chosen.benchmark, close, check_names=False)
    missing = run_backtest(source.format("000905.SH"), data, config=BacktestConfig())
    assert missing.benchmark is None
    assert any(
        "000905.SH is neither in the market data nor in the store" in m for m in missing.logs
    )


def test_set_benchmark_reads_an_index_from_the_store(demo_store_template: Path) -> None:
    source = (
        "def initialize(context):\n    set_benchmark('000300.SH')\n"
        "def handle_data(context, data):\n    pass\n"
    )
    result = run_backtest(
        source,
        store=demo_store_template,
        symbols=["600519.SH"],
        start="2025-09-01",
        end="2025-09-30",
        config=BacktestConfig(benchmark=None),
    )
    assert result.benchmark is not None and result.benchmark.name == "000300.SH"
    assert result.benchmark.index.equals(result.equity.index)
    assert result.benchmark.notna().all()


def test_minute_backtest_from_the_store(demo_store_template: Path) -> None:
    data = MarketData.from_store(demo_store_template, ["600519.SH", "000001.SZ"], freq="1m")
    assert data.freq == "1m"
    assert data.times[0].strftime("%H:%M") == "09:31"
    day = data.times.normalize()
    daily = MarketData.from_store(demo_store_template, ["600519.SH", "000001.SZ"], day[0], day[-1])
    # each minute carries its day's limits
    for t in (0, len(data.times) - 1):
        row = daily.times.get_loc(day[t])
        assert np.array_equal(data.up_limit[t], daily.up_limit[row], equal_nan=True)
    # the benchmark: the last daily close published, the day's close from its last bar
    assert data.benchmark is not None and data.benchmark.name == "000300.SH"
    last_bar = data.day_end
    expected = daily.benchmark.reindex(day[last_bar]).to_numpy()
    assert np.allclose(data.benchmark[last_bar].to_numpy(), expected)
    source = """
def initialize(context):
    pass
def handle_data(context, data):
    if context.bar == 0:
        order('600519.SH', 100)
    if context.bar == 1:
        order('600519.SH', -100)
"""
    result = run_backtest(
        source,
        store=demo_store_template,
        symbols=["600519.SH"],
        freq="1m",
        config=BacktestConfig(cash=1_000_000.0),
    )
    assert len(result.equity) == len(data.times)
    assert list(result.trades["side"]) == ["buy"]  # the same-day sell waits for T+1
    assert int(result.orders.iloc[-1]["reason"]) == Reason.T_PLUS_ONE


def test_store_frequency_is_checked(demo_store_template: Path) -> None:
    with pytest.raises(ConfigError, match="freq must be '1d' or '1m'"):
        MarketData.from_store(demo_store_template, ["600519.SH"], freq="5m")


def test_cli_minute_backtest(demo_store_template: Path, capsys) -> None:
    args = ["backtest", str(EXAMPLE), "--store", str(demo_store_template)]
    args += ["--symbols", "600519.SH,000001.SZ", "--param", "fast=5", "--param", "slow=20"]
    assert main([*args, "--freq", "1m", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    minute = MarketData.from_store(demo_store_template, ["600519.SH", "000001.SZ"], freq="1m")
    assert out["identity"]["start"] == str(minute.times[0].date())
    assert out["identity"]["end"] == str(minute.times[-1].date())
    assert out["final_equity"] > 0
    assert main([*args, "--freq", "5m"]) == 2
    assert "freq must be '1d' or '1m'" in capsys.readouterr().err


def test_column_orders_out_of_range_are_an_error_not_booked() -> None:
    data = market(n_syms=3, n_days=10)
    assert data.listed is None  # the fast path then has no listing table to check
    source = """
import numpy as np
def initialize(context):
    pass
def handle_data(context, data):
    if context.bar == 1:
        order_target_percent(np.array([{}]), 0.2)
"""
    for column in (3, -1):
        with pytest.raises(StrategyError, match="order symbol columns out of range"):
            run_backtest(source.format(column), data, config=BacktestConfig(benchmark=None))
