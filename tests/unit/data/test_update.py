"""Updates append exactly what is missing, and a failed update changes nothing."""

import datetime as dt
import fcntl
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from quantlib.core.errors import (
    ConfigError,
    CorruptStoreError,
    DataValidationError,
    EmptyResponseError,
    NotAStoreError,
    SourceError,
    StoreLockedError,
    UnknownSourceError,
)
from quantlib.data import audit, check_store, open_store, update_store
from quantlib.data.generations import KEEP_GENERATIONS, current_generation
from quantlib.data.layout import DAILY_CHUNKS, DAILY_FIELDS, GENERATIONS_DIR
from quantlib.data.sources.base import DataSource
from quantlib.data.sources.demo import DemoSource
from quantlib.data.update import build_demo_store


def snapshot_files(root: Path) -> dict[str, tuple[int, str]]:
    """Every file of the store's generations with its inode and sha256."""
    result = {}
    for path in sorted((root / GENERATIONS_DIR).rglob("*")):
        if path.is_file():
            result[str(path.relative_to(root))] = (
                path.stat().st_ino,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
    return result


def demo_of(root: Path) -> DemoSource:
    return DemoSource(**open_store(root).meta["source"]["options"])


class FrameSource(DataSource):
    """A vendor-like source: only long frames, optionally without preclose."""

    name = "frames"

    def __init__(
        self,
        demo: DemoSource,
        drop_preclose: bool = False,
        fail: type[Exception] | None = None,
        corrupt: bool = False,
    ) -> None:
        self.demo, self.drop_preclose, self.fail, self.corrupt = demo, drop_preclose, fail, corrupt

    def trading_days(self, start: dt.date, end: dt.date) -> np.ndarray:
        return self.demo.trading_days(start, end)

    def instruments(self) -> pd.DataFrame:
        return self.demo.instruments()

    def st_intervals(self) -> pd.DataFrame:
        return self.demo.st_intervals()

    def daily_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        if self.fail is EmptyResponseError:
            raise EmptyResponseError(f"frames.daily_bars {start}..{end} returned no rows")
        if self.fail is not None:
            raise self.fail("vendor said: 抱歉，您没有访问该接口的权限")
        bars = self.demo.daily_bars(start, end, symbols)
        if self.drop_preclose:
            bars["preclose"] = np.nan
        if self.corrupt:
            bars.loc[bars.index[:3], "high"] = bars.loc[bars.index[:3], "low"] - 1
        return bars

    def adj_factors(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        return self.demo.adj_factors(start, end, symbols)

    def minute_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        return self.demo.minute_bars(start, end, symbols)


def test_update_by_name_continues_the_recorded_demo_market(demo_store, tmp_path):
    before = open_store(demo_store)
    end = before.calendar.offset(before.end, 15)
    result = update_store(demo_store, "demo", end=end)
    assert result.days_added == 15 and result.op == "append"
    after = open_store(demo_store)
    assert after.end == end
    fresh = tmp_path / "fresh"
    build_demo_store(
        fresh, n_symbols=150, days=315, seed=7, start="2025-06-03", minute_symbols=8, minute_days=20
    )
    full = open_store(fresh)
    assert full.symbols[: len(before.symbols)] == before.symbols
    common = [s for s in after.symbols if s in set(full.symbols)]
    for name in DAILY_FIELDS:
        ours = after.bars(common, fields=[name])[name].values
        theirs = full.bars(common, fields=[name])[name].values
        assert np.array_equal(ours, theirs, equal_nan=True), name
    assert after.info()["minute"]["end"] == str(end)


def test_a_full_block_of_recent_days_moves_into_the_closed_arrays(tmp_path):
    from quantlib.data.daily import DailyArrays

    root = tmp_path / "store"
    build_demo_store(root, n_symbols=40, days=240, seed=3, start="2024-01-02", minute_days=0)
    store = open_store(root)
    block = DAILY_CHUNKS[0]
    assert (DailyArrays(store.path).split, len(store.trading_days())) == (240 // block * block, 240)
    update_store(root, "demo", end=store.calendar.offset(store.end, 30))
    after = open_store(root)
    layout = DailyArrays(after.path)
    assert (layout.split, len(layout.days)) == (270 // block * block, 270)
    assert layout.split > 240 // block * block  # the update moved a block out of the tail
    fresh = tmp_path / "fresh"
    build_demo_store(fresh, n_symbols=40, days=270, seed=3, start="2024-01-02", minute_days=0)
    full = open_store(fresh)
    assert after.symbols == full.symbols
    for name in DAILY_FIELDS:
        mine = after.bars(fields=[name], lazy=True)[name].values
        theirs = full.bars(fields=[name])[name].values
        assert np.array_equal(mine, theirs, equal_nan=True), name
    assert check_store(root).empty


def test_new_listings_are_appended_after_the_stored_symbols(demo_store):
    before = open_store(demo_store).symbols
    update_store(
        demo_store,
        "demo",
        end=open_store(demo_store).calendar.offset(open_store(demo_store).end, 60),
    )
    after = open_store(demo_store).symbols
    assert after[: len(before)] == before
    assert len(after) > len(before)


@pytest.mark.parametrize("drop_preclose", [False, True])
def test_a_frame_only_source_builds_the_same_store_as_the_panel_path(tmp_path, drop_preclose):
    demo = DemoSource(seed=11, n_symbols=60, start="2023-06-01", minute_symbols=0)
    end = demo.calendar.offset(demo.start, 179)
    a, b = tmp_path / "a", tmp_path / "b"
    update_store(a, demo, start=demo.start, end=end)
    update_store(b, FrameSource(demo, drop_preclose=drop_preclose), start=demo.start, end=end)
    sa, sb = open_store(a), open_store(b)
    assert sa.symbols == sb.symbols
    first_days = sa.bars(fields=["status"])["status"].values
    listed_before = first_days[0] > 0
    for name in DAILY_FIELDS:
        x = sa.bars(fields=[name])[name].values
        y = sb.bars(fields=[name])[name].values
        if drop_preclose and name in ("preclose", "up_limit", "down_limit"):
            x, y = x[1:, listed_before], y[1:, listed_before]  # IPO issue prices are unknown
        assert np.allclose(x, y, equal_nan=True, atol=1e-9), name


def test_minute_bars_from_a_vendor_frame_match_the_demo_panels(tmp_path):
    demo = DemoSource(seed=4, n_symbols=30, start="2024-03-01", minute_symbols=3)
    end = demo.calendar.offset(demo.start, 9)
    minute_from = demo.calendar.offset(end, -1)
    symbols = demo.minute_symbol_list().tolist()
    a, b = tmp_path / "a", tmp_path / "b"
    update_store(a, demo, end=end, minute_start=minute_from)
    update_store(
        b,
        FrameSource(demo),
        start=demo.start,
        end=end,
        minute_symbols=symbols,
        minute_start=minute_from,
    )
    ours = open_store(a).bars(symbols, minute_from, end, freq="1m", fields="all")
    theirs = open_store(b).bars(symbols, minute_from, end, freq="1m", fields="all")
    assert ours.sizes == {"time": 480, "symbol": 3}
    for name in ours.data_vars:
        assert np.array_equal(ours[name].values, theirs[name].values, equal_nan=True), name


def test_up_to_date_store_records_a_skipped_update(demo_store):
    end = open_store(demo_store).end
    result = update_store(demo_store, "demo", end=end)
    assert result.op == "noop" and "up to date" in result.message
    assert audit.updates(demo_store)[-1]["status"] == "skipped"


def test_start_after_the_next_missing_day_would_leave_a_gap(demo_store):
    store = open_store(demo_store)
    with pytest.raises(DataValidationError, match="gap"):
        update_store(
            demo_store,
            "demo",
            start=store.calendar.offset(store.end, 5),
            end=store.calendar.offset(store.end, 9),
        )


@pytest.mark.parametrize(
    ("source_kwargs", "error", "fragment"),
    [
        ({"fail": SourceError}, SourceError, "权限"),
        ({"fail": EmptyResponseError}, EmptyResponseError, "no rows"),
        ({"corrupt": True}, DataValidationError, "ohlc_inconsistent"),
    ],
)
def test_a_failed_update_leaves_the_store_exactly_as_it_was(
    demo_store, source_kwargs, error, fragment
):
    before_files = snapshot_files(demo_store)
    before_current = current_generation(demo_store)
    store = open_store(demo_store)
    source = FrameSource(demo_of(demo_store), **source_kwargs)
    with pytest.raises(error, match=fragment):
        update_store(demo_store, source, end=store.calendar.offset(store.end, 3))
    assert current_generation(demo_store) == before_current
    assert snapshot_files(demo_store) == before_files
    last = audit.updates(demo_store)[-1]
    assert last["status"] == "aborted" and fragment in last["error"]


def test_an_update_never_modifies_the_previous_generation(demo_store):
    before_files = snapshot_files(demo_store)
    update_store(
        demo_store,
        "demo",
        end=open_store(demo_store).calendar.offset(open_store(demo_store).end, 5),
    )
    after_files = snapshot_files(demo_store)
    for name, identity in before_files.items():
        assert after_files[name] == identity


def test_an_open_reader_keeps_its_snapshot_until_refresh(demo_store):
    reader = open_store(demo_store)
    end, snapshot = reader.end, reader.snapshot
    update_store(demo_store, "demo", end=reader.calendar.offset(end, 2))
    assert reader.end == end and reader.bars(fields=["close"]).attrs["snapshot"] == snapshot
    reader.refresh()
    assert reader.end == reader.calendar.offset(end, 2)


def test_a_second_writer_is_refused_while_the_lock_is_held(demo_store):
    fd = os.open(demo_store / "lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(StoreLockedError, match="another process"):
            update_store(
                demo_store,
                "demo",
                end=open_store(demo_store).calendar.offset(open_store(demo_store).end, 1),
            )
    finally:
        os.close(fd)


def test_old_generations_are_collected(demo_store):
    store = open_store(demo_store)
    for step in range(1, KEEP_GENERATIONS + 3):
        update_store(demo_store, "demo", end=store.calendar.offset(store.end, step))
    generations = sorted(p.name for p in (demo_store / GENERATIONS_DIR).iterdir())
    assert len(generations) == KEEP_GENERATIONS + 1
    assert generations[-1] == current_generation(demo_store)


def test_unknown_source_and_bad_paths_are_refused(demo_store, tmp_path):
    with pytest.raises(UnknownSourceError, match="nonesuch"):
        update_store(demo_store, "nonesuch")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("not a store")
    with pytest.raises(NotAStoreError):
        update_store(tmp_path / "junk", "demo")
    with pytest.raises(ConfigError, match="start"):
        update_store(tmp_path / "new", FrameSource(DemoSource(n_symbols=5)), end="2024-01-05")
    with pytest.raises(DataValidationError, match="already holds a store"):
        build_demo_store(demo_store, n_symbols=5, days=5)


def test_a_demo_build_that_failed_can_be_run_again(tmp_path, monkeypatch):
    root = tmp_path / "store"

    def broken(*args, **kwargs):
        raise SourceError("simulated failure while fetching")

    monkeypatch.setattr(DemoSource, "daily_panel", broken)
    with pytest.raises(SourceError):
        build_demo_store(root, n_symbols=10, days=5, minute_days=0)
    monkeypatch.undo()
    result = build_demo_store(root, n_symbols=10, days=5, minute_days=0)
    assert result.days_added == 5
    assert [u["status"] for u in audit.updates(root)] == ["aborted", "committed"]


def test_a_corrupt_chunk_is_reported_not_crashed_on(demo_store):
    generation = demo_store / GENERATIONS_DIR / current_generation(demo_store)
    chunk = next(
        p
        for p in (generation / "daily.zarr" / "close").rglob("*")
        if p.is_file() and p.name != "zarr.json"
    )
    chunk.unlink()  # hard-linked: replace, never edit, the shared file
    chunk.write_bytes(b"\x00garbage" * 10)
    store = open_store(demo_store)
    with pytest.raises(CorruptStoreError, match="close"):
        store.bars(fields=["close"])
    findings = check_store(demo_store)
    assert "unreadable" in set(findings["check"])


def test_the_audit_record_carries_counts_and_checksums(demo_store):
    row = [u for u in audit.updates(demo_store) if u["status"] == "committed"][-1]
    assert row["op"] == "rebuild" and row["trade_dates"]["count"] == 300
    assert set(DAILY_FIELDS) <= set(row["checksums"])
    assert row["source"]["source"] == "demo" and row["environment"]["zarr"]
    assert row["n_trading"] > 0 and row["duration_s"] >= 0


def test_bars_after_an_update_are_what_the_source_sent(demo_store):
    store = open_store(demo_store)
    end = store.calendar.offset(store.end, 4)
    update_store(demo_store, "demo", end=end)
    fresh = open_store(demo_store)
    new = fresh.bars(start=store.calendar.offset(store.end, 1), end=end, fields=["close"])
    assert isinstance(new, xr.Dataset)
    demo = demo_of(demo_store)
    panel = demo.daily_panel(
        new["time"].values.astype("datetime64[D]"), np.asarray(fresh.symbols, dtype=object)
    )
    assert np.array_equal(new["close"].values, panel.fields["close"], equal_nan=True)
