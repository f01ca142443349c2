"""A job's state changes, shared by the service's runner and the Dask workers.

Every change is a conditional ``UPDATE`` (``WHERE status IN (...)``), so a job that has
reached a final state (succeeded, failed, cancelled) is never changed again, whoever
gets there second: the worker finishing, the runner reacting to a lost worker, a cancel
request, or a restarted service.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quantlib.core.dates import utc_now
from quantlib.platform import audit
from quantlib.platform.models import AuditOutcome, BacktestRun, Job, JobStatus

#: States from which a job may still move on.
LIVE_STATES = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
#: States a job never leaves.
FINAL_STATES = (JobStatus.SUCCEEDED.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value)
#: The audit action of a job reaching a final state.
FINISH_ACTION = "job.finish"
#: Who the audit log names for changes the platform makes on its own.
SYSTEM_USER = "system"
#: Longest ``progress_message`` the column holds.
MESSAGE_LENGTH = 200


def claim(session: Session, job_id: int) -> bool:
    """Move a queued job to running (start and heartbeat times now); False if not queued."""
    now = utc_now()
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
        .values(status=JobStatus.RUNNING.value, started_at=now, heartbeat_at=now)
        .returning(Job.id)
    ).first()
    if claimed is None:
        return False
    session.execute(
        update(BacktestRun)
        .where(BacktestRun.job_id == job_id, BacktestRun.status == JobStatus.QUEUED.value)
        .values(status=JobStatus.RUNNING.value)
    )
    return True


def report_progress(
    session: Session, job_id: int, fraction: float, message: str, log: str | None = None
) -> bool | None:
    """Store a running job's progress and heartbeat (and its log so far, if given).

    Returns whether cancellation was requested, or ``None`` when the job is no longer
    running (it was finished by someone else, so the worker should stop).
    """
    values: dict[str, Any] = {
        "progress": min(max(fraction, 0.0), 1.0),
        "progress_message": message[:MESSAGE_LENGTH],
        "heartbeat_at": utc_now(),
    }
    if log is not None:
        values["log"] = log
    row = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING.value)
        .values(**values)
        .returning(Job.cancel_requested)
    ).first()
    return None if row is None else bool(row.cancel_requested)


def finish(
    session: Session,
    job_id: int,
    status: JobStatus,
    *,
    error: str | None = None,
    result: dict[str, Any] | None = None,
    log: str | None = None,
    metrics: dict[str, Any] | None = None,
    artifacts: dict[str, Any] | None = None,
    from_states: tuple[str, ...] = LIVE_STATES,
) -> bool:
    """Put a live job (and its backtest run, if any) in the final ``status``, audited.

    Runs inside the caller's transaction; the audit record (action ``job.finish``,
    outcome ``failed`` for a failed job, else ``ok``) is written last. Only a job in one
    of ``from_states`` changes; otherwise nothing changes and the result is False.
    """
    now = utc_now()
    values: dict[str, Any] = {"status": status.value, "finished_at": now, "error": error}
    if result is not None:
        values["result"] = result
    if log is not None:
        values["log"] = log
    if status is JobStatus.SUCCEEDED:
        values.update(progress=1.0, progress_message="done")
    row = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(from_states))
        .values(**values)
        .returning(Job.kind)
    ).first()
    if row is None:
        return False
    run_values: dict[str, Any] = {"status": status.value, "finished_at": now, "error": error}
    if metrics is not None:
        run_values["metrics"] = metrics
    if artifacts is not None:
        run_values["artifacts"] = artifacts
    session.execute(
        update(BacktestRun)
        .where(BacktestRun.job_id == job_id, BacktestRun.status.in_(LIVE_STATES))
        .values(**run_values)
    )
    details: dict[str, Any] = {"kind": row.kind, "status": status.value}
    run_id = session.scalars(
        select(BacktestRun.id).where(BacktestRun.job_id == job_id).order_by(BacktestRun.id)
    ).first()
    if run_id is not None:
        details["backtest_run_id"] = run_id
    if error is not None:
        details["error"] = error[:MESSAGE_LENGTH]
    audit.record(
        session,
        user=SYSTEM_USER,
        role=None,
        action=FINISH_ACTION,
        object_type="job",
        object_id=job_id,
        details=details,
        outcome=AuditOutcome.FAILED if status is JobStatus.FAILED else AuditOutcome.OK,
    )
    return True
