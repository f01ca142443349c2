"""TushareSource through the real ``tushare`` DataApi against a local replay server.

The server answers the JSON the Tushare Pro HTTP API answers (``{"code", "msg", "data":
{"fields", "items"}}``), replaying recorded bodies keyed by api_name, params and fields,
so every request goes through ``tushare.pro.client.DataApi.query`` and ``requests``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantlib.core.errors import EmptyResponseError, SourceError, SourceUnavailableError
from quantlib.data.sources import create_source
from quantlib.data.sources.base import DAILY_COLUMNS, FACTOR_COLUMNS, INSTRUMENT_COLUMNS
from quantlib.data.sources.tushare import TushareSource

TOKEN = "0123456789abcdef-test-token"
JUNE17, JUNE21 = dt.date(2024, 6, 17), dt.date(2024, 6, 21)


class ReplayServer:
    """A Tushare Pro look-alike on 127.0.0.1 serving recorded responses."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.requests: list[dict[str, Any]] = []
        self.failures: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, **body})
                status, answer = server.answer(self.path, body)
                payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/dataapi"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.failures:
            kind = self.failures.pop(0)
            if kind == "http503":
                return 503, {"message": "Service Unavailable"}
            if kind == "ratelimit":
                return 200, {
                    "code": 40203,
                    "msg": "抱歉，您每分钟最多访问该接口500次",
                    "data": None,
                }
        if body["token"] != TOKEN:
            return 200, {"code": 40101, "msg": "抱歉，您的token不对，请确认。", "data": None}
        params = {k: v for k, v in body["params"].items() if k != "ts_type_name"}
        assert path == f"/dataapi/{body['api_name']}"
        for record in self.records:
            if (record["api_name"], record["params"], record["fields"]) == (
                body["api_name"],
                params,
                body["fields"],
            ):
                return 200, record["response"]
        return 200, {"code": -2001, "msg": f"no recording for {body['api_name']} {params}"}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(recorded, monkeypatch) -> Iterator[ReplayServer]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    replay = ReplayServer(recorded("tushare", "responses.json"))
    yield replay
    replay.close()


@pytest.fixture
def source(server, no_sleep) -> TushareSource:
    return TushareSource(
        token=TOKEN, http_url=server.url, indices=["000300.SH"], backoff=0.0, sleep=no_sleep
    )


def test_trading_days_keep_open_days_and_skip_the_dragon_boat_holiday(source):
    days = source.trading_days(dt.date(2024, 6, 7), JUNE21)

    assert days.dtype == np.dtype("datetime64[D]")
    assert len(days) == 10
    assert np.datetime64("2024-06-10") not in days
    assert list(days[:2]) == [np.datetime64("2024-06-07"), np.datetime64("2024-06-11")]
    assert (np.diff(days) > np.timedelta64(0, "D")).all()


def test_trading_days_over_a_weekend_are_empty_not_an_error(source):
    assert len(source.trading_days(dt.date(2024, 6, 15), dt.date(2024, 6, 16))) == 0


def test_requests_carry_the_token_api_name_and_yyyymmdd_params(source, server):
    source.trading_days(JUNE17, JUNE21)

    sent = server.requests[-1]
    assert sent["token"] == TOKEN and sent["api_name"] == "trade_cal"
    assert sent["params"]["start_date"] == "20240617" and sent["params"]["exchange"] == "SSE"


def test_instruments_map_boards_delisted_index_and_legacy_bse_code(source):
    table = source.instruments().set_index("symbol")

    assert list(source.instruments().columns) == list(INSTRUMENT_COLUMNS)
    assert {"600519.SH", "300750.SZ", "688981.SH", "920047.BJ", "000300.SH"} <= set(table.index)
    assert "430047.BJ" not in table.index
    assert table.loc["920047.BJ", "name"] == "诺思兰德"
    assert table.loc["000300.SH", "kind"] == "index"
    assert table.loc["688981.SH", "kind"] == "stock"
    assert table.loc["688981.SH", "list_date"] == pd.Timestamp("2020-07-16")
    assert pd.isna(table.loc["600519.SH", "delist_date"])
    assert table.loc["600087.SH", "delist_date"] == pd.Timestamp("2014-06-05")


def test_st_intervals_merge_renames_within_a_label_and_drop_duplicate_rows(source):
    st = source.st_intervals()
    rows = {(r.symbol, r.label): (r.start, r.end) for r in st.itertuples()}

    assert len(st) == 4
    assert rows[("000691.SZ", "*ST")] == (pd.Timestamp("2017-05-04"), pd.Timestamp("2018-05-09"))
    assert rows[("000691.SZ", "ST")] == (pd.Timestamp("2018-05-10"), pd.Timestamp("2019-05-08"))
    assert rows[("600145.SH", "*ST")] == (pd.Timestamp("2016-05-03"), pd.Timestamp("2018-07-20"))
    start, end = rows[("600766.SH", "*ST")]
    assert start == pd.Timestamp("2023-05-05") and pd.isna(end)


def test_daily_converts_lots_and_thousands_to_shares_and_yuan(source):
    bars = source.daily_bars(JUNE17, JUNE21)

    assert list(bars.columns) == list(DAILY_COLUMNS)
    row = bars[(bars.symbol == "600519.SH") & (bars.date == "2024-06-17")].iloc[0]
    assert row.volume == 31245 * 100
    assert row.amount == pytest.approx(4716820.5 * 1000)
    assert (row.open, row.high, row.low, row.close, row.preclose) == (
        1521.0,
        1528.88,
        1502.0,
        1510.0,
        1522.0,
    )


