"""The ``pq_year`` anchor: Parquet in long form, one file per year."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .measure import FIELDS, BenchData, scatter_long


def long_table(days: np.ndarray, symbols: np.ndarray, block: dict[str, np.ndarray]) -> Any:
    """Traded cells of a (days x symbols) block as a long Arrow table sorted (symbol, date)."""
    import pyarrow as pa

    traded = np.isfinite(block["close"]).T
    s_idx, d_idx = np.nonzero(traded)
    names = pa.DictionaryArray.from_arrays(
        pa.array(s_idx.astype(np.int32)), pa.array(symbols.tolist(), pa.string())
    ).cast(pa.string())
    columns: dict[str, Any] = {"date": pa.array(days[d_idx]), "symbol": names}
    for name in FIELDS:
        columns[name] = pa.array(block[name].T[s_idx, d_idx])
    return pa.table(columns)


class ParquetYearBench:
    """Parquet long form, one file per year (``pq_year`` in DATA-NOTES)."""

    name = "pq_year"

    def __init__(self, data: BenchData, root: Path) -> None:
        self.data, self.root = data, root
        self.dir = root / "daily"

    def build(self) -> dict[str, Any]:
        """Write one zstd file per year, row groups of 100k rows."""
        import pyarrow.parquet as pq

        d = self.data
        self.dir.mkdir(parents=True, exist_ok=True)
        years = d.days.astype("datetime64[Y]")
        convert = write = 0.0
        for year in np.unique(years):
            rows = np.flatnonzero(years == year)
            start = time.perf_counter()
            block = {f: np.asarray(d.base[f][rows[0] : rows[-1] + 1]) for f in FIELDS}
            table = long_table(d.days[rows[0] : rows[-1] + 1], d.symbols, block)
            convert += time.perf_counter() - start
            start = time.perf_counter()
            pq.write_table(
                table, self.dir / f"{year}.parquet", compression="zstd", row_group_size=100_000
            )
            write += time.perf_counter() - start
        return {"seconds": convert + write, "convert_s": convert, "write_s": write}

    def _filters(self, pattern: str) -> list[tuple[str, str, Any]] | None:
        d = self.data
        sel = d.selection(pattern)
        if pattern == "full":
            return None
        if pattern == "xsec":
            return [("date", "==", d.days[sel.lo].item())]
        if pattern == "rand100":
            return [
                ("symbol", "in", d.symbols[sel.cols].tolist()),
                ("date", ">=", d.days[sel.lo].item()),
            ]
        return [("symbol", "==", str(d.symbols[sel.cols[0]]))]

    def read(self, pattern: str) -> tuple[Any, dict[str, np.ndarray]]:
        """``pq.read_table`` over the directory with the pattern's filters; fields to numpy."""
        import pyarrow.parquet as pq

        table = pq.read_table(self.dir, filters=self._filters(pattern))
        return table, {f: table.column(f).to_numpy() for f in FIELDS}

    def to_panel(
        self, pattern: str, result: tuple[Any, dict[str, np.ndarray]]
    ) -> dict[str, np.ndarray]:
        """Pivot the long rows into the pattern's dense panel."""
        d = self.data
        sel = d.selection(pattern)
        table, values = result
        return scatter_long(
            d.days[sel.lo : sel.hi],
            d.symbols[sel.cols],
            np.asarray(table.column("symbol").to_numpy(zero_copy_only=False), dtype=object),
            table.column("date").to_numpy().astype("datetime64[D]"),
            values,
        )

    def extra_reads(self, pattern: str) -> dict[str, Callable[[], Any]]:
        """No variants."""
        return {}

    def append(self, k: int) -> dict[str, float]:
        """Write the day as a new file (cheap, and not atomic with anything else)."""
        import pyarrow.parquet as pq

        d = self.data
        day = d.append_days[k : k + 1]
        start = time.perf_counter()
        block = {f: d.appended[f][k : k + 1] for f in FIELDS}
        table = long_table(day, d.symbols, block)
        pq.write_table(table, self.dir / f"day-{day[0]}.parquet", compression="zstd")
        return {"seconds": time.perf_counter() - start}

    def read_appended(self) -> dict[str, np.ndarray]:
        """The appended days, pivoted."""
        import pyarrow.parquet as pq

        d = self.data
        table = pq.read_table(self.dir, filters=[("date", ">=", d.append_days[0].item())])
        return scatter_long(
            d.append_days,
            d.symbols,
            np.asarray(table.column("symbol").to_numpy(zero_copy_only=False), dtype=object),
            table.column("date").to_numpy().astype("datetime64[D]"),
            {f: table.column(f).to_numpy() for f in FIELDS},
        )

    def check_rtol(self) -> float:
        """Parquet keeps float64/int64: exact."""
        return 0.0
