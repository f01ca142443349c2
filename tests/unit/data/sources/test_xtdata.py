"""XtDataSource against a replay of ``xtquant.xtdata`` (which cannot load on Linux).

The replay has xtdata's signatures and answer shapes: ``get_trading_dates`` epoch-ms
lists, ``get_market_data_ex`` ``{code: DataFrame(index=time strings)}`` with int64
``time`` and lots in ``volume``, history only after ``download_history_data``, and
``get_divid_factors`` a frame indexed by ex-date strings.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantlib.core.errors import EmptyResponseError, SourceError, SourceUnavailableError
from quantlib.data.sources.base import DAILY_COLUMNS, INSTRUMENT_COLUMNS, MINUTE_COLUMNS
from quantlib.data.sources.xtdata import XtDataSource, import_xtdata

JUNE17, JUNE21 = dt.date(2024, 6, 17), dt.date(2024, 6, 21)
_DTYPES = {"time": "int64", "volume": "int64", "openInterest": "int64", "suspendFlag": "int32"}


def _frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    data = {k: v for k, v in columns.items() if k != "index"}
    frame = pd.DataFrame(data, index=pd.Index(columns["index"], dtype=object))
    for column in frame.columns:
        frame[column] = frame[column].astype(_DTYPES.get(column, "float64"))
    return frame


class XtReplay:
    """``xtquant.xtdata`` functions answering recorded data."""

    def __init__(self, recorded: dict[str, Any]) -> None:
        self.rec = recorded
        self.downloaded: set[tuple[str, str]] = set()
        self.calls: list[tuple[str, tuple, dict]] = []
        self.failures: dict[str, list[BaseException]] = {}
        self.answers: dict[str, Any] = {}

    def _enter(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))
        if self.failures.get(name):
            raise self.failures[name].pop(0)

    def get_trading_dates(self, market, start_time="", end_time="", count=-1):
        self._enter("get_trading_dates", market, start_time, end_time)
        lo = pd.Timestamp(start_time, tz="Asia/Shanghai").value // 10**6
        hi = pd.Timestamp(end_time, tz="Asia/Shanghai").value // 10**6
        return [t for t in self.rec["get_trading_dates"][market] if lo <= t <= hi]

    def get_stock_list_in_sector(self, sector_name, real_timetag=-1):
        self._enter("get_stock_list_in_sector", sector_name)
        return list(self.rec["get_stock_list_in_sector"].get(sector_name, []))

    def get_instrument_detail(self, stock_code, iscomplete=False):
        self._enter("get_instrument_detail", stock_code)
        detail = self.rec["get_instrument_detail"].get(stock_code)
        return dict(detail) if detail else None

    def download_history_data(
        self, stock_code, period, start_time="", end_time="", incrementally=None
    ):
        self._enter("download_history_data", stock_code, period)
        self.downloaded.add((stock_code, period))

    def get_market_data_ex(
        self,
        field_list=[],  # noqa: B006 - xtdata's signature
        stock_list=[],  # noqa: B006 - xtdata's signature
        period="1d",
        start_time="",
        end_time="",
        count=-1,
        dividend_type="none",
        fill_data=True,
    ):
        self._enter(
            "get_market_data_ex",
            stock_list,
            period=period,
            dividend_type=dividend_type,
            fill_data=fill_data,
        )
        if "get_market_data_ex" in self.answers:
            return self.answers["get_market_data_ex"]
        result = {}
        for code in stock_list:
            recorded = self.rec["get_market_data_ex"][period].get(code)
            if recorded is None or (code, period) not in self.downloaded:
                result[code] = pd.DataFrame(columns=field_list)
                continue
            frame = _frame(recorded)
            keys = frame.index.astype(str).str.ljust(14, "0")
            mask = (keys >= start_time.ljust(14, "0")) & (keys <= end_time.ljust(14, "9"))
            result[code] = frame.loc[mask, field_list]
        return result

    def get_divid_factors(self, stock_code, start_time="", end_time=""):
        self._enter("get_divid_factors", stock_code)
        recorded = self.rec["get_divid_factors"].get(stock_code, {"index": []})
        if not recorded["index"]:
            return pd.DataFrame()
        return _frame(recorded)


@pytest.fixture
def replay(recorded) -> XtReplay:
    return XtReplay(recorded("xtdata", "xtdata.json"))


@pytest.fixture
def source(replay, no_sleep) -> XtDataSource:
    return XtDataSource(client=replay, backoff=0.0, sleep=no_sleep)


def test_trading_days_turn_epoch_ms_into_beijing_days(source):
    days = source.trading_days(dt.date(2024, 6, 7), JUNE21)

    assert days.dtype == np.dtype("datetime64[D]") and len(days) == 10
    assert days[0] == np.datetime64("2024-06-07") and days[-1] == np.datetime64("2024-06-21")
    assert np.datetime64("2024-06-10") not in days


def test_empty_calendar_over_a_long_range_raises_empty_response(source, replay):
    replay.rec["get_trading_dates"]["SH"] = []

    with pytest.raises(EmptyResponseError, match=r"get_trading_dates"):
        source.trading_days(dt.date(2024, 6, 1), dt.date(2024, 6, 30))


def test_instruments_read_sector_members_and_map_the_legacy_bse_code(source):
    table = source.instruments()
    indexed = table.set_index("symbol")

    assert list(table.columns) == list(INSTRUMENT_COLUMNS)
    assert set(indexed.index) == {"600519.SH", "300750.SZ", "688981.SH", "920047.BJ"}
    assert indexed.loc["920047.BJ", "name"] == "诺思兰德"
    assert indexed.loc["688981.SH", "list_date"] == pd.Timestamp("2020-07-16")
    assert indexed.delist_date.isna().all()


def test_daily_downloads_first_and_converts_lots_to_shares(source, replay):
    bars = source.daily_bars(JUNE17, JUNE21, ["600519.SH", "300750.SZ"])

    assert list(bars.columns) == list(DAILY_COLUMNS)
    names = [c[0] for c in replay.calls]
    assert names.index("download_history_data") < names.index("get_market_data_ex")
    read = next(c for c in replay.calls if c[0] == "get_market_data_ex")
    assert read[2] == {"period": "1d", "dividend_type": "none", "fill_data": False}
    row = bars[(bars.symbol == "600519.SH") & (bars.date == "2024-06-19")].iloc[0]
    assert row.volume == 39870 * 100 and row.amount == pytest.approx(5864533000.0)
    assert row.preclose == 1474.62
    assert bars.date.dt.day.tolist()[:2] == [17, 17]


def test_daily_suspend_flag_rows_are_dropped(source):
    bars = source.daily_bars(JUNE17, JUNE21)

    assert list(bars[bars.symbol == "920047.BJ"].date.dt.day) == [17, 18, 19, 21]
    assert len(bars) == 19


def test_adj_factors_are_the_running_product_of_dr(source):
    factors = source.adj_factors(JUNE17, JUNE21, ["600519.SH", "300750.SZ", "688981.SH"])
    table = factors.pivot(index="date", columns="symbol", values="adj_factor")

    before = 1.012543 * 1.014234
    assert table.loc["2024-06-18", "600519.SH"] == pytest.approx(before)
    assert table.loc["2024-06-19", "600519.SH"] == pytest.approx(before * 1.020941)
    assert table["300750.SZ"].to_numpy() == pytest.approx(1.0265)
    assert (table["688981.SH"] == 1.0).all()


def test_minute_bars_turn_epoch_ms_into_aware_shanghai_times(source):
    bars = source.minute_bars(JUNE17, JUNE17, ["600519.SH"])

    assert list(bars.columns) == list(MINUTE_COLUMNS)
    assert bars.time.iloc[0] == pd.Timestamp("2024-06-17 09:31", tz="Asia/Shanghai")
    assert str(bars.time.dt.tz) == "Asia/Shanghai"
    assert bars.volume.iloc[0] == 98700


def test_none_answer_becomes_source_error_naming_the_call(source, replay):
    replay.answers["get_market_data_ex"] = None

    with pytest.raises(SourceError, match=r"xtdata get_market_data_ex\(.*returned None"):
        source.daily_bars(JUNE17, JUNE21, ["600519.SH"])


def test_no_bars_over_trading_days_raise_empty_response(source):
    with pytest.raises(EmptyResponseError, match=r"get_market_data_ex"):
        source.daily_bars(JUNE17, JUNE21, ["601398.SH"])


def test_unreachable_miniqmt_raises_source_unavailable(source, replay):
    replay.failures["get_trading_dates"] = [Exception("无法连接行情服务！")]

    with pytest.raises(SourceUnavailableError, match=r"MiniQMT is not reachable"):
        source.trading_days(JUNE17, JUNE21)


def test_transient_socket_error_is_retried(source, replay):
    replay.failures["get_trading_dates"] = [ConnectionResetError("reset")]

    assert len(source.trading_days(JUNE17, JUNE21)) == 5


@pytest.fixture
def clean_xtquant(monkeypatch, tmp_path):
    """No xtquant in sys.modules; tmp_path first on sys.path; restored afterwards."""
    for name in ("xtquant", "xtquant.xtdata"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in ("xtquant", "xtquant.xtdata"):
        sys.modules.pop(name, None)
    importlib.invalidate_caches()


def test_missing_xtquant_raises_source_unavailable(clean_xtquant, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "xtquant" else find_spec(name, *args),
    )
    with pytest.raises(SourceUnavailableError, match=r"xtquant is not installed"):
        XtDataSource().trading_days(JUNE17, JUNE21)


def test_xtdata_import_failure_on_linux_raises_source_unavailable(clean_xtquant):
    package = clean_xtquant / "xtquant"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "xtdata.py").write_text(
        "raise ImportError('DLL load failed while importing datacenter')\n"
    )

    with pytest.raises(SourceUnavailableError, match=r"DLL load failed.*Windows-only"):
        XtDataSource().trading_days(JUNE17, JUNE21)
    assert "xtquant" not in sys.modules


def test_import_skips_the_update_check_in_xtquant_init(clean_xtquant):
    package = clean_xtquant / "xtquant"
    package.mkdir()
    (package / "__init__.py").write_text(
        "raise RuntimeError('xtquant/__init__.py ran: update check would hit the network')\n"
    )
    (package / "xtdata.py").write_text(
        "def get_trading_dates(market, start_time='', end_time='', count=-1):\n"
        "    return [1718553600000]\n"
    )

    module = import_xtdata()
    days = XtDataSource().trading_days(JUNE17, JUNE21)

    assert module.__name__ == "xtquant.xtdata"
    assert list(days) == [np.datetime64("2024-06-17")]
