"""Reading a data store: ``open_store(path)`` and the :class:`DataStore` read API.

A store handle resolves the store's ``CURRENT`` generation once, so everything it reads
comes from one consistent snapshot, however long it lives and whatever updates run
meanwhile; :meth:`DataStore.refresh` moves it to the newest generation.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import xarray as xr
import zarr

from quantlib.core.dates import check_range, to_date
from quantlib.core.errors import (
    CorruptStoreError,
    DateError,
    MalformedSymbolError,
    StoreError,
    UnknownFieldError,
    UnknownSymbolError,
)
from quantlib.data import audit
from quantlib.data.daily import DailyArrays
from quantlib.data.generations import current_generation, generation_meta, require_store
from quantlib.data.history import HISTORY_STORE, History, open_history, read_history
from quantlib.data.layout import (
    CALENDAR_TABLE,
    DAILY_FIELDS,
    DAILY_STORE,
    DERIVED_DAILY_FIELDS,
    GENERATIONS_DIR,
    INSTRUMENTS_TABLE,
    LAST_VALUES_TABLE,
    MINUTE_FIELDS,
    READ_CONFIG,
    RECENT_DAILY_STORE,
    ST_TABLE,
    Status,
)
from quantlib.data.writer import minute_year_path
from quantlib.market.calendar import TradingCalendar
from quantlib.market.symbols import SecurityKind, normalize_symbol

Adjust = Literal["forward", "backward"] | None

#: Requests for at most this many symbols read the symbol-major history replica.
NARROW_READ = 64

DEFAULT_FIELDS = ("open", "high", "low", "close", "volume", "amount")
_ADJUST_NAMES: dict[str | None, Adjust] = {
    None: None,
    "none": None,
    "raw": None,
    "forward": "forward",
    "qfq": "forward",
    "pre": "forward",
    "backward": "backward",
    "hfq": "backward",
    "post": "backward",
}
_FREQ_NAMES = {
    "1d": "1d",
    "d": "1d",
    "daily": "1d",
    "day": "1d",
    "1m": "1m",
    "1min": "1m",
    "minute": "1m",
}
_READ_ERRORS = (ValueError, RuntimeError, OSError, KeyError, TypeError)


def open_store(path: str | Path) -> DataStore:
    """Open a data store for reading.

    Examples
    --------
    >>> store = open_store("var/store")  # doctest: +SKIP
    >>> store.bars(["600000.SH"], "2024-01-02", "2024-06-28", adjust="qfq")  # doctest: +SKIP
    """
    return DataStore(Path(path))


def _normalize_any(code: str) -> str:
    try:
        return normalize_symbol(code)
    except MalformedSymbolError:
        return normalize_symbol(code, SecurityKind.INDEX)


@dataclass
class _Generation:
    """What a handle reads of one immutable generation, shared by every handle on it;
    parts are loaded on first use."""

    path: Path
    daily: DailyArrays
    days: np.ndarray
    times: np.ndarray
    symbols: pd.Index
    has_history: bool
    history: History | None = None
    calendar: TradingCalendar | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    minute: dict[int, xr.Dataset] = field(default_factory=dict)


@functools.lru_cache(maxsize=8)
def _open_generation(path: Path, update_id: str) -> _Generation:
    """Open a generation once per process. ``update_id`` is part of the key so that a
    store rebuilt at the same path never gets another store's state."""
    del update_id
    try:
        daily = DailyArrays(path)
        # the same codes in the same order as the "symbol" coordinate, cheaper to read
        codes: list[str] = (
            pq.read_table(path / LAST_VALUES_TABLE, columns=["symbol"]).column(0).to_pylist()
        )
    except (*_READ_ERRORS, zarr.errors.BaseZarrError) as error:
        raise CorruptStoreError(
            f"store generation {path} is unreadable: {error}; run `quantlib data check`"
        ) from error
    return _Generation(
        path=path,
        daily=daily,
        days=daily.days,
        times=daily.days.astype("datetime64[ns]"),
        symbols=pd.Index(codes, dtype=object),
        has_history=(path / HISTORY_STORE).is_dir(),
    )


