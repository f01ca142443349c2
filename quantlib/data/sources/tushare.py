"""Tushare Pro adapter (``--source tushare``).

Talks to Tushare Pro through the ``tushare`` package's ``DataApi`` (``tushare.pro_api``),
which POSTs ``{"api_name", "token", "params", "fields"}`` to ``<url>/<api_name>`` and turns
``{"code": 0, "data": {"fields": [...], "items": [[...]]}}`` into a DataFrame
(``tushare/pro/client.py``). Vendor facts the conversion relies on:

* dates are ``YYYYMMDD`` strings; codes are already ``600000.SH`` style;
* ``daily`` and ``index_daily``: ``vol`` is in lots of 100 shares and ``amount`` in
  thousands of yuan; ``daily`` returns at most 6000 rows a call, so the whole market is
  fetched one trade date at a time and a symbol list in code/date chunks that stay
  under the cap;
* ``adj_factor`` is the cumulative back-adjustment factor (hfq = price x factor);
* ``namechange`` gives every short name with its ``start_date``/``end_date``; names
  carrying ``*ST`` / ``ST`` become ST intervals;
* a non-zero ``code`` is raised by ``DataApi`` as a bare ``Exception(msg)`` (the code
  itself is dropped), and an HTTP error status yields an empty DataFrame with no
  columns: the adapter retries the latter and rate-limit messages, and reports the
  rest as :class:`~quantlib.core.errors.SourceError` naming the api and parameters.

The token comes from ``token=`` or ``TUSHARE_TOKEN`` and is held as a ``SecretStr``; it
is never logged or described.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from importlib import import_module
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import SecretStr

from quantlib.core.dates import check_range
from quantlib.core.errors import (
    EmptyResponseError,
    SourceError,
    SourceUnavailableError,
    UnknownSymbolError,
)
from quantlib.data.sources.base import (
    DAILY_COLUMNS,
    FACTOR_COLUMNS,
    INSTRUMENT_COLUMNS,
    ST_COLUMNS,
    DataSource,
    RateLimiter,
    call_vendor,
    empty_frame,
    finish_frame,
    library_version,
    require_columns,
    require_rows,
)
from quantlib.market.boards import board_of
from quantlib.market.symbols import (
    SecurityKind,
    Vendor,
    normalize_symbol,
    to_vendor_symbol,
    try_normalize_symbol,
)

log = logging.getLogger(__name__)

DEFAULT_URL = "http://api.waditu.com/dataapi"
#: Rows ``daily`` and ``adj_factor`` return at most per call.
ROW_CAP = 6000
#: Rows ``index_daily`` returns at most per call.
INDEX_ROW_CAP = 8000
#: Page size used with ``limit``/``offset`` for ``namechange``.
NAMECHANGE_PAGE = 5000
#: Benchmarks listed by :meth:`TushareSource.instruments` besides all stocks.
DEFAULT_INDICES = ("000001.SH", "000300.SH", "000905.SH", "000852.SH", "399001.SZ", "399006.SZ")

_SHARES_PER_LOT = 100.0
_YUAN_PER_THOUSAND = 1000.0
_RATE_LIMIT_MARKERS = ("每分钟最多访问", "每小时最多访问", "too many requests")


class _RetryableVendorError(ConnectionError):
    """An answer worth retrying (HTTP error status, rate limit); transient for call_vendor."""


def _ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _days(values: pd.Series) -> pd.Series:
    """``YYYYMMDD`` strings (or None) to naive day timestamps (NaT when missing)."""
    parsed = pd.to_datetime(values.astype("string"), format="%Y%m%d", errors="coerce")
    return parsed.astype("datetime64[ns]")


def _with_symbols(frame: pd.DataFrame, column: str, what: str) -> pd.DataFrame:
    """Replace the vendor code column by canonical ``symbol``; drop unparseable codes."""
    symbols = frame[column].map(try_normalize_symbol)
    bad = symbols.isna()
    if bad.any():
        log.warning(
            "%s: dropped %d rows with unparseable codes %s",
            what,
            int(bad.sum()),
            sorted(set(frame.loc[bad, column].astype(str)))[:5],
        )
    out = frame.loc[~bad].copy()
    out["symbol"] = symbols[~bad].astype(str)
    return out


def is_index(symbol: str) -> bool:
    """Whether a canonical code denotes an index (no listing board) rather than a stock."""
    try:
        board_of(symbol)
    except UnknownSymbolError:
        return True
    return False


def _batches(
    codes: Sequence[str], days: np.ndarray, cap: int, multi_code: bool
) -> Iterator[tuple[list[str], dt.date, dt.date]]:
    """Code lists and date windows whose row count stays within ``cap``."""
    for i in range(0, len(days), cap):
        window = days[i : i + cap]
        per_call = max(1, cap // len(window)) if multi_code else 1
        first, last = window[0].astype(object), window[-1].astype(object)
        for j in range(0, len(codes), per_call):
            yield list(codes[j : j + per_call]), first, last


class TushareSource(DataSource):
    """Market data from Tushare Pro.

    Parameters
    ----------
    token
        Tushare Pro token; defaults to the ``TUSHARE_TOKEN`` environment variable.
    client
        A ``DataApi``-like object with ``query(api_name, fields='', **params)``; by
        default ``tushare.pro_api(token)`` is built on first use.
    http_url
        Endpoint the ``DataApi`` posts to (default Tushare's own).
    timeout
        HTTP timeout in seconds handed to ``pro_api``.
    calls_per_minute
        Client-side rate limit (Tushare's limit depends on the account's points).
    retries, backoff
        Retries on transient errors and the first backoff in seconds (doubled each time).
    indices
        Index codes listed by :meth:`instruments` (via ``index_basic``) besides stocks.
    """

    name: ClassVar[str] = "tushare"
    endpoint: ClassVar[str] = DEFAULT_URL

    def __init__(
        self,
        *,
        token: str | SecretStr | None = None,
        client: Any = None,
        http_url: str | None = None,
        timeout: float = 30.0,
        calls_per_minute: int = 200,
        retries: int = 3,
        backoff: float = 1.0,
        indices: Sequence[str] = DEFAULT_INDICES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        raw = token if token is not None else os.environ.get("TUSHARE_TOKEN")
        self._token: SecretStr | None = (
            raw if isinstance(raw, SecretStr) else SecretStr(raw) if raw else None
        )
        self._client = client
        self._url = http_url or DEFAULT_URL
        self._timeout = timeout
        self._limiter = RateLimiter(calls_per_minute, 60.0)
        self._retries, self._backoff, self._sleep = retries, backoff, sleep
        self._indices = [normalize_symbol(code, SecurityKind.INDEX) for code in indices]

    def __repr__(self) -> str:
        return f"TushareSource(url={self._url!r}, token={'set' if self._token else 'missing'})"

    # -- plumbing ---------------------------------------------------------------------

    def _api(self) -> Any:
        if self._client is not None:
            return self._client
        if self._token is None or not self._token.get_secret_value():
            raise SourceUnavailableError(
                "tushare needs a Pro token: pass token=... or set the TUSHARE_TOKEN "
                "environment variable"
            )
        try:
            tushare = import_module("tushare")
        except ImportError as error:
            raise SourceUnavailableError(
                "the tushare package is not installed; install it with "
                "pip install 'quantlib[vendors]'"
            ) from error
        api = tushare.pro_api(self._token.get_secret_value(), timeout=self._timeout)
        # DataApi keeps its endpoint in the name-mangled class attribute __http_url.
        api._DataApi__http_url = self._url
        self._client = api
        return api

    def _query(self, api_name: str, fields: str, **params: Any) -> pd.DataFrame:
        shown = ", ".join(f"{key}={value!r}" for key, value in params.items())
        what = f"tushare {api_name}({shown})"
        api = self._api()

        def attempt() -> pd.DataFrame:
            try:
                frame = api.query(api_name, fields=fields, **params)
            except OSError:
                raise
            except Exception as error:
                message = str(error)
                if any(marker in message for marker in _RATE_LIMIT_MARKERS):
                    raise _RetryableVendorError(f"rate limited: {message}") from error
                raise SourceError(f"{what} answered an error: {message}") from error
            if not isinstance(frame, pd.DataFrame):
                raise SourceError(f"{what} returned {type(frame).__name__}, not a DataFrame")
            if len(frame.columns) == 0:
                raise _RetryableVendorError("HTTP error status (DataApi returned no columns)")
            return frame

        return call_vendor(
            what,
            attempt,
            retries=self._retries,
            backoff=self._backoff,
            limiter=self._limiter,
            sleep=self._sleep,
        )

    # -- calendar and reference data ------------------------------------------------------

    def trading_days(self, start: dt.date, end: dt.date) -> np.ndarray:
        """Open SSE days in ``[start, end]`` from ``trade_cal``."""
        check_range(start, end)
        what = "tushare trade_cal"
        frame = self._query(
            "trade_cal",
            "exchange,cal_date,is_open",
            exchange="SSE",
            start_date=_ymd(start),
            end_date=_ymd(end),
        )
        require_rows(require_columns(frame, ["cal_date", "is_open"], what), what)
        open_days = frame.loc[pd.to_numeric(frame["is_open"]) == 1, "cal_date"]
        days = _days(open_days).dropna().to_numpy().astype("datetime64[D]")
        return np.unique(days)

    def instruments(self) -> pd.DataFrame:
        """Listed, delisted and suspended-listing stocks plus the configured indices."""
        fields = "ts_code,name,list_date,delist_date,list_status"
        parts = []
        for status in ("L", "D", "P"):
            frame = self._query("stock_basic", fields, exchange="", list_status=status)
            what = f"tushare stock_basic(list_status={status!r})"
            require_columns(frame, ["ts_code", "name", "list_date", "delist_date"], what)
            if status == "L":
                require_rows(frame, what)
            parts.append(frame.assign(kind="stock"))
        for code in self._indices:
            frame = self._query("index_basic", "ts_code,name,list_date,exp_date", ts_code=code)
            require_columns(frame, ["ts_code", "name", "list_date"], "tushare index_basic")
            frame = frame.rename(columns={"exp_date": "delist_date"})
            if "delist_date" not in frame.columns:
                frame["delist_date"] = None
            parts.append(frame.assign(kind="index"))
        table = pd.concat([p for p in parts if len(p)], ignore_index=True)
        stocks = table["kind"] == "stock"
        table["symbol"] = [
            try_normalize_symbol(code, SecurityKind.STOCK if stock else SecurityKind.INDEX)
            for code, stock in zip(table["ts_code"], stocks, strict=True)
        ]
        table = table.dropna(subset=["symbol"])
        out = pd.DataFrame(
            {
                "symbol": table["symbol"].astype(str),
                "name": table["name"].astype(str),
                "kind": table["kind"].astype(str),
                "list_date": _days(table["list_date"]),
                "delist_date": _days(table["delist_date"]),
            }
        )
        out = out.drop_duplicates("symbol", keep="first").sort_values("symbol")
        return out.reset_index(drop=True).loc[:, list(INSTRUMENT_COLUMNS)]

    def st_intervals(self) -> pd.DataFrame:
        """ST / *ST periods reconstructed from ``namechange`` short names."""
        pages, offset = [], 0
        while True:
            page = self._query(
                "namechange",
                "ts_code,name,start_date,end_date,change_reason",
                limit=NAMECHANGE_PAGE,
                offset=offset,
            )
            require_columns(
                page, ["ts_code", "name", "start_date", "end_date"], "tushare namechange"
            )
            pages.append(page)
            if len(page) < NAMECHANGE_PAGE:
                break
            offset += NAMECHANGE_PAGE
            if offset >= NAMECHANGE_PAGE * 200:
                raise SourceError("tushare namechange kept returning full pages; offset ignored?")
        names = pd.concat(pages, ignore_index=True)
        require_rows(names, "tushare namechange")
        names = _with_symbols(names, "ts_code", "tushare namechange")
        label = np.where(
            names["name"].str.contains("*ST", regex=False),
            "*ST",
            np.where(names["name"].str.contains("ST", regex=False), "ST", ""),
        )
        marked = names.assign(
            label=label, start=_days(names["start_date"]), end=_days(names["end_date"])
        )
        marked = marked[(marked["label"] != "") & marked["start"].notna()]
        marked = marked.drop_duplicates(["symbol", "name", "start"])
        rows = merge_intervals(marked)
        if not rows:
            return empty_frame(ST_COLUMNS)
        out = pd.DataFrame(rows, columns=list(ST_COLUMNS))
        out["start"] = out["start"].astype("datetime64[ns]")
        out["end"] = out["end"].astype("datetime64[ns]")
        return out

    # -- bars and factors -------------------------------------------------------------------

    def daily_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Raw daily bars (``daily`` for stocks, ``index_daily`` for indices)."""
        days = self.trading_days(start, end)
        if len(days) == 0:
            return empty_frame(DAILY_COLUMNS)
        fields = "ts_code,trade_date,open,high,low,close,pre_close,vol,amount"
        parts: list[pd.DataFrame] = []
        if symbols is None:
            for day in days.astype(object):
                frame = self._query("daily", fields, trade_date=_ymd(day))
                require_rows(frame, f"tushare daily(trade_date={_ymd(day)!r})")
                parts.append(frame)
            wanted = None
        else:
            wanted = {normalize_symbol(s) for s in symbols}
            stocks = sorted(s for s in wanted if not is_index(s))
            indices = sorted(s for s in wanted if is_index(s))
            vendor_codes = [to_vendor_symbol(s, Vendor.TUSHARE) for s in stocks]
            for codes, first, last in _batches(vendor_codes, days, ROW_CAP, multi_code=True):
                frame = self._query(
                    "daily",
                    fields,
                    ts_code=",".join(codes),
                    start_date=_ymd(first),
                    end_date=_ymd(last),
                )
                if len(frame) >= ROW_CAP:
                    raise SourceError(
                        f"tushare daily returned {len(frame)} rows for {len(codes)} codes "
                        f"{_ymd(first)}..{_ymd(last)}: the per-call cap, data may be cut"
                    )
                parts.append(frame)
            for code in indices:
                for _, first, last in _batches([code], days, INDEX_ROW_CAP, multi_code=False):
                    parts.append(
                        self._query(
                            "index_daily",
                            fields,
                            ts_code=code,
                            start_date=_ymd(first),
                            end_date=_ymd(last),
                        )
                    )
        parts = [p for p in parts if len(p)]
        if not parts:
            raise EmptyResponseError(
                f"tushare daily returned no rows for {start}..{end} "
                f"({len(days)} trading days) and symbols {sorted(wanted or [])}"
            )
        frame = pd.concat(parts, ignore_index=True)
        require_columns(frame, fields.split(","), "tushare daily")
        frame = _with_symbols(frame, "ts_code", "tushare daily")
        if wanted is not None:
            frame = frame[frame["symbol"].isin(wanted)]
        out = pd.DataFrame(
            {
                "date": _days(frame["trade_date"]),
                "symbol": frame["symbol"],
                "open": pd.to_numeric(frame["open"], errors="coerce"),
                "high": pd.to_numeric(frame["high"], errors="coerce"),
                "low": pd.to_numeric(frame["low"], errors="coerce"),
                "close": pd.to_numeric(frame["close"], errors="coerce"),
                "preclose": pd.to_numeric(frame["pre_close"], errors="coerce"),
                "volume": pd.to_numeric(frame["vol"], errors="coerce") * _SHARES_PER_LOT,
                "amount": pd.to_numeric(frame["amount"], errors="coerce") * _YUAN_PER_THOUSAND,
            }
        )
        return finish_frame(out, "date", DAILY_COLUMNS)

    def adj_factors(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Cumulative back-adjustment factors from ``adj_factor`` (stocks only)."""
        days = self.trading_days(start, end)
        if len(days) == 0:
            return empty_frame(FACTOR_COLUMNS)
        fields = "ts_code,trade_date,adj_factor"
        parts: list[pd.DataFrame] = []
        wanted: set[str] | None = None
        if symbols is None:
            for day in days.astype(object):
                frame = self._query("adj_factor", fields, trade_date=_ymd(day))
                require_rows(frame, f"tushare adj_factor(trade_date={_ymd(day)!r})")
                parts.append(frame)
        else:
            wanted = {normalize_symbol(s) for s in symbols}
            stocks = sorted(s for s in wanted if not is_index(s))
            codes = [to_vendor_symbol(s, Vendor.TUSHARE) for s in stocks]
            for chunk, first, last in _batches(codes, days, ROW_CAP, multi_code=False):
                parts.append(
                    self._query(
                        "adj_factor",
                        fields,
                        ts_code=chunk[0],
                        start_date=_ymd(first),
                        end_date=_ymd(last),
                    )
                )
        parts = [p for p in parts if len(p)]
        if not parts:
            if wanted is not None and all(is_index(s) for s in wanted):
                return empty_frame(FACTOR_COLUMNS)
            raise EmptyResponseError(f"tushare adj_factor returned no rows for {start}..{end}")
        frame = pd.concat(parts, ignore_index=True)
        require_columns(frame, fields.split(","), "tushare adj_factor")
        frame = _with_symbols(frame, "ts_code", "tushare adj_factor")
        if wanted is not None:
            frame = frame[frame["symbol"].isin(wanted)]
        out = pd.DataFrame(
            {
                "date": _days(frame["trade_date"]),
                "symbol": frame["symbol"],
                "adj_factor": pd.to_numeric(frame["adj_factor"], errors="coerce"),
            }
        )
        return finish_frame(out.dropna(subset=["adj_factor"]), "date", FACTOR_COLUMNS)

    def describe(self) -> dict[str, Any]:
        """Source name, endpoint and tushare version (the token is never included)."""
        return {
            "source": self.name,
            "endpoint": self._url,
            "library": "tushare",
            "version": library_version("tushare"),
        }


def merge_intervals(marked: pd.DataFrame) -> list[list[Any]]:
    """Join same-label name periods of a symbol that touch or overlap.

    ``marked`` has ``symbol``, ``start``, ``end`` (NaT while current) and ``label``; a
    rename inside the same ST state (``*ST甲`` to ``*ST乙``) is one interval.
    """
    rows: list[list[Any]] = []
    ordered = marked.sort_values(["symbol", "start"])
    for symbol, start, end, label in zip(
        ordered["symbol"], ordered["start"], ordered["end"], ordered["label"], strict=True
    ):
        first = pd.Timestamp(start)
        last = None if pd.isna(end) else pd.Timestamp(end)
        if rows and rows[-1][0] == symbol and rows[-1][3] == label:
            previous = rows[-1][2]
            if previous is None or first <= previous + pd.Timedelta(days=1):
                rows[-1][2] = None if previous is None or last is None else max(previous, last)
                continue
        rows.append([symbol, first, last, label])
    return rows
