"""Writing arrays and tables into a generation directory.

Only a :class:`~quantlib.data.generations.StoreTransaction` calls these, on its private
new generation. Every write replaces files (new inodes), so the hard-linked parent
generation is never modified.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import zarr
from zarr.codecs import BloscCodec, ZstdCodec
from zarr.core.chunk_key_encodings import ChunkKeyEncodingParams

from quantlib.core.errors import CorruptStoreError, DataValidationError
from quantlib.data.daily import DailyArrays, array
from quantlib.data.layout import (
    CALENDAR_TABLE,
    DAILY_CHUNKS,
    DAILY_FIELDS,
    DAILY_STORE,
    DAY_EPOCH,
    INSTRUMENTS_TABLE,
    MINUTE_CHUNKS,
    MINUTE_DIR,
    MINUTE_FIELDS,
    RECENT_DAILY_CHUNKS,
    RECENT_DAILY_STORE,
    ST_TABLE,
    FieldSpec,
)
from quantlib.data.panel import Panel

_DAY0 = np.datetime64(DAY_EPOCH, "D")
#: Chunk keys "c.3.0" in one directory per array instead of one directory per chunk row:
#: a generation clone (one hard link per file) then makes ~50 directories, not ~1500.
FLAT_KEYS: ChunkKeyEncodingParams = {"name": "default", "separator": "."}
_DAILY_CODEC = BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")
_MINUTE_CODEC = ZstdCodec(level=3)


def checksum(values: np.ndarray) -> str:
    """sha256 of an array's little-endian bytes (independent of the storage codec)."""
    data = np.ascontiguousarray(values)
    if data.dtype.byteorder == ">":
        data = data.astype(data.dtype.newbyteorder("<"))
    return hashlib.sha256(data.tobytes()).hexdigest()


def _encode_days(days: np.ndarray) -> np.ndarray:
    return (days.astype("datetime64[D]") - _DAY0).astype(np.int32)


def _create_coords(
    group: zarr.Group,
    time_values: np.ndarray,
    time_attrs: dict,
    time_dtype: str,
    symbols: np.ndarray,
) -> None:
    time = group.create_array(
        "time",
        chunk_key_encoding=FLAT_KEYS,
        shape=(len(time_values),),
        chunks=(65536,),
        dtype=time_dtype,
        fill_value=0,
        dimension_names=("time",),
    )
    time[:] = time_values
    time.attrs.update(time_attrs)
    sym = group.create_array(
        "symbol",
        chunk_key_encoding=FLAT_KEYS,
        shape=(len(symbols),),
        chunks=(65536,),
        dtype=str,
        dimension_names=("symbol",),
    )
    sym[:] = np.asarray(symbols, dtype=object)


def _append_coords(group: zarr.Group, time_values: np.ndarray, symbols: np.ndarray) -> int:
    """Extend the coordinates; returns the old number of times. New symbols go last."""
    time, sym = array(group, "time"), array(group, "symbol")
    old_symbols = np.asarray(sym[:], dtype=object)
    if not np.array_equal(np.asarray(symbols[: len(old_symbols)], dtype=object), old_symbols):
        raise DataValidationError(
            "new data must keep the stored symbols in order and add new ones last"
        )
    old_times = time.shape[0]
    time.resize((old_times + len(time_values),))
    time[old_times:] = time_values
    if len(symbols) > len(old_symbols):
        sym.resize((len(symbols),))
        sym[len(old_symbols) :] = np.asarray(symbols[len(old_symbols) :], dtype=object)
    return old_times


def _write_field(
    group: zarr.Group,
    spec: FieldSpec,
    values: np.ndarray,
    old_times: int | None,
    n_symbols: int,
    chunks: tuple[int, int],
    codec: BloscCodec | ZstdCodec,
) -> None:
    values = np.asarray(values, dtype=spec.dtype)
    if old_times is None:
        created = group.create_array(
            spec.name,
            chunk_key_encoding=FLAT_KEYS,
            shape=values.shape,
            chunks=chunks,
            dtype=spec.dtype,
            fill_value=spec.fill,
            dimension_names=("time", "symbol"),
            compressors=codec,
            attributes={"description": spec.description},
        )
        created[:] = values
        return
    existing = array(group, spec.name)
    existing.resize((old_times + values.shape[0], n_symbols))
    existing[old_times:, :] = values


_DAY_ATTRS = {"units": f"days since {DAY_EPOCH}", "calendar": "proleptic_gregorian"}


def _append_daily(
    path: Path,
    times: np.ndarray,
    symbols: np.ndarray,
    fields: dict[str, np.ndarray],
    chunks: tuple[int, int],
) -> None:
    """Append rows (and any new symbols) to one daily group, creating it when absent."""
    if path.exists():
        group = zarr.open_group(path, mode="r+", zarr_format=3)
        old_times: int | None = _append_coords(group, times, symbols)
    else:
        group = zarr.open_group(path, mode="w", zarr_format=3)
        _create_coords(group, times, _DAY_ATTRS, "int32", symbols)
        old_times = None
    for name, spec in DAILY_FIELDS.items():
        _write_field(group, spec, fields[name], old_times, len(symbols), chunks, _DAILY_CODEC)


