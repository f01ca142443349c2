"""quantlib's own store in the data-store benchmark, through its public API only."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .measure import FIELDS, PRICE_FIELDS, BenchData


class QuantlibBench:
    """quantlib's store through its public API (``update_store`` / ``open_store``)."""

    name = "quantlib"

    def __init__(self, data: BenchData, root: Path) -> None:
        self.data, self.root = data, root
        self._source: Any = None
        self._handle: Any = None

    def source(self) -> Any:
        """The demo market of the prepared data, simulated up to the last append day."""
        if self._source is None:
            from quantlib.data.sources.demo import DemoSource

            meta = self.data.meta
            self._source = DemoSource(
                seed=meta["seed"],
                n_symbols=meta["n_symbols"],
                start=meta["start"],
                minute_symbols=0,
            )
            days = np.concatenate([self.data.days, self.data.append_days])
            self._source.daily_panel(days, self.data.symbols)
        return self._source

    def build(self) -> dict[str, Any]:
        """Build the store from the demo source (simulation warmed up outside the timer)."""
        from quantlib.data.update import update_store

        source = self.source()
        start = time.perf_counter()
        result = update_store(
            self.root, source, start=str(self.data.days[0]), end=str(self.data.days[-1])
        )
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "message": result.message}

    def _bars(self, store: Any, pattern: str) -> dict[str, np.ndarray]:
        d = self.data
        sel = d.selection(pattern)
        symbols = None if len(sel.cols) == len(d.symbols) else list(d.symbols[sel.cols])
        ds = store.bars(symbols, str(d.days[sel.lo]), str(d.days[sel.hi - 1]), fields=list(FIELDS))
        return {f: ds[f].values for f in FIELDS}

    def read(self, pattern: str) -> dict[str, np.ndarray]:
        """Open the store and read a pattern's cells as dense numpy arrays."""
        from quantlib.data.store import open_store

        return self._bars(open_store(self.root), pattern)

    def to_panel(self, pattern: str, result: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The result is already the dense panel."""
        return result

    def extra_reads(self, pattern: str) -> dict[str, Callable[[], Any]]:
        """Same read with a handle opened once; the cross-section also via ``cross_section``."""
        from quantlib.data.store import open_store

        if self._handle is None:
            self._handle = open_store(self.root)
        handle = self._handle
        extras: dict[str, Callable[[], Any]] = {"open_handle": lambda: self._bars(handle, pattern)}
        if pattern == "xsec":
            day = str(self.data.days[self.data.selection("xsec").lo])
            extras["cross_section_api"] = lambda: self._cross_section(open_store(self.root), day)
        return extras

    def _cross_section(self, store: Any, day: str) -> dict[str, np.ndarray]:
        frame = store.cross_section(day, list(FIELDS))
        full = frame.reindex(list(self.data.symbols))
        return {
            f: full[f].to_numpy(dtype=np.float64, na_value=np.nan)[None, :]
            if f in PRICE_FIELDS
            else full[f].fillna(0).to_numpy(dtype=np.float64)[None, :]
            for f in FIELDS
        }

    def append(self, k: int) -> dict[str, float]:
        """``update_store`` for the next day; the source's own calls are timed separately."""
        from quantlib.data.update import update_store

        source = self.source()
        day = self.data.append_days[k]
        start = time.perf_counter()
        source.daily_panel(np.asarray([day]), self.data.symbols)
        panel_s = time.perf_counter() - start
        start = time.perf_counter()
        source.instruments()
        source.st_intervals()
        meta_s = time.perf_counter() - start
        start = time.perf_counter()
        result = update_store(self.root, source, end=str(day))
        seconds = time.perf_counter() - start
        if result.days_added != 1:
            raise AssertionError(f"update added {result.days_added} days: {result.message}")
        return {
            "seconds": seconds,
            "source_daily_panel_s": panel_s,
            "source_reference_s": meta_s,
            "net_s": seconds - panel_s - meta_s,
            "new_listings": float(result.new_listings),
        }

    def read_appended(self) -> dict[str, np.ndarray]:
        """The appended days for the prepared symbols, for the check."""
        from quantlib.data.store import open_store

        d = self.data
        ds = open_store(self.root).bars(
            list(d.symbols), str(d.append_days[0]), str(d.append_days[-1]), fields=list(FIELDS)
        )
        return {f: ds[f].values for f in FIELDS}

    def check_rtol(self) -> float:
        """quantlib stores float64/int64: exact."""
        return 0.0
