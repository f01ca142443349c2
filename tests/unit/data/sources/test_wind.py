"""WindSource against a replay of WindPy's ``w`` answering WindData-shaped objects.

WindPy ships with the Wind terminal (Windows, licensed), so the replay mirrors its
documented surface: ``start``/``isconnected``, ``tdays``, ``wset``, ``wss``, ``wsd``, each
returning an object with ``ErrorCode``, ``Codes``, ``Fields``, ``Times`` and ``Data``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantlib.core.errors import EmptyResponseError, SourceError, SourceUnavailableError
from quantlib.data.sources.base import DAILY_COLUMNS, FACTOR_COLUMNS, INSTRUMENT_COLUMNS
from quantlib.data.sources.wind import WindSource

JUNE17, JUNE21 = dt.date(2024, 6, 17), dt.date(2024, 6, 21)
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$")


def _value(item: Any) -> Any:
    if isinstance(item, str) and _STAMP.match(item):
        return dt.datetime.fromisoformat(item)
    return float("nan") if item is None else item


class WindData:
    """The attributes of WindPy's ``w.WindData``."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.ErrorCode = record["ErrorCode"]
        self.StateCode = 0
        self.RequestID = 1
        self.Codes = list(record["Codes"])
        self.Fields = list(record["Fields"])
        self.Times = [
            _value(t).date() if isinstance(_value(t), dt.datetime) else t for t in record["Times"]
        ]
        self.Data = [[_value(item) for item in column] for column in record["Data"]]


class WindReplay:
    """WindPy's ``w`` with recorded answers."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.connected = False
        self.start_code = 0
        self.calls: list[tuple[str, tuple]] = []
        self.failures: dict[str, list[BaseException]] = {}

    def start(self, options=None, waitTime=120, *arga, **argb):  # noqa: N803
        self.calls.append(("start", ()))
        self.connected = self.start_code == 0
        return WindData(
            {
                "ErrorCode": self.start_code,
                "Codes": [],
                "Fields": [],
                "Times": [],
                "Data": [["OK!" if self.start_code == 0 else "Login failed"]],
            }
        )

    def isconnected(self):
        return self.connected

    def _answer(self, function: str, *args: Any) -> WindData:
        self.calls.append((function, args))
        if self.failures.get(function):
            raise self.failures[function].pop(0)
        for record in self.records:
            expected = [a.replace("{today}", dt.date.today().isoformat()) for a in record["args"]]
            if record["function"] == function and expected == list(args):
                return WindData(record)
        raise AssertionError(f"no recording for w.{function}{args}")

    def tdays(self, beginTime=None, endTime=None, options=None, *arga, **argb):  # noqa: N803
        return self._answer("tdays", beginTime, endTime, options)

    def wset(self, tablename, options=None, *arga, **argb):
        return self._answer("wset", tablename, options)

    def wss(self, codes, fields, options=None, *arga, **argb):
        return self._answer("wss", codes, fields)

    def wsd(self, codes, fields, beginTime=None, endTime=None, options=None, *arga, **argb):  # noqa: N803
        return self._answer("wsd", codes, fields, beginTime, endTime, options)


@pytest.fixture
def replay(recorded) -> WindReplay:
    return WindReplay(recorded("wind", "responses.json"))


@pytest.fixture
def source(replay, no_sleep) -> WindSource:
    return WindSource(client=replay, backoff=0.0, sleep=no_sleep)


def test_session_starts_once_when_not_connected(source, replay):
    source.trading_days(JUNE17, JUNE21)
    source.trading_days(JUNE17, JUNE21)

    assert [c for c in replay.calls if c[0] == "start"] == [("start", ())]


def test_trading_days_come_from_tdays(source):
    days = source.trading_days(dt.date(2024, 6, 7), JUNE21)

    assert days.dtype == np.dtype("datetime64[D]") and len(days) == 10
    assert np.datetime64("2024-06-10") not in days


def test_instruments_join_sector_members_with_wss_dates(source):
    table = source.instruments()
    indexed = table.set_index("symbol")

    assert list(table.columns) == list(INSTRUMENT_COLUMNS)
    assert set(indexed.index) == {"600519.SH", "300750.SZ", "688981.SH", "920047.BJ"}
    assert indexed.loc["300750.SZ", "list_date"] == pd.Timestamp("2018-06-11")
    assert indexed.delist_date.isna().all()
    assert indexed.loc["920047.BJ", "name"] == "诺思兰德"


def test_daily_keeps_shares_and_yuan_and_the_reference_preclose(source):
    bars = source.daily_bars(JUNE17, JUNE21, ["600519.SH", "688981.SH"])

    assert list(bars.columns) == list(DAILY_COLUMNS)
    row = bars[(bars.symbol == "600519.SH") & (bars.date == "2024-06-19")].iloc[0]
    assert (row.preclose, row.volume, row.amount) == (1474.62, 3987000.0, 5864533000.0)


def test_daily_suspended_trade_status_is_a_missing_row(source):
    bars = source.daily_bars(JUNE17, JUNE21)

    assert list(bars[bars.symbol == "920047.BJ"].date.dt.day) == [17, 18, 19, 21]
    assert len(bars) == 19


def test_adj_factors_read_many_codes_in_one_wsd(source, replay):
    factors = source.adj_factors(JUNE17, JUNE21, ["600519.SH", "300750.SZ", "688981.SH"])
    moutai = factors[factors.symbol == "600519.SH"].set_index("date")["adj_factor"]

    assert list(factors.columns) == list(FACTOR_COLUMNS)
    assert (moutai.loc["2024-06-18"], moutai.loc["2024-06-19"]) == (8.4076, 8.5837)
    assert len(factors) == 15
    assert [c[1][0] for c in replay.calls if c[0] == "wsd"] == ["300750.SZ,600519.SH,688981.SH"]


def test_error_code_becomes_source_error_naming_the_call(source):
    with pytest.raises(SourceError, match=r"wind wsd\('000001.SZ'.*-40522017.*quota"):
        source.daily_bars(JUNE17, JUNE21, ["000001.SZ"])


def test_no_data_code_over_trading_days_raises_empty_response(source):
    with pytest.raises(EmptyResponseError, match=r"wind wsd returned no bars"):
        source.daily_bars(JUNE17, JUNE21, ["601398.SH"])


def test_transient_error_is_retried(source, replay):
    replay.failures["tdays"] = [TimeoutError("terminal busy")]

    assert len(source.trading_days(JUNE17, JUNE21)) == 5


def test_failed_start_raises_source_unavailable(replay, no_sleep):
    replay.start_code = -40520008

    with pytest.raises(SourceUnavailableError, match=r"w.start\(\) failed with ErrorCode"):
        WindSource(client=replay, sleep=no_sleep).trading_days(JUNE17, JUNE21)


def test_missing_windpy_raises_source_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "WindPy", None)

    with pytest.raises(SourceUnavailableError, match=r"WindPy is not available"):
        WindSource().trading_days(JUNE17, JUNE21)
