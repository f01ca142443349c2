"""JoinQuant JQData adapter (``--source jqdata``) over ``jqdatasdk``.

Vendor facts the conversion relies on (``jqdatasdk/api.py``, v1.9.8):

* codes are MIC style, ``600000.XSHG`` / ``000001.XSHE``; BSE coverage and its suffix
  are unconfirmed, codes are rendered with :func:`to_vendor_symbol` (``.BJ``);
* ``get_price`` defaults to ``fq='pre'`` (forward-adjusted) and ``fill_paused=True``:
  this adapter always asks ``fq=None`` (raw prices), ``skip_paused=False`` and
  ``fill_paused=False`` with the ``paused`` field, and drops paused rows, so a
  suspended day is a missing row; with a list of codes and ``panel=False`` the answer is
  one long frame with extra ``time`` and ``code`` columns;
* ``volume`` is in shares and ``money`` in yuan; ``pre_close`` is the exchange
  reference close;
* factors come from ``get_price(..., fq='post', fields=['factor'])``: under post
  adjustment ``factor`` is the cumulative back-adjustment factor;
* ``get_all_securities`` is indexed by code with ``display_name``, ``name``,
  ``start_date``, ``end_date`` and ``type``; still-listed securities carry the
  sentinel ``end_date`` 2200-01-01, read here as "not delisted".

Credentials come from ``user``/``password`` (or ``token``) or ``JQDATA_USER`` /
``JQDATA_PASSWORD`` / ``JQDATA_TOKEN`` and are held as ``SecretStr``.
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

from quantlib.core.dates import SHANGHAI, check_range
from quantlib.core.errors import (
    EmptyResponseError,
    SourceError,
    SourceUnavailableError,
)
from quantlib.data.sources.base import (
    DAILY_COLUMNS,
    FACTOR_COLUMNS,
    MINUTE_COLUMNS,
    DataSource,
    RateLimiter,
    call_vendor,
    empty_frame,
    finish_frame,
    finish_instruments,
    library_version,
    require_columns,
    require_rows,
)
from quantlib.market.symbols import (
    SecurityKind,
    Vendor,
    to_vendor_symbol,
    try_normalize_symbol,
)

log = logging.getLogger(__name__)

#: JoinQuant's "still listed" end date.
LISTED_END = pd.Timestamp("2200-01-01")
#: No window of this many calendar days passes without an SSE trading day.
LONGEST_CLOSURE_DAYS = 14
_DAILY_FIELDS = ["open", "close", "high", "low", "volume", "money", "pre_close", "paused"]
_MINUTE_FIELDS = ["open", "close", "high", "low", "volume", "money"]
_RETRY_MARKERS = ("请求频率过高", "连接被关闭")


class _RetryableVendorError(ConnectionError):
    """A JQData answer worth retrying (closed connection, request rate)."""


def _secret(value: str | SecretStr | None, env: str) -> SecretStr | None:
    raw = value if value is not None else os.environ.get(env)
    if isinstance(raw, SecretStr):
        return raw if raw.get_secret_value() else None
    return SecretStr(raw) if raw else None


def _show(value: Any) -> str:
    if isinstance(value, list) and len(value) > 3:
        return f"[{', '.join(map(repr, value[:3]))}, ... {len(value)} codes]"
    return repr(value)


class JQDataSource(DataSource):
    """Market data from JoinQuant's JQData.

    Parameters
    ----------
    user, password
        JQData account; default ``JQDATA_USER`` / ``JQDATA_PASSWORD``.
    token
        Alternative to user/password (``auth_by_token``); default ``JQDATA_TOKEN``.
    client
        A module-like object with jqdatasdk's functions; default ``jqdatasdk``.
    calls_per_minute, retries, backoff
        Rate limit, retries on transient errors and the first backoff in seconds.
    codes_per_call
        Securities per ``get_price`` call.
    """

    name: ClassVar[str] = "jqdata"
    endpoint: ClassVar[str] = "jqdatasdk (JoinQuant thrift service)"

    def __init__(
        self,
        *,
        user: str | None = None,
        password: str | SecretStr | None = None,
        token: str | SecretStr | None = None,
        client: Any = None,
        calls_per_minute: int = 300,
        retries: int = 3,
        backoff: float = 1.0,
        codes_per_call: int = 100,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._user = user if user is not None else os.environ.get("JQDATA_USER") or None
        self._password = _secret(password, "JQDATA_PASSWORD")
        self._token = _secret(token, "JQDATA_TOKEN")
        self._client = client
        self._authed = False
        self._limiter = RateLimiter(calls_per_minute, 60.0)
        self._retries, self._backoff, self._sleep = retries, backoff, sleep
        self._codes_per_call = max(1, codes_per_call)

    def __repr__(self) -> str:
        return f"JQDataSource(user={self._user!r})"

    # -- plumbing ---------------------------------------------------------------------

    def _has_credentials(self) -> bool:
        return bool(self._user and self._password) or self._token is not None

    def _jq(self) -> Any:
        if self._client is None:
            if not self._has_credentials():
                raise SourceUnavailableError(
                    "jqdata needs an account: pass user= and password= (or token=), or set "
                    "JQDATA_USER and JQDATA_PASSWORD (or JQDATA_TOKEN)"
                )
            try:
                self._client = import_module("jqdatasdk")
            except ImportError as error:
                raise SourceUnavailableError(
                    "the jqdatasdk package is not installed; install it with "
                    "pip install 'quantlib[vendors]'"
                ) from error
        if not self._authed and self._has_credentials():
            try:
                if self._user and self._password:
                    self._invoke(
                        "auth",
                        self._user,
                        self._password.get_secret_value(),
                        shown=f"user={self._user!r}",
                    )
                elif self._token is not None:
                    self._invoke("auth_by_token", self._token.get_secret_value(), shown="token")
            except SourceError as error:
                raise SourceUnavailableError(f"jqdata login failed: {error}") from error
        self._authed = True
        return self._client

    def _invoke(self, function: str, *args: Any, shown: str = "", **kwargs: Any) -> Any:
        shown = shown or ", ".join(f"{k}={_show(v)}" for k, v in kwargs.items())
        what = f"jqdata {function}({shown})"
        func = getattr(self._client, function)

        def attempt() -> Any:
            try:
                return func(*args, **kwargs)
            except OSError:
                raise
            except Exception as error:
                if any(marker in str(error) for marker in _RETRY_MARKERS):
                    raise _RetryableVendorError(str(error)) from error
                raise SourceError(f"{what} failed: {type(error).__name__}: {error}") from error

        return call_vendor(
            what,
            attempt,
            retries=self._retries,
            backoff=self._backoff,
            limiter=self._limiter,
            sleep=self._sleep,
        )

    def _call(self, function: str, **kwargs: Any) -> Any:
        self._jq()
        return self._invoke(function, **kwargs)

    def _price(self, codes: Sequence[str], what: str, **kwargs: Any) -> pd.DataFrame:
        vendor = [to_vendor_symbol(c, Vendor.JQDATA) for c in codes]
        parts = []
        for i in range(0, len(vendor), self._codes_per_call):
            frame = self._call(
                "get_price", security=vendor[i : i + self._codes_per_call], panel=False, **kwargs
            )
            require_columns(frame, ["time", "code", *kwargs["fields"]], what)
            parts.append(frame)
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if len(frame) == 0:
            return frame
        frame = frame.assign(symbol=frame["code"].map(try_normalize_symbol))
        return frame.dropna(subset=["symbol"])

    # -- calendar and reference data ------------------------------------------------------

    def trading_days(self, start: dt.date, end: dt.date) -> np.ndarray:
        """Trading days from ``get_trade_days``."""
        check_range(start, end)
        days = self._call("get_trade_days", start_date=start, end_date=end)
        out = np.unique(pd.to_datetime(pd.Series(list(days))).to_numpy().astype("datetime64[D]"))
        if len(out) == 0 and (end - start).days >= LONGEST_CLOSURE_DAYS:
            raise EmptyResponseError(f"jqdata get_trade_days returned no days for {start}..{end}")
        return out

    def instruments(self) -> pd.DataFrame:
        """All stocks and indices from ``get_all_securities``."""
        what = "jqdata get_all_securities"
        table = self._call("get_all_securities", types=["stock", "index"], date=None)
        require_rows(
            require_columns(table, ["display_name", "start_date", "end_date", "type"], what), what
        )
        kind = np.where(table["type"].astype(str) == "index", "index", "stock")
        symbols = [
            try_normalize_symbol(code, SecurityKind.INDEX if k == "index" else SecurityKind.STOCK)
            for code, k in zip(table.index, kind, strict=True)
        ]
        end = pd.to_datetime(table["end_date"]).astype("datetime64[ns]")
        out = pd.DataFrame(
            {
                "symbol": symbols,
                "name": table["display_name"].astype(str).to_numpy(),
                "kind": kind,
                "list_date": pd.to_datetime(table["start_date"])
                .astype("datetime64[ns]")
                .to_numpy(),
                "delist_date": end.where(end < LISTED_END).to_numpy(),
            }
        )
        return finish_instruments(out)

    # -- bars and factors -------------------------------------------------------------------

    def daily_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Raw daily bars (``fq=None``); paused days are dropped."""
        days = self.trading_days(start, end)
        codes = self.resolve_symbols(start, end, symbols, stocks_only=True)
        if len(days) == 0 or not codes:
            return empty_frame(DAILY_COLUMNS)
        frame = self._price(
            codes,
            "jqdata get_price",
            start_date=start,
            end_date=end,
            frequency="daily",
            fields=_DAILY_FIELDS,
            skip_paused=False,
            fq=None,
            fill_paused=False,
        )
        if len(frame):
            paused = pd.to_numeric(frame["paused"], errors="coerce").fillna(0) >= 1
            frame = frame[~paused & frame["close"].notna()]
        if len(frame) == 0:
            raise EmptyResponseError(
                f"jqdata get_price returned no bars for {start}..{end} ({len(codes)} codes)"
            )
        out = pd.DataFrame(
            {
                "date": pd.to_datetime(frame["time"]).dt.normalize().astype("datetime64[ns]"),
                "symbol": frame["symbol"].astype(str),
                "open": frame["open"].astype(float),
                "high": frame["high"].astype(float),
                "low": frame["low"].astype(float),
                "close": frame["close"].astype(float),
                "preclose": frame["pre_close"].astype(float),
                "volume": frame["volume"].astype(float),
                "amount": frame["money"].astype(float),
            }
        )
        return finish_frame(out, "date", DAILY_COLUMNS)

    def adj_factors(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Cumulative back-adjustment factors (``fq='post'`` ``factor`` field)."""
        codes = self.resolve_symbols(start, end, symbols, stocks_only=True)
        if not codes:
            return empty_frame(FACTOR_COLUMNS)
        frame = self._price(
            codes,
            "jqdata get_price",
            start_date=start,
            end_date=end,
            frequency="daily",
            fields=["factor"],
            skip_paused=False,
            fq="post",
            fill_paused=True,
        )
        if len(frame) == 0:
            return empty_frame(FACTOR_COLUMNS)
        out = pd.DataFrame(
            {
                "date": pd.to_datetime(frame["time"]).dt.normalize().astype("datetime64[ns]"),
                "symbol": frame["symbol"].astype(str),
                "adj_factor": pd.to_numeric(frame["factor"], errors="coerce"),
            }
        ).dropna(subset=["adj_factor"])
        return finish_frame(out, "date", FACTOR_COLUMNS)

    def minute_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Raw one-minute bars; JoinQuant stamps a bar with its end time."""
        check_range(start, end)
        codes = self.resolve_symbols(start, end, symbols, stocks_only=True)
        if not codes:
            return empty_frame(MINUTE_COLUMNS)
        frame = self._price(
            codes,
            "jqdata get_price",
            start_date=f"{start} 09:00:00",
            end_date=f"{end} 15:30:00",
            frequency="1m",
            fields=_MINUTE_FIELDS,
            skip_paused=True,
            fq=None,
        )
        if len(frame):
            frame = frame[frame["close"].notna()]
        if len(frame) == 0:
            raise EmptyResponseError(
                f"jqdata get_price(frequency='1m') returned no bars for "
                f"{start}..{end} ({len(codes)} codes)"
            )
        times = pd.to_datetime(frame["time"]).dt.tz_localize(SHANGHAI).dt.as_unit("ns")
        out = pd.DataFrame(
            {
                "time": times,
                "symbol": frame["symbol"].astype(str),
                "open": frame["open"].astype(float),
                "high": frame["high"].astype(float),
                "low": frame["low"].astype(float),
                "close": frame["close"].astype(float),
                "volume": frame["volume"].astype(float),
                "amount": frame["money"].astype(float),
            }
        )
        return finish_frame(out, "time", MINUTE_COLUMNS)

    def describe(self) -> dict[str, Any]:
        """Source name, endpoint and jqdatasdk version (credentials are never included)."""
        return {
            "source": self.name,
            "endpoint": self.endpoint,
            "library": "jqdatasdk",
            "version": library_version("jqdatasdk"),
        }
