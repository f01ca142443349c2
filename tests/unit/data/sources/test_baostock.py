"""BaoStockSource against recorded answers served as baostock's own ResultData objects.

The replay binds each call to the real baostock function's signature (defaults
included) to find its recording, then fills a genuine
``baostock.data.resultset.ResultData`` through its ``setFields``/``setData`` parsers, so
the adapter reads rows with the library's real ``next()``/``get_row_data()``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import sys
from typing import Any

import baostock
import numpy as np
import pandas as pd
import pytest
from baostock.data.resultset import ResultData

from quantlib.core.errors import EmptyResponseError, SourceError, SourceUnavailableError
from quantlib.data.sources.baostock import BaoStockSource
from quantlib.data.sources.base import DAILY_COLUMNS, FACTOR_COLUMNS, INSTRUMENT_COLUMNS

JUNE17, JUNE21 = dt.date(2024, 6, 17), dt.date(2024, 6, 21)


def _result(error_code: str, error_msg: str, fields: str = "", record: Any = ()) -> ResultData:
    result = ResultData()
    result.error_code, result.error_msg = error_code, error_msg
    if error_code == "0":
        result.setFields(fields)
        result.setData(json.dumps({"record": list(record)}, ensure_ascii=False))
    return result


class BaoStockReplay:
    """baostock's query functions, answering recorded ResultData."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.calls: list[str] = []
        self.logins: list[tuple[str, str]] = []
        self.failures: dict[str, list[str]] = {}
        self.password = "123456"

    def login(self, user_id="anonymous", password="123456"):
        self.logins.append((user_id, password))
        if password != self.password:
            return _result("10001002", "用户名或密码错误")
        return _result("0", "success")

    def _answer(self, function: str, *args: Any, **kwargs: Any) -> ResultData:
        self.calls.append(function)
        if self.failures.get(function):
            code = self.failures[function].pop(0)
            return _result(code, "网络接收错误。")
        bound = inspect.signature(getattr(baostock, function)).bind(*args, **kwargs)
        bound.apply_defaults()
        for record in self.records:
            if record["function"] == function and record["params"] == dict(bound.arguments):
                return _result(
                    record["error_code"], record["error_msg"], record["fields"], record["record"]
                )
        raise AssertionError(f"no recording for {function}{dict(bound.arguments)}")

    def query_trade_dates(self, start_date=None, end_date=None):
        return self._answer("query_trade_dates", start_date, end_date)

    def query_stock_basic(self, code="", code_name=""):
        return self._answer("query_stock_basic", code, code_name)

    def query_history_k_data_plus(
        self, code, fields, start_date=None, end_date=None, frequency="d", adjustflag="3"
    ):
        return self._answer(
            "query_history_k_data_plus", code, fields, start_date, end_date, frequency, adjustflag
        )

    def query_adjust_factor(self, code, start_date=None, end_date=None):
        return self._answer("query_adjust_factor", code, start_date, end_date)


@pytest.fixture
def replay(recorded) -> BaoStockReplay:
    return BaoStockReplay(recorded("baostock", "responses.json"))


@pytest.fixture
def source(replay, no_sleep, monkeypatch) -> BaoStockSource:
    monkeypatch.delenv("BAOSTOCK_USER", raising=False)
    monkeypatch.delenv("BAOSTOCK_PASSWORD", raising=False)
    return BaoStockSource(client=replay, backoff=0.0, sleep=no_sleep)


def test_logs_in_anonymously_once_by_default(source, replay):
    source.trading_days(JUNE17, JUNE21)
    source.trading_days(JUNE17, JUNE21)

    assert replay.logins == [("anonymous", "123456")]


def test_trading_days_read_the_is_trading_day_flag(source):
    days = source.trading_days(dt.date(2024, 6, 7), JUNE21)

    assert days.dtype == np.dtype("datetime64[D]") and len(days) == 10
    assert np.datetime64("2024-06-10") not in days


