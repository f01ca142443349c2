"""The PTrade dialect: PTrade scripts backtest unchanged on quantlib's engine."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantlib.backtest import StrategyError, run_backtest
from quantlib.broker.ptrade import compat
from quantlib.broker.ptrade.compat import (
    UnsupportedPTradeApiError,
    load_ptrade_strategy,
    run_ptrade_backtest,
)
from tests.unit.broker.ptrade.conftest import config

EXAMPLE = Path(compat.__file__).parents[2] / "backtest" / "examples" / "ptrade_ma_breakout.py"


def test_ptrade_example_backtests_unchanged_with_callbacks(market, caplog) -> None:
    caplog.set_level(logging.INFO, logger="quantlib.strategy")
    result = run_ptrade_backtest(EXAMPLE, market, config=config())
    assert len(result.trades) > 4
    assert set(result.trades["symbol"]) <= {"600000.SH", "600001.SH", "600002.SH"}
    assert result.identity.config["commission_rate"] == 0.0003
    fills = [r for r in caplog.records if r.getMessage().startswith("fill ")]
    assert len(fills) == len(result.trades)
    assert ".SS" in fills[0].getMessage()


def test_script_universe_comes_from_its_code_literals() -> None:
    loaded = load_ptrade_strategy(EXAMPLE)
    assert loaded.universe == ["600000.SH", "600001.SH", "600002.SH"]


PROBE = """
def initialize(context):
    set_universe(['600000.SS', '000001.SZ'])
    g.seen = []

def handle_data(context, data):
    if context.blotter.current_dt.day == 3 and not g.seen:
        g.id = order('600000.SS', 100)
        g.seen.append(type(g.id).__name__)
    if context.blotter.current_dt.day == 4 and len(g.seen) == 1:
        position = get_position('600000.XSHG')
        order_obj = get_order(g.id)
        held = list(context.portfolio.positions)
        log.info('probe %s %s %s %s %s %s', g.seen[0], position.sid, position.amount,
                 position.enable_amount, order_obj.status, held)
        g.seen.append('done')
"""


def test_codes_orders_and_positions_come_back_in_ptrade_form(market, caplog) -> None:
    caplog.set_level(logging.INFO, logger="quantlib.strategy")
    run_ptrade_backtest(PROBE, market, config=config())
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("probe")]
    assert line == "probe str 600000.SS 100 0 8 ['600000.SS']"


SHAPES = """
def initialize(context):
    set_universe(['600000.SS', '600001.SS'])

def handle_data(context, data):
    if context.blotter.current_dt.strftime('%m%d') != '0110':
        return
    one = get_history(3, '1d', ['open', 'close'], '600000.SS')
    many = get_history(3, '1d', 'close', ['600000.SS', '600001.SS'])
    long = get_history(3, '1d', ['open', 'close'], ['600000.SS', '600001.SS'])
    as_dict = get_history(3, '1d', 'close', ['600000.SS'], is_dict=True)
    snap = get_snapshot('600000.SS')['600000.SS']
    log.info('shapes %s|%s|%s|%s|%s|%s', list(one.columns), list(many.columns),
             list(long.columns), as_dict['600000.SS'].dtype.names, sorted(snap)[:3],
             check_limit('600000.SS')['600000.SS'] in (0, 1, -1, 2, -2))
"""


def test_get_history_and_snapshot_have_ptrade_shapes(market, caplog) -> None:
    caplog.set_level(logging.INFO, logger="quantlib.strategy")
    run_ptrade_backtest(SHAPES, market, config=config())
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("shapes")]
    assert line == (
        "shapes ['open', 'close']|['600000.SS', '600001.SS']|['code', 'open', 'close']|"
        "('datetime', 'close')|['business_amount', 'business_balance', 'down_px']|True"
    )


def test_get_history_excludes_the_current_bar_unless_included(market) -> None:
    script = """
def initialize(context):
    set_universe(['600000.SS'])
    g.rows = []

def handle_data(context, data):
    h = get_history(2, '1d', 'close', '600000.SS')
    i = get_history(2, '1d', 'close', '600000.SS', include=True)
    if len(h):
        now = context.blotter.current_dt
        g.rows.append((h.index[-1] < now, i.index[-1] == now))
    if len(g.rows) == 5:
        assert all(a and b for a, b in g.rows), g.rows
