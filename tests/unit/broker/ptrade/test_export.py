"""``quantlib ptrade export``: the exported dual_ma runs under the PTrade dialect and
matches the backtest of dual_ma itself; limits refuse; bad inputs write nothing."""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import sys
from pathlib import Path

import pandas as pd
import pytest

from quantlib import __version__
from quantlib.backtest import run_backtest
from quantlib.broker.ptrade import compat
from quantlib.broker.ptrade.compat import load_ptrade_strategy
from quantlib.broker.ptrade.export import PTRADE_MODULES, ExportError, export_strategy
from quantlib.broker.ptrade.limits import LimitsError, parse_limits, read_limits
from quantlib.cli import main
from tests.unit.backtest.conftest import random_market
from tests.unit.broker.ptrade.conftest import config

DUAL_MA = Path(compat.__file__).parents[2] / "backtest" / "examples" / "dual_ma.py"
PARAMS = {"fast": 5, "slow": 20}
COLUMNS = ["time", "symbol", "side", "quantity", "price", "commission", "stamp_duty"]


def _trades(result) -> pd.DataFrame:
    return result.trades[COLUMNS].reset_index(drop=True)


def test_export_of_dual_ma_matches_the_backtest_under_the_ptrade_dialect(market, tmp_path):
    out = tmp_path / "dual_ma_ptrade.py"
    export_strategy(DUAL_MA, out, params=PARAMS, symbols=market.symbols)
    settings = config(fill="close")  # PTrade's daily backtest fills at the 15:00 bar
    native = run_backtest(DUAL_MA, market, config=settings, params=PARAMS)
    exported = run_backtest(load_ptrade_strategy(out), market, config=settings)
    assert len(native.trades) > 10
    pd.testing.assert_frame_equal(_trades(native), _trades(exported))
    assert exported.equity.iloc[-1] == native.equity.iloc[-1]


def test_single_symbol_export_matches_with_next_open_fills(tmp_path):
    market = random_market(("600000.SH",), n_days=150, seed=11)
    out = tmp_path / "one.py"
    export_strategy(DUAL_MA, out, params=PARAMS, symbols=["600000.SS"])
    native = run_backtest(DUAL_MA, market, config=config(), params=PARAMS)
    exported = run_backtest(load_ptrade_strategy(out), market, config=config())
    assert len(native.trades) > 3
    pd.testing.assert_frame_equal(_trades(native), _trades(exported))
    assert exported.equity.iloc[-1] == native.equity.iloc[-1]


def test_exported_file_compiles_imports_no_quantlib_and_carries_its_header(tmp_path):
    out = tmp_path / "x.py"
    export_strategy(DUAL_MA, out, params={"slow": 30}, symbols=["600000.SH", "000001.SZ"])
    text = out.read_text(encoding="utf-8")
    tree = ast.parse(text)
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0])
    assert "quantlib" not in modules
    assert modules <= set(sys.stdlib_module_names) | PTRADE_MODULES
    digest = hashlib.sha256(DUAL_MA.read_bytes()).hexdigest()
    assert f"# source sha256: {digest}" in text
    assert f"# quantlib version: {__version__}" in text
    assert "# source: dual_ma.py" in text
    assert "_QL_PARAMS = {'fast': 10, 'slow': 30}" in text
    assert "_QL_UNIVERSE = ['600000.SH', '000001.SZ']" in text
    assert "\n        _ql_order_target(sells, 0)" in text
    assert "\n        order_target(sells, 0)" not in text


def _limited(tmp_path, limits, market, **export):
    out = tmp_path / "limited.py"
    export_strategy(
        DUAL_MA, out, params=PARAMS, symbols=market.symbols, limits=parse_limits(limits), **export
    )
    return run_backtest(load_ptrade_strategy(out), market, config=config(fill="close"))