def write_daily(generation: Path, panel: Panel) -> dict[str, str]:
    """Create the daily arrays, or append ``panel``'s days (and any new symbols).

    New days go to the recent tail; whenever the tail holds a whole block of days, the
    block moves into the closed part as one new chunk row (see :mod:`quantlib.data.daily`).
    Returns the sha256 of each field's written slice.
    """
    missing = set(DAILY_FIELDS) - set(panel.fields)
    if missing:
        raise DataValidationError(f"daily panel lacks fields {sorted(missing)}")
    closed_path, recent_path = generation / DAILY_STORE, generation / RECENT_DAILY_STORE
    block = DAILY_CHUNKS[0]
    times = _encode_days(panel.days)
    fields = {
        name: np.asarray(panel.fields[name], dtype=spec.dtype)
        for name, spec in DAILY_FIELDS.items()
    }
    if closed_path.exists():
        recent = zarr.open_group(recent_path, mode="r", zarr_format=3)
        held = array(recent, "time").shape[0]
        if held + len(times) >= block:
            stored = DailyArrays(generation)
            first = stored.split
            total = len(stored.days)
            times = np.concatenate([_encode_days(stored.days[first:]), times])
            width = len(panel.symbols)
            for name, spec in DAILY_FIELDS.items():
                tail = np.full((total - first, width), spec.fill, dtype=spec.dtype)
                old = stored.rows(name, first, total)
                tail[:, : old.shape[1]] = old
                fields[name] = np.concatenate([tail, fields[name]])
            shutil.rmtree(recent_path)  # this generation's links only; the parent keeps its own
        else:
            block = 0
    whole = (len(times) // block) * block if block else 0
    _append_daily(
        closed_path,
        times[:whole],
        panel.symbols,
        {n: v[:whole] for n, v in fields.items()},
        DAILY_CHUNKS,
    )
    _append_daily(
        recent_path,
        times[whole:],
        panel.symbols,
        {n: v[whole:] for n, v in fields.items()},
        RECENT_DAILY_CHUNKS,
    )
    return {
        name: checksum(np.asarray(panel.fields[name], dtype=spec.dtype))
        for name, spec in DAILY_FIELDS.items()
    }


def verify_daily(generation: Path, panel: Panel, sums: dict[str, str]) -> int:
    """Read back the days just written and compare checksums; returns the stored day count."""
    stored = DailyArrays(generation)
    total = len(stored.days)
    first = total - len(panel.days)
    for name, spec in DAILY_FIELDS.items():
        values = np.asarray(stored.rows(name, first, total), dtype=spec.dtype)
        if checksum(values) != sums[name]:
            raise CorruptStoreError(
                f"read-back of daily field {name!r} does not match what was written"
            )
    return int(total)


def minute_year_path(generation: Path, year: int) -> Path:
    """Path of one year's minute store."""
    return generation / MINUTE_DIR / f"{year}.zarr"


def write_minute(generation: Path, panel: Panel) -> dict[str, str]:
    """Append minute bars (``panel.days`` are naive Shanghai bar-end times) by year.

    Prices are stored as int32 fen (exact); the reader turns them back into yuan.
    """
    sums: dict[str, str] = {}
    times = panel.days.astype("datetime64[ns]")
    years = times.astype("datetime64[Y]").astype(int) + 1970
    for year in np.unique(years):
        rows = years == year
        path = minute_year_path(generation, int(year))
        encoded = times[rows].astype(np.int64)
        if path.exists():
            group = zarr.open_group(path, mode="r+", zarr_format=3)
            last = np.asarray(array(group, "time")[-1:], dtype=np.int64)
            if last.size and encoded[0] <= last[0]:
                raise DataValidationError(f"minute bars for {year} must come after those stored")
            stored_symbols = np.asarray(array(group, "symbol")[:], dtype=object)
            known = set(stored_symbols.tolist())
            symbols = np.concatenate([stored_symbols, [s for s in panel.symbols if s not in known]])
            columns = pd.Index(panel.symbols).get_indexer(pd.Index(symbols))
            old_times: int | None = _append_coords(group, encoded, symbols)
        else:
            group = zarr.open_group(path, mode="w", zarr_format=3)
            symbols = panel.symbols
            columns = np.arange(len(symbols))
            _create_coords(
                group,
                encoded,
                {
                    "units": "nanoseconds since 1970-01-01",
                    "calendar": "proleptic_gregorian",
                    "timezone": "Asia/Shanghai",
                },
                "int64",
                symbols,
            )
            old_times = None
        for name, spec in MINUTE_FIELDS.items():
            source = panel.fields[name][rows]
            values = np.full((source.shape[0], len(symbols)), spec.fill, dtype=spec.dtype)
            known = columns >= 0
            picked = source[:, columns[known]]
            if spec.price:
                picked = np.where(np.isfinite(picked), np.rint(picked * 100.0), spec.fill)
            values[:, known] = picked.astype(spec.dtype)
            _write_field(group, spec, values, old_times, len(symbols), MINUTE_CHUNKS, _MINUTE_CODEC)
            sums[f"minute.{year}.{name}"] = checksum(values)
    return sums


def write_table(generation: Path, name: str, frame: pd.DataFrame) -> str:
    """Write a Parquet table as a new file; returns the sha256 of the file."""
    target = generation / name
    tmp = generation / f".{name}.{uuid.uuid4().hex}.tmp"
    frame.to_parquet(tmp, index=False)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    tmp.replace(target)
    return digest


def write_tables(
    generation: Path,
    instruments: pd.DataFrame,
    st_intervals: pd.DataFrame,
    calendar_days: np.ndarray,
) -> dict[str, str]:
    """Write the instrument master, ST intervals and calendar."""
    return {
        INSTRUMENTS_TABLE: write_table(generation, INSTRUMENTS_TABLE, instruments),
        ST_TABLE: write_table(generation, ST_TABLE, st_intervals),
        CALENDAR_TABLE: write_table(
            generation,
            CALENDAR_TABLE,
            pd.DataFrame({"date": calendar_days.astype("datetime64[D]").astype("datetime64[s]")}),
        ),
    }
