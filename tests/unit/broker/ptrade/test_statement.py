"""PTrade orders/trades CSV exports: encodings, header aliases, row errors, reconciliation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from quantlib.backtest import run_backtest
from quantlib.broker.ptrade import compat
from quantlib.broker.ptrade.statement import (
    StatementError,
    StatementOrder,
    StatementTrade,
    read_statement,
    reconcile,
)
from quantlib.cli import main
from quantlib.model.enums import Side
from quantlib.model.status import BrokerOrderStatus
from tests.unit.broker.ptrade.conftest import config

DUAL_MA = Path(compat.__file__).parents[2] / "backtest" / "examples" / "dual_ma.py"

ORDERS = (
    "委托日期,委托时间,证券代码,证券名称,委托方向,委托数量,委托价格,成交数量,成交均价,委托状态,委托编号\n"
    '20240102,09:31:05,600570,恒生电子,买入,1000,"1,234.50",1000,1234.40,已成,101\n'
    "2024-01-02,93205,000001.SZ,平安银行,卖出,500,10.01,0,,已撤,102\n"
)
TRADES = (
    "trade_date,trade_time,trade_id,order_id,stock_code,side,price,quantity,business_balance,"
    "commission,stamp_duty\n"
    "20240102,09:31:06,T1,101,600570.SS,buy,12.30,600,7380.00,5.00,0\n"
    "20240102,09:31:07,T2,101,600570.SS,buy,12.40,400,4960.00,5.00,0\n"
    "20240103,10:00:00,T3,103,000001.SZ,sell,10.00,500,5000.00,5.00,2.50\n"
)


def _write(tmp_path: Path, text: str, encoding: str, name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_gbk_orders_with_chinese_headers_are_typed_records(tmp_path):
    records = read_statement(_write(tmp_path, ORDERS, "gbk"))
    first, second = records
    assert isinstance(first, StatementOrder)
    assert first.symbol == "600570.SH"
    assert first.side is Side.BUY
    assert first.price == Decimal("1234.50")
    assert first.filled_price == Decimal("1234.40")
    assert first.status is BrokerOrderStatus.SUCCEEDED
    assert first.time.isoformat() == "2024-01-02T09:31:05+08:00"
    assert first.name == "恒生电子"
    assert second.symbol == "000001.SZ"
    assert second.time.hour == 9 and second.time.minute == 32
    assert second.status is BrokerOrderStatus.CANCELED
    assert second.filled_price is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_trades_with_english_aliases_read_in_every_encoding(tmp_path, encoding):
    trades = read_statement(_write(tmp_path, TRADES, encoding))
    assert all(isinstance(t, StatementTrade) for t in trades)
    assert [t.trade_id for t in trades] == ["T1", "T2", "T3"]
    assert trades[0].amount == Decimal("7380.00")
    assert trades[2].fees == Decimal("7.50")
    assert trades[2].side is Side.SELL


@pytest.mark.parametrize(
    ("row", "column", "problem"),
    [
        ("20240102,09:31:06,T1,101,XYZ,buy,12.30,600,,,", "stock_code", "security code"),
        ("20240102,09:31:06,T1,101,600570.SS,hold,12.30,600,,,", "side", "side"),
        ("20240102,09:31:06,T1,101,600570.SS,buy,abc,600,,,", "price", "number"),
        ("20240102,09:31:06,T1,101,600570.SS,buy,12.3,60.5,,,", "quantity", "whole"),
        ("2024-13-45,09:31:06,T1,101,600570.SS,buy,12.3,600,,,", "trade_date", "date"),
        ("20240102,09:31:06,T1,101,600570.SS,buy,-1,600,,,", "price", "negative"),
    ],
)
def test_a_bad_row_names_file_row_and_column(tmp_path, row, column, problem):
    header = TRADES.splitlines()[0]
    path = _write(tmp_path, f"{header}\n{TRADES.splitlines()[1]}\n{row}\n", "utf-8")
    with pytest.raises(StatementError, match=problem) as caught:
        read_statement(path)
    assert caught.value.row == 3
    assert caught.value.column == column
    assert str(path) in str(caught.value)


def test_undecodable_bytes_missing_columns_and_files_are_clear(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\xff\x00\x81")
    with pytest.raises(StatementError, match="decode"):
        read_statement(bad)
    no_side = _write(
        tmp_path, "成交日期,证券代码,成交价格,成交数量,成交编号\n20240102,600570,1,100,T\n", "utf-8"
    )
    with pytest.raises(StatementError, match="required column") as caught:
        read_statement(no_side)
    assert caught.value.row == 1
    with pytest.raises(StatementError, match="does not exist"):
        read_statement(tmp_path / "none.csv")
    with pytest.raises(StatementError, match="orders from trades"):
        read_statement(_write(tmp_path, "a,b\n1,2\n", "utf-8"))


def test_reconciliation_reports_matches_and_every_kind_of_break(tmp_path):
    broker = read_statement(_write(tmp_path, TRADES, "utf-8"))
    ours = pd.DataFrame(
        {
            "time": pd.to_datetime(["2024-01-02", "2024-01-02", "2024-01-04", "2024-01-05"]),
            "symbol": ["600570.SH", "600570.SH", "600000.SH", "000001.SZ"],
            "side": ["buy", "buy", "buy", "sell"],
            "quantity": [600, 400, 100, 500],
            "price": [12.30, 12.40, 9.0, 10.0],
        }
    )
    result = reconcile(broker, ours)
    status = dict(
        zip(
            result.table["symbol"] + "@" + result.table["date"].astype(str),
            result.table["status"],
            strict=True,
        )
    )
    assert status == {
        "600570.SH@2024-01-02": "matched",
        "000001.SZ@2024-01-03": "missing_in_ours",
        "600000.SH@2024-01-04": "missing_at_broker",
        "000001.SZ@2024-01-05": "missing_at_broker",
    }
    assert not result.ok
    shifted = ours.assign(quantity=[600, 300, 100, 500], price=[12.30, 12.40, 9.0, 10.0])
    fills = [
        {
            "time": pd.Timestamp("2024-01-02"),
            "symbol": "600570.SS",
            "side": Side.BUY,
            "quantity": 1000,
            "price": 12.50,
        },
        {
            "time": pd.Timestamp("2024-01-03"),
            "symbol": "000001.SZ",
            "side": "sell",
            "quantity": 500,
            "price": 10.0,
        },
    ]
    assert set(reconcile(broker, shifted).table["status"]) >= {"quantity_break"}
    by_fills = reconcile(broker, fills).table.set_index("symbol")["status"]
    assert by_fills.to_dict() == {"000001.SZ": "matched", "600570.SH": "price_break"}


def test_cli_import_prints_records_and_reconciles_a_saved_run(tmp_path, capsys, market):
    path = _write(tmp_path, ORDERS, "gbk")
    assert main(["ptrade", "import", str(path), "--json"]) == 0
    assert "600570.SH" in capsys.readouterr().out
    bad = _write(tmp_path, TRADES.replace("buy,12.30", "buy,x"), "utf-8", "b.csv")
    assert main(["ptrade", "import", str(bad)]) == 2
    error = capsys.readouterr().err
    assert "row 2" in error or "第 2 行" in error
    run = run_backtest(DUAL_MA, market, config=config(), params={"fast": 5, "slow": 20})
    run.save(tmp_path / "run")
    rows = ["成交日期,成交时间,成交编号,证券代码,买卖方向,成交价格,成交数量"]
    for n, t in enumerate(run.trades.itertuples()):
        side = "买入" if t.side == "buy" else "卖出"
        rows.append(f"{t.time:%Y%m%d},15:00:00,T{n},{t.symbol},{side},{t.price},{int(t.quantity)}")
    statement = _write(tmp_path, "\n".join(rows) + "\n", "gb18030", "trades.csv")
    assert main(["ptrade", "import", str(statement), "--reconcile", str(tmp_path / "run")]) == 0
    rows[1] = rows[1].rsplit(",", 1)[0] + ",1"
    broken = _write(tmp_path, "\n".join(rows) + "\n", "utf-8", "broken.csv")
    assert main(["ptrade", "import", str(broken), "--reconcile", str(tmp_path / "run")]) == 1
