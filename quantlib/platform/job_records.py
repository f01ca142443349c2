"""Jobs as callers see them: list, read, log, and cancel.

Researchers see and cancel their own jobs; risk officers and admins see every job, and
admins may cancel any (``quantlib.platform.rbac``). Cancelling writes the audit record;
stopping the work is the runner's (:class:`quantlib.platform.jobs.JobRunner`).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from quantlib.platform import audit
from quantlib.platform.errors import ConflictError, NotFoundError
from quantlib.platform.identity import Principal
from quantlib.platform.models import Job, JobStatus, User
from quantlib.platform.paging import Page, paginate
from quantlib.platform.rbac import Access, Action, best_access, require

FINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class Canceller(Protocol):
    """What cancels a job's work: the job runner."""

    def cancel(self, job_id: int) -> str:
        """Cancel the job; its status afterwards."""
        ...


def _job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"no job with id {job_id}")
    return job


def get_job(session: Session, caller: Principal, job_id: int) -> Job:
    """A job the caller may read."""
    job = _job(session, job_id)
    require(
        caller.roles,
        Action.JOB_READ,
        user=caller.name,
        resource_owner=job.submitted_by.name,
        object_type="job",
        object_id=job.id,
    )
    return job


def list_jobs(
    session: Session,
    caller: Principal,
    *,
    status: str | None = None,
    kind: str | None = None,
    submitted_by: str | None = None,
    limit: int,
    offset: int,
) -> Page[Job]:
    """Jobs newest first; a caller who may read only their own jobs sees only those."""
    access = best_access(caller.roles, Action.JOB_READ)
    if access is Access.DENIED:
        require(caller.roles, Action.JOB_READ, user=caller.name, object_type="job")
    query: Select[Any] = select(Job).join(Job.submitted_by).order_by(Job.id.desc())
    if access is Access.OWN:
        query = query.where(User.name == caller.name)
    if submitted_by is not None:
        query = query.where(User.name == submitted_by)
    if status is not None:
        query = query.where(Job.status == JobStatus(status).value)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return paginate(session, query, limit=limit, offset=offset)


def request_cancel(session: Session, caller: Principal, job_id: int) -> Job:
    """Check that the caller may cancel the job and that it is still live; audit it.

    The caller commits, then asks the runner to stop the work (:func:`cancel_job` does
    both in order).
    """
    job = _job(session, job_id)
    decision = require(
        caller.roles,
        Action.JOB_CANCEL,
        user=caller.name,
        resource_owner=job.submitted_by.name,
        object_type="job",
        object_id=job.id,
    )
    if JobStatus(job.status) in FINAL:
        raise ConflictError(f"job {job.id} has already {job.status}; nothing to cancel")
    audit.record(
        session,
        user=caller.name,
        role=decision.role,
        action=Action.JOB_CANCEL,
        object_type="job",
        object_id=job.id,
        details={"kind": job.kind, "status_before": job.status},
    )
    return job


def cancel_job(sessions: Any, caller: Principal, job_id: int, runner: Canceller) -> str:
    """Cancel a job for the caller: the checked, audited request, then the runner's stop.

    ``sessions`` is a session factory; the audit record commits before the runner acts.
    Returns the job's status afterwards (``running`` until a running job's worker stops).
    """
    with sessions.begin() as session:
        request_cancel(session, caller, job_id)
    return runner.cancel(job_id)
