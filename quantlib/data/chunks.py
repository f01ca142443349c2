"""Direct reads of the store's own chunk files, for selections of scattered columns.

zarr's reader runs every chunk through an asyncio event loop and a codec pipeline; for
a read of a few hundred rows of 100 scattered symbols (ten 1 MB chunks per field) that
machinery, not decoding, is about half the time. The daily arrays are written by this
package in one known format: a regular chunk grid, ``c.<row>.<col>`` files in the array's
directory, little-endian bytes and Blosc. :class:`ChunkReader` reads exactly that format:
it reads and decodes the chunks a selection touches in a thread pool (Blosc releases the
GIL) and copies the selected cells out. Any other format makes :meth:`ChunkReader.of`
return None, and the caller reads through zarr.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numcodecs import blosc

from quantlib.core.errors import CorruptStoreError


@cache
def _pool_of(pid: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1), thread_name_prefix="chunks")


def _pool() -> ThreadPoolExecutor:
    """This process's decoding pool (a forked child gets its own: the parent's threads do
    not exist there)."""
    return _pool_of(os.getpid())


@dataclass(frozen=True)
class ChunkReader:
    """The chunk files of one 2-D array written as bytes (little-endian) + Blosc."""

    path: Path
    shape: tuple[int, int]
    chunks: tuple[int, int]
    dtype: np.dtype[Any]
    fill: float

    @classmethod
    def of(cls, path: Path) -> ChunkReader | None:
        """A reader of the array at ``path``, or None when its format is not the one
        this reader knows (the caller then reads through zarr)."""
        try:
            meta = json.loads((path / "zarr.json").read_text())
        except (OSError, ValueError):
            return None
        codecs = [c.get("name") for c in meta.get("codecs", [])]
        grid = meta.get("chunk_grid", {})
        keys = meta.get("chunk_key_encoding", {})
        if (
            meta.get("zarr_format") != 3
            or len(meta.get("shape", ())) != 2
            or codecs != ["bytes", "blosc"]
            or meta["codecs"][0].get("configuration", {}).get("endian", "little") != "little"
            or grid.get("name") != "regular"
            or keys.get("name") != "default"
            or keys.get("configuration", {}).get("separator") != "."
            or meta.get("storage_transformers")
        ):
            return None
        try:
            dtype = np.dtype(meta["data_type"]).newbyteorder("<")
        except TypeError:
            return None
        fill = meta.get("fill_value")
        return cls(
            path=path,
            shape=(int(meta["shape"][0]), int(meta["shape"][1])),
            chunks=tuple(int(c) for c in grid["configuration"]["chunk_shape"]),  # type: ignore[arg-type]
            dtype=dtype,
            fill=float("nan") if fill in ("NaN", None) else float(fill),
        )

    def read(self, lo: int, hi: int, columns: np.ndarray) -> np.ndarray:
        """Rows ``lo:hi`` of ``columns`` (sorted, unique column numbers)."""
        out = np.empty((hi - lo, len(columns)), dtype=self.dtype)
        if hi <= lo or not len(columns):
            return out
        rows_per, cols_per = self.chunks
        col_chunk = columns // cols_per
        by_chunk = [(int(c), np.flatnonzero(col_chunk == c)) for c in np.unique(col_chunk)]
        tasks: list[tuple[int, int, int, int, np.ndarray]] = []
        for r in range(lo // rows_per, (hi - 1) // rows_per + 1):
            r0, r1 = max(lo, r * rows_per), min(hi, (r + 1) * rows_per)
            tasks.extend((r, c, r0, r1, where) for c, where in by_chunk)
        pool = _pool()
        futures = [
            pool.submit(self._cells, r, c, r0 - r * rows_per, r1 - r * rows_per, columns[w])
            for r, c, r0, r1, w in tasks
        ]
        for (_, _, r0, r1, where), future in zip(tasks, futures, strict=True):
            out[r0 - lo : r1 - lo, where] = future.result()
        return out

    def _cells(self, r: int, c: int, r0: int, r1: int, columns: np.ndarray) -> np.ndarray:
        """Rows ``r0:r1`` (within the chunk) of ``columns`` from chunk ``(r, c)``."""
        key = self.path / f"c.{r}.{c}"
        local = columns - c * self.chunks[1]
        try:
            raw = key.read_bytes()
        except FileNotFoundError:
            return np.full((r1 - r0, len(columns)), self.fill, dtype=self.dtype)
        except OSError as error:
            raise CorruptStoreError(f"cannot read chunk {key}: {error}") from error
        try:
            block = np.frombuffer(blosc.decompress(raw), dtype=self.dtype)
            block = block.reshape(self.chunks)
        except (RuntimeError, ValueError) as error:
            raise CorruptStoreError(
                f"chunk {key} is corrupt ({type(error).__name__}: {error}); "
                "run `quantlib data check`"
            ) from error
        return block[r0:r1, local]


__all__ = ["ChunkReader"]
