"""The ``qlib_bin`` anchor: qlib's ``.bin`` file format, reimplemented (pyqlib is not needed)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .measure import FIELDS, BenchData, empty_panel

QLIB_RTOL = 1e-6


class QlibBinBench:
    """qlib's file format, reimplemented (``FileFeatureStorage``): float32, one file per
    instrument and field, element 0 = start index into the calendar."""

    name = "qlib_bin"

    def __init__(self, data: BenchData, root: Path) -> None:
        self.data, self.root = data, root

    def _path(self, symbol: str, name: str) -> Path:
        return self.root / "features" / symbol.lower() / f"{name}.day.bin"

    def build(self) -> dict[str, Any]:
        """Dump every instrument from its first traded day on (NaN for gaps)."""
        d = self.data
        start = time.perf_counter()
        (self.root / "calendars").mkdir(parents=True)
        (self.root / "instruments").mkdir()
        (self.root / "calendars" / "day.txt").write_text("".join(f"{x}\n" for x in d.days))
        lines = []
        step = 500
        for c0 in range(0, len(d.symbols), step):
            block = d.columns(c0, min(c0 + step, len(d.symbols)))
            for j, symbol in enumerate(d.symbols[c0 : c0 + step].tolist()):
                traded = np.isfinite(block["close"][j])
                first = int(np.argmax(traded)) if traded.any() else d.n_days - 1
                folder = self.root / "features" / symbol.lower()
                folder.mkdir(parents=True)
                for name in FIELDS:
                    values = np.where(traded, block[name][j], np.nan)[first:]
                    out = np.empty(len(values) + 1, dtype="<f4")
                    out[0], out[1:] = first, values
                    out.tofile(folder / f"{name}.day.bin")
                lines.append(f"{symbol}\t{d.days[first]}\t{d.days[-1]}\n")
        (self.root / "instruments" / "all.txt").write_text("".join(lines))
        return {"seconds": time.perf_counter() - start}

    def _calendar(self) -> np.ndarray:
        return np.asarray(
            (self.root / "calendars" / "day.txt").read_text().split(), dtype="datetime64[D]"
        )

    def _instruments(self) -> list[str]:
        text = (self.root / "instruments" / "all.txt").read_text()
        return [line.split("\t", 1)[0] for line in text.splitlines()]

    @staticmethod
    def _read_range(path: Path, lo: int, hi: int) -> tuple[int, np.ndarray]:
        """Values for calendar rows ``lo:hi`` (clipped to the file): (first row, values)."""
        with path.open("rb") as fh:
            first = int(np.frombuffer(fh.read(4), "<f4")[0])
            begin = max(lo, first)
            if hi <= begin:
                return begin, np.empty(0, dtype="<f4")
            fh.seek(4 * (1 + begin - first))
            return begin, np.frombuffer(fh.read(4 * (hi - begin)), "<f4")

    def read(self, pattern: str) -> list[tuple[int, int, dict[str, np.ndarray]]]:
        """Per instrument: (column, first calendar row, {field: float32 values})."""
        d = self.data
        sel = d.selection(pattern)
        calendar = self._calendar()
        lo = int(np.searchsorted(calendar, d.days[sel.lo]))
        hi = int(np.searchsorted(calendar, d.days[sel.hi - 1])) + 1
        if len(sel.cols) == len(d.symbols):
            symbols = self._instruments()
        else:
            symbols = d.symbols[sel.cols].tolist()
        out = []
        whole = lo == 0 and hi == len(calendar)
        for j, symbol in enumerate(symbols):
            arrays, first = {}, lo
            for name in FIELDS:
                path = self._path(symbol, name)
                if whole:
                    raw = np.fromfile(path, dtype="<f4")
                    first, arrays[name] = int(raw[0]), raw[1:]
                else:
                    first, arrays[name] = self._read_range(path, lo, hi)
            out.append((j, first, arrays))
        return out

    def to_panel(
        self, pattern: str, result: list[tuple[int, int, dict[str, np.ndarray]]]
    ) -> dict[str, np.ndarray]:
        """Place each instrument's run of values; NaN volume/amount read as 0."""
        sel = self.data.selection(pattern)
        out = empty_panel(sel.hi - sel.lo, len(sel.cols))
        for j, first, arrays in result:
            for name, values in arrays.items():
                r = first - sel.lo
                out[name][r : r + len(values), j] = values
        for name in ("volume", "amount"):
            out[name] = np.nan_to_num(out[name], nan=0.0)
        return out

    def extra_reads(self, pattern: str) -> dict[str, Callable[[], Any]]:
        """No variants."""
        return {}

    def append(self, k: int) -> dict[str, float]:
        """qlib's ``dump_update`` way: ``ab+`` on every file, then the calendar (not atomic)."""
        d = self.data
        start = time.perf_counter()
        traded = np.isfinite(d.appended["close"][k])
        values = {f: np.where(traded, d.appended[f][k], np.nan).astype("<f4") for f in FIELDS}
        for j, symbol in enumerate(d.symbols.tolist()):
            for name in FIELDS:
                with self._path(symbol, name).open("ab+") as fh:
                    fh.write(values[name][j : j + 1].tobytes())
        with (self.root / "calendars" / "day.txt").open("a") as fh:
            fh.write(f"{d.append_days[k]}\n")
        return {"seconds": time.perf_counter() - start}

    def read_appended(self) -> dict[str, np.ndarray]:
        """The last appended days of every file."""
        d = self.data
        n = len(d.append_days)
        out = {f: np.empty((n, len(d.symbols))) for f in FIELDS}
        for j, symbol in enumerate(d.symbols.tolist()):
            for name in FIELDS:
                out[name][:, j] = np.fromfile(self._path(symbol, name), dtype="<f4")[-n:]
        for name in ("volume", "amount"):
            out[name] = np.nan_to_num(out[name], nan=0.0)
        return out

    def check_rtol(self) -> float:
        """float32 storage: relative tolerance."""
        return QLIB_RTOL
