"""The symbol-major replica of the daily store, for fast reads of a few symbols' history.

The main daily arrays are chunked half a year of days x 1000 symbols, which serves
cross-sections, panels and windows well but makes one symbol's full history decode every
chunk of its column. Each generation therefore also keeps ``daily_history.zarr``:

``closed``
    ``(symbol, field, day)`` float64 for the days up to the last compaction, one chunk
    per 8 symbols holding their whole history: one small read per symbol.
``recent``
    The days appended since, chunked 64 symbols x 25 days, so a daily append rewrites
    only one 25-day column of chunks (about 12 MB at 5000 symbols).

When ``recent`` reaches :data:`COMPACT_AFTER` days it is folded into ``closed`` (the one
costly write, about once a year). Integer fields are held as float64, which is exact for
them. Both arrays are written in the same transaction as the main store and verified
alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr
from zarr.codecs import BloscCodec

from quantlib.core.errors import CorruptStoreError
from quantlib.data.layout import DAILY_FIELDS, READ_CONFIG
from quantlib.data.panel import Panel
from quantlib.data.writer import FLAT_KEYS, checksum

HISTORY_STORE = "daily_history.zarr"
FIELDS = tuple(DAILY_FIELDS)
CLOSED_SYMBOLS_PER_CHUNK = 8
RECENT_CHUNK = (128, len(FIELDS), 25)
#: Days held in ``recent`` before they are compacted into ``closed``.
COMPACT_AFTER = 250
_CODEC = BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")


def _as_cube(panel: Panel) -> np.ndarray:
    """Panel fields (days x symbols each) as one (symbol, field, day) float64 array."""
    cube = np.empty((len(panel.symbols), len(FIELDS), len(panel.days)), dtype=np.float64)
    for index, name in enumerate(FIELDS):
        cube[:, index, :] = np.asarray(panel.fields[name], dtype=np.float64).T
    return cube


def _write_closed(group: zarr.Group, cube: np.ndarray) -> None:
    days = max(cube.shape[2], 1)
    closed = group.create_array(
        "closed",
        chunk_key_encoding=FLAT_KEYS,
        shape=cube.shape,
        chunks=(CLOSED_SYMBOLS_PER_CHUNK, len(FIELDS), days),
        dtype="float64",
        fill_value=np.nan,
        compressors=_CODEC,
        overwrite=True,
    )
    closed[...] = cube
    group.create_array(
        "recent",
        chunk_key_encoding=FLAT_KEYS,
        shape=(cube.shape[0], len(FIELDS), 0),
        chunks=RECENT_CHUNK,
        dtype="float64",
        fill_value=np.nan,
        compressors=_CODEC,
        overwrite=True,
    )


def _array(group: zarr.Group, name: str) -> zarr.Array:
    member = group[name]
    if not isinstance(member, zarr.Array):
        raise CorruptStoreError(f"{HISTORY_STORE}/{name} is not an array")
    return member


def write_history(generation: Path, panel: Panel) -> None:
    """Create the replica, or append ``panel``'s days (compacting when due)."""
    path = generation / HISTORY_STORE
    cube = _as_cube(panel)
    if not path.exists():
        _write_closed(zarr.open_group(path, mode="w", zarr_format=3), cube)
        return
    group = zarr.open_group(path, mode="r+", zarr_format=3)
    closed, recent = _array(group, "closed"), _array(group, "recent")
    n_symbols = cube.shape[0]
    held = recent.shape[2]
    if held + cube.shape[2] > COMPACT_AFTER:
        whole = np.full((n_symbols, len(FIELDS), closed.shape[2] + held), np.nan)
        whole[: closed.shape[0], :, : closed.shape[2]] = closed[...]
        whole[: recent.shape[0], :, closed.shape[2] :] = recent[...]
        _write_closed(group, np.concatenate([whole, cube], axis=2))
        return
    if n_symbols > closed.shape[0]:
        closed.resize((n_symbols, len(FIELDS), closed.shape[2]))
    recent.resize((n_symbols, len(FIELDS), held + cube.shape[2]))
    recent[:, :, held:] = cube


@dataclass(frozen=True)
class History:
    """The two replica arrays of one generation, opened once."""

    closed: zarr.Array
    recent: zarr.Array


def open_history(generation: Path) -> History:
    """Open a generation's replica for reading."""
    group = zarr.open_group(generation / HISTORY_STORE, mode="r", zarr_format=3)
    return History(_array(group, "closed"), _array(group, "recent"))


def read_history(
    history: History, columns: np.ndarray, fields: list[str], lo: int, hi: int
) -> dict[str, np.ndarray]:
    """Rows ``lo:hi`` of ``fields`` for symbol ``columns``, as days x symbols arrays.

    Integer fields come back with their own dtype (0 where a symbol had no row yet).
    """
    closed, recent = history.closed, history.recent
    split = closed.shape[2]
    field_index = [FIELDS.index(name) for name in fields]
    parts = []
    if lo < split:
        rows = np.asarray(columns)
        present = rows < closed.shape[0]
        block = np.full((len(rows), len(FIELDS), min(hi, split) - lo), np.nan)
        if present.any():
            block[present] = closed.get_orthogonal_selection(
                (rows[present], slice(None), slice(lo, min(hi, split)))
            )
        parts.append(block)
    if hi > split:
        tail = recent.get_orthogonal_selection(
            (np.asarray(columns), slice(None), slice(max(lo - split, 0), hi - split))
        )
        parts.append(np.asarray(tail))
    cube = np.concatenate(parts, axis=2) if len(parts) > 1 else parts[0]
    out = {}
    for name, index in zip(fields, field_index, strict=True):
        spec = DAILY_FIELDS[name]
        values = cube[:, index, :].T
        if spec.dtype.kind in "iu":
            values = np.where(np.isnan(values), spec.fill, values).astype(spec.dtype)
        out[name] = np.ascontiguousarray(values)
    return out


def verify_history(generation: Path, panel: Panel, sums: dict[str, str], total: int) -> None:
    """Read back the days just written to the replica and compare with the main store's
    checksums of the same data."""
    first = total - len(panel.days)
    columns = np.arange(len(panel.symbols))
    with zarr.config.set(READ_CONFIG):
        stored = read_history(open_history(generation), columns, list(FIELDS), first, total)
    for name in FIELDS:
        if checksum(stored[name]) != sums[name]:
            raise CorruptStoreError(f"read-back of the history replica's {name!r} does not match")
