"""AkShareSource against recorded akshare answers (CSV in the frames' own columns).

The replay has akshare's function signatures and returns what akshare returns: Chinese
column names, ``datetime.date`` days, numbers parsed with ``pd.to_numeric``, codes as
zero-padded strings, and an empty ``pd.DataFrame()`` when Eastmoney has no rows.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from quantlib.core.errors import EmptyResponseError, SourceError, SourceUnavailableError
from quantlib.data.sources.akshare import AkShareSource
from quantlib.data.sources.base import DAILY_COLUMNS, INSTRUMENT_COLUMNS, MINUTE_COLUMNS

JUNE17, JUNE21 = dt.date(2024, 6, 17), dt.date(2024, 6, 21)
_CODES = {"证券代码": str, "A股代码": str, "公司代码": str, "股票代码": str}
_NUMERIC = [
    "开盘",
    "收盘",
    "最高",
    "最低",
    "成交量",
    "成交额",
    "振幅",
    "涨跌幅",
    "涨跌额",
    "换手率",
    "均价",
]


class AkShareReplay:
    """akshare's functions, answering from recorded CSV files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.calls: list[tuple[str, tuple, dict]] = []
        self.failures: dict[str, list[BaseException]] = {}

    def _read(self, function: str, name: str, *args, **kwargs) -> pd.DataFrame:
        self.calls.append((function, args, kwargs))
        if self.failures.get(function):
            raise self.failures[function].pop(0)
        path = self.folder / name
        if not path.exists():
            return pd.DataFrame()
        frame = pd.read_csv(path, dtype=_CODES)
        for column in _NUMERIC:
            if column in frame.columns:
                frame[column] = pd.to_numeric(frame[column], errors="coerce")
        return frame

    def tool_trade_date_hist_sina(self):
        frame = self._read("tool_trade_date_hist_sina", "tool_trade_date_hist_sina.csv")
        frame["trade_date"] = pd.to_datetime(frame["trade_date"]).dt.date
        return frame

    def stock_info_sh_name_code(self, symbol="主板A股"):
        frame = self._read(
            "stock_info_sh_name_code", f"stock_info_sh_name_code_{symbol}.csv", symbol
        )
        frame["上市日期"] = pd.to_datetime(frame["上市日期"], errors="coerce").dt.date
        return frame

    def stock_info_sz_name_code(self, symbol="A股列表"):
        return self._read(
            "stock_info_sz_name_code", f"stock_info_sz_name_code_{symbol}.csv", symbol
        )

    def stock_info_bj_name_code(self):
        frame = self._read("stock_info_bj_name_code", "stock_info_bj_name_code.csv")
        frame["上市日期"] = pd.to_datetime(frame["上市日期"], errors="coerce").dt.date
        return frame

    def stock_info_sh_delist(self, symbol="全部"):
        return self._read("stock_info_sh_delist", f"stock_info_sh_delist_{symbol}.csv", symbol)

    def stock_info_sz_delist(self, symbol="终止上市公司"):
        return self._read("stock_info_sz_delist", f"stock_info_sz_delist_{symbol}.csv", symbol)

    def stock_zh_a_hist(
        self,
        symbol="000001",
        period="daily",
        start_date="19700101",
        end_date="20500101",
        adjust="",
        timeout=None,
    ):
        frame = self._read(
            "stock_zh_a_hist",
            f"stock_zh_a_hist/{symbol}_{adjust or 'none'}.csv",
            symbol=symbol,
            period=period,
            adjust=adjust,
        )
        if len(frame) == 0:
            return frame
        days = pd.to_datetime(frame["日期"])
        frame = frame[(days >= pd.Timestamp(start_date)) & (days <= pd.Timestamp(end_date))]
        if len(frame) == 0:
            return pd.DataFrame()
        frame = frame.reset_index(drop=True)
        frame["日期"] = pd.to_datetime(frame["日期"]).dt.date
        return frame

    def stock_zh_a_hist_min_em(
        self,
        symbol="000001",
        start_date="1979-09-01 09:32:00",
        end_date="2222-01-01 09:32:00",
        period="5",
        adjust="",
    ):
        frame = self._read(
            "stock_zh_a_hist_min_em", f"stock_zh_a_hist_min_em_{symbol}_{period}.csv", symbol=symbol
        )
        if len(frame) == 0:
            raise TypeError("'NoneType' object is not subscriptable")
        frame.index = pd.to_datetime(frame["时间"])
        return frame[start_date:end_date].reset_index(drop=True)


@pytest.fixture
def replay(recorded) -> AkShareReplay:
    return AkShareReplay(recorded("akshare", "stock_zh_a_hist").parent)