class DataStore:
    """Read API over one generation of a store (see :func:`open_store`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        require_store(self.root)
        self.refresh()

    # -- opening ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Move to the store's newest generation."""
        name = current_generation(self.root)
        if name is None:
            raise StoreError(f"store {self.root} has no data yet; run `quantlib data update`")
        path = self.root / GENERATIONS_DIR / name
        try:
            meta = generation_meta(path)
        except _READ_ERRORS as error:
            raise CorruptStoreError(
                f"store {self.root} generation {name} is unreadable: {error}; "
                "run `quantlib data check`"
            ) from error
        self._gen = _open_generation(path, str(meta.get("update_id", "")))
        self.generation, self.path, self.meta = name, path, meta

    def _table(self, name: str) -> pd.DataFrame:
        """A Parquet table of this generation, read once."""
        if name not in self._gen.tables:
            try:
                self._gen.tables[name] = pd.read_parquet(self.path / name)
            except _READ_ERRORS as error:
                raise CorruptStoreError(
                    f"{self.path / name} is unreadable: {error}; run `quantlib data check`"
                ) from error
        return self._gen.tables[name]

    @property
    def snapshot(self) -> str:
        """Identity of what this handle reads: generation and the update that made it."""
        return f"{self.generation}@{self.meta.get('update_id', '')[:12]}"

    @property
    def calendar(self) -> TradingCalendar:
        """The trading calendar the store was built with."""
        if self._gen.calendar is None:
            self._gen.calendar = TradingCalendar(self._table(CALENDAR_TABLE)["date"])
        return self._gen.calendar

    @property
    def symbols(self) -> list[str]:
        """Every instrument with daily data, in storage order."""
        return list(self._gen.symbols)

    @property
    def start(self) -> dt.date:
        """First day with daily data."""
        return dt.date.fromisoformat(str(self._gen.days[0]))

    @property
    def end(self) -> dt.date:
        """Last day with daily data."""
        return dt.date.fromisoformat(str(self._gen.days[-1]))

    def trading_days(self, start: Any = None, end: Any = None) -> pd.DatetimeIndex:
        """Trading days with daily data in ``[start, end]``."""
        lo, hi = self._row_range(start, end)
        return pd.DatetimeIndex(self._gen.days[lo:hi].astype("datetime64[ns]"), name="time")

    # -- reference data -----------------------------------------------------------------
    def instruments(
        self, as_of: Any = None, kind: str | None = None, board: str | None = None
    ) -> pd.DataFrame:
        """The instrument master; with ``as_of``, only what was listed on that day."""
        frame = self._table(INSTRUMENTS_TABLE).copy()
        if as_of is not None:
            day = np.datetime64(to_date(as_of, name="as_of"), "s")
            listed = frame["list_date"].to_numpy() <= day
            gone = frame["delist_date"].notna().to_numpy() & (
                frame["delist_date"].to_numpy() <= day
            )
            frame = frame[listed & ~gone]
        if kind is not None:
            frame = frame[frame["kind"] == kind]
        if board is not None:
            frame = frame[frame["board"] == board]
        return frame.set_index("symbol")

    def st_intervals(self) -> pd.DataFrame:
        """Periods under special treatment (``symbol, start, end, label``)."""
        return self._table(ST_TABLE).copy()

    # -- validation helpers -------------------------------------------------------------
    def _columns(self, symbols: str | Iterable[str] | None) -> tuple[np.ndarray, list[str]]:
        if symbols is None:
            return np.arange(len(self._gen.symbols)), list(self._gen.symbols)
        if isinstance(symbols, str):
            symbols = [symbols]
        wanted = [_normalize_any(s) for s in symbols]
        if not wanted:
            raise UnknownSymbolError("no symbols requested")
        positions = self._gen.symbols.get_indexer(pd.Index(wanted, dtype=object))
        unknown = [s for s, p in zip(wanted, positions, strict=True) if p < 0]
        if unknown:
            raise UnknownSymbolError(
                f"{len(unknown)} symbol(s) not in store {self.root}: {', '.join(unknown[:10])}"
            )
        return positions, wanted

    def _row_range(self, start: Any, end: Any) -> tuple[int, int]:
        first = to_date(start, name="start") if start is not None else self.start
        last = to_date(end, name="end") if end is not None else self.end
        check_range(first, last)
        for name, day in (("start", first), ("end", last)):
            inside_store = self.start <= day <= self.end
            if not inside_store and not self.calendar.first <= day <= self.calendar.last:
                raise DateError(
                    f"{name} {day} is outside the trading calendar "
                    f"({self.calendar.first} .. {self.calendar.last})"
                )
        if first > self.end or last < self.start:
            raise DateError(
                f"{first} .. {last} lies outside the stored daily data ({self.start} .. {self.end})"
            )
        if first < self.start:
            raise DateError(f"start {first} is before the store's first day {self.start}")
        if last > self.end:
            raise DateError(
                f"end {last} is after the store's last day {self.end}; "
                "run `quantlib data update` to fetch newer days"
            )
        lo = int(np.searchsorted(self._gen.days, np.datetime64(first, "D"), side="left"))
        hi = int(np.searchsorted(self._gen.days, np.datetime64(last, "D"), side="right"))
        return lo, hi

    @staticmethod
    def _fields(fields: str | Sequence[str] | None, allowed: Iterable[str]) -> list[str]:
        allowed = list(allowed)
        if fields is None:
            return [f for f in DEFAULT_FIELDS if f in allowed]
        if fields == "all":
            return allowed
        chosen = [fields] if isinstance(fields, str) else list(fields)
        unknown = [f for f in chosen if f not in allowed]
        if unknown:
            raise UnknownFieldError(f"unknown field(s) {unknown}; available: {', '.join(allowed)}")
        return chosen

    def _load(self, dataset: xr.Dataset) -> xr.Dataset:
        loaded = {}
        for name, variable in dataset.data_vars.items():
            try:
                loaded[name] = variable.load()
            except _READ_ERRORS as error:
                raise CorruptStoreError(
                    f"cannot read {name!r} from {self.root} ({self.generation}): "
                    f"{type(error).__name__}: {error}; run `quantlib data check`"
                ) from error
        return dataset.assign(loaded)

    # -- daily reads --------------------------------------------------------------------
    def bars(
        self,
        symbols: str | Iterable[str] | None = None,
        start: Any = None,
        end: Any = None,
        fields: str | Sequence[str] | None = None,
        *,
        freq: str = "1d",
        adjust: str | None = None,
        as_of: Any = None,
        lazy: bool = False,
        as_pandas: bool = False,
    ) -> xr.Dataset | pd.DataFrame:
        """Bars for symbols x dates x fields.

        Parameters
        ----------
        symbols
            Codes in any vendor form; all when None.
        start, end
            Inclusive dates; the store's range when None.
        fields
            Field names, ``"all"``, or None for OHLCV and amount. Daily fields:
            the stored ones (see ``quantlib.data.layout.DAILY_FIELDS``) plus
            ``suspended`` and ``vwap``.
        freq
            ``"1d"`` (daily) or ``"1m"`` (one-minute bars).
        adjust
            None (raw), ``"forward"``/``"qfq"`` or ``"backward"``/``"hfq"``. Forward
            adjustment is relative to ``as_of`` (default: the end of the range, as
            Tushare's ``pro_bar`` does). Volumes are never adjusted.
        lazy
            Return Dask-backed arrays instead of loading (large daily reads).
        as_pandas
            Return a long DataFrame indexed by (time, symbol) with listed rows only.

        Returns
        -------
        xarray.Dataset
            Dims ``(time, symbol)``; ``attrs`` hold the snapshot and adjustment.
        """
        kind = _FREQ_NAMES.get(freq)
        if kind is None:
            raise UnknownFieldError(f"unknown frequency {freq!r}; use '1d' or '1m'")
        if adjust not in _ADJUST_NAMES:
            raise UnknownFieldError(f"unknown adjustment {adjust!r}; use None, 'qfq' or 'hfq'")
        mode = _ADJUST_NAMES[adjust]
        if kind == "1m":
            return self._minute_bars(symbols, start, end, fields, mode, as_of, as_pandas)
        names = self._fields(fields, [*DAILY_FIELDS, *DERIVED_DAILY_FIELDS])
        lo, hi = self._row_range(start, end)
        columns, wanted = self._columns(symbols)
        stored = [n for n in names if n in DAILY_FIELDS]
        needs = set(stored)
        if "suspended" in names or as_pandas:
            needs.add("status")
        if "vwap" in names:
            needs |= {"amount", "volume"}
        if mode is not None and any(DAILY_FIELDS[n].price for n in stored):
            needs.add("adj_factor")
        order = np.argsort(columns, kind="stable")
        if lazy:
            dataset = self._lazy_daily()[sorted(needs)].isel(
                time=slice(lo, hi), symbol=columns[order]
            )
            raw = {name: dataset[name].data for name in needs}
        elif self._gen.has_history and len(columns) <= NARROW_READ:
            raw = self._read_narrow(sorted(needs), columns[order], lo, hi)
        else:
            raw = {name: self._read_rows(name, lo, hi, columns[order]) for name in needs}
        if not np.array_equal(order, np.arange(len(order))):
            back = np.argsort(order, kind="stable")
            raw = {name: values[:, back] for name, values in raw.items()}
        if mode is not None:
            factor = raw["adj_factor"]
            if mode == "forward":
                ref_row = hi - 1 if as_of is None else self._row_range(as_of, as_of)[1] - 1
                factor = factor / self._factor_at(ref_row, columns)[None, :]
            for name in stored:
                if DAILY_FIELDS[name].price:
                    raw[name] = raw[name] * factor
        if "suspended" in names:
            raw["suspended"] = raw["status"] == Status.SUSPENDED
        if "vwap" in names:
            volume = raw["volume"]
            raw["vwap"] = raw["amount"] / np.where(volume > 0, volume, np.nan)
        attrs = {
            "store": str(self.root),
            "snapshot": self.snapshot,
            "freq": "1d",
            "adjust": mode or "none",
        }
        if mode == "forward":
            attrs["as_of"] = str(to_date(as_of) if as_of is not None else self._gen.days[hi - 1])
        out = xr.Dataset(
            {name: (("time", "symbol"), raw[name]) for name in names},
            coords={"time": self._gen.times[lo:hi], "symbol": np.asarray(wanted, dtype=object)},
            attrs=attrs,
        )
        if as_pandas:
            return self._to_frame(out, np.asarray(raw["status"]))
        return out

    def _read_narrow(
        self, names: list[str], columns: np.ndarray, lo: int, hi: int
    ) -> dict[str, np.ndarray]:
        """Few symbols: read the symbol-major replica instead of whole day x 500 chunks."""
        if self._gen.history is None:
            self._gen.history = open_history(self.path)
        try:
            with zarr.config.set(READ_CONFIG):
                return read_history(self._gen.history, columns, names, lo, hi)
        except _READ_ERRORS as error:
            raise CorruptStoreError(
                f"cannot read the history replica of {self.root} ({self.generation}): "
                f"{type(error).__name__}: {error}; run `quantlib data check`"
            ) from error

    def _read_symbol_coordinate(self) -> np.ndarray:
        """The daily arrays' own ``symbol`` coordinate (for consistency checks)."""
        return self._gen.daily.symbols()

    def _read_rows(
        self, name: str, lo: int, hi: int, columns: np.ndarray | None = None
    ) -> np.ndarray:
        """Rows ``lo:hi`` of one daily field straight from zarr (all symbols if None)."""
        if columns is not None and len(columns) == len(self._gen.symbols):
            columns = None if np.array_equal(columns, np.arange(len(columns))) else columns
        try:
            return self._gen.daily.rows(name, lo, hi, columns)
        except _READ_ERRORS as error:
            raise CorruptStoreError(
                f"cannot read {name!r} from {self.root} ({self.generation}): "
                f"{type(error).__name__}: {error}; run `quantlib data check`"
            ) from error

    def _lazy_daily(self) -> xr.Dataset:
        chunks = {"time": 1000, "symbol": -1}
        parts = [
            xr.open_zarr(self.path / name, consolidated=False, chunks=chunks)
            for name in (DAILY_STORE, RECENT_DAILY_STORE)
        ]
        return xr.concat(parts, dim="time", data_vars="all", coords="minimal", join="exact")

    def _factor_at(self, row: int, columns: np.ndarray) -> np.ndarray:
        """Each symbol's latest known factor on or before calendar row ``row``."""
        start = max(0, row - 249)
        block = self._read_rows("adj_factor", start, row + 1, columns)
        while True:
            seen = np.isfinite(block)
            last = np.where(seen, np.arange(block.shape[0])[:, None], -1).max(axis=0)
            if (last >= 0).all() or start == 0:
                break
            start = max(0, start - 1000)
            block = self._read_rows("adj_factor", start, row + 1, columns)
        values = np.where(last >= 0, block[np.maximum(last, 0), np.arange(block.shape[1])], 1.0)
        return values

    @staticmethod
    def _to_frame(data: xr.Dataset, status: np.ndarray) -> pd.DataFrame:
        frame = data.to_dataframe()
        listed = status.reshape(-1)
        keep = (listed == Status.TRADING) | (listed == Status.SUSPENDED)
        frame = frame[keep]
        frame.index = frame.index.set_names(["time", "symbol"])
        return frame

    def panel(
        self,
        field: str,
        symbols: str | Iterable[str] | None = None,
        start: Any = None,
        end: Any = None,
        *,
        adjust: str | None = None,
        as_of: Any = None,
    ) -> pd.DataFrame:
        """One field as a wide frame (dates x symbols): the cheapest pandas form."""
        data = self.bars(symbols, start, end, [field], adjust=adjust, as_of=as_of)
        assert isinstance(data, xr.Dataset)
        frame = data[field].to_pandas()
        assert isinstance(frame, pd.DataFrame)
        return frame

    def cross_section(
        self,
        date: Any,
        fields: str | Sequence[str] | None = None,
        symbols: str | Iterable[str] | None = None,
        *,
        adjust: str | None = None,
        listed_only: bool = True,
    ) -> pd.DataFrame:
        """All (or some) symbols on one trading day, one row per symbol."""
        day = self.calendar.require_trading_day(date)
        names = self._fields(fields, [*DAILY_FIELDS, *DERIVED_DAILY_FIELDS])
        data = self.bars(
            symbols,
            day,
            day,
            [*names, *(["status"] if "status" not in names else [])],
            adjust=adjust,
        )
        assert isinstance(data, xr.Dataset)
        frame = data.isel(time=0).drop_vars("time").to_dataframe()
        if listed_only:
            frame = frame[frame["status"].isin([Status.TRADING, Status.SUSPENDED])]
        return frame[names]

    # -- minute reads -------------------------------------------------------------------
    def minute_years(self) -> list[int]:
        """Years that have one-minute bars."""
        folder = self.path / "minute1"
        if not folder.is_dir():
            return []
        return sorted(int(p.stem) for p in folder.glob("*.zarr"))

    def _minute_year(self, year: int) -> xr.Dataset:
        if year not in self._gen.minute:
            try:
                self._gen.minute[year] = xr.open_dataset(
                    minute_year_path(self.path, year),
                    engine="zarr",
                    chunks=None,
                    cache=False,
                    consolidated=False,
                )
            except _READ_ERRORS as error:
                raise CorruptStoreError(
                    f"minute bars of {year} in {self.root} are unreadable: {error}"
                ) from error
        return self._gen.minute[year]

    def _minute_bars(
        self,
        symbols: str | Iterable[str] | None,
        start: Any,
        end: Any,
        fields: str | Sequence[str] | None,
        mode: Adjust,
        as_of: Any,
        as_pandas: bool,
    ) -> xr.Dataset | pd.DataFrame:
        years = self.minute_years()
        if not years:
            raise UnknownFieldError(f"store {self.root} holds no minute bars")
        names = self._fields(fields, list(MINUTE_FIELDS))
        lo, hi = self._row_range(start, end)
        first = pd.Timestamp(self._gen.days[lo])
        last = pd.Timestamp(self._gen.days[hi - 1]) + pd.Timedelta(days=1)
        parts = []
        wanted: list[str] | None = None
        for year in years:
            if year < first.year or year > last.year:
                continue
            data = self._minute_year(year)
            index = pd.Index(data.indexes["symbol"].astype(object))
            if symbols is None:
                wanted = wanted or list(index)
            else:
                wanted = [
                    _normalize_any(s) for s in ([symbols] if isinstance(symbols, str) else symbols)
                ]
            positions = index.get_indexer(wanted)
            if (positions < 0).any():
                missing = [w for w, p in zip(wanted, positions, strict=True) if p < 0]
                raise UnknownSymbolError(f"no minute bars for {', '.join(missing[:10])} in {year}")
            times = data.indexes["time"]
            rows = slice(int(times.searchsorted(first)), int(times.searchsorted(last)))
            parts.append(self._load(data[names].isel(time=rows, symbol=positions)))
        if not parts or wanted is None:
            raise DateError(f"no minute bars between {first.date()} and {self._gen.days[hi - 1]}")
        combined = xr.concat(parts, dim="time") if len(parts) > 1 else parts[0]
        combined = combined.assign_coords(symbol=np.asarray(wanted, dtype=object))
        out = xr.Dataset(coords=combined.coords)
        for name in names:
            values = combined[name]
            if MINUTE_FIELDS[name].price:
                values = (values.where(values >= 0) / 100.0).astype(np.float64)
            out[name] = values
        if mode is not None:
            scale = self._minute_scale(wanted, combined["time"].values, mode, as_of)
            for name in names:
                if MINUTE_FIELDS[name].price:
                    out[name] = out[name] * scale
        out["time"].attrs["timezone"] = "Asia/Shanghai"
        out.attrs = {
            "store": str(self.root),
            "snapshot": self.snapshot,
            "freq": "1m",
            "adjust": mode or "none",
            "timezone": "Asia/Shanghai",
        }
        if as_pandas:
            frame = out.to_dataframe()
            frame = frame[out["volume"].values.reshape(-1) > 0] if "volume" in names else frame
            index = frame.index
            assert isinstance(index, pd.MultiIndex)
            local = pd.DatetimeIndex(index.get_level_values(0)).tz_localize("Asia/Shanghai")
            frame.index = pd.MultiIndex.from_arrays(
                [local, index.get_level_values(1)], names=["time", "symbol"]
            )
            return frame
        return out

    def _minute_scale(
        self, symbols: list[str], times: np.ndarray, mode: str, as_of: Any
    ) -> np.ndarray:
        """Per-bar price multipliers from the daily adjustment factors of each bar's day."""
        dates = times.astype("datetime64[D]")
        lo, hi = self._row_range(str(dates[0]), str(dates[-1]))
        columns, _ = self._columns(symbols)
        factor = self._read_rows("adj_factor", lo, hi, columns)
        if mode == "forward":
            ref_row = hi - 1 if as_of is None else self._row_range(as_of, as_of)[1] - 1
            factor = factor / self._factor_at(ref_row, columns)[None, :]
        rows = np.searchsorted(self._gen.days[lo:hi], dates)
        return np.where(np.isfinite(factor), factor, 1.0)[rows]

    # -- description --------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """What the store holds, for people and scripts."""
        instruments = self._table(INSTRUMENTS_TABLE)
        size = sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
        last = [u for u in audit.updates(self.root) if u.get("status") == "committed"]
        minute = self.meta.get("minute") or {}
        return {
            "store": str(self.root),
            "generation": self.generation,
            "snapshot": self.snapshot,
            "source": self.meta.get("source", {}),
            "daily": {
                "start": str(self.start),
                "end": str(self.end),
                "days": len(self._gen.days),
                "symbols": len(self._gen.symbols),
            },
            "instruments": {
                "by_kind": instruments["kind"].value_counts().to_dict(),
                "by_board": instruments.loc[instruments["board"] != "", "board"]
                .value_counts()
                .to_dict(),
                "delisted": int(instruments["delist_date"].notna().sum()),
                "st_intervals": len(self._table(ST_TABLE)),
            },
            "minute": {
                "symbols": len(minute.get("symbols", [])),
                "start": minute.get("start"),
                "end": minute.get("end"),
                "years": self.minute_years(),
            },
            "calendar": {"first": str(self.calendar.first), "last": str(self.calendar.last)},
            "size_mb": round(size / 2**20, 1),
            "last_update": last[-1].get("committed_at") if last else None,
        }

    def __repr__(self) -> str:
        return (
            f"DataStore({str(self.root)!r}, {self.snapshot}, daily {self.start}..{self.end}, "
            f"{len(self._gen.symbols)} symbols)"
        )

    def _repr_html_(self) -> str:
        info = self.info()
        rows = [
            ("store", info["store"]),
            ("snapshot", info["snapshot"]),
            (
                "daily",
                f"{info['daily']['start']} .. {info['daily']['end']}, "
                f"{info['daily']['days']} days x {info['daily']['symbols']} symbols",
            ),
            ("boards", ", ".join(f"{k} {v}" for k, v in info["instruments"]["by_board"].items())),
            (
                "minute",
                f"{info['minute']['symbols']} symbols, {info['minute']['start']} .. "
                f"{info['minute']['end']}",
            ),
            ("size", f"{info['size_mb']} MB"),
        ]
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in rows
        )
        return f"<table><caption>quantlib data store</caption>{body}</table>"
