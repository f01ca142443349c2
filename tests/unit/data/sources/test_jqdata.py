"""JQDataSource against a replay of jqdatasdk's functions and answer shapes.

jqdatasdk talks pickled frames over thrift, so the recordings are the frames the SDK
hands back (``get_price(..., panel=False)`` long frames with ``time`` and ``code``,
``get_all_securities`` indexed by code, ``get_trade_days`` an array of dates), stored
as JSON and replayed by an object with the SDK's exact signatures.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantlib.core.errors import EmptyResponseError, SourceError, SourceUnavailableError
from quantlib.data.sources.base import DAILY_COLUMNS, MINUTE_COLUMNS
from quantlib.data.sources.jqdata import JQDataSource

JUNE17, JUNE21 = dt.date(2024, 6, 17), dt.date(2024, 6, 21)


def _to_date(value: Any) -> pd.Timestamp:
    return pd.Timestamp(str(value))


class JQReplay:
    """jqdatasdk's module functions, answering from recordings."""

    def __init__(self, recorded) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: dict[str, list[BaseException]] = {}
        self.days = pd.to_datetime(recorded("jqdata", "get_trade_days.json")["trade_days"])
        sec = recorded("jqdata", "get_all_securities.json")
        self.securities = pd.DataFrame(sec["data"], index=sec["index"], columns=sec["columns"])
        for column in ("start_date", "end_date"):
            self.securities[column] = pd.to_datetime(self.securities[column])
        self.prices = {}
        for name in ("get_price_daily_fq_none", "get_price_daily_fq_post", "get_price_1m_fq_none"):
            rec = recorded("jqdata", f"{name}.json")
            frame = pd.DataFrame(rec["data"], columns=rec["columns"])
            frame["time"] = pd.to_datetime(frame["time"])
            self.prices[(rec["request"]["frequency"], rec["request"]["fq"])] = frame

    def _enter(self, name: str, **kwargs: Any) -> None:
        self.calls.append((name, kwargs))
        if self.failures.get(name):
            raise self.failures[name].pop(0)

    def auth(self, username, password, host=None, port=None):
        self._enter("auth", username=username)
        if password != "secret-pw":
            raise Exception("账号或密码错误")

    def auth_by_token(self, token, host=None, port=None):
        self._enter("auth_by_token")

    def get_trade_days(self, start_date=None, end_date=None, count=None):
        self._enter("get_trade_days", start_date=start_date, end_date=end_date)
        mask = (self.days >= _to_date(start_date)) & (self.days <= _to_date(end_date))
        return np.array([d.date() for d in self.days[mask]], dtype=object)

    def get_all_securities(self, types=[], date=None):  # noqa: B006 - jqdatasdk's signature
        self._enter("get_all_securities", types=types, date=date)
        return self.securities[self.securities["type"].isin(types or ["stock"])].copy()

    def get_price(
        self,
        security,
        start_date=None,
        end_date=None,
        frequency="daily",
        fields=None,
        skip_paused=False,
        fq="pre",
        count=None,
        panel=True,
        fill_paused=True,
        round=True,
    ):
        self._enter(
            "get_price",
            security=security,
            fields=fields,
            fq=fq,
            frequency=frequency,
            skip_paused=skip_paused,
            fill_paused=fill_paused,
            panel=panel,
        )
        if panel or not isinstance(security, list):
            raise AssertionError("the adapter must ask for a long frame of a code list")
        table = self.prices.get((frequency, fq))
        if table is None:
            raise Exception(f"no recording for frequency={frequency!r} fq={fq!r}")
        start, end = _to_date(start_date), _to_date(end_date)
        if len(str(end_date)) <= 10:
            end = end + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        rows = table[
            table["code"].isin(security) & (table["time"] >= start) & (table["time"] <= end)
        ]
        return rows.loc[:, ["time", "code", *fields]].reset_index(drop=True)


@pytest.fixture
def replay(recorded) -> JQReplay:
    return JQReplay(recorded)


@pytest.fixture
def source(replay, no_sleep) -> JQDataSource:
    return JQDataSource(
        user="13800000000", password="secret-pw", client=replay, backoff=0.0, sleep=no_sleep
    )


def test_login_happens_once_with_user_and_password(source, replay):
    source.trading_days(JUNE17, JUNE21)
    source.trading_days(JUNE17, JUNE21)

    assert [name for name, _ in replay.calls].count("auth") == 1


def test_trading_days_come_back_as_sorted_datetime64_days(source):
    days = source.trading_days(dt.date(2024, 6, 7), JUNE21)

    assert days.dtype == np.dtype("datetime64[D]") and len(days) == 10
    assert np.datetime64("2024-06-10") not in days


