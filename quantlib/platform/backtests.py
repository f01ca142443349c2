"""Backtests and parameter sweeps submitted to the platform, and what they produced.

Submitting checks the request against the strategy version and the data store, then
writes the job (and for a backtest its run record) and the audit record in one
transaction; the caller hands the job to the runner once that has committed. The strategy
code itself is only read here: it runs in a job worker.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from quantlib.core.errors import MalformedSymbolError, QuantlibError
from quantlib.data.store import open_store
from quantlib.market.symbols import normalize_symbol
from quantlib.platform import audit
from quantlib.platform.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PlatformUnavailableError,
)
from quantlib.platform.identity import Principal
from quantlib.platform.models import (
    BacktestRun,
    Job,
    JobStatus,
    StrategyVersion,
    User,
)
from quantlib.platform.paging import Page, paginate
from quantlib.platform.rbac import Action, require
from quantlib.platform.strategies import check_code, get_version

FREQUENCIES = ("1d", "1m")
MAX_SYMBOLS = 5000
MAX_CASH = 1e13
MAX_GRID_POINTS = 500
MAX_VALUES_PER_PARAMETER = 100
#: Metrics a sweep can rank by (keys of ``BacktestResult.metrics()``).
SWEEP_METRICS = (
    "sharpe",
    "sortino",
    "calmar",
    "total_return",
    "annual_return",
    "max_drawdown",
)


@dataclass(frozen=True)
class StoreWindow:
    """The data store a job will read: its snapshot id and the days it covers."""

    snapshot: str
    start: dt.date
    end: dt.date


def store_window(store: Path | None) -> StoreWindow:
    """The configured store's snapshot and date range; 503-style error when there is none."""
    if store is None:
        raise PlatformUnavailableError(
            "the platform has no market data store configured (set TAORUI_DATA_STORE)"
        )
    try:
        opened = open_store(store)
        return StoreWindow(str(opened.snapshot), opened.start, opened.end)
    except (QuantlibError, OSError) as error:
        raise PlatformUnavailableError(f"the market data store cannot be read: {error}") from None


def _check_range(window: StoreWindow, start: dt.date, end: dt.date) -> None:
    if start > end:
        raise InvalidInputError("end", f"{end} is before start {start}")
    if start > window.end:
        raise InvalidInputError(
            "start", f"{start} is after the store's last day {window.end} ({window.snapshot})"
        )
    if end < window.start:
        raise InvalidInputError(
            "end", f"{end} is before the store's first day {window.start} ({window.snapshot})"
        )


def _check_symbols(symbols: list[str] | None) -> list[str] | None:
    if symbols is None:
        return None
    if not symbols:
        raise InvalidInputError("symbols", "give at least one symbol, or leave it out")
    if len(symbols) > MAX_SYMBOLS:
        raise InvalidInputError("symbols", f"at most {MAX_SYMBOLS} symbols, got {len(symbols)}")
    canonical = []
    for code in symbols:
        try:
            canonical.append(normalize_symbol(code))
        except (MalformedSymbolError, TypeError, ValueError) as error:
            raise InvalidInputError("symbols", str(error)) from None
    return list(dict.fromkeys(canonical))


def _check_cash(cash: float | None) -> float | None:
    if cash is not None and not (math.isfinite(cash) and 0 < cash <= MAX_CASH):
        raise InvalidInputError("cash", f"must be positive and at most {MAX_CASH:.0e}, got {cash}")
    return cash


def _check_freq(freq: str) -> str:
    if freq not in FREQUENCIES:
        raise InvalidInputError("freq", f"one of {', '.join(FREQUENCIES)}, got {freq!r}")
    return freq


def _scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, bool | int | str)


