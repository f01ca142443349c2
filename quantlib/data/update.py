"""Bringing a store up to date from a source, safely.

``update_store`` fetches only the trading days after the store's last one, derives what
the vendor leaves out (status, ST flag, ex-rights reference price, limit prices) by the
market's rules, validates the batch, writes it into a new generation, reads it back,
and publishes it atomically. Any failure leaves the store exactly as it was, and every
attempt leaves an audit record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quantlib.core.dates import now_shanghai, to_date
from quantlib.core.errors import ConfigError, DataValidationError
from quantlib.data import audit
from quantlib.data.daily import DailyArrays
from quantlib.data.derive import (
    ex_rights_preclose,
    forward_fill,
    limit_bands,
    listing_rules,
    listing_status,
    st_flags,
)
from quantlib.data.generations import (
    StoreTransaction,
    current_generation,
    generation_meta,
    init_store,
    is_store,
    require_store,
)
from quantlib.data.history import verify_history, write_history
from quantlib.data.layout import (
    CALENDAR_TABLE,
    GENERATIONS_DIR,
    INSTRUMENTS_TABLE,
    LAST_VALUES_TABLE,
    Status,
)
from quantlib.data.panel import Panel
from quantlib.data.quality import ERROR, check_bars, findings_frame
from quantlib.data.sources.base import INSTRUMENT_COLUMNS, DataSource, create_source
from quantlib.data.sources.demo import DemoSource
from quantlib.data.writer import (
    verify_daily,
    write_daily,
    write_minute,
    write_table,
    write_tables,
)
from quantlib.market.boards import board_of
from quantlib.market.calendar import TradingCalendar, default_calendar
from quantlib.market.symbols import normalize_symbol, split_symbol

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

#: Vendors publish the day's bars by this time (Tushare 16:00-17:00).
PUBLISH_TIME = dt.time(17, 0)


@dataclass
class UpdateResult:
    """What an update did."""

    update_id: str
    op: str
    generation: str | None
    days_added: int
    first_day: str | None
    last_day: str | None
    new_listings: int = 0
    minute_bars: int = 0
    warnings: list[str] = field(default_factory=list)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data."""
        return asdict(self)


def default_end(now: dt.datetime | None = None) -> dt.date:
    """The latest day whose bars vendors have published (today after 17:00 Shanghai)."""
    moment = now or now_shanghai()
    return moment.date() if moment.time() >= PUBLISH_TIME else moment.date() - dt.timedelta(days=1)


@dataclass
class _StoreState:
    generation: str | None
    meta: dict[str, Any]
    symbols: np.ndarray
    last_day: dt.date | None
    instruments: pd.DataFrame
    calendar: TradingCalendar
    last_close: np.ndarray
    last_factor: np.ndarray


def _read_state(root: Path, name: str | None) -> _StoreState:
    if name is None:
        empty = np.array([], dtype=object)
        return _StoreState(
            None,
            {},
            empty,
            None,
            pd.DataFrame(columns=list(INSTRUMENT_COLUMNS)),
            default_calendar(),
            np.array([]),
            np.array([]),
        )
    path = root / GENERATIONS_DIR / name
    last_day = dt.date.fromisoformat(str(DailyArrays(path).days[-1]))
    last = pd.read_parquet(path / LAST_VALUES_TABLE)
    return _StoreState(
        name,
        generation_meta(path),
        last["symbol"].to_numpy(dtype=object),
        last_day,
        pd.read_parquet(path / INSTRUMENTS_TABLE),
        TradingCalendar(pd.read_parquet(path / CALENDAR_TABLE)["date"]),
        last["close"].to_numpy(dtype=np.float64),
        last["adj_factor"].to_numpy(dtype=np.float64),
    )


def last_values(panel: Panel, last_close: np.ndarray, last_factor: np.ndarray) -> pd.DataFrame:
    """Each symbol's latest traded close and latest factor after ``panel``'s days."""
    closes, factors = panel.fields["close"], panel.fields["adj_factor"]
    rows = np.arange(closes.shape[0])[:, None]
    close_row = np.where(np.isfinite(closes), rows, -1).max(axis=0)
    factor_row = np.where(np.isfinite(factors), rows, -1).max(axis=0)
    columns = np.arange(closes.shape[1])
    close = np.where(close_row >= 0, closes[np.maximum(close_row, 0), columns], last_close)
    factor = np.where(factor_row >= 0, factors[np.maximum(factor_row, 0), columns], last_factor)
    return pd.DataFrame({"symbol": panel.symbols, "close": close, "adj_factor": factor})


