"""The interface every market-data source implements, and its registry.

A source answers in **canonical frames** (columns below, canonical ``600000.SH`` codes,
shares and yuan), whatever the vendor's own codes and units are; conversion happens
inside the adapter, at the edge. Sources are chosen by name: built-ins are listed in
:data:`BUILTIN_SOURCES`, and packages add more through the ``quantlib.data_sources``
entry-point group (``name = "package.module:Class"``).

Canonical frames
----------------
instruments
    ``symbol`` (str), ``name`` (str), ``kind`` (``"stock"`` or ``"index"``),
    ``list_date`` (datetime64, day), ``delist_date`` (datetime64, NaT while listed).
st_intervals
    ``symbol``, ``start`` (first day under the label), ``end`` (last day, NaT if still),
    ``label`` (``"ST"`` or ``"*ST"``).
daily bars
    ``date`` (datetime64, day), ``symbol``, ``open``, ``high``, ``low``, ``close``,
    ``preclose`` (ex-rights reference close; NaN if the vendor has none), ``volume``
    (shares), ``amount`` (yuan). A listed stock with no row on a trading day is suspended.
adjustment factors
    ``date``, ``symbol``, ``adj_factor`` (cumulative back-adjustment factor: backward
    adjusted price = raw x factor).
minute bars
    ``time`` (aware, Asia/Shanghai, bar end), ``symbol``, ``open``, ``high``, ``low``,
    ``close``, ``volume`` (shares), ``amount`` (yuan).
"""

from __future__ import annotations

import abc
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from importlib import import_module, metadata
from importlib.metadata import entry_points
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from quantlib.core.errors import EmptyResponseError, SourceError, UnknownSourceError
from quantlib.data.panel import Panel, pivot_long
from quantlib.market.symbols import normalize_symbol

log = logging.getLogger(__name__)

INSTRUMENT_COLUMNS = ("symbol", "name", "kind", "list_date", "delist_date")
ST_COLUMNS = ("symbol", "start", "end", "label")
DAILY_COLUMNS = ("date", "symbol", "open", "high", "low", "close", "preclose", "volume", "amount")
FACTOR_COLUMNS = ("date", "symbol", "adj_factor")
MINUTE_COLUMNS = ("time", "symbol", "open", "high", "low", "close", "volume", "amount")