def _check_params(field: str, params: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    for name, value in params.items():
        if known and name not in known:
            raise InvalidInputError(
                f"{field}.{name}",
                f"the strategy has no parameter {name!r}; its PARAMS are "
                f"{', '.join(sorted(known)) or 'empty'}",
            )
        if not _scalar(value):
            raise InvalidInputError(
                f"{field}.{name}", f"must be a number, string, boolean or null, got {value!r}"
            )
    return params


class _Checked(NamedTuple):
    """A version the caller may run, its ``PARAMS``, and the store it will read."""

    version: StrategyVersion
    decision: Any
    params: dict[str, Any]
    window: StoreWindow


def _runnable(
    session: Session,
    caller: Principal,
    store: Path | None,
    strategy_id: int,
    number: int,
    start: dt.date,
    end: dt.date,
) -> _Checked:
    version = get_version(session, strategy_id, number)
    decision = require(
        caller.roles,
        Action.BACKTEST_RUN,
        user=caller.name,
        resource_owner=version.strategy.owner.name,
        object_type="strategy_version",
        object_id=version.id,
    )
    known = check_code(version.code)
    window = store_window(store)
    _check_range(window, start, end)
    return _Checked(version, decision, known, window)


def submit_backtest(
    session: Session,
    caller: Principal,
    requester: User,
    store: Path | None,
    *,
    strategy_id: int,
    version: int,
    start: dt.date,
    end: dt.date,
    freq: str = "1d",
    params: dict[str, Any] | None = None,
    symbols: list[str] | None = None,
    cash: float | None = None,
) -> BacktestRun:
    """Record a backtest of one version and its queued job; the run (with ``job_id``)."""
    chosen, decision, known, window = _runnable(
        session, caller, store, strategy_id, version, start, end
    )
    parameters = {
        "params": _check_params("params", params or {}, known),
        "symbols": _check_symbols(symbols),
        "cash": _check_cash(cash),
    }
    job = Job(kind="backtest", submitted_by=requester, payload={})
    session.add(job)
    session.flush()
    run = BacktestRun(
        strategy_version=chosen,
        requested_by=requester,
        job_id=job.id,
        parameters=parameters,
        start_date=start,
        end_date=end,
        frequency=_check_freq(freq),
        store_snapshot=window.snapshot,
    )
    session.add(run)
    session.flush()
    job.payload = {"backtest_run_id": run.id}
    audit.record(
        session,
        user=caller.name,
        role=decision.role,
        action=Action.BACKTEST_RUN,
        object_type="backtest_run",
        object_id=run.id,
        details={
            "strategy_id": strategy_id,
            "version": version,
            "start": str(start),
            "end": str(end),
            "freq": freq,
            "job_id": job.id,
            "store_snapshot": window.snapshot,
            **parameters,
        },
    )
    return run


def grid_size(grid: dict[str, list[Any]]) -> int:
    """How many parameter combinations a grid spans."""
    return math.prod(len(values) for values in grid.values())


def submit_sweep(
    session: Session,
    caller: Principal,
    requester: User,
    store: Path | None,
    *,
    strategy_id: int,
    version: int,
    start: dt.date,
    end: dt.date,
    grid: dict[str, list[Any]],
    metric: str = "sharpe",
    freq: str = "1d",
    symbols: list[str] | None = None,
    cash: float | None = None,
) -> Job:
    """Record a parameter sweep of one version as a queued job."""
    chosen, decision, known, window = _runnable(
        session, caller, store, strategy_id, version, start, end
    )
    if not grid:
        raise InvalidInputError("grid", "give at least one parameter with values to try")
    for name, values in grid.items():
        if not values or len(values) > MAX_VALUES_PER_PARAMETER:
            raise InvalidInputError(
                f"grid.{name}", f"give 1 to {MAX_VALUES_PER_PARAMETER} values, got {len(values)}"
            )
        for value in values:
            _check_params("grid", {name: value}, known)
    size = grid_size(grid)
    if size > MAX_GRID_POINTS:
        raise InvalidInputError(
            "grid", f"spans {size} combinations; at most {MAX_GRID_POINTS} per sweep"
        )
    if metric not in SWEEP_METRICS:
        raise InvalidInputError("metric", f"one of {', '.join(SWEEP_METRICS)}, got {metric!r}")
    payload = {
        "strategy_version_id": chosen.id,
        "start": str(start),
        "end": str(end),
        "grid": grid,
        "symbols": _check_symbols(symbols),
        "cash": _check_cash(cash),
        "freq": _check_freq(freq),
        "metric": metric,
        "store_snapshot": window.snapshot,
    }
    job = Job(kind="sweep", submitted_by=requester, payload=payload)
    session.add(job)
    session.flush()
    audit.record(
        session,
        user=caller.name,
        role=decision.role,
        action="sweep.run",
        object_type="job",
        object_id=job.id,
        details={"strategy_id": strategy_id, "version": version, "combinations": size, **payload},
    )
    return job


def get_run(session: Session, caller: Principal, run_id: int) -> BacktestRun:
    """A backtest run (results are shared: every role may read them)."""
    require(caller.roles, Action.BACKTEST_READ, user=caller.name, object_type="backtest_run")
    run = session.get(BacktestRun, run_id)
    if run is None:
        raise NotFoundError(f"no backtest run with id {run_id}")
    return run


def list_runs(
    session: Session,
    caller: Principal,
    *,
    strategy_id: int | None = None,
    status: str | None = None,
    requested_by: str | None = None,
    limit: int,
    offset: int,
) -> Page[BacktestRun]:
    """Backtest runs, newest first, filtered by strategy, status and requester."""
    require(caller.roles, Action.BACKTEST_READ, user=caller.name, object_type="backtest_run")
    query: Select[Any] = select(BacktestRun).order_by(BacktestRun.id.desc())
    if strategy_id is not None:
        query = query.join(BacktestRun.strategy_version).where(
            StrategyVersion.strategy_id == strategy_id
        )
    if status is not None:
        query = query.where(BacktestRun.status == JobStatus(status).value)
    if requested_by is not None:
        query = query.join(BacktestRun.requested_by).where(User.name == requested_by)
    return paginate(session, query, limit=limit, offset=offset)


def metrics_of(run: BacktestRun) -> dict[str, Any]:
    """A succeeded run's metrics; :class:`ConflictError` naming its state otherwise."""
    if run.status != JobStatus.SUCCEEDED.value or run.metrics is None:
        raise ConflictError(
            f"backtest run {run.id} has no metrics: it is {run.status}"
            + (f" ({run.error})" if run.error else "")
        )
    return run.metrics


def report_file(artifacts_dir: Path, run: BacktestRun) -> Path:
    """The run's HTML report: :class:`ConflictError` until the run has succeeded,
    :class:`NotFoundError` when the file is missing."""
    if run.status != JobStatus.SUCCEEDED.value:
        raise ConflictError(
            f"backtest run {run.id} has no report: it is {run.status}"
            + (f" ({run.error})" if run.error else "")
        )
    relative = (run.artifacts or {}).get("report")
    if not relative:
        raise NotFoundError(f"backtest run {run.id} finished without a report")
    path = (artifacts_dir / relative).resolve()
    if not path.is_relative_to(artifacts_dir.resolve()) or not path.is_file():
        raise NotFoundError(f"the report of backtest run {run.id} is missing from the artifacts")
    return path