def test_instruments_keep_stocks_and_indices_and_map_codes(source):
    table = source.instruments()
    indexed = table.set_index("symbol")

    assert list(table.columns) == list(INSTRUMENT_COLUMNS)
    assert set(indexed.index) == {
        "000300.SH",
        "600087.SH",
        "600519.SH",
        "688981.SH",
        "000691.SZ",
        "300750.SZ",
    }
    assert indexed.loc["000300.SH", "kind"] == "index"
    assert indexed.loc["600087.SH", "delist_date"] == pd.Timestamp("2014-06-05")
    assert pd.isna(indexed.loc["688981.SH", "delist_date"])
    assert indexed.loc["300750.SZ", "list_date"] == pd.Timestamp("2018-06-11")


def test_daily_parses_strings_in_shares_and_yuan(source):
    bars = source.daily_bars(JUNE17, JUNE21, ["600519.SH", "300750.SZ", "688981.SH"])

    assert list(bars.columns) == list(DAILY_COLUMNS)
    assert bars.dtypes["close"] == np.float64 and bars.dtypes["volume"] == np.float64
    row = bars[(bars.symbol == "600519.SH") & (bars.date == "2024-06-19")].iloc[0]
    assert (row.open, row.close, row.preclose) == (1475.0, 1468.88, 1474.62)
    assert row.volume == 3987000 and row.amount == pytest.approx(5864533000.0)


def test_daily_suspended_tradestatus_zero_is_a_missing_row(source):
    bars = source.daily_bars(JUNE17, JUNE21, ["000691.SZ"])

    assert list(bars.date.dt.day) == [17, 18, 19, 21]


def test_daily_without_symbols_walks_listed_stocks_only(source, replay):
    bars = source.daily_bars(JUNE17, JUNE21)

    assert set(bars.symbol) == {"600519.SH", "688981.SH", "000691.SZ", "300750.SZ"}
    assert len(bars) == 19


def test_adj_factors_hold_the_latest_back_factor_as_of_each_day(source):
    factors = source.adj_factors(JUNE17, JUNE21, ["600519.SH", "300750.SZ", "688981.SH"])
    table = factors.pivot(index="date", columns="symbol", values="adj_factor")

    assert list(factors.columns) == list(FACTOR_COLUMNS)
    assert table.loc["2024-06-18", "600519.SH"] == 8.4076
    assert table.loc["2024-06-19", "600519.SH"] == 8.5837
    assert (table["300750.SZ"] == 1.2931).all()
    assert (table["688981.SH"] == 1.0).all()
    assert len(table) == 5


def test_error_code_becomes_source_error_naming_the_query(source):
    with pytest.raises(
        SourceError, match=r"baostock query_history_k_data_plus\('sz.000001'.*10004011"
    ):
        source.daily_bars(JUNE17, JUNE21, ["000001.SZ"])


def test_no_rows_over_trading_days_raise_empty_response(source):
    with pytest.raises(EmptyResponseError, match=r"query_history_k_data_plus"):
        source.daily_bars(JUNE17, JUNE21, ["601398.SH"])


def test_network_error_code_logs_in_again_and_retries(source, replay):
    replay.failures["query_trade_dates"] = ["10002007"]

    assert len(source.trading_days(JUNE17, JUNE21)) == 5
    assert len(replay.logins) == 2
    assert replay.calls.count("query_trade_dates") == 2


def test_persistent_network_errors_end_in_source_error(source, replay):
    replay.failures["query_trade_dates"] = ["10002002"] * 4

    with pytest.raises(SourceError, match=r"query_trade_dates.*after 3 retries"):
        source.trading_days(JUNE17, JUNE21)


def test_rejected_login_raises_source_unavailable(replay, no_sleep):
    source = BaoStockSource(user="someone", password="wrong", client=replay, sleep=no_sleep)

    with pytest.raises(SourceUnavailableError, match=r"login as 'someone' failed: 10001002"):
        source.trading_days(JUNE17, JUNE21)


def test_missing_library_raises_source_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "baostock", None)

    with pytest.raises(SourceUnavailableError, match=r"baostock package is not installed"):
        BaoStockSource().trading_days(JUNE17, JUNE21)


def test_password_is_kept_out_of_repr_and_describe(replay):
    source = BaoStockSource(user="someone", password="hunter2", client=replay)

    assert "hunter2" not in repr(source) + str(source.describe())
    assert source.describe()["version"]