@pytest.fixture
def source(replay, no_sleep) -> AkShareSource:
    return AkShareSource(client=replay, backoff=0.0, sleep=no_sleep)


def test_trading_days_are_cut_from_sinas_full_history(source):
    days = source.trading_days(dt.date(2024, 6, 7), JUNE21)

    assert days.dtype == np.dtype("datetime64[D]") and len(days) == 10
    assert np.datetime64("2024-06-10") not in days


def test_instruments_merge_exchange_lists_and_map_the_legacy_bse_code(source):
    table = source.instruments()
    indexed = table.set_index("symbol")

    assert list(table.columns) == list(INSTRUMENT_COLUMNS)
    assert {
        "600000.SH",
        "600519.SH",
        "688981.SH",
        "000691.SZ",
        "300750.SZ",
        "920047.BJ",
        "600087.SH",
        "000003.SZ",
    } == set(indexed.index)
    assert indexed.loc["920047.BJ", "list_date"] == pd.Timestamp("2020-11-27")
    assert indexed.loc["300750.SZ", "list_date"] == pd.Timestamp("2018-06-11")
    assert indexed.loc["000003.SZ", "delist_date"] == pd.Timestamp("2002-06-14")
    assert pd.isna(indexed.loc["600519.SH", "delist_date"])
    assert (table.kind == "stock").all()


def test_daily_converts_lots_to_shares_and_has_no_preclose(source, replay):
    bars = source.daily_bars(JUNE17, JUNE21, ["600519.SH", "920047.BJ"])

    assert list(bars.columns) == list(DAILY_COLUMNS)
    row = bars[(bars.symbol == "600519.SH") & (bars.date == "2024-06-17")].iloc[0]
    assert row.volume == 31245 * 100 and row.amount == 4716820500.0
    assert bars.preclose.isna().all()
    sent = [(args, kwargs) for name, args, kwargs in replay.calls if name == "stock_zh_a_hist"]
    assert {kwargs["symbol"] for _, kwargs in sent} == {"600519", "920047"}
    assert all(kwargs["adjust"] == "" for _, kwargs in sent)


def test_daily_suspended_day_is_a_missing_row(source):
    bars = source.daily_bars(JUNE17, JUNE21, ["920047.BJ"])

    assert list(bars.date.dt.day) == [17, 18, 19, 21]


def test_adj_factors_are_back_adjusted_close_over_raw_close(source):
    factors = source.adj_factors(JUNE17, JUNE21, ["600519.SH", "300750.SZ"])
    table = factors.pivot(index="date", columns="symbol", values="adj_factor")

    assert table.loc["2024-06-18", "600519.SH"] == pytest.approx(8.4076, rel=1e-4)
    assert table.loc["2024-06-19", "600519.SH"] == pytest.approx(8.5837, rel=1e-4)
    assert table["300750.SZ"].to_numpy() == pytest.approx(1.2931, rel=1e-4)


def test_minute_bars_are_aware_bar_end_times_in_shares(source):
    bars = source.minute_bars(JUNE21, JUNE21, ["600519.SH"])

    assert list(bars.columns) == list(MINUTE_COLUMNS)
    assert bars.time.iloc[1] == pd.Timestamp("2024-06-21 09:31", tz="Asia/Shanghai")
    assert bars.volume.iloc[1] == 105400


def test_indices_are_refused_because_eastmoney_hist_serves_stocks(source):
    with pytest.raises(SourceError, match=r"stocks only"):
        source.daily_bars(JUNE17, JUNE21, ["000300.SH"])


def test_vendor_failure_becomes_source_error_naming_the_call(source, replay):
    replay.failures["stock_zh_a_hist"] = [KeyError("data")]

    with pytest.raises(SourceError, match=r"akshare stock_zh_a_hist\(symbol='300750'"):
        source.daily_bars(JUNE17, JUNE21, ["300750.SZ"])


def test_no_bars_over_trading_days_raise_empty_response(source):
    with pytest.raises(EmptyResponseError, match=r"stock_zh_a_hist"):
        source.daily_bars(JUNE17, JUNE21, ["601398.SH"])


def test_connection_error_is_retried(source, replay):
    replay.failures["tool_trade_date_hist_sina"] = [requests.ConnectionError("reset")]

    assert len(source.trading_days(JUNE17, JUNE21)) == 5
    assert [c[0] for c in replay.calls].count("tool_trade_date_hist_sina") == 2


def test_missing_library_raises_source_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "akshare", None)

    with pytest.raises(SourceUnavailableError, match=r"akshare package is not installed"):
        AkShareSource().trading_days(JUNE17, JUNE21)


def test_describe_names_the_library(source):
    assert source.describe()["library"] == "akshare" and source.describe()["version"]