def test_instruments_map_mic_codes_index_kind_and_the_2200_sentinel(source):
    table = source.instruments().set_index("symbol")

    assert {"600519.SH", "300750.SZ", "688981.SH", "000691.SZ", "000300.SH"} <= set(table.index)
    assert table.loc["000300.SH", "kind"] == "index"
    assert table.loc["600519.SH", "name"] == "贵州茅台"
    assert pd.isna(table.loc["600519.SH", "delist_date"])
    assert table.loc["600087.SH", "delist_date"] == pd.Timestamp("2014-06-05")


def test_daily_asks_raw_prices_and_keeps_shares_and_yuan(source, replay):
    bars = source.daily_bars(JUNE17, JUNE21, ["600519.SH", "300750.SZ"])

    assert list(bars.columns) == list(DAILY_COLUMNS)
    call = next(kwargs for name, kwargs in replay.calls if name == "get_price")
    assert call["fq"] is None and call["fill_paused"] is False and call["skip_paused"] is False
    assert call["security"] == ["300750.XSHE", "600519.XSHG"]
    row = bars[(bars.symbol == "600519.SH") & (bars.date == "2024-06-17")].iloc[0]
    assert row.volume == 3124500 and row.amount == 4716820500
    assert row.preclose == 1522.0


def test_daily_paused_day_becomes_a_missing_row(source):
    bars = source.daily_bars(JUNE17, JUNE21)

    paused = bars[bars.symbol == "000691.SZ"]
    assert list(paused.date.dt.day) == [17, 18, 19, 21]
    assert len(bars) == 19
    assert "600087.SH" not in set(bars.symbol)


def test_adj_factors_use_post_adjustment_factor(source, replay):
    factors = source.adj_factors(JUNE17, JUNE21, ["600519.SH"]).set_index("date")

    assert factors.loc["2024-06-18", "adj_factor"] == 8.4076
    assert factors.loc["2024-06-19", "adj_factor"] == 8.5837
    assert replay.calls[-1][1]["fq"] == "post"


def test_minute_bars_are_aware_shanghai_times(source):
    bars = source.minute_bars(JUNE17, JUNE17, ["600519.SH"])

    assert list(bars.columns) == list(MINUTE_COLUMNS)
    assert str(bars.time.dt.tz) == "Asia/Shanghai"
    assert bars.time.iloc[0] == pd.Timestamp("2024-06-17 09:31", tz="Asia/Shanghai")
    assert bars.volume.iloc[0] == 98700


def test_vendor_error_becomes_source_error_naming_the_call(source, replay):
    replay.failures["get_price"] = [Exception("找不到标的600000.XSHX")]

    with pytest.raises(SourceError, match=r"jqdata get_price\(security=\['600519.XSHG'\]"):
        source.daily_bars(JUNE17, JUNE21, ["600519.SH"])


def test_no_bars_over_trading_days_raise_empty_response(source):
    with pytest.raises(EmptyResponseError, match=r"get_price"):
        source.daily_bars(JUNE17, JUNE21, ["601398.SH"])


def test_closed_connection_is_retried(source, replay):
    replay.failures["get_trade_days"] = [
        Exception("连接被关闭，请减少数据查询量或检查网络后重试"),
        ConnectionResetError("reset by peer"),
    ]

    assert len(source.trading_days(JUNE17, JUNE21)) == 5
    assert [name for name, _ in replay.calls].count("get_trade_days") == 3


def test_wrong_password_raises_source_unavailable(replay, no_sleep):
    source = JQDataSource(user="13800000000", password="bad", client=replay, sleep=no_sleep)

    with pytest.raises(SourceUnavailableError, match=r"login failed.*账号或密码错误"):
        source.trading_days(JUNE17, JUNE21)


def test_missing_credentials_raise_source_unavailable(monkeypatch):
    for name in ("JQDATA_USER", "JQDATA_PASSWORD", "JQDATA_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(SourceUnavailableError, match=r"JQDATA_USER and JQDATA_PASSWORD"):
        JQDataSource().trading_days(JUNE17, JUNE21)


def test_missing_library_raises_source_unavailable(monkeypatch):
    monkeypatch.setenv("JQDATA_USER", "13800000000")
    monkeypatch.setenv("JQDATA_PASSWORD", "secret-pw")
    monkeypatch.setitem(sys.modules, "jqdatasdk", None)

    with pytest.raises(SourceUnavailableError, match=r"jqdatasdk package is not installed"):
        JQDataSource().trading_days(JUNE17, JUNE21)


def test_password_is_kept_out_of_repr_and_describe(source):
    assert "secret-pw" not in repr(source) + str(source.describe())
    assert source.describe()["source"] == "jqdata"
