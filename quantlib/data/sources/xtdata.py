"""QMT / MiniQMT adapter (``--source xtdata``) over ``xtquant.xtdata``.

``xtquant.xtdata`` loads the Windows-only ``datacenter*.pyd`` and talks to a running,
logged-in MiniQMT; on Linux its import raises ``ImportError``. The module is therefore
imported lazily and an injected module-like ``client`` is accepted. Importing the
``xtquant`` package runs ``check_for_update("xtquant")`` in ``xtquant/__init__.py``
(a package-registry GET with a 10 s timeout, prints, in some builds an ``input()``
prompt); :func:`import_xtdata` sidesteps it by registering a bare ``xtquant`` package
module (its ``__path__`` taken from the installed package) before importing
``xtquant.xtdata``, so ``__init__.py`` never runs. That file defines nothing else.

Vendor facts the conversion relies on (``xtdata.py`` and ``doc/xtdata.md``):

* codes are ``600000.SH`` / ``000001.SZ`` / ``920118.BJ``; ranges are inclusive
  ``YYYYMMDD`` / ``YYYYMMDDhhmmss`` strings;
* history must be fetched with the synchronous ``download_history_data`` before
  ``get_market_data_ex`` returns it; ``get_market_data_ex`` answers
  ``{code: DataFrame(index=time strings, columns=fields)}`` with ``time`` in epoch
  milliseconds (UTC; the library adds 8 h only to render strings), ``preClose`` the
  reference close and ``suspendFlag`` 1 on a suspended day (those rows are dropped);
* ``volume`` of stocks is in lots (手): the documentation states it for ticks
  (``volume`` 手, ``pvolume`` raw) and K-lines are taken to match; ``volume_multiplier``
  (default 100) converts to shares. ``amount`` is in yuan;
* ``get_trading_dates(market, start, end, count)`` returns epoch-ms midnights
  (Beijing); ``get_stock_list_in_sector('沪深A股'|'京市A股')`` lists current members
  only, so delisted stocks are absent; ``get_instrument_detail`` gives
  ``InstrumentName``, ``OpenDate`` (``YYYYMMDD``) and ``ExpireDate`` (sentinels such
  as 0 or 99999999 while listed);
* ``get_divid_factors(code, start, end)`` answers one row per ex-date with ``dr``, the
  ex-rights ratio of that event; the cumulative back factor is the running product.
* an unreachable MiniQMT raises ``Exception('无法连接行情服务！')``, reported as
  :class:`~quantlib.core.errors.SourceUnavailableError`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from quantlib.core.dates import SHANGHAI, check_range
from quantlib.core.errors import (
    EmptyResponseError,
    MalformedSymbolError,
    SourceError,
    SourceUnavailableError,
)
from quantlib.core.vendor import import_submodule
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
)
from quantlib.market.symbols import Vendor, normalize_symbol, to_vendor_symbol

log = logging.getLogger(__name__)

DEFAULT_SECTORS = ("沪深A股", "京市A股")
#: No window of this many calendar days passes without an SSE trading day.
LONGEST_CLOSURE_DAYS = 14
_BAR_FIELDS = [
    "time",
    "open",
    "high",
    "low",
    "close",
    "preClose",
    "volume",
    "amount",
    "suspendFlag",
]
_UNREACHABLE = "无法连接行情服务"


def import_xtdata() -> Any:
    """Import ``xtquant.xtdata`` without running ``xtquant/__init__.py``.

    Raises
    ------
    SourceUnavailableError
        xtquant is not installed, or ``xtdata`` cannot load (non-Windows host).
    """
    try:
        return import_submodule("xtquant", "xtdata")
    except ModuleNotFoundError as error:
        if error.name != "xtquant":
            raise _cannot_import(error) from error
        raise SourceUnavailableError(
            "xtquant is not installed; it ships with the broker's QMT/MiniQMT client "
            "(Windows only) or from dict.thinktrader.net"
        ) from None
    except Exception as error:
        raise _cannot_import(error) from error


def _cannot_import(error: Exception) -> SourceUnavailableError:
    return SourceUnavailableError(
        f"xtquant.xtdata cannot be imported ({type(error).__name__}: {error}); it loads "
        "a Windows-only extension and needs a running, logged-in MiniQMT"
    )


def _ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _ms_times(values: pd.Series) -> pd.Series:
    """Epoch milliseconds (UTC) to aware Asia/Shanghai times, index kept."""
    stamps = pd.to_datetime(values.astype("float64"), unit="ms", utc=True)
    return stamps.dt.tz_convert(SHANGHAI).dt.as_unit("ns")


def _ms_days(values: pd.Series) -> pd.Series:
    """Epoch milliseconds to naive Beijing calendar days, index kept."""
    return _ms_times(values).dt.tz_localize(None).dt.normalize()


def _yyyymmdd(value: Any) -> pd.Timestamp | None:
    text = str(value).strip() if value is not None else ""
    if len(text) != 8 or not text.isdigit() or text.startswith(("0", "1899", "9999")):
        return None
    stamp = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    return None if pd.isna(stamp) or stamp.year >= 2099 else pd.Timestamp(stamp)


class XtDataSource(DataSource):
    """Market data from a local MiniQMT through ``xtquant.xtdata``.

    Parameters
    ----------
    client
        A module-like object with xtdata's functions; default ``xtquant.xtdata``.
    sectors
        Sectors listed by :meth:`instruments` and walked when no symbols are given.
    volume_multiplier
        Shares per vendor volume unit (100: xtdata reports stock volume in lots).
    download
        Call ``download_history_data`` before reading history (needed unless the local
        cache is known to be complete).
    codes_per_call, calls_per_minute, retries, backoff
        Batch size, rate limit, retries on transient errors, first backoff in seconds.
    """

    name: ClassVar[str] = "xtdata"
    endpoint: ClassVar[str] = "MiniQMT via xtquant.xtdata (127.0.0.1:58610)"

    def __init__(
        self,
        *,
        client: Any = None,
        sectors: Sequence[str] = DEFAULT_SECTORS,
        volume_multiplier: float = 100.0,
        download: bool = True,
        codes_per_call: int = 500,
        calls_per_minute: int = 6000,
        retries: int = 2,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._sectors = list(sectors)
        self._multiplier = volume_multiplier
        self._download = download
        self._codes_per_call = max(1, codes_per_call)
        self._limiter = RateLimiter(calls_per_minute, 60.0)
        self._retries, self._backoff, self._sleep = retries, backoff, sleep

    def __repr__(self) -> str:
        return f"XtDataSource(sectors={self._sectors!r})"

    # -- plumbing ---------------------------------------------------------------------

    def _xt(self) -> Any:
        if self._client is None:
            self._client = import_xtdata()
        return self._client

    def _call(self, function: str, *args: Any, returns: bool = True, **kwargs: Any) -> Any:
        """Call an xtdata function; ``returns=False`` for those documented to return nothing."""
        shown = ", ".join([*map(_show, args), *(f"{k}={_show(v)}" for k, v in kwargs.items())])
        what = f"xtdata {function}({shown})"
        func = getattr(self._xt(), function)

        def attempt() -> Any:
            try:
                return func(*args, **kwargs)
            except OSError:
                raise
            except Exception as error:
                if _UNREACHABLE in str(error):
                    raise SourceUnavailableError(
                        f"{what}: MiniQMT is not reachable ({error}); start and log in to "
                        "MiniQMT first"
                    ) from error
                raise SourceError(f"{what} failed: {type(error).__name__}: {error}") from error

        result = call_vendor(
            what,
            attempt,
            retries=self._retries,
            backoff=self._backoff,
            limiter=self._limiter,
            sleep=self._sleep,
        )
        if returns and (result is None or (isinstance(result, int) and result < 0)):
            raise SourceError(f"{what} returned {result!r}")
        return result

    def _bars(self, codes: list[str], period: str, start: str, end: str) -> pd.DataFrame:
        """Download then read K-lines; one long frame with a ``symbol`` column."""
        vendor = {to_vendor_symbol(c, Vendor.XTQUANT): c for c in codes}
        if self._download:
            for code in vendor:
                self._call(
                    "download_history_data",
                    code,
                    period,
                    start_time=start,
                    end_time=end,
                    returns=False,
                )
        parts = []
        names = list(vendor)
        for i in range(0, len(names), self._codes_per_call):
            chunk = names[i : i + self._codes_per_call]
            answer = self._call(
                "get_market_data_ex",
                field_list=_BAR_FIELDS,
                stock_list=chunk,
                period=period,
                start_time=start,
                end_time=end,
                count=-1,
                dividend_type="none",
                fill_data=False,
            )
            if not isinstance(answer, dict):
                raise SourceError(
                    f"xtdata get_market_data_ex returned {type(answer).__name__}, "
                    "expected {code: DataFrame}"
                )
            for code, frame in answer.items():
                if code in vendor and isinstance(frame, pd.DataFrame) and len(frame):
                    missing = [f for f in _BAR_FIELDS if f not in frame.columns]
                    if missing:
                        raise SourceError(f"xtdata get_market_data_ex({code}) lacks {missing}")
                    parts.append(frame.assign(symbol=vendor[code]).reset_index(drop=True))
        if not parts:
            return pd.DataFrame(columns=[*_BAR_FIELDS, "symbol"])
        frame = pd.concat(parts, ignore_index=True)
        suspended = pd.to_numeric(frame["suspendFlag"], errors="coerce").fillna(0) == 1
        return frame[~suspended & frame["close"].notna()]

    # -- calendar and reference data ------------------------------------------------------

    def trading_days(self, start: dt.date, end: dt.date) -> np.ndarray:
        """SSE trading days from ``get_trading_dates('SH', ...)``."""
        check_range(start, end)
        stamps = self._call(
            "get_trading_dates", "SH", start_time=_ymd(start), end_time=_ymd(end), count=-1
        )
        days = np.unique(_ms_days(pd.Series(list(stamps))).to_numpy().astype("datetime64[D]"))
        days = days[(days >= np.datetime64(start)) & (days <= np.datetime64(end))]
        if len(days) == 0 and (end - start).days >= LONGEST_CLOSURE_DAYS:
            raise EmptyResponseError(
                f"xtdata get_trading_dates('SH', {_ymd(start)}, {_ymd(end)}) returned no days"
            )
        return days

    def instruments(self) -> pd.DataFrame:
        """Current members of the configured sectors with their instrument details."""
        rows = []
        for sector in self._sectors:
            codes = self._call("get_stock_list_in_sector", sector)
            if not codes:
                log.warning("xtdata sector %r is empty; run xtdata.download_sector_data()", sector)
            for code in codes:
                detail = self._call("get_instrument_detail", code)
                try:
                    symbol = normalize_symbol(str(code))
                except MalformedSymbolError:
                    log.warning("xtdata: skipped unparseable code %r", code)
                    continue
                rows.append(
                    {
                        "symbol": symbol,
                        "name": str(detail.get("InstrumentName") or ""),
                        "kind": "stock",
                        "list_date": _yyyymmdd(detail.get("OpenDate")),
                        "delist_date": _yyyymmdd(detail.get("ExpireDate")),
                    }
                )
        if not rows:
            raise EmptyResponseError(
                f"xtdata get_stock_list_in_sector returned no codes for "
                f"{self._sectors}; run xtdata.download_sector_data()"
            )
        out = pd.DataFrame(rows)
        for column in ("list_date", "delist_date"):
            out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
        return finish_instruments(out)

    # -- bars and factors -------------------------------------------------------------------

    def daily_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Raw daily K-lines (``dividend_type='none'``, ``fill_data=False``)."""
        days = self.trading_days(start, end)
        codes = self.resolve_symbols(start, end, symbols)
        if len(days) == 0 or not codes:
            return empty_frame(DAILY_COLUMNS)
        frame = self._bars(codes, "1d", _ymd(start), _ymd(end))
        if len(frame) == 0:
            raise EmptyResponseError(
                f"xtdata get_market_data_ex(period='1d') returned no bars "
                f"for {start}..{end} ({len(codes)} codes)"
            )
        out = pd.DataFrame(
            {
                "date": _ms_days(frame["time"]),
                "symbol": frame["symbol"].astype(str),
                "open": frame["open"].astype(float),
                "high": frame["high"].astype(float),
                "low": frame["low"].astype(float),
                "close": frame["close"].astype(float),
                "preclose": frame["preClose"].astype(float),
                "volume": frame["volume"].astype(float) * self._multiplier,
                "amount": frame["amount"].astype(float),
            }
        )
        out = out[(out["date"] >= pd.Timestamp(start)) & (out["date"] <= pd.Timestamp(end))]
        return finish_frame(out, "date", DAILY_COLUMNS)

    def adj_factors(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Cumulative back factors: running product of ``dr`` as of each trading day."""
        days = self.trading_days(start, end)
        codes = self.resolve_symbols(start, end, symbols)
        if len(days) == 0 or not codes:
            return empty_frame(FACTOR_COLUMNS)
        grid = pd.DatetimeIndex(days.astype("datetime64[ns]"))
        parts = []
        for symbol in codes:
            events = self._call(
                "get_divid_factors",
                to_vendor_symbol(symbol, Vendor.XTQUANT),
                start_time="",
                end_time=_ymd(end),
            )
            factor = pd.Series(1.0, index=grid)
            if isinstance(events, pd.DataFrame) and len(events) and "dr" in events.columns:
                when = pd.to_datetime(
                    pd.Index(events.index).astype(str), format="%Y%m%d", errors="coerce"
                )
                steps = (
                    pd.Series(pd.to_numeric(events["dr"], errors="coerce").to_numpy(), index=when)
                    .dropna()
                    .sort_index()
                )
                steps = steps[np.asarray(steps.index.notna()) & (steps.to_numpy() > 0)]
                cumulative = steps.cumprod()
                cumulative = cumulative[~cumulative.index.duplicated(keep="last")]
                as_of = cumulative.reindex(cumulative.index.union(grid)).ffill().reindex(grid)
                factor = as_of.fillna(1.0)
            parts.append(
                pd.DataFrame({"date": grid, "symbol": symbol, "adj_factor": factor.to_numpy()})
            )
        out = pd.concat(parts, ignore_index=True)
        out["date"] = out["date"].astype("datetime64[ns]")
        return finish_frame(out, "date", FACTOR_COLUMNS)

    def minute_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Raw one-minute K-lines (period ``1m``), stamped as xtdata stamps them."""
        check_range(start, end)
        codes = self.resolve_symbols(start, end, symbols)
        if not codes:
            return empty_frame(MINUTE_COLUMNS)
        frame = self._bars(codes, "1m", _ymd(start) + "093000", _ymd(end) + "150000")
        if len(frame) == 0:
            raise EmptyResponseError(
                f"xtdata get_market_data_ex(period='1m') returned no bars "
                f"for {start}..{end} ({len(codes)} codes)"
            )
        out = pd.DataFrame(
            {
                "time": _ms_times(frame["time"]),
                "symbol": frame["symbol"].astype(str),
                "open": frame["open"].astype(float),
                "high": frame["high"].astype(float),
                "low": frame["low"].astype(float),
                "close": frame["close"].astype(float),
                "volume": frame["volume"].astype(float) * self._multiplier,
                "amount": frame["amount"].astype(float),
            }
        )
        return finish_frame(out, "time", MINUTE_COLUMNS)

    def describe(self) -> dict[str, Any]:
        """Source name, endpoint and xtquant version, if installed."""
        return {
            "source": self.name,
            "endpoint": self.endpoint,
            "library": "xtquant",
            "version": library_version("xtquant"),
        }


def _show(value: Any) -> str:
    if isinstance(value, list) and len(value) > 3:
        return f"[{', '.join(map(repr, value[:3]))}, ... {len(value)} items]"
    return repr(value)