def test_daily_ex_dividend_day_keeps_the_exchange_reference_preclose(source):
    bars = source.daily_bars(JUNE17, JUNE21).set_index(["symbol", "date"])

    assert bars.loc[("600519.SH", pd.Timestamp("2024-06-19")), "preclose"] == 1474.62
    assert bars.loc[("600519.SH", pd.Timestamp("2024-06-18")), "close"] == 1505.50


def test_daily_suspended_day_is_a_missing_row_and_legacy_bse_code_is_mapped(source):
    bars = source.daily_bars(JUNE17, JUNE21)
    bse = bars[bars.symbol == "920047.BJ"]

    assert len(bars) == 19
    assert list(bse.date.dt.day) == [17, 18, 19, 21]
    assert bars.date.is_monotonic_increasing


def test_daily_for_symbols_chunks_codes_and_uses_index_daily_for_indices(source, server):
    bars = source.daily_bars(JUNE17, JUNE21, ["600519.SH", "300750.SZ", "688981", "000300.SH"])

    assert len(bars) == 20
    index = bars[bars.symbol == "000300.SH"].set_index("date")
    assert index.loc["2024-06-21", "volume"] == 123456789 * 100
    assert index.loc["2024-06-21", "amount"] == pytest.approx(215432109.8 * 1000)
    daily_calls = [r for r in server.requests if r["api_name"] == "daily"]
    assert [c["params"]["ts_code"] for c in daily_calls] == ["300750.SZ,600519.SH,688981.SH"]


def test_adj_factors_step_on_the_ex_dividend_date(source):
    factors = source.adj_factors(JUNE17, JUNE21)
    moutai = factors[factors.symbol == "600519.SH"].set_index("date")["adj_factor"]

    assert list(factors.columns) == list(FACTOR_COLUMNS)
    assert moutai.loc["2024-06-18"] == 8.4076
    assert moutai.loc["2024-06-19"] == 8.5837
    assert set(factors.symbol) == {"600519.SH", "300750.SZ", "688981.SH", "920047.BJ"}


def test_adj_factors_for_symbols_query_per_code(source):
    factors = source.adj_factors(JUNE17, JUNE21, ["600519.SH"])

    assert len(factors) == 5
    assert factors.adj_factor.iloc[-1] == 8.5837


def test_permission_error_becomes_source_error_naming_the_api_and_params(source):
    with pytest.raises(SourceError, match=r"tushare daily\(ts_code='000001.SZ'.*权限"):
        source.daily_bars(JUNE17, JUNE21, ["000001.SZ"])


def test_empty_items_where_rows_are_required_raise_empty_response(source):
    with pytest.raises(EmptyResponseError, match=r"601398.SH"):
        source.daily_bars(JUNE17, JUNE21, ["601398.SH"])


def test_http_error_status_is_retried_then_the_answer_is_used(source, server):
    server.failures[:] = ["http503", "http503"]

    days = source.trading_days(JUNE17, JUNE21)

    assert len(days) == 5
    assert len(server.requests) == 3


def test_rate_limit_message_is_retried(source, server):
    server.failures[:] = ["ratelimit"]

    assert len(source.trading_days(JUNE17, JUNE21)) == 5


def test_persistent_http_errors_end_in_source_error_after_the_retries(source, server):
    server.failures[:] = ["http503"] * 4

    with pytest.raises(SourceError, match=r"tushare trade_cal\(.*after 3 retries"):
        source.trading_days(JUNE17, JUNE21)


def test_wrong_token_answer_names_the_call(server, no_sleep):
    source = TushareSource(token="wrong", http_url=server.url, backoff=0.0, sleep=no_sleep)

    with pytest.raises(SourceError, match=r"tushare trade_cal.*token"):
        source.trading_days(JUNE17, JUNE21)


def test_missing_token_raises_source_unavailable_with_the_env_var_name(monkeypatch):
    monkeypatch.delenv("TUSHARE_TOKEN", raising=False)

    with pytest.raises(SourceUnavailableError, match=r"TUSHARE_TOKEN"):
        TushareSource().trading_days(JUNE17, JUNE21)


def test_token_is_read_from_the_environment(server, monkeypatch, no_sleep):
    monkeypatch.setenv("TUSHARE_TOKEN", TOKEN)

    source = TushareSource(http_url=server.url, backoff=0.0, sleep=no_sleep)

    assert len(source.trading_days(JUNE17, JUNE21)) == 5


def test_missing_library_raises_source_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "tushare", None)

    with pytest.raises(SourceUnavailableError, match=r"tushare package is not installed"):
        TushareSource(token=TOKEN).trading_days(JUNE17, JUNE21)


def test_token_never_appears_in_repr_describe_or_logs(source, server, caplog):
    server.failures[:] = ["http503"] * 4
    with caplog.at_level(logging.DEBUG), pytest.raises(SourceError) as error:
        source.trading_days(JUNE17, JUNE21)

    info = source.describe()
    assert info["source"] == "tushare" and info["endpoint"] == server.url
    assert info["version"]
    for text in (repr(source), str(info), caplog.text, str(error.value)):
        assert TOKEN not in text


def test_registry_creates_the_tushare_source(server):
    assert isinstance(create_source("tushare", token=TOKEN, http_url=server.url), TushareSource)
