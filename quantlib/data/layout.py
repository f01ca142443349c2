"""The on-disk layout of a data store: names, fields, dtypes, chunks and codecs.

See ``docs/data-store.md`` for the measurements behind these choices::

    STORE/
      quantlib-store.json        marker: format and version
      lock                       flock'd by the single writer
      CURRENT                    name of the visible generation, replaced atomically
      gens/gen-000007/           one immutable generation (hard-link clone + changes)
        daily.zarr/              time x symbol, one array per field, whole 125-day blocks
        daily_recent.zarr/       the days since the last whole block, 25-day chunks
        minute1/2024.zarr/       one store per calendar year, prices in int32 fen
        instruments.parquet  st_intervals.parquet  calendar.parquet  last_values.parquet
        generation.json          identity of this generation and the update that made it
      _audit/updates.jsonl       append-only, one record per attempted update
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STORE_MARKER = "quantlib-store.json"
STORE_FORMAT = "quantlib-store"
STORE_VERSION = 1
LOCK_FILE = "lock"
CURRENT_FILE = "CURRENT"
GENERATIONS_DIR = "gens"
AUDIT_DIR = "_audit"
AUDIT_LOG = "updates.jsonl"
GENERATION_META = "generation.json"
DAILY_STORE = "daily.zarr"
RECENT_DAILY_STORE = "daily_recent.zarr"
MINUTE_DIR = "minute1"
INSTRUMENTS_TABLE = "instruments.parquet"
ST_TABLE = "st_intervals.parquet"
CALENDAR_TABLE = "calendar.parquet"
#: Each symbol's last traded close and last factor: what the next update continues from.
LAST_VALUES_TABLE = "last_values.parquet"

#: Time-axis encoding of the daily store: int32 days since this date.
DAY_EPOCH = "1990-01-01"

#: Daily chunk: half a year of days x 1000 symbols, about 1 MB of float64. Measured at
#: 5000 x 2500 against DATA-NOTES' 250 x 500: a day's cross-section 36 -> 20 ms, 100
#: symbols x 250 days unchanged within noise, full panel faster (see docs). The closed
#: part of the daily arrays always holds whole multiples of its 125 days.
DAILY_CHUNKS = (125, 1000)
#: Chunk of the recent tail: 25 days x 8192 symbols (all of them in one chunk column).
#: zarr's cost per chunk written (~1.5 ms) dominates a one-day append, so the tail keeps
#: few chunks per row: 12 fields x 1 chunk instead of 12 x 10 (measured 42 ms vs 181 ms).
RECENT_DAILY_CHUNKS = (25, 8192)
#: Minute chunk: one trading day x 1000 symbols, so appending a day never rewrites a chunk.
MINUTE_CHUNKS = (240, 1000)


#: zarr settings for reads: decode up to 16 chunks per batch (measured ~12% faster wide
#: reads than zarr's default of 1; writes are unaffected, so it is applied per read).
READ_CONFIG = {"codec_pipeline.batch_size": 16}


class Status:
    """Values of the daily ``status`` array."""

    NOT_LISTED = 0
    TRADING = 1
    SUSPENDED = 2
    DELISTED = 3


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A stored field: its dtype, fill value and whether it is a price (adjustable)."""

    name: str
    dtype: np.dtype
    fill: float | int
    price: bool
    description: str


def _f(name: str, price: bool, description: str) -> FieldSpec:
    return FieldSpec(name, np.dtype("float64"), np.nan, price, description)


DAILY_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        _f("open", True, "opening price, raw (yuan)"),
        _f("high", True, "highest price, raw (yuan)"),
        _f("low", True, "lowest price, raw (yuan)"),
        _f("close", True, "closing price, raw (yuan)"),
        _f("preclose", True, "ex-rights reference close that the day's limits are based on"),
        FieldSpec("volume", np.dtype("int64"), 0, False, "traded shares"),
        _f("amount", False, "traded value (yuan)"),
        _f("adj_factor", False, "cumulative back-adjustment factor (raw x factor = hfq)"),
        _f("up_limit", True, "limit-up price; NaN on days without a limit"),
        _f("down_limit", True, "limit-down price; NaN on days without a limit"),
        FieldSpec(
            "status", np.dtype("int8"), 0, False, "0 not listed, 1 trading, 2 suspended, 3 delisted"
        ),
        FieldSpec("st", np.dtype("int8"), 0, False, "1 while under special treatment (ST/*ST)"),
    )
}

#: Fields computed on read from stored ones.
DERIVED_DAILY_FIELDS: dict[str, str] = {
    "suspended": "status == 2 (listed but not trading)",
    "vwap": "amount / volume",
}

MINUTE_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("open", np.dtype("int32"), -1, True, "opening price (fen on disk)"),
        FieldSpec("high", np.dtype("int32"), -1, True, "highest price (fen on disk)"),
        FieldSpec("low", np.dtype("int32"), -1, True, "lowest price (fen on disk)"),
        FieldSpec("close", np.dtype("int32"), -1, True, "closing price (fen on disk)"),
        FieldSpec("volume", np.dtype("int64"), 0, False, "traded shares"),
        _f("amount", False, "traded value (yuan)"),
    )
}

PRICE_FIELDS = tuple(name for name, spec in DAILY_FIELDS.items() if spec.price)


def generation_name(number: int) -> str:
    """Directory name of generation ``number``."""
    return f"gen-{number:06d}"


def generation_number(name: str) -> int:
    """Number of a generation directory name (``gen-000007`` -> 7)."""
    prefix, _, digits = name.partition("-")
    if prefix != "gen" or not digits.isdigit():
        raise ValueError(f"{name!r} is not a generation name")
    return int(digits)
