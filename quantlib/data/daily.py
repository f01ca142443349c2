"""The daily arrays of one generation: a closed part and a recent tail.

``daily.zarr`` holds whole blocks of :data:`~quantlib.data.layout.DAILY_CHUNKS` days
(chunks of half a year x 1000 symbols, for panels, windows and years-long reads);
``daily_recent.zarr`` holds the days since, in chunks of 25 days x all symbols, so that
a daily append rewrites one small chunk per field (zarr's per-chunk cost, not bytes,
dominates appends) and a recent day's cross-section decodes a tenth as much. When the
tail reaches a full block it moves into ``daily.zarr`` as exactly one new chunk row.
Both groups have the same fields and symbols; :class:`DailyArrays` reads them as one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import zarr

from quantlib.core.errors import CorruptStoreError
from quantlib.data.chunks import ChunkReader
from quantlib.data.layout import DAILY_STORE, DAY_EPOCH, READ_CONFIG, RECENT_DAILY_STORE

DAY_ZERO = np.datetime64(DAY_EPOCH, "D")


def array(group: zarr.Group, name: str) -> zarr.Array:
    """A member array of a group (raising if the store is malformed)."""
    member = group[name]
    if not isinstance(member, zarr.Array):
        raise CorruptStoreError(f"{group.store_path}/{name} is not an array")
    return member


def decode_days(values: np.ndarray) -> np.ndarray:
    """Stored int32 day numbers as ``datetime64[D]``."""
    return DAY_ZERO + np.asarray(values).astype("timedelta64[D]")


class DailyArrays:
    """Read access to a generation's daily fields across the closed part and the tail."""

    def __init__(self, generation: Path) -> None:
        self.generation = generation
        self.closed = zarr.open_group(generation / DAILY_STORE, mode="r", zarr_format=3)
        self.recent = zarr.open_group(generation / RECENT_DAILY_STORE, mode="r", zarr_format=3)
        self._arrays: dict[tuple[str, bool], zarr.Array] = {}
        self._readers: dict[tuple[str, bool], ChunkReader | None] = {}
        closed_days = np.asarray(array(self.closed, "time")[:])
        recent_days = np.asarray(array(self.recent, "time")[:])
        self.split = len(closed_days)
        self.days = decode_days(np.concatenate([closed_days, recent_days]))

    def _array(self, name: str, recent: bool) -> zarr.Array:
        key = (name, recent)
        if key not in self._arrays:
            self._arrays[key] = array(self.recent if recent else self.closed, name)
        return self._arrays[key]

    def symbols(self) -> np.ndarray:
        """The ``symbol`` coordinate."""
        return np.asarray(array(self.closed, "symbol")[:], dtype=object)

    def _reader(self, name: str, recent: bool) -> ChunkReader | None:
        key = (name, recent)
        if key not in self._readers:
            folder = RECENT_DAILY_STORE if recent else DAILY_STORE
            self._readers[key] = ChunkReader.of(self.generation / folder / name)
        return self._readers[key]

    def _scattered(self, name: str, lo: int, hi: int, columns: np.ndarray) -> np.ndarray | None:
        """Rows of scattered columns read straight from the chunk files (None when an
        array is not in the format :class:`ChunkReader` knows)."""
        parts = []
        if lo < self.split:
            reader = self._reader(name, False)
            if reader is None:
                return None
            parts.append(reader.read(lo, min(hi, self.split), columns))
        if hi > self.split:
            reader = self._reader(name, True)
            if reader is None:
                return None
            parts.append(reader.read(max(lo, self.split) - self.split, hi - self.split, columns))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)

    def rows(self, name: str, lo: int, hi: int, columns: np.ndarray | None = None) -> np.ndarray:
        """Rows ``lo:hi`` of one field (all symbols when ``columns`` is None)."""
        if columns is not None and hi > lo:
            picked = np.asarray(columns, dtype=np.int64)
            if len(picked) and bool(np.all(np.diff(picked) > 0)):
                direct = self._scattered(name, lo, hi, picked)
                if direct is not None:
                    return direct
        pick: slice | np.ndarray = slice(None) if columns is None else np.asarray(columns)
        parts = []
        with zarr.config.set(READ_CONFIG):
            if lo < self.split:
                part = self._array(name, False)
                parts.append(part.get_orthogonal_selection((slice(lo, min(hi, self.split)), pick)))
            if hi > self.split:
                part = self._array(name, True)
                tail = (slice(max(lo, self.split) - self.split, hi - self.split), pick)
                parts.append(part.get_orthogonal_selection(tail))
        arrays = [np.asarray(p) for p in parts]
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=0)
