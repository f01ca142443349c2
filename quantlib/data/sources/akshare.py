"""AkShare adapter (``--source akshare``): exchange lists, Sina calendar, Eastmoney bars.

Vendor facts the conversion relies on (``akshare`` 1.19.5 sources):

* ``tool_trade_date_hist_sina()`` returns one ``trade_date`` column of
  ``datetime.date`` covering the whole history (``tool/trade_date_hist.py``);
* listed stocks come from the exchanges' own lists:
  ``stock_info_sh_name_code('主板A股'|'科创板')`` (证券代码, 证券简称, 上市日期),
  ``stock_info_sz_name_code('A股列表')`` (A股代码, A股简称, A股上市日期) and
  ``stock_info_bj_name_code()`` (证券代码, 证券简称, 上市日期); delisted ones from
  ``stock_info_sh_delist('全部')`` (公司代码, 公司简称, 上市日期, 暂停上市日期) and
  ``stock_info_sz_delist('终止上市公司')`` (证券代码, 证券简称, 上市日期, 终止上市日期);
* ``stock_zh_a_hist(symbol, 'daily', start_date, end_date, adjust)`` (Eastmoney) takes a
  bare code, infers the market from a leading ``6`` (so it serves stocks only, no
  indices) and answers 日期, 股票代码, 开盘, 收盘, 最高, 最低, 成交量 (lots of 100),
  成交额 (yuan), 振幅, 涨跌幅, 涨跌额, 换手率, or an empty ``DataFrame()`` when there are
  no rows; suspended days have no row; there is no ex-rights reference close, so
  ``preclose`` is NaN (``涨跌额`` may be measured against the raw previous close);
* adjustment factors are derived: factor = 收盘(``adjust='hfq'``) / 收盘(``adjust=''``)
  per day. Eastmoney rounds back-adjusted prices to 0.01, so the factor is good to about
  1e-4 relative; it is exact for the close by construction;
* ``stock_zh_a_hist_min_em(symbol, start_date, end_date, period='1', adjust='')``
  serves one-minute bars (时间 as bar-end ``YYYY-MM-DD HH:MM:SS`` Beijing time,
  成交量 in lots, 成交额 yuan) for the latest five trading days only; the 09:30 row
  carries the opening call auction.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from quantlib.core.dates import SHANGHAI, check_range
from quantlib.core.errors import (
    EmptyResponseError,
    MalformedSymbolError,
    SourceError,
    SourceUnavailableError,
    UnknownSymbolError,
)
from quantlib.data.sources.base import (
    DAILY_COLUMNS,
    FACTOR_COLUMNS,
    INSTRUMENT_COLUMNS,
    MINUTE_COLUMNS,
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
from quantlib.market.symbols import Vendor, normalize_symbol, to_vendor_symbol

log = logging.getLogger(__name__)

_SHARES_PER_LOT = 100.0
_HIST_COLUMNS = ["日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额"]
_MINUTE_COLUMNS = ["时间", "开盘", "收盘", "最高", "最低", "成交量", "成交额"]
#: (function, argument, code column, name column, list-date column, delist-date column)
_LISTS: tuple[tuple[str, str | None, str, str, str, str | None], ...] = (
    ("stock_info_sh_name_code", "主板A股", "证券代码", "证券简称", "上市日期", None),
    ("stock_info_sh_name_code", "科创板", "证券代码", "证券简称", "上市日期", None),
    ("stock_info_sz_name_code", "A股列表", "A股代码", "A股简称", "A股上市日期", None),
    ("stock_info_bj_name_code", None, "证券代码", "证券简称", "上市日期", None),
    ("stock_info_sh_delist", "全部", "公司代码", "公司简称", "上市日期", "暂停上市日期"),
    ("stock_info_sz_delist", "终止上市公司", "证券代码", "证券简称", "上市日期", "终止上市日期"),
)


def _stock(code: Any) -> str | None:
    text = str(code).strip()
    try:
        return normalize_symbol(text.zfill(6) if text.isdigit() else text)
    except MalformedSymbolError:
        return None


def _is_index(symbol: str) -> bool:
    try:
        board_of(symbol)
    except UnknownSymbolError:
        return True
    return False


def _days(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype("string"), errors="coerce").astype("datetime64[ns]")


class AkShareSource(DataSource):
    """Market data scraped by AkShare (Sina calendar, exchange lists, Eastmoney bars).

    Parameters
    ----------
    client
        A module-like object with akshare's functions; default ``akshare``.
    calls_per_minute, retries, backoff
        Rate limit (the scraped sites ban aggressive clients), retries on transient
        errors and the first backoff in seconds.
    """

    name: ClassVar[str] = "akshare"
    endpoint: ClassVar[str] = "akshare (Eastmoney / Sina / exchange web pages)"

    def __init__(
        self,
        *,
        client: Any = None,
        calls_per_minute: int = 60,
        retries: int = 3,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._limiter = RateLimiter(calls_per_minute, 60.0)
        self._retries, self._backoff, self._sleep = retries, backoff, sleep

    def __repr__(self) -> str:
        return "AkShareSource()"

    def _ak(self) -> Any:
        if self._client is None:
            try:
                self._client = import_module("akshare")
            except ImportError as error:
                raise SourceUnavailableError(
                    "the akshare package is not installed; install it with "
                    "pip install 'quantlib[vendors]'"
                ) from error
        return self._client

    def _call(self, function: str, *args: Any, **kwargs: Any) -> pd.DataFrame:
        shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
        what = f"akshare {function}({shown})"
        frame = call_vendor(
            what,
            getattr(self._ak(), function),
            *args,
            retries=self._retries,
            backoff=self._backoff,
            limiter=self._limiter,
            sleep=self._sleep,
            **kwargs,
        )
        if not isinstance(frame, pd.DataFrame):
            raise SourceError(f"{what} returned {type(frame).__name__}, not a DataFrame")
        return frame

    def _codes(self, start: dt.date, end: dt.date, symbols: Sequence[str] | None) -> list[str]:
        codes = self.resolve_symbols(start, end, symbols)
        indices = [c for c in codes if _is_index(c)]
        if indices:
            raise SourceError(f"akshare stock_zh_a_hist serves stocks only, not indices {indices}")
        return codes

    def _hist(self, symbol: str, start: dt.date, end: dt.date, adjust: str) -> pd.DataFrame:
        frame = self._call(
            "stock_zh_a_hist",
            symbol=to_vendor_symbol(symbol, Vendor.AKSHARE),
            period="daily",
            start_date=start.strftime("%Y%m%d"),
            end_date=end.strftime("%Y%m%d"),
            adjust=adjust,
        )
        if len(frame) == 0:
            return frame
        require_columns(frame, _HIST_COLUMNS, "akshare stock_zh_a_hist")
        return frame.assign(symbol=symbol, date=_days(frame["日期"]))

    # -- calendar and reference data ------------------------------------------------------

    def trading_days(self, start: dt.date, end: dt.date) -> np.ndarray:
        """Trading days in ``[start, end]`` from Sina's full history."""
        check_range(start, end)
        what = "akshare tool_trade_date_hist_sina()"
        frame = require_rows(self._call("tool_trade_date_hist_sina"), what)
        days = _days(require_columns(frame, ["trade_date"], what)["trade_date"]).dropna()
        days = days[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))]
        return np.unique(days.to_numpy().astype("datetime64[D]"))

    def instruments(self) -> pd.DataFrame:
        """Listed SH/STAR/SZ/BJ stocks from the exchange lists plus delisted ones."""
        parts = []
        for function, argument, code, name, listed, delisted in _LISTS:
            what = f"akshare {function}({argument!r})"
            frame = self._call(function, *([argument] if argument else []))
            if len(frame) == 0 and delisted is not None:
                continue
            columns = [code, name, listed, *([delisted] if delisted else [])]
            require_rows(require_columns(frame, columns, what), what)
            parts.append(
                pd.DataFrame(
                    {
                        "symbol": frame[code].map(_stock),
                        "name": frame[name].astype(str),
                        "kind": "stock",
                        "list_date": _days(frame[listed]),
                        "delist_date": _days(frame[delisted]) if delisted else pd.NaT,
                    }
                )
            )
        table = pd.concat(parts, ignore_index=True).dropna(subset=["symbol"])
        table["delist_date"] = table["delist_date"].astype("datetime64[ns]")
        table = table.drop_duplicates("symbol", keep="first").sort_values("symbol")
        return table.reset_index(drop=True).loc[:, list(INSTRUMENT_COLUMNS)]

    # -- bars and factors -------------------------------------------------------------------

    def daily_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Raw daily bars from ``stock_zh_a_hist(adjust='')``, one call per stock."""
        check_range(start, end)
        codes = self._codes(start, end, symbols)
        parts = [p for p in (self._hist(c, start, end, "") for c in codes) if len(p)]
        if not parts:
            if len(self.trading_days(start, end)) == 0:
                return empty_frame(DAILY_COLUMNS)
            raise EmptyResponseError(
                f"akshare stock_zh_a_hist returned no bars for {start}..{end} ({len(codes)} codes)"
            )
        frame = pd.concat(parts, ignore_index=True)
        out = pd.DataFrame(
            {
                "date": frame["date"],
                "symbol": frame["symbol"].astype(str),
                "open": frame["开盘"].astype(float),
                "high": frame["最高"].astype(float),
                "low": frame["最低"].astype(float),
                "close": frame["收盘"].astype(float),
                "preclose": np.nan,
                "volume": frame["成交量"].astype(float) * _SHARES_PER_LOT,
                "amount": frame["成交额"].astype(float),
            }
        )
        return finish_frame(out.dropna(subset=["date"]), "date", DAILY_COLUMNS)

    def adj_factors(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Back factors derived as back-adjusted close / raw close (two calls per stock)."""
        check_range(start, end)
        parts = []
        for code in self._codes(start, end, symbols):
            raw = self._hist(code, start, end, "")
            if len(raw) == 0:
                continue
            back = self._hist(code, start, end, "hfq")
            if len(back) == 0:
                raise EmptyResponseError(
                    f"akshare stock_zh_a_hist(symbol="
                    f"{to_vendor_symbol(code, Vendor.AKSHARE)!r}, "
                    f"adjust='hfq') returned no rows but raw bars exist"
                )
            both = raw[["date", "收盘"]].merge(
                back[["date", "收盘"]], on="date", suffixes=("_raw", "_hfq")
            )
            parts.append(
                pd.DataFrame(
                    {
                        "date": both["date"],
                        "symbol": code,
                        "adj_factor": both["收盘_hfq"].astype(float)
                        / both["收盘_raw"].astype(float),
                    }
                )
            )
        if not parts:
            return empty_frame(FACTOR_COLUMNS)
        out = pd.concat(parts, ignore_index=True)
        out = out[np.isfinite(out["adj_factor"]) & (out["adj_factor"] > 0)]
        return finish_frame(out, "date", FACTOR_COLUMNS)

    def minute_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """One-minute bars from Eastmoney (the latest five trading days only)."""
        check_range(start, end)
        parts = []
        for code in self._codes(start, end, symbols):
            frame = self._call(
                "stock_zh_a_hist_min_em",
                symbol=to_vendor_symbol(code, Vendor.AKSHARE),
                start_date=f"{start} 09:00:00",
                end_date=f"{end} 15:30:00",
                period="1",
                adjust="",
            )
            if len(frame):
                require_columns(frame, _MINUTE_COLUMNS, "akshare stock_zh_a_hist_min_em")
                parts.append(frame.assign(symbol=code))
        if not parts:
            raise EmptyResponseError(
                f"akshare stock_zh_a_hist_min_em returned no bars for {start}..{end}; "
                "Eastmoney serves one-minute bars for the latest five trading days only"
            )
        frame = pd.concat(parts, ignore_index=True)
        times = pd.to_datetime(frame["时间"]).dt.tz_localize(SHANGHAI).dt.as_unit("ns")
        out = pd.DataFrame(
            {
                "time": times,
                "symbol": frame["symbol"].astype(str),
                "open": frame["开盘"].astype(float),
                "high": frame["最高"].astype(float),
                "low": frame["最低"].astype(float),
                "close": frame["收盘"].astype(float),
                "volume": frame["成交量"].astype(float) * _SHARES_PER_LOT,
                "amount": frame["成交额"].astype(float),
            }
        )
        return finish_frame(out, "time", MINUTE_COLUMNS)

    def describe(self) -> dict[str, Any]:
        """Source name, endpoint and akshare version."""
        version = library_version("akshare")
        return {
            "source": self.name,
            "endpoint": self.endpoint,
            "library": "akshare",
            "version": version,
        }
