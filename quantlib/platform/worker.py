"""What a Dask worker runs for a platform job: :func:`run_job`.

Strategy code is executed only here, in the worker process, never in the service. The
job row is the channel between the two: the worker claims the job (queued → running),
stores progress, heartbeat and log at most twice a second, stops when the service asked
for cancellation, and writes the final state with its audit record in one transaction.
Every failure of the job itself (a strategy that raises, bad input) ends as a ``failed``
job with a one-line error and the traceback in its log; only a database that cannot be
reached makes :func:`run_job` raise.
"""

from __future__ import annotations

import functools
import logging
import time
import traceback
import warnings
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from quantlib.core.errors import QuantlibError
from quantlib.platform import job_state
from quantlib.platform.db import open_engine, session_factory
from quantlib.platform.job_kinds import JOB_KINDS, JobContext, JobOutcome
from quantlib.platform.models import Job, JobStatus

#: Seconds between two progress writes of one job.
PROGRESS_INTERVAL = 0.5
#: Characters of log kept per job (the tail).
LOG_LIMIT = 200_000
#: Logger whose records (every strategy's ``log``) go into the job's log.
STRATEGY_LOGGER = "quantlib.strategy"
LOG_TRUNCATED = "[earlier log lines dropped: the log keeps its last {limit} characters]"
WORKER_DIED = (
    "the worker process running the job died (killed, out of memory or crashed); "
    "the job is not restarted: submit it again"
)


class Cancelled(BaseException):
    """The job should stop: cancellation was requested or it was finished elsewhere.

    A :class:`BaseException`, so the per-parameter-set error handling of sweeps and
    strategies' own ``except Exception`` do not swallow it.
    """


@functools.cache
def _engine(db_url: str) -> Engine:
    """One engine per worker process and database URL."""
    return open_engine(db_url)


class JobLog(logging.Handler):
    """The job's log: strategy log records and warnings as ``HH:MM:SS LEVEL message``.

    Keeps the last :data:`LOG_LIMIT` characters and says so when it dropped lines.
    """

    def __init__(self, limit: int = LOG_LIMIT) -> None:
        super().__init__(logging.INFO)
        self.limit = limit
        self._lines: deque[str] = deque()
        self._size = 0
        self._truncated = False
        self._changed = False

    def add(self, level: str, message: str, created: float | None = None) -> None:
        """Append one entry (``created``: its time, default now)."""
        stamp = time.strftime("%H:%M:%S", time.localtime(created))
        line = f"{stamp} {level} {message.rstrip()}"
        self._lines.append(line)
        self._size += len(line) + 1
        while self._size > self.limit and len(self._lines) > 1:
            self._size -= len(self._lines.popleft()) + 1
            self._truncated = True
        self._changed = True

    def emit(self, record: logging.LogRecord) -> None:
        """Add a log record (with its traceback, if it carries one)."""
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.add(record.levelname, message, record.created)

    def text(self) -> str:
        """The log as stored in the job row."""
        lines = list(self._lines)
        if self._truncated:
            lines.insert(0, LOG_TRUNCATED.format(limit=self.limit))
        return "\n".join(lines)

    def changes(self) -> str | None:
        """The log if it changed since the last call, else None."""
        if not self._changed:
            return None
        self._changed = False
        return self.text()

    @contextmanager
    def capturing(self) -> Iterator[JobLog]:
        """Collect strategy log records (INFO and up) and Python warnings meanwhile."""
        logger = logging.getLogger(STRATEGY_LOGGER)
        level = logger.level
        if level == logging.NOTSET or level > logging.INFO:
            logger.setLevel(logging.INFO)
        logger.addHandler(self)

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            where = f"{Path(filename).name}:{lineno}"
            self.add("WARNING", f"{category.__name__}: {message} ({where})")

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                warnings.showwarning = show
                yield self
        finally:
            logger.removeHandler(self)
            logger.setLevel(level)


