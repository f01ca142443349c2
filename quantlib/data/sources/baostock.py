"""BaoStock adapter (``--source baostock``).

BaoStock answers every query with a ``baostock.data.resultset.ResultData``: ``error_code``
(``"0"`` on success), ``error_msg``, ``fields`` and rows read with ``next()`` /
``get_row_data()`` (``next()`` fetches the next 2000-row page over the same socket).
Every value is a string, ``""`` when missing. Vendor facts the conversion relies on
(``baostock`` 0.9.4 sources):

* the client reports network failures as error codes ``10002nnn`` rather than raising
  (``util/socketutil.send_msg`` swallows socket errors); the adapter logs in again and
  retries those, and ``10001001`` (not logged in);
* codes are ``sh.600000`` / ``sz.000001``; BSE coverage is unconfirmed;
* daily k-data with ``adjustflag='3'`` is unadjusted; ``volume`` is in shares,
  ``amount`` in yuan, ``preclose`` the exchange reference close; ``tradestatus`` ``"0"``
  marks a suspended day, which this adapter drops (a missing row);
* ``query_adjust_factor`` lists ``foreAdjustFactor`` / ``backAdjustFactor`` /
  ``adjustFactor`` per ``dividOperateDate`` (its ``start_date`` filters that date and
  defaults to 2015-01-01); the cumulative back factor of a day is the
  ``backAdjustFactor`` of the latest ex-date on or before it, 1 before the first;
* ``ResultData.get_data`` concatenates pages with ``DataFrame.append``, which pandas 2
  removed, so rows are read with ``next()``/``get_row_data()``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Sequence
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
)
from quantlib.data.sources.base import (
    DAILY_COLUMNS,
    FACTOR_COLUMNS,
    DataSource,
    RateLimiter,
    call_vendor,
    empty_frame,
    finish_instruments,
    library_version,
    require_rows,
)
from quantlib.market.symbols import (
    SecurityKind,
    Vendor,
    to_vendor_symbol,
    try_normalize_symbol,
)

log = logging.getLogger(__name__)

DAILY_FIELDS = "date,code,open,high,low,close,preclose,volume,amount,tradestatus"
#: Earliest date asked of ``query_adjust_factor`` (its own default is 2015-01-01).
FACTOR_HISTORY_START = "1990-01-01"
_KINDS = {"1": "stock", "2": "index"}
_NOT_LOGGED_IN = "10001001"
_NETWORK_PREFIX = "10002"
_BAD_LOGIN = {"10001002", "10001005", "10001007", "10001008", "10001009", "10001011"}


class _RetryableVendorError(ConnectionError):
    """A BaoStock network or session error code; retried after logging in again."""


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.replace("", np.nan), errors="coerce").astype(float)


def _dates(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values.replace("", None), format="%Y-%m-%d", errors="coerce")
    return parsed.astype("datetime64[ns]")


class BaoStockSource(DataSource):
    """Market data from BaoStock (free, anonymous login by default).

    Parameters
    ----------
    user, password
        BaoStock login; default ``BAOSTOCK_USER`` / ``BAOSTOCK_PASSWORD``, else the
        library's public ``anonymous`` / ``123456``.
    client
        A module-like object with baostock's functions; default ``baostock``.
    calls_per_minute, retries, backoff
        Rate limit, retries on transient errors and the first backoff in seconds.
    """

    name: ClassVar[str] = "baostock"
    endpoint: ClassVar[str] = "baostock socket service (public-api.baostock.com)"

    def __init__(
        self,
        *,
        user: str | None = None,
        password: str | SecretStr | None = None,
        client: Any = None,
        calls_per_minute: int = 600,
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._user = user or os.environ.get("BAOSTOCK_USER") or "anonymous"
        raw = password if password is not None else os.environ.get("BAOSTOCK_PASSWORD")
        self._password = raw if isinstance(raw, SecretStr) else SecretStr(raw or "123456")
        self._client = client
        self._logged_in = False
        self._limiter = RateLimiter(calls_per_minute, 60.0)
        self._retries, self._backoff, self._sleep = retries, backoff, sleep

    def __repr__(self) -> str:
        return f"BaoStockSource(user={self._user!r})"

    # -- plumbing ---------------------------------------------------------------------

    def _bs(self) -> Any:
        if self._client is None:
            try:
                self._client = import_module("baostock")
            except ImportError as error:
                raise SourceUnavailableError(
                    "the baostock package is not installed; install it with "
                    "pip install 'quantlib[vendors]'"
                ) from error
        return self._client

    def _login(self) -> None:
        if self._logged_in:
            return
        result = self._bs().login(user_id=self._user, password=self._password.get_secret_value())
        code = str(getattr(result, "error_code", ""))
        if code.startswith(_NETWORK_PREFIX):
            raise _RetryableVendorError(f"login: {code} {result.error_msg}")
        if code != "0":
            message = f"baostock login as {self._user!r} failed: {code} {result.error_msg}"
            if code in _BAD_LOGIN:
                raise SourceUnavailableError(message)
            raise SourceError(message)
        self._logged_in = True

    def _query(self, function: str, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """Run a query, drain its pages and return the rows as a string frame."""
        shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
        what = f"baostock {function}({shown})"
        self._bs()

        def attempt() -> pd.DataFrame:
            self._login()
            result = getattr(self._client, function)(*args, **kwargs)
            if result is None:
                raise SourceError(f"{what} returned None (rejected arguments)")
            rows: list[list[str]] = []
            while True:
                code = str(result.error_code)
                if code.startswith(_NETWORK_PREFIX) or code == _NOT_LOGGED_IN:
                    self._logged_in = False
                    raise _RetryableVendorError(f"{code} {result.error_msg}")
                if code != "0":
                    raise SourceError(f"{what} answered error {code}: {result.error_msg}")
                if not result.next():
                    if str(result.error_code) != "0":
                        continue
                    break
                rows.append(result.get_row_data())
            return pd.DataFrame(rows, columns=list(result.fields) or None, dtype=object)

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
        """Trading days from ``query_trade_dates`` (every calendar day, flagged)."""
        check_range(start, end)
        frame = self._query("query_trade_dates", start_date=_iso(start), end_date=_iso(end))
        require_rows(frame, f"baostock query_trade_dates({_iso(start)}, {_iso(end)})")
        open_days = frame.loc[frame["is_trading_day"] == "1", "calendar_date"]
        return np.unique(_dates(open_days).dropna().to_numpy().astype("datetime64[D]"))

    def instruments(self) -> pd.DataFrame:
        """Stocks and indices from ``query_stock_basic`` (listed and delisted)."""
        frame = require_rows(self._query("query_stock_basic"), "baostock query_stock_basic")
        frame = frame[frame["type"].isin(list(_KINDS))]
        kinds = frame["type"].map(_KINDS)
        symbols = [
            try_normalize_symbol(
                code, SecurityKind.INDEX if kind == "index" else SecurityKind.STOCK
            )
            for code, kind in zip(frame["code"], kinds, strict=True)
        ]
        out = pd.DataFrame(
            {
                "symbol": symbols,
                "name": frame["code_name"].astype(str).to_numpy(),
                "kind": kinds.to_numpy(),
                "list_date": _dates(frame["ipoDate"]).to_numpy(),
                "delist_date": _dates(frame["outDate"]).to_numpy(),
            }
        )
        return finish_instruments(out)

    # -- bars and factors -------------------------------------------------------------------

    def daily_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Unadjusted daily k-data, one query per code; suspended days dropped."""
        days = self.trading_days(start, end)
        codes = self.resolve_symbols(start, end, symbols, stocks_only=True)
        if len(days) == 0 or not codes:
            return empty_frame(DAILY_COLUMNS)
        parts = []
        for symbol in codes:
            frame = self._query(
                "query_history_k_data_plus",
                to_vendor_symbol(symbol, Vendor.BAOSTOCK),
                DAILY_FIELDS,
                start_date=_iso(start),
                end_date=_iso(end),
                frequency="d",
                adjustflag="3",
            )
            if len(frame):
                parts.append(frame[frame["tradestatus"] != "0"].assign(symbol=symbol))
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if len(frame) == 0:
            raise EmptyResponseError(
                f"baostock query_history_k_data_plus returned no bars for "
                f"{start}..{end} ({len(codes)} codes)"
            )
        out = pd.DataFrame(
            {
                "date": _dates(frame["date"]),
                "symbol": frame["symbol"].astype(str),
                "open": _numbers(frame["open"]),
                "high": _numbers(frame["high"]),
                "low": _numbers(frame["low"]),
                "close": _numbers(frame["close"]),
                "preclose": _numbers(frame["preclose"]),
                "volume": _numbers(frame["volume"]),
                "amount": _numbers(frame["amount"]),
            }
        )
        out = out.dropna(subset=["date", "close"]).drop_duplicates(["date", "symbol"])
        return out.sort_values(["date", "symbol"]).reset_index(drop=True)

    def adj_factors(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Cumulative back factors on every trading day of the range (as of ex-dates)."""
        days = self.trading_days(start, end)
        codes = self.resolve_symbols(start, end, symbols, stocks_only=True)
        if len(days) == 0 or not codes:
            return empty_frame(FACTOR_COLUMNS)
        grid = pd.DatetimeIndex(days.astype("datetime64[ns]"))
        parts = []
        for symbol in codes:
            events = self._query(
                "query_adjust_factor",
                to_vendor_symbol(symbol, Vendor.BAOSTOCK),
                start_date=FACTOR_HISTORY_START,
                end_date=_iso(end),
            )
            factor = pd.Series(1.0, index=grid)
            if len(events):
                steps = (
                    pd.Series(
                        _numbers(events["backAdjustFactor"]).to_numpy(),
                        index=_dates(events["dividOperateDate"]),
                    )
                    .dropna()
                    .sort_index()
                )
                steps = steps[~steps.index.duplicated(keep="last")]
                as_of = steps.reindex(steps.index.union(grid)).ffill().reindex(grid)
                factor = as_of.fillna(1.0)
            parts.append(
                pd.DataFrame({"date": grid, "symbol": symbol, "adj_factor": factor.to_numpy()})
            )
        out = pd.concat(parts, ignore_index=True)
        out["date"] = out["date"].astype("datetime64[ns]")
        return out.sort_values(["date", "symbol"]).reset_index(drop=True)

    def describe(self) -> dict[str, Any]:
        """Source name, endpoint and baostock version (the password is never included)."""
        version = library_version("baostock")
        return {
            "source": self.name,
            "endpoint": self.endpoint,
            "library": "baostock",
            "version": version,
            "user": self._user,
        }
