"""Shared pieces of the data-store benchmark: paths, fields, the prepared data and timing.

Imports only numpy and the standard library, so every worker can use it, including the
ArcticDB one that runs from ``benchmarks/.venv-arcticdb`` without quantlib installed.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parents[1]
REPO = BENCH_DIR.parent

FIELDS = ("open", "high", "low", "close", "volume", "amount")
PRICE_FIELDS = ("open", "high", "low", "close")
READ_PATTERNS = ("full", "xsec", "rand100", "symbol")
PATTERNS = (*READ_PATTERNS, "append")
SLOW_MEDIAN = 0.5


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def time_read(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], float, Any]:
    """One warm-up, then up to ``repeat`` timed runs (3 when their median exceeds 0.5 s).

    Returns the median, all timed runs, the warm-up time and the last result.
    """
    start = time.perf_counter()
    result = fn()
    warmup = time.perf_counter() - start
    times: list[float] = []
    for i in range(max(repeat, 1)):
        if i == 3 and statistics.median(times) > SLOW_MEDIAN:
            break
        result = None
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, warmup, result


def compare(got: dict[str, np.ndarray], want: dict[str, np.ndarray], rtol: float = 0.0) -> str:
    """``"ok"`` when every field matches (NaN-aware; ``rtol`` 0 means exactly), else why."""
    for name in FIELDS:
        a = np.asarray(got[name], dtype=np.float64)
        b = np.asarray(want[name], dtype=np.float64)
        if a.shape != b.shape:
            return f"{name}: shape {a.shape}, expected {b.shape}"
        if rtol == 0.0:
            same = (a == b) | (np.isnan(a) & np.isnan(b))
        else:
            same = np.isclose(a, b, rtol=rtol, atol=0.0, equal_nan=True)
        if not same.all():
            bad = np.argwhere(~same)
            r, c = bad[0]
            return (
                f"{name}: {len(bad)} of {a.size} values differ "
                f"(first at [{r}, {c}]: {a[r, c]!r} vs {b[r, c]!r})"
            )
    return "ok"


def empty_panel(rows: int, cols: int) -> dict[str, np.ndarray]:
    """A panel filled as the source fills untraded cells: NaN prices, zero volume/amount."""
    return {name: np.full((rows, cols), np.nan if name in PRICE_FIELDS else 0.0) for name in FIELDS}


@dataclass
class Selection:
    """The cells a pattern asks for: rows ``lo:hi`` of the base days, columns ``cols``."""

    lo: int
    hi: int
    cols: np.ndarray


class BenchData:
    """The prepared source arrays and the pattern parameters (see :func:`prepare`)."""

    def __init__(self, work: Path) -> None:
        self.dir = work / "data"
        self.meta: dict[str, Any] = json.loads((self.dir / "meta.json").read_text())
        self.days = np.asarray(self.meta["days"], dtype="datetime64[D]")
        self.append_days = np.asarray(self.meta["append_days"], dtype="datetime64[D]")
        self.symbols = np.asarray(self.meta["symbols"], dtype=object)
        self.base = {f: np.load(self.dir / f"base_{f}.npy", mmap_mode="r") for f in FIELDS}
        self.appended = {f: np.load(self.dir / f"append_{f}.npy") for f in FIELDS}
        self.window = int(self.meta["window"])

    @property
    def n_days(self) -> int:
        """Number of base trading days."""
        return len(self.days)

    def selection(self, pattern: str) -> Selection:
        """Rows and columns of a read pattern."""
        n, every = self.n_days, np.arange(len(self.symbols))
        if pattern == "full":
            return Selection(0, n, every)
        if pattern == "xsec":
            row = int(self.meta["xsec_row"])
            return Selection(row, row + 1, every)
        if pattern == "rand100":
            return Selection(n - self.window, n, np.asarray(self.meta["rand_cols"]))
        if pattern == "symbol":
            return Selection(0, n, np.asarray([self.meta["one_col"]]))
        raise ValueError(pattern)

    def expected(self, pattern: str) -> dict[str, np.ndarray]:
        """The source arrays for a read pattern."""
        sel = self.selection(pattern)
        if len(sel.cols) == len(self.symbols):
            return {f: np.asarray(self.base[f][sel.lo : sel.hi]) for f in FIELDS}
        return {f: np.asarray(self.base[f][sel.lo : sel.hi][:, sel.cols]) for f in FIELDS}

    def columns(self, c0: int, c1: int) -> dict[str, np.ndarray]:
        """Symbols ``c0:c1`` of the base arrays, symbol-major (contiguous per symbol)."""
        return {f: np.ascontiguousarray(self.base[f][:, c0:c1].T) for f in FIELDS}


def scatter_long(
    sel_days: np.ndarray,
    sel_symbols: np.ndarray,
    symbols: np.ndarray,
    dates: np.ndarray,
    values: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Place long-form rows (symbol, date, fields) into a dense panel for checking."""
    out = empty_panel(len(sel_days), len(sel_symbols))
    position = {s: j for j, s in enumerate(sel_symbols.tolist())}
    cols = np.fromiter((position.get(s, -1) for s in symbols.tolist()), np.int64, len(symbols))
    rows = np.searchsorted(sel_days, dates)
    inside = (rows < len(sel_days)) & (cols >= 0)
    inside[inside] &= sel_days[rows[inside]] == dates[inside]
    if not inside.all():
        raise AssertionError(f"{int((~inside).sum())} rows outside the requested cells")
    for name in FIELDS:
        out[name][rows, cols] = values[name]
    return out


