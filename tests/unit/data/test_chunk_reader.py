"""Direct chunk reads agree with zarr's, cell for cell, and name corrupt chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zarr
from zarr.codecs import BloscCodec

from quantlib.core.errors import CorruptStoreError
from quantlib.data import open_store
from quantlib.data.chunks import ChunkReader
from quantlib.data.writer import FLAT_KEYS


def _array(root: Path, dtype: str = "float64") -> tuple[zarr.Array, np.ndarray]:
    values = np.random.default_rng(3).normal(size=(23, 17)).astype(dtype)
    values[5, :] = np.nan if dtype == "float64" else 0
    array = zarr.create_array(
        store=root / "field",
        shape=values.shape,
        chunks=(5, 4),  # edge chunks on both axes
        dtype=dtype,
        fill_value=np.nan if dtype == "float64" else 0,
        chunk_key_encoding=FLAT_KEYS,
        compressors=BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"),
    )
    array[:] = values
    return array, values


@pytest.mark.parametrize("dtype", ["float64", "int64", "int32"])
def test_scattered_reads_match_zarr(tmp_path: Path, dtype: str) -> None:
    array, values = _array(tmp_path, dtype)
    reader = ChunkReader.of(tmp_path / "field")
    assert reader is not None
    for lo, hi, columns in [(0, 23, [0, 3, 4, 16]), (7, 12, [1, 2]), (20, 23, [16]), (4, 6, [8])]:
        cols = np.asarray(columns)
        got = reader.read(lo, hi, cols)
        np.testing.assert_array_equal(got, values[lo:hi][:, cols])
        np.testing.assert_array_equal(got, array.get_orthogonal_selection((slice(lo, hi), cols)))


def test_missing_chunks_read_as_the_fill_value(tmp_path: Path) -> None:
    _array(tmp_path)
    (tmp_path / "field" / "c.1.0").unlink()
    got = ChunkReader.of(tmp_path / "field").read(5, 10, np.array([0, 1]))  # type: ignore[union-attr]
    assert np.isnan(got).all()


def test_other_formats_are_left_to_zarr(tmp_path: Path) -> None:
    zarr.create_array(store=tmp_path / "plain", shape=(4, 4), chunks=(2, 2), dtype="float64")
    assert ChunkReader.of(tmp_path / "plain") is None  # zstd, "/" keys
    assert ChunkReader.of(tmp_path / "missing") is None


def test_a_corrupt_chunk_is_named(tmp_path: Path) -> None:
    _array(tmp_path)
    chunk = tmp_path / "field" / "c.0.1"
    chunk.write_bytes(b"not lz4 at all")
    with pytest.raises(CorruptStoreError, match=r"chunk .*c\.0\.1 is corrupt"):
        ChunkReader.of(tmp_path / "field").read(0, 5, np.array([4, 5]))  # type: ignore[union-attr]


def test_store_reads_of_many_scattered_symbols_match_the_panel(demo_store_template: Path) -> None:
    store = open_store(demo_store_template)
    rng = np.random.default_rng(11)
    picked = sorted(rng.choice(len(store.symbols), size=100, replace=False))
    symbols = [store.symbols[i] for i in picked] + [store.symbols[-1]]
    days = store.trading_days()
    start, end = days[len(days) // 3], days[-1]  # spans the closed part and the recent tail
    bars = store.bars(symbols, start, end, ["close", "volume", "status"])
    for name in ("close", "volume", "status"):
        panel = store.panel(name).loc[start:end, symbols]
        np.testing.assert_array_equal(bars[name].values, panel.to_numpy())


def test_a_forked_child_reads_with_its_own_threads(tmp_path: Path) -> None:
    import multiprocessing

    _array(tmp_path)
    reader = ChunkReader.of(tmp_path / "field")
    assert reader is not None
    expected = reader.read(0, 23, np.array([0, 9, 16]))  # the parent's pool now exists
    with multiprocessing.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(reader.read, (0, 23, np.array([0, 9, 16]))).get(timeout=60)
    np.testing.assert_array_equal(got, expected)
