"""``/api/jobs``: background jobs — list, read, log, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from hub.service.deps import Caller, State
from hub.service.schemas import Filter, Id, JobOut, JobStatusFilter, Limit, Offset, Page
from quantlib.platform import job_records
from quantlib.platform.paging import DEFAULT_LIMIT

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


@router.get("", response_model=Page[JobOut], summary="List jobs")
def list_jobs(
    caller: Caller,
    state: State,
    status_filter: JobStatusFilter = None,
    kind: Annotated[str | None, Query(pattern=r"^(backtest|sweep)$")] = None,
    submitted_by: Filter = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[JobOut]:
    """Jobs newest first (researchers see their own); filter by status, kind, submitter."""
    with state.sessions.begin() as session:
        page = job_records.list_jobs(
            session,
            caller,
            status=status_filter,
            kind=kind,
            submitted_by=submitted_by,
            limit=limit,
            offset=offset,
        )
        items = [JobOut.of(job) for job in page.items]
    return Page[JobOut].of(page, items)


@router.get("/{job_id}", response_model=JobOut, summary="Read a job")
def read_job(job_id: Id, caller: Caller, state: State) -> JobOut:
    """A job's state, progress and result."""
    with state.sessions.begin() as session:
        return JobOut.of(job_records.get_job(session, caller, job_id))


@router.get("/{job_id}/log", response_class=PlainTextResponse, summary="A job's log")
def job_log(job_id: Id, caller: Caller, state: State) -> str:
    """What the job's strategy logged, and the traceback of a failure."""
    with state.sessions.begin() as session:
        return job_records.get_job(session, caller, job_id).log


@router.post("/{job_id}/cancel", response_model=JobOut, summary="Cancel a job")
def cancel_job(job_id: Id, caller: Caller, state: State) -> JobOut:
    """Cancel a queued job at once, or ask a running one to stop at its next step.

    A job that has finished answers 409.
    """
    job_records.cancel_job(state.sessions, caller, job_id, state.require_runner())
    with state.sessions.begin() as session:
        return JobOut.of(job_records.get_job(session, caller, job_id))
