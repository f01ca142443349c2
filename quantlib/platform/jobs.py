"""The platform's job runner: committed job rows dispatched to Dask workers.

The service commits a :class:`~quantlib.platform.models.Job` (queued) and calls
:meth:`JobRunner.submit`; :func:`quantlib.platform.worker.run_job` then runs it in a
worker process and records its progress and final state in the row. The runner keeps
each job's future: when one ends without the worker having recorded a final state (the
worker process was killed, the task was cancelled) the runner fails or cancels the job
saying why. On start it fails the jobs a previous service process left queued or running,
since nobody holds their futures any more.

The runner is safe to call from several threads (the service's request handlers).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from quantlib.platform import job_state
from quantlib.platform.config import PlatformConfig
from quantlib.platform.db import open_engine
from quantlib.platform.db import session_factory as make_session_factory
from quantlib.platform.errors import ConflictError, NotFoundError
from quantlib.platform.models import Job, JobStatus
from quantlib.platform.worker import error_line, run_job

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

logger = logging.getLogger(__name__)

RESTARTED = (
    "the platform service restarted while the job was {state}; its worker is gone — submit it again"
)
CANCELLED_QUEUED = "cancelled before it started"
TASK_CANCELLED = "its Dask task was cancelled before the job recorded an outcome"
WORKER_LOST = "the Dask worker process running the job died ({reason}); submit it again"
UNRECORDED = "the job ended without recording an outcome: {reason}"
#: Seconds between two looks at the database in :meth:`JobRunner.wait`.
WAIT_POLL = 0.1


class JobRunner:
    """Runs platform jobs on Dask: a local cluster, or the scheduler the config names.

    Parameters
    ----------
    config
        The platform settings: database, market data store, artifacts directory,
        ``dask_scheduler`` (``None``: start a :class:`distributed.LocalCluster` of
        ``dask_workers`` single-threaded processes).
    session_factory
        Sessions on the platform database (default: opened from ``config``). Workers
        always open ``config.database_url()`` themselves.

    Examples
    --------
    >>> with JobRunner(PlatformConfig.from_env()) as runner:  # doctest: +SKIP
    ...     runner.submit(job_id)
    ...     runner.wait(job_id)
    'succeeded'
    """

    def __init__(
        self, config: PlatformConfig, *, session_factory: sessionmaker[Session] | None = None
    ) -> None:
        self.config = config
        self._engine: Engine | None = None
        if session_factory is None:
            self._engine = open_engine(config.database_url())
            session_factory = make_session_factory(self._engine)
        self.sessions = session_factory
        self._lock = threading.Lock()
        self._futures: dict[int, Future] = {}
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None
        self._closing = False
        self._settler = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job-settle")

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> list[int]:
        """Start or connect to the Dask cluster, then :meth:`recover`; the recovered ids."""
        from distributed import Client, LocalCluster

        with self._lock:
            if self._client is None:
                if self.config.dask_scheduler:
                    self._client = Client(self.config.dask_scheduler)
                else:
                    self._cluster = LocalCluster(
                        n_workers=self.config.dask_workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                    )
                    self._client = Client(self._cluster)
        return self.recover()

    def close(self) -> None:
        """Disconnect (stopping a local cluster); jobs in flight are recovered on next start."""
        with self._lock:
            self._closing = True
            client, cluster = self._client, self._cluster
            self._client = self._cluster = None
            self._futures.clear()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        self._settler.shutdown(wait=True)
        if self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> JobRunner:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- jobs -------------------------------------------------------------------------------
    def recover(self) -> list[int]:
        """Fail the jobs left queued or running by an earlier runner; their ids.

        Jobs this runner holds futures for are left alone. Their backtest runs are failed
        with them, each with an audit record.
        """
        with self._lock:
            held = set(self._futures)
        recovered = []
        with self.sessions.begin() as session:
            rows = session.execute(
                select(Job.id, Job.status)
                .where(Job.status.in_(job_state.LIVE_STATES))
                .order_by(Job.id)
            ).all()
            for row in rows:
                if row.id in held:
                    continue
                reason = RESTARTED.format(state=row.status)
                if job_state.finish(session, row.id, JobStatus.FAILED, error=reason):
                    recovered.append(row.id)
        if recovered:
            logger.warning(
                "failed %d job(s) left behind by a restart: %s", len(recovered), recovered
            )
        return recovered

    def submit(self, job_id: int) -> None:
        """Dispatch a committed, queued job to Dask.

        Raises
        ------
        NotFoundError
            If there is no job ``job_id``.
        ConflictError
            If the job is not queued or was already submitted.
        RuntimeError
            If the runner was not started.
        """
        client = self._require_client()
        with self._lock:
            if job_id in self._futures:
                raise ConflictError(f"job {job_id} was already submitted")
        key = f"job-{job_id}-{uuid.uuid4().hex}"
        with self.sessions.begin() as session:
            marked = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
                .values(dask_key=key)
                .returning(Job.id)
            ).first()
            if marked is None:
                status = self._stored_status(session, job_id)
                raise ConflictError(f"job {job_id} is {status}, not queued; it cannot be submitted")
        future = client.submit(
            run_job,
            self.config.database_url(),
            job_id,
            str(self.config.store) if self.config.store is not None else None,
            str(self.config.artifacts_dir()),
            key=key,
            pure=False,
        )
        with self._lock:
            self._futures[job_id] = future
        future.add_done_callback(lambda done: self._settler.submit(self._settle, job_id, done))

    def cancel(self, job_id: int) -> str:
        """Cancel a job; the status it is left in.

        A queued job is cancelled at once (``"cancelled"``); a running one is asked to stop
        at its next progress check (``"running"``, it ends ``cancelled`` soon); a finished
        one is left as it is (its status is returned).

        Raises
        ------
        NotFoundError
            If there is no job ``job_id``.
        """
        with self.sessions.begin() as session:
            if job_state.finish(
                session,
                job_id,
                JobStatus.CANCELLED,
                error=CANCELLED_QUEUED,
                from_states=(JobStatus.QUEUED.value,),
            ):
                status = JobStatus.CANCELLED.value
            else:
                asked = session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == JobStatus.RUNNING.value)
                    .values(cancel_requested=True)
                    .returning(Job.id)
                ).first()
                status = JobStatus.RUNNING.value if asked else self._stored_status(session, job_id)
        if status == JobStatus.CANCELLED.value:
            with self._lock:
                future = self._futures.get(job_id)
            if future is not None:
                future.cancel()
        return status

    def status(self, job_id: int) -> str:
        """The job's stored status.

        Raises
        ------
        NotFoundError
            If there is no job ``job_id``.
        """
        with self.sessions() as session:
            return self._stored_status(session, job_id)

    def wait(self, job_id: int, timeout: float | None = None) -> str:
        """Block until the job is final (or ``timeout`` seconds passed); its status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.status(job_id)
            if status in job_state.FINAL_STATES:
                return status
            if deadline is not None and time.monotonic() >= deadline:
                return status
            time.sleep(WAIT_POLL)

    def in_flight(self) -> list[int]:
        """Ids of the jobs whose Dask futures this runner still holds."""
        with self._lock:
            return sorted(self._futures)

    # -- internals --------------------------------------------------------------------------
    def _require_client(self) -> Client:
        with self._lock:
            if self._client is None:
                raise RuntimeError("the job runner is not started; call start() first")
            return self._client

    @staticmethod
    def _stored_status(session: Session, job_id: int) -> str:
        status = session.scalar(select(Job.status).where(Job.id == job_id))
        if status is None:
            raise NotFoundError(f"job {job_id} does not exist")
        return status

    def _settle(self, job_id: int, future: Any) -> None:
        """After a future ended: record an outcome the worker could not record itself."""
        with self._lock:
            if self._futures.get(job_id) is future:
                del self._futures[job_id]
            if self._closing:
                return
        if future.status == "finished":
            return
        from distributed import KilledWorker

        if future.status == "cancelled":
            status, reason = JobStatus.CANCELLED, TASK_CANCELLED
        else:
            status = JobStatus.FAILED
            error = future.exception() if future.status == "error" else None
            described = error_line(error) if error is not None else f"Dask says {future.status}"
            template = WORKER_LOST if isinstance(error, KilledWorker) else UNRECORDED
            reason = template.format(reason=described)
        try:
            with self.sessions.begin() as session:
                job_state.finish(session, job_id, status, error=reason)
        except Exception:
            logger.exception("cannot record the end of job %d (%s)", job_id, reason)
