"""The symbol-major replica answers narrow reads exactly as the main arrays do."""

import numpy as np
import pytest
import zarr

from quantlib.core.errors import CorruptStoreError
from quantlib.data import history, open_store, update_store
from quantlib.data.generations import current_generation
from quantlib.data.layout import DAILY_FIELDS, GENERATIONS_DIR
from quantlib.data.store import NARROW_READ


def _both_paths(store, symbols, start=None, end=None):
    narrow = store.bars(symbols, start, end, fields="all")
    wide_symbols = list(symbols) + [s for s in store.symbols if s not in set(symbols)]
    wide_symbols = wide_symbols[: NARROW_READ + 1]
    wide = store.bars(wide_symbols, start, end, fields="all").sel(symbol=list(symbols))
    return narrow, wide


def _assert_same(narrow, wide):
    for name in [*DAILY_FIELDS, "suspended", "vwap"]:
        assert narrow[name].dtype == wide[name].dtype, name
        assert np.array_equal(narrow[name].values, wide[name].values, equal_nan=True), name


def test_narrow_reads_match_the_main_arrays(demo_store_template):
    store = open_store(demo_store_template)
    rng = np.random.default_rng(0)
    for _ in range(5):
        symbols = list(rng.choice(store.symbols, size=rng.integers(1, 6), replace=False))
        days = store.trading_days()
        lo, hi = sorted(rng.choice(len(days), size=2, replace=False))
        _assert_same(*_both_paths(store, symbols, days[lo].date(), days[hi].date()))


def test_replica_follows_appends_new_listings_and_compaction(demo_store, monkeypatch):
    monkeypatch.setattr(history, "COMPACT_AFTER", 12)
    store = open_store(demo_store)
    for step in (5, 10, 20, 45):
        update_store(demo_store, "demo", end=store.calendar.offset(store.end, step))
    fresh = open_store(demo_store)
    group = zarr.open_group(fresh.path / history.HISTORY_STORE, mode="r")
    assert group["closed"].shape[2] + group["recent"].shape[2] == len(fresh.trading_days())
    assert group["recent"].shape[2] < 12
    newest = fresh.symbols[-3:]  # listed after the first build
    _assert_same(*_both_paths(fresh, newest))
    _assert_same(*_both_paths(fresh, fresh.symbols[:4]))


def test_a_corrupt_replica_chunk_is_reported(demo_store):
    generation = demo_store / GENERATIONS_DIR / current_generation(demo_store)
    chunks = [
        p
        for p in (generation / history.HISTORY_STORE / "closed").rglob("*")
        if p.is_file() and p.name != "zarr.json"
    ]
    for chunk in chunks:  # hard-linked: replace, never edit, the shared files
        chunk.unlink()
        chunk.write_bytes(b"not lz4 at all")
    with pytest.raises(CorruptStoreError, match="history replica"):
        open_store(demo_store).bars(open_store(demo_store).symbols[:2])