# -- one store's worker: build it, or time and check every pattern on it ---------------------
def build_store(bench: Any, root: Path) -> dict[str, Any]:
    """Build a store afresh at ``root``; its build row (seconds, MB, files, the bench's info).

    The size counts each hard-linked file once.
    """
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    info = bench.build()
    stats = [p.stat() for p in root.rglob("*") if p.is_file()]
    size = sum({(st.st_dev, st.st_ino): st.st_size for st in stats}.values())
    files = len(stats)
    return {"pattern": "build", "check": "-", "mb": round(size / 2**20, 1), "files": files, **info}


def measure_store(
    bench: Any, data: BenchData, repeat: int, emit: Callable[[dict[str, Any]], None]
) -> None:
    """Time and check every read pattern, then the appends; each row goes to ``emit``.

    A failing pattern is reported as an error row, not raised.
    """
    for pattern in READ_PATTERNS:
        try:
            seconds, times, warmup, result = time_read(lambda p=pattern: bench.read(p), repeat)
            check = compare(
                bench.to_panel(pattern, result), data.expected(pattern), bench.check_rtol()
            )
            result = None
            extras: dict[str, Any] = {}
            if bench.name in ("pq_year", "adb_inst"):
                start = time.perf_counter()
                bench.to_panel(pattern, bench.read(pattern))
                extras["to_dense_panel_s"] = round(time.perf_counter() - start, 4)
            for name, fn in bench.extra_reads(pattern).items():
                extra_s, _, _, extra_result = time_read(fn, repeat)
                extras[f"{name}_s"] = extra_s
                extras[f"{name}_check"] = compare(
                    extra_result, data.expected(pattern), bench.check_rtol()
                )
            emit(
                {
                    "pattern": pattern,
                    "seconds": seconds,
                    "times": times,
                    "warmup": warmup,
                    "check": check,
                    "extras": extras,
                }
            )
        except Exception as error:  # a failing pattern is reported, not fatal
            emit(
                {"pattern": pattern, "error": f"{type(error).__name__}: {error}", "check": "error"}
            )

    try:
        runs = [bench.append(k) for k in range(len(data.append_days))]
        appended = bench.read_appended()
        check = compare(appended, data.appended, bench.check_rtol())
        extras = {
            key: statistics.median(r[key] for r in runs) for key in runs[0] if key != "seconds"
        }
        emit(
            {
                "pattern": "append",
                "seconds": statistics.median(r["seconds"] for r in runs),
                "times": [r["seconds"] for r in runs],
                "check": check,
                "extras": extras,
            }
        )
    except Exception as error:
        emit({"pattern": "append", "error": f"{type(error).__name__}: {error}", "check": "error"})