class DataSource(abc.ABC):
    """A market-data vendor seen through canonical frames.

    Subclasses implement :meth:`trading_days`, :meth:`instruments` and
    :meth:`daily_bars`; the others have defaults (no ST history, factor 1, no minute
    bars). Every method raises :class:`~quantlib.core.errors.SourceError` naming the
    vendor call when the vendor fails, and
    :class:`~quantlib.core.errors.EmptyResponseError` where rows were required.
    """

    #: Short name the source is registered under (``--source NAME``).
    name: ClassVar[str] = ""
    #: Endpoint or library the source talks to, for the audit record.
    endpoint: ClassVar[str] = ""

    @abc.abstractmethod
    def trading_days(self, start: dt.date, end: dt.date) -> np.ndarray:
        """Open days of SSE/SZSE in ``[start, end]`` as sorted ``datetime64[D]``."""

    @abc.abstractmethod
    def instruments(self) -> pd.DataFrame:
        """All instruments the source knows, listed and delisted (instrument frame)."""

    def st_intervals(self) -> pd.DataFrame:
        """Periods under special treatment (ST frame); empty when the vendor has none."""
        return empty_frame(ST_COLUMNS)

    @abc.abstractmethod
    def daily_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Raw (unadjusted) daily bars in ``[start, end]`` (daily frame)."""

    def adj_factors(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Cumulative back-adjustment factors (factor frame); empty means factor 1."""
        return empty_frame(FACTOR_COLUMNS)

    def minute_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """One-minute bars (minute frame); sources without them raise SourceError."""
        raise SourceError(f"source {self.name!r} does not provide minute bars")

    def daily_panel(self, days: np.ndarray, symbols: np.ndarray) -> Panel:
        """Raw daily fields as ``days x symbols`` arrays.

        The default pivots :meth:`daily_bars` and :meth:`adj_factors`; cells without a
        bar are NaN (volume 0), cells without a factor NaN. Sources that hold arrays
        natively override it.
        """
        days = np.asarray(days).astype("datetime64[D]")
        if days.size == 0:
            return Panel(days, symbols, {})
        start = dt.date.fromisoformat(str(days[0]))
        end = dt.date.fromisoformat(str(days[-1]))
        chosen = list(symbols)
        bars = self.daily_bars(start, end, chosen)
        bars = bars[bars["symbol"].isin(set(chosen))]
        float_cols = {c: (np.dtype("float64"), np.nan) for c in DAILY_COLUMNS[2:] if c != "volume"}
        arrays, _present = pivot_long(
            bars,
            days,
            np.asarray(chosen, dtype=object),
            {**float_cols, "volume": (np.dtype("int64"), 0)},
        )
        factors = self.adj_factors(start, end, chosen)
        factors = factors[factors["symbol"].isin(set(chosen))]
        factor_arrays, _ = pivot_long(
            factors,
            days,
            np.asarray(chosen, dtype=object),
            {"adj_factor": (np.dtype("float64"), np.nan)},
        )
        return Panel(days, np.asarray(chosen, dtype=object), {**arrays, **factor_arrays})

    def minute_panel(self, days: np.ndarray, symbols: Sequence[str] | None = None) -> Panel:
        """One-minute bars of trading ``days`` as a panel over naive Shanghai bar-end times.

        The default pivots :meth:`minute_bars`; sources that hold arrays override it.
        """
        days = np.asarray(days).astype("datetime64[D]")
        wanted = symbols if symbols is not None else self.default_minute_symbols()
        chosen = np.asarray(list(wanted), dtype=object)
        start, end = (dt.date.fromisoformat(str(d)) for d in (days[0], days[-1]))
        bars = self.minute_bars(start, end, list(chosen))
        times = pd.DatetimeIndex(pd.to_datetime(bars["time"]))
        if times.tz is None:
            raise SourceError(f"source {self.name!r} returned minute times without a timezone")
        local = times.tz_convert("Asia/Shanghai").tz_localize(None)
        axis = np.unique(local.to_numpy().astype("datetime64[ns]"))
        columns: dict[str, tuple[np.dtype, float | int]] = {
            name: (np.dtype("float64"), np.nan)
            for name in ("open", "high", "low", "close", "amount")
        }
        columns["volume"] = (np.dtype("int64"), 0)
        arrays, _ = pivot_long(bars.assign(time=local), axis, chosen, columns, time_column="time")
        return Panel(axis, chosen, arrays)

    def first_day(self) -> dt.date | None:
        """Where a new store starts when no start is given (None: it must be given)."""
        return None

    def default_minute_symbols(self) -> list[str]:
        """Symbols a new store keeps minute bars for when none are named (none by default)."""
        return []

    def resolve_symbols(
        self,
        start: dt.date,
        end: dt.date,
        symbols: Sequence[str] | None,
        stocks_only: bool = False,
    ) -> list[str]:
        """The canonical codes to fetch: ``symbols`` if given, else every instrument of
        :meth:`instruments` listed at some point in ``[start, end]``."""
        if symbols is not None:
            return sorted({normalize_symbol(s) for s in symbols})
        table = self.instruments()
        alive = (table["list_date"].isna() | (table["list_date"] <= pd.Timestamp(end))) & (
            table["delist_date"].isna() | (table["delist_date"] >= pd.Timestamp(start))
        )
        if stocks_only:
            alive &= table["kind"] == "stock"
        return sorted(table.loc[alive, "symbol"])

    def describe(self) -> dict[str, Any]:
        """Identity of the source for audit records (never secrets)."""
        return {"source": self.name, "endpoint": self.endpoint}


def empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    """An empty frame with the given columns."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


def finish_frame(frame: pd.DataFrame, key: str, columns: Sequence[str]) -> pd.DataFrame:
    """Drop rows without a ``key`` and duplicate (key, symbol) rows (the last wins), sort,
    and keep ``columns`` in order."""
    frame = frame.dropna(subset=[key]).drop_duplicates([key, "symbol"], keep="last")
    return frame.sort_values([key, "symbol"]).reset_index(drop=True).loc[:, list(columns)]


def finish_instruments(frame: pd.DataFrame) -> pd.DataFrame:
    """An instrument frame with one row per parseable symbol, sorted, canonical columns."""
    frame = frame.dropna(subset=["symbol"]).drop_duplicates("symbol").sort_values("symbol")
    return frame.reset_index(drop=True).loc[:, list(INSTRUMENT_COLUMNS)]


def library_version(distribution: str) -> str | None:
    """Installed version of a vendor library, or None when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> pd.DataFrame:
    """Check that a vendor frame has the columns an adapter relies on."""
    if not isinstance(frame, pd.DataFrame):
        raise SourceError(f"{what} returned {type(frame).__name__}, expected a DataFrame")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SourceError(f"{what} answered without columns {missing}; got {list(frame.columns)}")
    return frame


def require_rows(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Raise :class:`EmptyResponseError` when a vendor answered with no rows."""
    if frame is None or len(frame) == 0:
        raise EmptyResponseError(f"{what} returned no rows")
    return frame


class RateLimiter:
    """Spaces calls so that at most ``calls`` happen in any ``period`` seconds."""

    def __init__(
        self,
        calls: int,
        period: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if calls <= 0 or period <= 0:
            raise ValueError("rate limit needs positive calls and period")
        self.calls, self.period = calls, period
        self._clock, self._sleep = clock, sleep
        self._stamps: list[float] = []

    def wait(self) -> None:
        """Block until one more call is allowed, then record it."""
        now = self._clock()
        self._stamps = [s for s in self._stamps if now - s < self.period]
        if len(self._stamps) >= self.calls:
            delay = self.period - (now - self._stamps[0])
            if delay > 0:
                self._sleep(delay)
            now = self._clock()
            self._stamps = [s for s in self._stamps if now - s < self.period]
        self._stamps.append(now)


def call_vendor[T](
    what: str,
    func: Callable[..., T],
    *args: Any,
    retries: int = 3,
    backoff: float = 1.0,
    limiter: RateLimiter | None = None,
    transient: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, OSError),
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> T:
    """Call a vendor function with rate limiting and retries on transient errors.

    Transient errors (network) are retried with exponential backoff; any other error,
    and the last transient one, becomes a :class:`SourceError` that names ``what``.
    """
    attempt = 0
    while True:
        if limiter is not None:
            limiter.wait()
        try:
            return func(*args, **kwargs)
        except transient as error:
            attempt += 1
            if attempt > retries:
                raise SourceError(f"{what} failed after {retries} retries: {error}") from error
            log.warning("%s failed (%s); retry %d of %d", what, error, attempt, retries)
            sleep(backoff * 2 ** (attempt - 1))
        except SourceError:
            raise
        except Exception as error:
            raise SourceError(f"{what} failed: {type(error).__name__}: {error}") from error


#: Built-in sources: name -> "module:Class".
BUILTIN_SOURCES: dict[str, str] = {
    "demo": "quantlib.data.sources.demo:DemoSource",
    "tushare": "quantlib.data.sources.tushare:TushareSource",
    "jqdata": "quantlib.data.sources.jqdata:JQDataSource",
    "akshare": "quantlib.data.sources.akshare:AkShareSource",
    "baostock": "quantlib.data.sources.baostock:BaoStockSource",
    "xtdata": "quantlib.data.sources.xtdata:XtDataSource",
    "wind": "quantlib.data.sources.wind:WindSource",
}


def available_sources() -> dict[str, str]:
    """All registered source names with their ``module:Class`` targets."""
    found = dict(BUILTIN_SOURCES)
    for entry in entry_points(group="quantlib.data_sources"):
        found.setdefault(entry.name, entry.value)
    return found


def source_class(name: str) -> type[DataSource]:
    """The class registered under ``name``."""
    registry = available_sources()
    if name not in registry:
        raise UnknownSourceError(
            f"unknown data source {name!r}; available: {', '.join(sorted(registry))}"
        )
    module_name, _, attribute = registry[name].partition(":")
    cls = getattr(import_module(module_name), attribute)
    if not (isinstance(cls, type) and issubclass(cls, DataSource)):
        raise UnknownSourceError(f"{registry[name]} registered as {name!r} is not a DataSource")
    return cls


def create_source(name: str, **options: Any) -> DataSource:
    """Instantiate the source registered under ``name`` with its options."""
    return source_class(name)(**options)