def test_compiled_max_order_value_refuses_orders_and_says_why(market, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="quantlib.strategy")
    result = _limited(tmp_path, {"max_order_value": 1000}, market)
    assert result.trades.empty
    refusals = [r.getMessage() for r in caplog.records if "risk guard" in r.getMessage()]
    assert refusals
    assert "max_order_value 1000.00" in refusals[0]
    assert "单笔上限" in refusals[0]


def test_compiled_restricted_symbols_and_daily_order_cap_hold(market, tmp_path):
    restricted = _limited(tmp_path, {"restricted_symbols": ["600000.SS"]}, market)
    assert "600000.SH" not in set(restricted.trades["symbol"])
    assert len(restricted.trades) > 0
    capped = _limited(
        tmp_path, [{"name": "max_orders_per_day", "value": "1", "unit": "count"}], market
    )
    per_day = capped.orders.groupby(capped.orders["time"].dt.date).size()
    assert per_day.max() == 1


def test_compiled_max_position_pct_caps_buys(market, tmp_path):
    result = _limited(tmp_path, {"max_position_pct": {"value": 50, "unit": "percent"}}, market)
    assert result.trades.empty


def test_unknown_limit_name_is_refused_unless_ignored(tmp_path):
    path = tmp_path / "limits.json"
    path.write_text(json.dumps({"max_gross_leverage": 2, "max_order_value": 100000}))
    with pytest.raises(LimitsError, match="max_gross_leverage"):
        read_limits(path)
    limits = read_limits(path, ignore=["max_gross_leverage"])
    assert limits.ignored == ("max_gross_leverage",)
    assert limits.compiled() == {"max_order_value": 100000.0}


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"max_order_value": {"value": 5, "unit": "percent"}}, "unit"),
        ({"max_order_value": -1}, "positive"),
        ({"max_orders_per_day": 1.5}, "whole"),
        ({"restricted_symbols": ["nope"]}, "not a security code"),
    ],
)
def test_bad_limit_values_are_refused(raw, match):
    with pytest.raises(LimitsError, match=match):
        parse_limits(raw)


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("def initialize(context:\n    pass\n", "does not compile"),
        ("def handle_data(context, data):\n    pass\n", "initialize"),
        ("def initialize(context):\n    pass\n", "handle_data"),
        (
            "import quantlib\ndef initialize(c):\n    pass\ndef handle_data(c, d):\n    pass\n",
            "imports quantlib",
        ),
        (
            "def initialize(c):\n    order = 1\ndef handle_data(c, d):\n    pass\n",
            "rebinds the API name 'order'",
        ),
    ],
)
def test_bad_strategies_are_refused_and_nothing_is_written(tmp_path, source, match):
    strategy = tmp_path / "s.py"
    strategy.write_text("UNIVERSE = ['600000.SH']\n" + source, encoding="utf-8")
    out = tmp_path / "out.py"
    with pytest.raises(ExportError, match=match):
        export_strategy(strategy, out)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["s.py"]


def test_missing_strategy_file_and_missing_universe_are_clear(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        export_strategy(tmp_path / "nope.py", tmp_path / "out.py")
    with pytest.raises(ExportError, match="--symbols"):
        export_strategy(DUAL_MA, tmp_path / "out.py")
    assert not (tmp_path / "out.py").exists()


def test_cli_export_writes_the_file_and_refuses_unknown_limits(tmp_path, capsys):
    limits = tmp_path / "limits.json"
    limits.write_text(json.dumps([{"name": "max_daily_loss", "value": "2", "unit": "percent"}]))
    out = tmp_path / "out.py"
    argv = ["ptrade", "export", str(DUAL_MA), "-o", str(out), "--symbols", "600000.SH"]
    assert main([*argv, "--limits", str(limits)]) == 2
    assert "max_daily_loss" in capsys.readouterr().err
    assert not out.exists()
    assert (
        main(
            [
                *argv,
                "--limits",
                str(limits),
                "--ignore-limit",
                "max_daily_loss",
                "--param",
                "fast=3",
            ]
        )
        == 0
    )
    assert "_QL_PARAMS = {'fast': 3, 'slow': 50}" in out.read_text(encoding="utf-8")
