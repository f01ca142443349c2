"""``/api/backtests`` and ``/api/sweeps``: submit, follow, read metrics, download reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, status
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from hub.service.deps import Caller, Member, State, user_row
from hub.service.schemas import (
    BacktestOut,
    BacktestSubmit,
    Filter,
    Id,
    JobOut,
    JobStatusFilter,
    Limit,
    Offset,
    OptionalId,
    Page,
    SweepSubmit,
)
from quantlib.platform import backtests, job_records
from quantlib.platform.models import BacktestRun, Job
from quantlib.platform.paging import DEFAULT_LIMIT

if TYPE_CHECKING:
    pass

router = APIRouter(prefix="/api", tags=["backtests"])


def _out(session: Session, run: BacktestRun) -> BacktestOut:
    return BacktestOut.of(run, session.get(Job, run.job_id) if run.job_id else None)


@router.post(
    "/backtests",
    response_model=BacktestOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit a backtest",
)
def submit_backtest(
    body: BacktestSubmit, caller: Caller, member: Member, state: State
) -> BacktestOut:
    """Queue a backtest of one of the caller's strategy versions; follow it by its id."""
    runner = state.require_runner()
    with state.sessions.begin() as session:
        run = backtests.submit_backtest(
            session,
            caller,
            user_row(session, member),
            state.config.store,
            strategy_id=body.strategy_id,
            version=body.version,
            start=body.start,
            end=body.end,
            freq=body.freq,
            params=dict(body.params),
            symbols=body.symbols,
            cash=body.cash,
        )
        job_id, run_id = run.job_id, run.id
    if job_id is not None:
        runner.submit(job_id)
    with state.sessions.begin() as session:
        return _out(session, backtests.get_run(session, caller, run_id))


@router.get("/backtests", response_model=Page[BacktestOut], summary="List backtests")
def list_backtests(
    caller: Caller,
    state: State,
    strategy_id: OptionalId = None,
    status_filter: JobStatusFilter = None,
    requested_by: Filter = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[BacktestOut]:
    """Backtest runs, newest first; filter by strategy, ``status`` and requester."""
    with state.sessions.begin() as session:
        page = backtests.list_runs(
            session,
            caller,
            strategy_id=strategy_id,
            status=status_filter,
            requested_by=requested_by,
            limit=limit,
            offset=offset,
        )
        items = [_out(session, run) for run in page.items]
    return Page[BacktestOut].of(page, items)


@router.get("/backtests/{run_id}", response_model=BacktestOut, summary="Read a backtest")
def read_backtest(run_id: Id, caller: Caller, state: State) -> BacktestOut:
    """A run's status and progress, and its metrics once it has succeeded."""
    with state.sessions.begin() as session:
        return _out(session, backtests.get_run(session, caller, run_id))


@router.get(
    "/backtests/{run_id}/metrics", response_model=dict[str, object], summary="A backtest's metrics"
)
def backtest_metrics(run_id: Id, caller: Caller, state: State) -> dict[str, object]:
    """The performance metrics of a succeeded run (409 while it is not done)."""
    with state.sessions.begin() as session:
        run = backtests.get_run(session, caller, run_id)
        return dict(backtests.metrics_of(run))


@router.get(
    "/backtests/{run_id}/report",
    response_class=FileResponse,
    summary="Download a backtest's report",
    responses={200: {"content": {"text/html": {}}, "description": "the HTML tearsheet"}},
)
def backtest_report(run_id: Id, caller: Caller, state: State) -> FileResponse:
    """The run's interactive HTML tearsheet (one offline file)."""
    with state.sessions.begin() as session:
        run = backtests.get_run(session, caller, run_id)
        path = backtests.report_file(state.config.artifacts_dir(), run)
    return FileResponse(
        path, media_type="text/html; charset=utf-8", filename=f"backtest-{run_id}.html"
    )


@router.post(
    "/sweeps",
    response_model=JobOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit a parameter sweep",
)
def submit_sweep(body: SweepSubmit, caller: Caller, member: Member, state: State) -> JobOut:
    """Queue a sweep over every combination of ``grid``; its job carries the results."""
    runner = state.require_runner()
    with state.sessions.begin() as session:
        job = backtests.submit_sweep(
            session,
            caller,
            user_row(session, member),
            state.config.store,
            strategy_id=body.strategy_id,
            version=body.version,
            start=body.start,
            end=body.end,
            grid={name: list(values) for name, values in body.grid.items()},
            metric=body.metric,
            freq=body.freq,
            symbols=body.symbols,
            cash=body.cash,
        )
        job_id = job.id
    runner.submit(job_id)
    with state.sessions.begin() as session:
        return JobOut.of(job_records.get_job(session, caller, job_id))