"""
    run_ptrade_backtest(script, market, config=config())


def test_order_market_on_shanghai_needs_a_protective_price(market) -> None:
    script = """
def initialize(context):
    set_universe(['600000.SS'])

def handle_data(context, data):
    order_market('600000.SS', 100, 0)
"""
    with pytest.raises(StrategyError, match="limit_price"):
        run_ptrade_backtest(script, market, config=config())


def test_order_market_with_a_market_type_the_exchange_lacks_is_refused(market) -> None:
    script = """
def initialize(context):
    set_universe(['000001.SZ'])

def handle_data(context, data):
    order_market('000001.SZ', 100, 1)
"""
    with pytest.raises(StrategyError, match="market_type 1"):
        run_ptrade_backtest(script, market, config=config())


def test_order_market_with_protection_fills(market) -> None:
    script = """
def initialize(context):
    set_universe(['600000.SS'])

def handle_data(context, data):
    if get_position('600000.SS').amount == 0 and not get_open_orders():
        order_market('600000.SS', 100, 4, limit_price=data['600000.SS'].price * 1.05)
"""
    result = run_ptrade_backtest(script, market, config=config())
    assert result.trades["quantity"].sum() == 100


@pytest.mark.parametrize(
    "call",
    [
        "run_interval(context, f, seconds=3)",
        "get_fundamentals('600000.SS', 'valuation')",
        "order_target_percent('600000.SS', 0.5)",
    ],
)
def test_unsupported_ptrade_functions_raise_naming_themselves(market, call) -> None:
    script = f"""
def f(context):
    pass

def initialize(context):
    set_universe(['600000.SS'])
    {call}

def handle_data(context, data):
    pass
"""
    name = call.split("(")[0]
    with pytest.raises(StrategyError, match=name):
        run_ptrade_backtest(script, market, config=config())


def test_run_interval_error_is_the_unsupported_kind(market) -> None:
    loaded = load_ptrade_strategy(
        "def initialize(context):\n    run_interval(context, None)\n"
        "def handle_data(context, data):\n    pass\n"
    )
    with pytest.raises(StrategyError) as caught:
        run_backtest(loaded, market, config=config())
    assert isinstance(caught.value.__cause__, UnsupportedPTradeApiError) or isinstance(
        caught.value, UnsupportedPTradeApiError
    )


def test_quantlib_only_context_attributes_are_refused_by_name(market) -> None:
    script = """
def initialize(context):
    set_universe(['600000.SS'])
    context.params

def handle_data(context, data):
    pass
"""
    with pytest.raises(StrategyError, match=r"context\.params is not part of PTrade"):
        run_ptrade_backtest(script, market, config=config())


def test_g_attribute_ptrade_cannot_save_is_named_and_dunder_ones_are_skipped(market) -> None:
    base = """
import threading

def initialize(context):
    set_universe(['600000.SS'])

def handle_data(context, data):
    g.{name} = threading.Lock()
"""
    run_ptrade_backtest(base.format(name="__lock"), market, config=config())
    with pytest.raises(StrategyError, match=r"g\.lock"):
        run_ptrade_backtest(base.format(name="lock"), market, config=config())


def test_missing_handle_data_and_syntax_errors_are_clear() -> None:
    with pytest.raises(StrategyError, match="does not compile"):
        load_ptrade_strategy("def initialize(context:\n    pass\n")
    loaded = load_ptrade_strategy("def initialize(context):\n    pass\n")
    data = pd.DataFrame({"600000.SH": np.ones(3)}, index=pd.bdate_range("2024-01-02", periods=3))
    from quantlib.backtest import MarketData

    market = MarketData.from_frames({"open": data, "close": data})
    with pytest.raises(StrategyError, match="handle_data"):
        run_backtest(loaded, market, config=config())


def test_trade_days_and_ashares_follow_the_backtest(market, caplog) -> None:
    caplog.set_level(logging.INFO, logger="quantlib.strategy")
    script = """
def initialize(context):
    set_universe(['600000.SS'])

def handle_data(context, data):
    if context.blotter.current_dt.day == 10 and context.blotter.current_dt.month == 1:
        days = get_trade_days(count=3)
        log.info('cal %s %s %s', days[-1], len(days), sorted(get_Ashares())[:2])
"""
    run_ptrade_backtest(script, market, config=config())
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("cal")]
    assert line == "cal 2024-01-10 3 ['000001.SZ', '600000.SS']"
