"""The ``adb_inst`` anchor: ArcticDB on LMDB, one symbol per instrument, and its venv.

ArcticDB needs pandas < 3, so its worker runs from ``benchmarks/.venv-arcticdb``, which
has numpy, pandas 2, pyarrow and arcticdb but not quantlib: this module (and
:mod:`.measure`, the only one it imports) must never import quantlib.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .measure import BENCH_DIR, FIELDS, BenchData, scatter_long

ADB_VENV = BENCH_DIR / ".venv-arcticdb"
ADB_PACKAGES = ("arcticdb", "numpy", "pyarrow")


class ArcticInstBench:
    """ArcticDB on LMDB, one ArcticDB symbol per instrument (``adb_inst`` in DATA-NOTES)."""

    name = "adb_inst"
    library = "daily"

    def __init__(self, data: BenchData, root: Path) -> None:
        self.data, self.root = data, root
        size = "8GB" if len(data.symbols) * data.n_days > 2_000_000 else "1GB"
        self.uri = f"lmdb://{root}?map_size={size}"

    def _library(self) -> Any:
        from arcticdb import Arctic

        return Arctic(self.uri).get_library(self.library)

    @staticmethod
    def _frame(days: np.ndarray, values: dict[str, np.ndarray]) -> Any:
        import pandas as pd

        index = pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date")
        return pd.DataFrame(dict(values), index=index)

    def build(self) -> dict[str, Any]:
        """``write_batch`` of one frame (traded rows) per instrument."""
        import arcticdb
        from arcticdb import Arctic, WritePayload

        d = self.data
        lib = Arctic(self.uri).get_library(self.library, create_if_missing=True)
        convert = write = 0.0
        step = 500
        for c0 in range(0, len(d.symbols), step):
            start = time.perf_counter()
            block = d.columns(c0, min(c0 + step, len(d.symbols)))
            payloads = []
            for j, symbol in enumerate(d.symbols[c0 : c0 + step].tolist()):
                rows = np.flatnonzero(np.isfinite(block["close"][j]))
                frame = self._frame(d.days[rows], {f: block[f][j, rows] for f in FIELDS})
                payloads.append(WritePayload(symbol, frame))
            convert += time.perf_counter() - start
            start = time.perf_counter()
            for item in lib.write_batch(payloads):
                if isinstance(item, arcticdb.DataError):
                    raise RuntimeError(f"write_batch failed: {item}")
            write += time.perf_counter() - start
        return {
            "seconds": convert + write,
            "convert_s": convert,
            "write_s": write,
            "arcticdb": arcticdb.__version__,
        }

    def read(self, pattern: str) -> list[tuple[int, np.ndarray, dict[str, np.ndarray]]]:
        """``read`` / ``read_batch`` (date ranges where the pattern has them); to numpy."""
        import arcticdb
        import pandas as pd
        from arcticdb import ReadRequest

        d = self.data
        sel = d.selection(pattern)
        lib = self._library()
        symbols = d.symbols[sel.cols].tolist()
        if pattern == "symbol":
            frames = [lib.read(symbols[0]).data]
        else:
            span = None
            if pattern != "full":
                span = (pd.Timestamp(d.days[sel.lo]), pd.Timestamp(d.days[sel.hi - 1]))
            items = lib.read_batch([ReadRequest(s, date_range=span) for s in symbols])
            frames = []
            for item in items:
                if isinstance(item, arcticdb.DataError):
                    raise RuntimeError(f"read_batch failed: {item}")
                frames.append(item.data)
        return [
            (j, frame.index.to_numpy(), {f: frame[f].to_numpy() for f in FIELDS})
            for j, frame in enumerate(frames)
        ]

    def to_panel(
        self, pattern: str, result: list[tuple[int, np.ndarray, dict[str, np.ndarray]]]
    ) -> dict[str, np.ndarray]:
        """Place each instrument's rows into the dense panel."""
        d = self.data
        sel = d.selection(pattern)
        symbols = d.symbols[sel.cols]
        names = np.concatenate(
            [np.full(len(dates), symbols[j], dtype=object) for j, dates, _ in result]
        )
        dates = np.concatenate([dates for _, dates, _ in result]).astype("datetime64[D]")
        values = {f: np.concatenate([v[f] for _, _, v in result]) for f in FIELDS}
        return scatter_long(d.days[sel.lo : sel.hi], symbols, names, dates, values)

    def extra_reads(self, pattern: str) -> dict[str, Callable[[], Any]]:
        """No variants."""
        return {}

    def append(self, k: int) -> dict[str, float]:
        """``append_batch`` of one-row frames for the symbols that traded that day."""
        import arcticdb
        from arcticdb import WritePayload

        d = self.data
        start = time.perf_counter()
        lib = self._library()
        day = d.append_days[k : k + 1]
        traded = np.flatnonzero(np.isfinite(d.appended["close"][k]))
        payloads = [
            WritePayload(
                str(d.symbols[c]),
                self._frame(day, {f: d.appended[f][k : k + 1, c] for f in FIELDS}),
            )
            for c in traded
        ]
        for item in lib.append_batch(payloads):
            if isinstance(item, arcticdb.DataError):
                raise RuntimeError(f"append_batch failed: {item}")
        return {"seconds": time.perf_counter() - start}

    def read_appended(self) -> dict[str, np.ndarray]:
        """The appended days of every instrument, pivoted."""
        import pandas as pd
        from arcticdb import ReadRequest

        d = self.data
        span = (pd.Timestamp(d.append_days[0]), pd.Timestamp(d.append_days[-1]))
        items = self._library().read_batch(
            [ReadRequest(s, date_range=span) for s in d.symbols.tolist()]
        )
        names = np.concatenate(
            [np.full(len(i.data), s, dtype=object) for s, i in zip(d.symbols, items, strict=True)]
        )
        dates = np.concatenate([i.data.index.to_numpy() for i in items]).astype("datetime64[D]")
        values = {f: np.concatenate([i.data[f].to_numpy() for i in items]) for f in FIELDS}
        return scatter_long(d.append_days, d.symbols, names, dates, values)

    def check_rtol(self) -> float:
        """ArcticDB keeps float64/int64: exact."""
        return 0.0


# -- the ArcticDB venv ----------------------------------------------------------------------
def arcticdb_python(venv: Path = ADB_VENV) -> tuple[Path | None, str]:
    """The ArcticDB venv's interpreter, creating the venv when missing; else (None, why).

    ArcticDB needs pandas < 3, which the project venv does not have, so it gets its own
    venv made from this interpreter (Python >= 3.12) with ``pip install arcticdb numpy
    pyarrow``.
    """
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import arcticdb, numpy, pandas, pyarrow"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python, "existing venv"
    print(f"creating {venv} (pip install {' '.join(ADB_PACKAGES)})", flush=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "-q", *ADB_PACKAGES],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as error:
            return None, f"{' '.join(step[:4])} failed: {error}"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return None, f"{' '.join(step[:4])} failed: {' | '.join(tail)}"
    if subprocess.run(probe, capture_output=True).returncode != 0:
        return None, "arcticdb installed but does not import"
    return python, "created venv"
