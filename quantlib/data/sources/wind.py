"""Wind adapter (``--source wind``) over WindPy, the Wind terminal's Python API.

WindPy is installed by the Wind Financial Terminal (Windows; not on PyPI), so it is
imported lazily (``from WindPy import w``) and an injected ``client`` with the same
methods is accepted. Every call answers a ``WindData`` object: ``ErrorCode`` (0 on
success; otherwise ``Data`` holds the message), ``Codes``, ``Fields`` (upper case),
``Times`` and ``Data`` (a list of columns). Calls used here, per WindPy's documented
API:

* ``w.start()`` / ``w.isconnected()``: session with the terminal;
* ``w.tdays(begin, end, "")``: SSE trading days in ``Data[0]``;
* ``w.wset("sectorconstituent", "date=...;sectorid=...")``: ``date``, ``wind_code``,
  ``sec_name`` of a sector's current members (default all A-shares,
  ``a001010100000000``), so delisted stocks are absent;
* ``w.wss(codes, "sec_name,ipo_date,delist_date")``: one value per code and field;
  Wind renders an empty date as 1899-12-30;
* ``w.wsd(code, "open,high,low,close,pre_close,volume,amt,trade_status", b, e, "")``:
  one code with many fields (``Data[i]`` is field ``i`` over ``Times``); ``volume`` in
  shares, ``amt`` in yuan, ``pre_close`` the exchange reference close, ``trade_status``
  ``停牌一天`` on a suspended day (dropped here);
* ``w.wsd("a,b,...", "adjfactor", b, e, "")``: many codes with one field (``Data[j]`` is
  code ``j``); ``adjfactor`` is the cumulative back-adjustment factor.

``ErrorCode`` -40520007 ("no data") is read as an empty answer; any other non-zero code
becomes :class:`~quantlib.core.errors.SourceError` naming the call.
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
)
from quantlib.market.symbols import Vendor, to_vendor_symbol, try_normalize_symbol

log = logging.getLogger(__name__)

ALL_A_SHARES = "a001010100000000"
NO_DATA = -40520007
#: No window of this many calendar days passes without an SSE trading day.
LONGEST_CLOSURE_DAYS = 14
_BAR_FIELDS = "open,high,low,close,pre_close,volume,amt,trade_status"
_WIND_NULL_DATE = pd.Timestamp("1899-12-30")


def _ymd(day: dt.date) -> str:
    return day.isoformat()


def _dates(values: Sequence[Any]) -> pd.Series:
    parsed = pd.to_datetime(pd.Series(list(values), dtype=object), errors="coerce")
    parsed = parsed.astype("datetime64[ns]").dt.normalize()
    return parsed.where(parsed > _WIND_NULL_DATE)


class WindSource(DataSource):
    """Market data from a Wind terminal session through WindPy.

    Parameters
    ----------
    client
        WindPy's ``w`` object or one with the same methods; default ``WindPy.w``.
    sector_id
        Wind sector listed by :meth:`instruments` (default all A-shares).
    codes_per_call, calls_per_minute, retries, backoff
        Codes per multi-code ``wsd``/``wss`` call, rate limit, retries on transient
        errors and the first backoff in seconds.
    """

    name: ClassVar[str] = "wind"
    endpoint: ClassVar[str] = "Wind terminal via WindPy"

    def __init__(
        self,
        *,
        client: Any = None,
        sector_id: str = ALL_A_SHARES,
        codes_per_call: int = 100,
        calls_per_minute: int = 600,
        retries: int = 2,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._started = False
        self._sector_id = sector_id
        self._codes_per_call = max(1, codes_per_call)
        self._limiter = RateLimiter(calls_per_minute, 60.0)
        self._retries, self._backoff, self._sleep = retries, backoff, sleep

    def __repr__(self) -> str:
        return f"WindSource(sector_id={self._sector_id!r})"

    # -- plumbing ---------------------------------------------------------------------

    def _w(self) -> Any:
        if self._client is None:
            try:
                self._client = import_module("WindPy").w
            except (ImportError, AttributeError) as error:
                raise SourceUnavailableError(
                    "WindPy is not available: it is installed by the Wind Financial Terminal "
                    "(Windows, licensed), not from PyPI"
                ) from error
        if not self._started:
            if not self._client.isconnected():
                result = self._client.start()
                code = getattr(result, "ErrorCode", 0)
                if code != 0:
                    raise SourceUnavailableError(
                        f"Wind w.start() failed with ErrorCode {code}: {_message(result)}; "
                        "is the terminal running and logged in?"
                    )
            self._started = True
        return self._client

    def _call(self, function: str, *args: Any) -> Any:
        what = f"wind {function}({', '.join(map(_show, args))})"
        client = self._w()
        result = call_vendor(
            what,
            getattr(client, function),
            *args,
            retries=self._retries,
            backoff=self._backoff,
            limiter=self._limiter,
            sleep=self._sleep,
        )
        code = getattr(result, "ErrorCode", None)
        if code is None:
            raise SourceError(f"{what} returned {type(result).__name__}, not WindData")
        if code == NO_DATA:
            return None
        if code != 0:
            raise SourceError(f"{what} answered ErrorCode {code}: {_message(result)}")
        return result

    # -- calendar and reference data ------------------------------------------------------

    def trading_days(self, start: dt.date, end: dt.date) -> np.ndarray:
        """SSE trading days from ``w.tdays``."""
        check_range(start, end)
        result = self._call("tdays", _ymd(start), _ymd(end), "")
        values = result.Data[0] if result is not None and result.Data else []
        days = np.unique(_dates(values).dropna().to_numpy().astype("datetime64[D]"))
        if len(days) == 0 and (end - start).days >= LONGEST_CLOSURE_DAYS:
            raise EmptyResponseError(f"wind tdays({_ymd(start)}, {_ymd(end)}) returned no days")
        return days

    def instruments(self) -> pd.DataFrame:
        """Current members of the sector with names and listing dates (``wset``+``wss``)."""
        today = dt.date.today().isoformat()
        members = self._call(
            "wset", "sectorconstituent", f"date={today};sectorid={self._sector_id}"
        )
        if members is None:
            raise EmptyResponseError(f"wind wset sectorconstituent {self._sector_id} is empty")
        fields = [f.lower() for f in members.Fields]
        codes = list(members.Data[fields.index("wind_code")])
        rows = []
        for i in range(0, len(codes), self._codes_per_call):
            chunk = codes[i : i + self._codes_per_call]
            info = self._call("wss", ",".join(chunk), "sec_name,ipo_date,delist_date")
            if info is None:
                continue
            column = {f.lower(): info.Data[k] for k, f in enumerate(info.Fields)}
            rows.append(
                pd.DataFrame(
                    {
                        "code": list(info.Codes),
                        "name": [str(n) for n in column["sec_name"]],
                        "list_date": _dates(column["ipo_date"]).to_numpy(),
                        "delist_date": _dates(column["delist_date"]).to_numpy(),
                    }
                )
            )
        if not rows:
            raise EmptyResponseError(f"wind wss returned nothing for {len(codes)} codes")
        table = pd.concat(rows, ignore_index=True)
        table["symbol"] = [try_normalize_symbol(c) for c in table["code"]]
        return finish_instruments(table.assign(kind="stock"))

    # -- bars and factors -------------------------------------------------------------------

    def daily_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Unadjusted daily bars, one ``wsd`` per code; suspended days dropped."""
        days = self.trading_days(start, end)
        codes = self.resolve_symbols(start, end, symbols)
        if len(days) == 0 or not codes:
            return empty_frame(DAILY_COLUMNS)
        parts = []
        for symbol in codes:
            result = self._call(
                "wsd",
                to_vendor_symbol(symbol, Vendor.WIND),
                _BAR_FIELDS,
                _ymd(start),
                _ymd(end),
                "",
            )
            if result is None or not result.Times:
                continue
            column = {f.lower(): list(result.Data[k]) for k, f in enumerate(result.Fields)}
            frame = pd.DataFrame(column).assign(date=_dates(result.Times), symbol=symbol)
            status = frame["trade_status"].astype(str)
            parts.append(frame[~status.str.contains("停牌") & frame["close"].notna()])
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if len(frame) == 0:
            raise EmptyResponseError(
                f"wind wsd returned no bars for {start}..{end} ({len(codes)} codes)"
            )
        out = pd.DataFrame(
            {
                "date": frame["date"],
                "symbol": frame["symbol"].astype(str),
                "open": frame["open"].astype(float),
                "high": frame["high"].astype(float),
                "low": frame["low"].astype(float),
                "close": frame["close"].astype(float),
                "preclose": frame["pre_close"].astype(float),
                "volume": frame["volume"].astype(float),
                "amount": frame["amt"].astype(float),
            }
        ).dropna(subset=["date"])
        return out.sort_values(["date", "symbol"]).reset_index(drop=True)

    def adj_factors(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Wind's ``adjfactor`` (cumulative back factor), many codes per ``wsd``."""
        codes = self.resolve_symbols(start, end, symbols)
        vendor = {to_vendor_symbol(c, Vendor.WIND): c for c in codes}
        parts = []
        names = list(vendor)
        for i in range(0, len(names), self._codes_per_call):
            chunk = names[i : i + self._codes_per_call]
            result = self._call("wsd", ",".join(chunk), "adjfactor", _ymd(start), _ymd(end), "")
            if result is None or not result.Times:
                continue
            dates = _dates(result.Times).to_numpy()
            for k, code in enumerate(result.Codes):
                if code in vendor:
                    parts.append(
                        pd.DataFrame(
                            {
                                "date": dates,
                                "symbol": vendor[code],
                                "adj_factor": pd.to_numeric(
                                    pd.Series(list(result.Data[k])), errors="coerce"
                                ).to_numpy(),
                            }
                        )
                    )
        if not parts:
            return empty_frame(FACTOR_COLUMNS)
        out = pd.concat(parts, ignore_index=True).dropna(subset=["date", "adj_factor"])
        out["date"] = out["date"].astype("datetime64[ns]")
        return out.sort_values(["date", "symbol"]).reset_index(drop=True)

    def describe(self) -> dict[str, Any]:
        """Source name, endpoint and sector (WindPy is not a versioned distribution)."""
        version = library_version("WindPy")
        return {
            "source": self.name,
            "endpoint": self.endpoint,
            "library": "WindPy",
            "version": version,
            "sector_id": self._sector_id,
        }


def _message(result: Any) -> str:
    data = getattr(result, "Data", None)
    try:
        return str(data[0][0]) if data and data[0] else str(data)
    except (TypeError, IndexError, KeyError):
        return str(data)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:60] + f"... ({text.count(',') + 1} items)'"