def _canonical_instruments(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [c for c in INSTRUMENT_COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(f"source {source!r} instrument list lacks columns {missing}")
    out = frame[list(INSTRUMENT_COLUMNS)].copy()
    stocks = out["kind"].astype(str).to_numpy() == "stock"
    out.loc[stocks, "symbol"] = out.loc[stocks, "symbol"].map(normalize_symbol)
    out["list_date"] = pd.to_datetime(out["list_date"]).astype("datetime64[s]")
    out["delist_date"] = pd.to_datetime(out["delist_date"]).astype("datetime64[s]")
    out["exchange"] = out["symbol"].map(lambda code: split_symbol(code)[1].value)
    out["board"] = ""
    out.loc[stocks, "board"] = out.loc[stocks, "symbol"].map(lambda code: board_of(code).value)
    if out["symbol"].duplicated().any():
        dups = out.loc[out["symbol"].duplicated(), "symbol"].head(5).tolist()
        raise DataValidationError(f"source {source!r} lists instruments twice: {dups}")
    return out.reset_index(drop=True)


def _merge_instruments(stored: pd.DataFrame, fresh: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Stored instruments keep their order (and are never dropped); new ones go last."""
    if stored.empty:
        return fresh.sort_values("symbol", kind="stable").reset_index(drop=True), len(fresh)
    updated = stored.set_index("symbol")
    incoming = fresh.set_index("symbol")
    common = updated.index.intersection(incoming.index)
    updated.loc[common, incoming.columns] = incoming.loc[common]
    new = incoming.loc[incoming.index.difference(updated.index)].sort_index()
    merged = pd.concat([updated, new]).reset_index()
    return merged, len(new)


def _resolve_source(
    source: DataSource | str, options: dict[str, Any] | None, meta: dict[str, Any]
) -> DataSource:
    if isinstance(source, DataSource):
        return source
    recorded = meta.get("source", {})
    merged = dict(recorded.get("options", {})) if recorded.get("name") == source else {}
    merged.update(options or {})
    return create_source(source, **merged)


def derive_daily(
    raw: Panel,
    instruments: pd.DataFrame,
    st_intervals: pd.DataFrame,
    calendar: TradingCalendar,
    last_close: np.ndarray,
    last_factor: np.ndarray,
) -> Panel:
    """Complete a source's raw panel with status, ST, factors, preclose and limits."""
    days, symbols = raw.days, raw.symbols
    info = instruments.set_index("symbol").loc[list(symbols)]
    list_dates = info["list_date"].to_numpy().astype("datetime64[D]")
    delist_dates = info["delist_date"].to_numpy().astype("datetime64[D]")
    close = raw.fields["close"].astype(np.float64)
    status = listing_status(days, list_dates, delist_dates, np.isfinite(close))
    listed = (status == Status.TRADING) | (status == Status.SUSPENDED)
    factor = forward_fill(raw.fields["adj_factor"], last_factor)
    factor = np.where(listed, np.where(np.isfinite(factor), factor, 1.0), np.nan)
    derived = ex_rights_preclose(
        np.where(listed, close, np.nan), np.nan_to_num(factor, nan=1.0), last_close, last_factor
    )
    vendor_preclose = raw.fields["preclose"]
    preclose = np.where(
        listed, np.where(np.isfinite(vendor_preclose), vendor_preclose, derived), np.nan
    )
    st = st_flags(days, symbols, st_intervals)
    boards = info["board"].to_numpy(dtype=object)
    rules = listing_rules(boards, list_dates, calendar)
    up, down = limit_bands(preclose, st, days, rules, calendar)
    traded = status == Status.TRADING
    fields = {
        "open": np.where(traded, raw.fields["open"], np.nan),
        "high": np.where(traded, raw.fields["high"], np.nan),
        "low": np.where(traded, raw.fields["low"], np.nan),
        "close": np.where(traded, close, np.nan),
        "preclose": preclose,
        "volume": np.where(traded, raw.fields["volume"], 0).astype(np.int64),
        "amount": np.where(traded, np.nan_to_num(raw.fields["amount"]), 0.0),
        "adj_factor": factor,
        "up_limit": up,
        "down_limit": down,
        "status": status,
        "st": np.where(listed, st, 0).astype(np.int8),
    }
    return Panel(days, symbols, fields)


def update_store(
    root: Path | str,
    source: DataSource | str,
    *,
    start: Any = None,
    end: Any = None,
    source_options: dict[str, Any] | None = None,
    minute_symbols: list[str] | None = None,
    minute_start: Any = None,
    progress: Progress | None = None,
) -> UpdateResult:
    """Append the trading days after the store's last one, up to ``end``.

    Parameters
    ----------
    root
        The store (created empty when the directory is absent or empty).
    source
        A :class:`DataSource` or a registered source name; a name reuses the options the
        store recorded for that source (so ``demo`` continues the same market).
    start
        First day for a new store; for an existing one, only a check that it does not
        leave a gap (days already stored are never fetched again).
    end
        Last day to fetch; defaults to the latest published day.
    minute_symbols, minute_start
        For a new store: which symbols keep one-minute bars, from which day.

    Examples
    --------
    >>> update_store("var/store", "demo", end="2024-06-28")  # doctest: +SKIP
    """
    root = Path(root)
    step = progress or (lambda _stage, _fraction: None)
    if not is_store(root):
        if root.exists() and any(root.iterdir()):
            require_store(root)
        init_store(root)
    published = current_generation(root)
    recorded = generation_meta(root / GENERATIONS_DIR / published) if published else {}
    src = _resolve_source(source, source_options, recorded)
    last = to_date(end, name="end") if end is not None else default_end()
    first_wanted = to_date(start, name="start") if start is not None else None
    details = {
        "source": src.describe(),
        "request": {"start": str(first_wanted), "end": str(last)},
        "dataset": "daily",
        "environment": audit.environment(),
    }
    with StoreTransaction(root, op="update", details=details) as tx:
        state = _read_state(root, tx.parent)
        result = _apply(tx, state, src, first_wanted, last, minute_symbols, minute_start, step)
    step("done", 1.0)
    return result


def _apply(
    tx: StoreTransaction,
    state: _StoreState,
    src: DataSource,
    first_wanted: dt.date | None,
    last: dt.date,
    minute_symbols: list[str] | None,
    minute_start: Any,
    step: Progress,
) -> UpdateResult:
    """The body of an update, run under the store's lock in a fresh generation."""
    if state.last_day is None:
        first_wanted = first_wanted or src.first_day()
        if first_wanted is None:
            raise ConfigError("a new store needs a start date (--start)")
        first = first_wanted
    else:
        first = state.last_day + dt.timedelta(days=1)
        if first_wanted is not None and first_wanted > first:
            raise DataValidationError(
                f"start {first_wanted} would leave a gap after the stored {state.last_day}; "
                "updates append the days right after the store's last one"
            )
    if first > last:
        return _skip(tx, f"store is up to date (last day {state.last_day})")
    step("calendar", 0.05)
    days = np.asarray(src.trading_days(first, last)).astype("datetime64[D]")
    if days.size == 0:
        return _skip(tx, f"no trading days between {first} and {last}")
    calendar = state.calendar.merged(days)
    known = calendar.trading_days(first, last)
    if not np.array_equal(known, days):
        raise DataValidationError(
            f"source {src.name!r} trading days differ from the calendar between {first} and "
            f"{last}: source only {sorted(set(days.tolist()) - set(known.tolist()))[:5]}, "
            f"calendar only {sorted(set(known.tolist()) - set(days.tolist()))[:5]}"
        )
    step("instruments", 0.1)
    fresh = _canonical_instruments(src.instruments(), src.name)
    fresh = fresh[fresh["list_date"] <= np.datetime64(last)]
    instruments, n_new = _merge_instruments(state.instruments, fresh)
    symbols = instruments["symbol"].to_numpy(dtype=object)
    st_intervals = src.st_intervals()
    step("daily bars", 0.2)
    raw = src.daily_panel(days, symbols)
    step("derive", 0.5)
    pad = len(symbols) - len(state.symbols)
    last_close = np.concatenate([state.last_close, np.full(pad, np.nan)])
    last_factor = np.concatenate([state.last_factor, np.ones(pad)])
    panel = derive_daily(raw, instruments, st_intervals, calendar, last_close, last_factor)
    stocks = instruments["kind"].to_numpy() == "stock"
    findings = check_bars(days, symbols, panel.fields, stocks)
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        table = findings_frame(errors).head(10).to_string(index=False)
        raise DataValidationError(
            f"source {src.name!r} sent {len(errors)} invalid bars; nothing was written:\n{table}"
        )
    warnings = [f"{f.check} {f.symbol} {f.date}: {f.detail}" for f in findings]
    op = "rebuild" if state.generation is None else "append"
    minute_list = list(state.meta.get("minute", {}).get("symbols", []))
    if state.generation is None:
        if minute_symbols is not None:
            minute_list = [normalize_symbol(s) for s in minute_symbols]
        else:
            minute_list = src.default_minute_symbols()
    step("write", 0.6)
    sums = write_daily(tx.path, panel)
    total_days = verify_daily(tx.path, panel, sums)
    write_history(tx.path, panel)
    verify_history(tx.path, panel, sums, total_days)
    sums.update(write_tables(tx.path, instruments, st_intervals, calendar.days))
    continuing = last_values(panel, last_close, last_factor)
    sums[LAST_VALUES_TABLE] = write_table(tx.path, LAST_VALUES_TABLE, continuing)
    minute_bars = 0
    minute_meta = dict(state.meta.get("minute", {}))
    if minute_list:
        minute_days = days
        if state.generation is None and minute_start is not None:
            minute_days = days[days >= np.datetime64(to_date(minute_start), "D")]
        if minute_days.size:
            step("minute bars", 0.8)
            minute = src.minute_panel(minute_days, minute_list)
            sums.update(write_minute(tx.path, minute))
            minute_bars = int((minute.fields["volume"] > 0).sum())
            minute_meta = {
                "symbols": minute_list,
                "start": minute_meta.get("start", str(minute_days[0])),
                "end": str(minute_days[-1]),
            }
    step("commit", 0.95)
    status = panel.fields["status"]
    first_day = str(days[0]) if state.generation is None else state.meta["daily"]["start"]
    meta = {
        "source": {"name": src.name, "options": _options(src)},
        "daily": {"start": first_day, "end": str(days[-1]), "n_symbols": len(symbols)},
        "minute": minute_meta,
    }
    listed = (status == Status.TRADING) | (status == Status.SUSPENDED)
    result = {
        "op": op,
        "trade_dates": {"first": str(days[0]), "last": str(days[-1]), "count": int(days.size)},
        "rows_written": int(status.size),
        "n_listed": int(listed[-1].sum()),
        "n_trading": int((status == Status.TRADING).sum()),
        "n_suspended": int((status == Status.SUSPENDED).sum()),
        "n_new_listings": n_new,
        "minute_bars": minute_bars,
        "checksums": sums,
        "validation": {"checks": "check_bars", "warnings": warnings[:100]},
    }
    tx.commit(meta, result)
    return UpdateResult(
        tx.update_id,
        op,
        tx.name,
        int(days.size),
        str(days[0]),
        str(days[-1]),
        n_new,
        minute_bars,
        warnings[:20],
        f"added {days.size} trading days {days[0]} .. {days[-1]}",
    )


def _skip(tx: StoreTransaction, message: str) -> UpdateResult:
    tx.skip(message)
    return UpdateResult(tx.update_id, "noop", tx.parent, 0, None, None, message=message)


def _options(source: DataSource) -> dict[str, Any]:
    options = getattr(source, "options", None)
    return dict(options()) if callable(options) else {}


def build_demo_store(
    root: Path | str,
    *,
    n_symbols: int = 3000,
    days: int | None = None,
    seed: int = 42,
    start: Any = None,
    minute_symbols: int = 50,
    minute_days: int = 20,
    progress: Progress | None = None,
) -> UpdateResult:
    """Build a demo store: ``days`` trading days of the seeded demo market from its start
    (default: every day up to the latest published one).

    Examples
    --------
    >>> build_demo_store("var/store", n_symbols=200, days=250)  # doctest: +SKIP
    """
    if days is not None and (not isinstance(days, int) or days < 1):
        raise ConfigError(f"days must be a positive integer, got {days!r}")
    root = Path(root)
    if is_store(root) and current_generation(root) is not None:
        raise DataValidationError(f"{root} already holds a store; use `quantlib data update`")
    source = DemoSource(
        seed=seed,
        n_symbols=n_symbols,
        minute_symbols=minute_symbols,
        **({"start": start} if start is not None else {}),
    )
    if days is None:
        latest = min(default_end(), source.calendar.last)
        if not source.calendar.is_trading_day(latest):
            latest = source.calendar.previous_trading_day(latest)
        days = source.calendar.index_of(latest) - source.start_pos + 1
        if days < 1:
            raise ConfigError(f"demo start {source.start} is after the latest day {latest}")
    end = source.calendar.offset(source.start, days - 1)
    minute_from = (
        source.calendar.offset(end, -(min(minute_days, days) - 1)) if minute_days else None
    )
    return update_store(
        root,
        source,
        start=source.start,
        end=end,
        minute_start=minute_from,
        progress=progress,
        minute_symbols=None if minute_days else [],
    )
