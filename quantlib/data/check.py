"""``quantlib data check``: every quality check over a whole store, block by block."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from quantlib.core.errors import CorruptStoreError, QuantlibError
from quantlib.data.layout import DAILY_FIELDS
from quantlib.data.quality import (
    ERROR,
    STALE_DAYS,
    WARNING,
    Finding,
    check_bars,
    check_calendar,
    check_symbols,
    compare_sources,
    findings_frame,
)
from quantlib.data.sources.base import DataSource, create_source
from quantlib.data.store import DataStore

#: Days read at once (a multiple of the 125-day chunk) to bound memory on large stores.
BLOCK_DAYS = 500


def check_store(
    root: Path | str,
    *,
    compare: DataSource | str | None = None,
    compare_options: dict[str, Any] | None = None,
    start: Any = None,
    end: Any = None,
    progress: Callable[[float], None] | None = None,
) -> pd.DataFrame:
    """Run all checks; returns the findings table (empty when the store is clean).

    With ``compare``, the store's closes and volumes over ``[start, end]`` (default: the
    last 20 stored days) are compared with that source's.
    """
    store = DataStore(Path(root))
    findings: list[Finding] = []
    days = store.trading_days().to_numpy().astype("datetime64[D]")
    expected = store.calendar.trading_days(store.start, store.end)
    findings += check_calendar(days, expected)
    symbols = np.asarray(store.symbols, dtype=object)
    findings += check_symbols(symbols)
    coordinate = store._read_symbol_coordinate()
    if not np.array_equal(coordinate, symbols):
        findings.append(
            Finding(
                "symbol_index_mismatch",
                ERROR,
                "*",
                "*",
                "last_values.parquet does not list the daily arrays' symbols",
            )
        )
    master_frame = store.instruments()
    master = set(master_frame.index)
    kinds = master_frame["kind"].reindex(symbols).to_numpy()
    stocks = kinds == "stock"
    findings += [
        Finding("not_in_master", ERROR, s, "*", "no row in the instrument master")
        for s in symbols
        if s not in master
    ]
    names = list(DAILY_FIELDS)
    total = len(days)
    for first in range(0, total, BLOCK_DAYS):
        lo = max(first - (STALE_DAYS - 1), 0)
        hi = min(first + BLOCK_DAYS, total)
        block = _read_block(store, names, lo, hi, findings)
        if block is not None:
            block_findings = check_bars(days[lo:hi], symbols, block, stocks)
            if lo < first:
                overlap = {str(d)[:10] for d in days[lo:first]}
                block_findings = [f for f in block_findings if f.date not in overlap]
            findings += block_findings
        if progress:
            progress(hi / total)
    for year in store.minute_years():
        try:
            store._load(store._minute_year(year).isel(time=slice(-240, None)))
        except CorruptStoreError as error:
            findings.append(Finding("unreadable", ERROR, "*", str(year), str(error)))
    if compare is not None:
        findings += _compare(store, compare, compare_options, start, end)
    return findings_frame(findings)


def _read_block(
    store: DataStore, names: list[str], lo: int, hi: int, findings: list[Finding]
) -> dict[str, np.ndarray] | None:
    block: dict[str, np.ndarray] = {}
    for name in names:
        try:
            block[name] = store._read_rows(name, lo, hi)
        except CorruptStoreError as error:
            day_range = f"{store.trading_days()[lo].date()}..{store.trading_days()[hi - 1].date()}"
            findings.append(
                Finding(
                    "unreadable",
                    ERROR,
                    "*",
                    day_range,
                    f"field {name!r} cannot be read: {type(error).__name__}: {error}",
                )
            )
    return block if len(block) == len(names) else None


def _compare(
    store: DataStore,
    compare: DataSource | str,
    options: dict[str, Any] | None,
    start: Any,
    end: Any,
) -> list[Finding]:
    source = (
        compare if isinstance(compare, DataSource) else create_source(compare, **(options or {}))
    )
    if start is None:
        start = store.trading_days()[-min(20, len(store.trading_days()))].date()
    ours = store.bars(None, start, end, ["close", "volume"])
    assert isinstance(ours, xr.Dataset)
    days = ours["time"].values.astype("datetime64[D]")
    symbols = np.asarray(ours["symbol"].values, dtype=object)
    try:
        theirs = source.daily_panel(days, symbols)
    except QuantlibError as error:
        return [Finding("compare_failed", ERROR, "*", "*", f"{source.name}: {error}")]
    mine = {"close": ours["close"].values, "volume": ours["volume"].values}
    other = {
        "close": np.where(theirs.fields["volume"] > 0, theirs.fields["close"], np.nan),
        "volume": theirs.fields["volume"],
    }
    return compare_sources(days, symbols, mine, other, source.name)


__all__ = ["ERROR", "WARNING", "check_store"]