class Progress:
    """Throttled progress reports of one job; raises :class:`Cancelled` when it must stop."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, log: JobLog) -> None:
        self.sessions = sessions
        self.job_id = job_id
        self.log = log
        self._last = float("-inf")

    def __call__(self, fraction: float, message: str, *, force: bool = False) -> None:
        """Store ``fraction`` (0 to 1) and ``message``, unless reported under 0.5 s ago."""
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_INTERVAL:
            return
        self._last = now
        with self.sessions.begin() as session:
            requested = job_state.report_progress(
                session, self.job_id, fraction, message, self.log.changes()
            )
        if requested is None:
            raise Cancelled("the job was finished elsewhere while it ran")
        if requested:
            raise Cancelled("cancelled on request")


def error_line(error: BaseException) -> str:
    """A one-line description of ``error`` for the job's ``error`` column."""
    text = str(error) if isinstance(error, QuantlibError) else f"{type(error).__name__}: {error}"
    return " ".join(text.split())[:1000]


def run_job(
    db_url: str, job_id: int, store: str | Path | None, artifacts_dir: str | Path
) -> dict[str, Any]:
    """Run job ``job_id`` to a final state; returns ``{"job_id", "status"}``.

    Parameters
    ----------
    db_url
        The full database URL (with any password); the worker opens its own engine.
    job_id
        A committed job, queued; a job in any other state is left alone, except one
        already running, which means Dask restarted it after its worker died: that one
        is failed saying so.
    store
        The market data store path (``None``: jobs that need data fail saying so).
    artifacts_dir
        Where the job's files go (``backtests/<run id>/``, ``sweeps/<job id>/``).

    Raises
    ------
    DatabaseError
        Only when the database cannot be read or written.
    """
    sessions = session_factory(_engine(db_url))
    with sessions.begin() as session:
        claimed = job_state.claim(session, job_id)
        job = session.execute(select(Job.status, Job.kind, Job.payload).where(Job.id == job_id))
        row = job.first()
    if row is None:
        return {"job_id": job_id, "status": None}
    if not claimed:
        if row.status == JobStatus.RUNNING:
            with sessions.begin() as session:
                job_state.finish(session, job_id, JobStatus.FAILED, error=WORKER_DIED)
            return {"job_id": job_id, "status": JobStatus.FAILED.value}
        return {"job_id": job_id, "status": row.status}
    log = JobLog()
    context = JobContext(
        job_id=job_id,
        kind=row.kind,
        payload=dict(row.payload or {}),
        sessions=sessions,
        store=Path(store) if store is not None else None,
        artifacts_dir=Path(artifacts_dir),
        progress=Progress(sessions, job_id, log),
        log=log,
    )
    status, outcome, error = _execute(context, log)
    with sessions.begin() as session:
        job_state.finish(
            session,
            job_id,
            status,
            error=error,
            result=outcome.result if outcome else None,
            log=log.text(),
            metrics=outcome.metrics if outcome else None,
            artifacts=outcome.artifacts if outcome else None,
        )
    return {"job_id": job_id, "status": status.value}


def _execute(context: JobContext, log: JobLog) -> tuple[JobStatus, JobOutcome | None, str | None]:
    """Run the job's kind, turning every way it can end into a status."""
    function = JOB_KINDS.get(context.kind)
    if function is None:
        known = ", ".join(sorted(JOB_KINDS))
        return JobStatus.FAILED, None, f"unknown job kind {context.kind!r} (known: {known})"
    try:
        with log.capturing():
            context.progress(0.0, "starting", force=True)
            outcome = function(context)
    except Cancelled as stop:
        log.add("INFO", f"job stopped: {stop}")
        return JobStatus.CANCELLED, None, str(stop)
    except Exception as error:
        log.add("ERROR", "".join(traceback.format_exception(error)))
        return JobStatus.FAILED, None, error_line(error)
    return JobStatus.SUCCEEDED, outcome, None
