"""The job runner on a real local Dask cluster, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quantlib.backtest.examples import dual_ma
from quantlib.core.errors import ConfigError
from quantlib.data.update import build_demo_store
from quantlib.platform.audit import verify_chain
from quantlib.platform.config import PlatformConfig
from quantlib.platform.db import open_engine, session_factory, upgrade
from quantlib.platform.jobs import JobRunner
from quantlib.platform.models import (
    AuditRecord,
    BacktestRun,
    Job,
    Strategy,
    StrategyVersion,
    User,
    version_content_hash,
)

distributed = pytest.importorskip("distributed")

START, END = dt.date(2025, 6, 3), dt.date(2026, 1, 20)
TIMEOUT = 60.0
FAILING = """
def initialize(context):
    g.n = 0

def handle_data(context, data):
    g.n += 1
    log.info(f"bar {g.n} seen")
    if g.n == 5:
        g.n / 0
"""
SLEEPY = """
import time

def initialize(context):
    pass

def handle_data(context, data):
    time.sleep(0.05)
"""
DYING = """
import os

def initialize(context):
    g.n = 0

def handle_data(context, data):
    g.n += 1
    if g.n == 3:
        os._exit(3)
"""


@pytest.fixture(scope="module")
def job_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store: 12 stocks, 160 days."""
    root = tmp_path_factory.mktemp("jobs") / "store"
    build_demo_store(root, n_symbols=12, days=160, seed=7, start=START, minute_symbols=0)
    return root


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two single-threaded worker processes, shared by every runner of the module."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


@pytest.fixture(scope="module")
def config(
    module_db_url: str, job_store: Path, cluster: Any, tmp_path_factory: pytest.TempPathFactory
) -> PlatformConfig:
    engine = open_engine(module_db_url)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        session.add(User(name="li"))
    engine.dispose()
    return PlatformConfig(
        data_dir=tmp_path_factory.mktemp("data"),
        db_url=SecretStr(module_db_url),
        store=job_store,
        dask_scheduler=cluster.scheduler_address,
    )


@pytest.fixture(scope="module")
def runner(config: PlatformConfig) -> Iterator[JobRunner]:
    with JobRunner(config) as started:
        yield started


@pytest.fixture
def sessions(runner: JobRunner) -> sessionmaker[Session]:
    return runner.sessions


def _version(sessions: sessionmaker[Session], name: str, code: str, **config: Any) -> int:
    with sessions.begin() as session:
        user = session.scalars(select(User).where(User.name == "li")).one()
        strategy = Strategy(name=name, owner=user)
        version = StrategyVersion(
            strategy=strategy,
            number=1,
            code=code,
            config=config,
            content_hash=version_content_hash(code, config),
            author=user,
        )
        session.add(version)
        session.flush()
        return version.id


def _job(sessions: sessionmaker[Session], kind: str, payload: dict[str, Any]) -> int:
    with sessions.begin() as session:
        user = session.scalars(select(User).where(User.name == "li")).one()
        job = Job(kind=kind, submitted_by=user, payload=payload)
        session.add(job)
        session.flush()
        return job.id


def _backtest(
    sessions: sessionmaker[Session], version_id: int, **parameters: Any
) -> tuple[int, int]:
    """A committed queued backtest job and its run: ``(job id, run id)``."""
    with sessions.begin() as session:
        user = session.scalars(select(User).where(User.name == "li")).one()
        run = BacktestRun(
            strategy_version_id=version_id,
            requested_by=user,
            parameters=parameters,
            start_date=START,
            end_date=END,
            store_snapshot="test",
        )
        session.add(run)
        session.flush()
        job = Job(kind="backtest", submitted_by=user, payload={"backtest_run_id": run.id})
        session.add(job)
        session.flush()
        run.job_id = job.id
        return job.id, run.id


def _get(sessions: sessionmaker[Session], model: Any, key: int) -> Any:
    with sessions() as session:
        return session.get(model, key)


def _until(condition: Any, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_backtest_job_succeeds_with_metrics_progress_and_report(runner, sessions):
    source = Path(dual_ma.__file__).read_text(encoding="utf-8")
    version = _version(sessions, "dual_ma", source, params={"slow": 30})
    job_id, run_id = _backtest(sessions, version, params={"fast": 5}, cash=500_000.0)

    runner.submit(job_id)

    assert runner.wait(job_id, TIMEOUT) == "succeeded"
    job, run = _get(sessions, Job, job_id), _get(sessions, BacktestRun, run_id)
    assert job.progress == 1.0 and job.finished_at is not None and job.dask_key
    assert run.status == "succeeded" and run.finished_at is not None
    assert run.metrics == job.result["metrics"]
    assert run.metrics["n_trades"] > 0 and isinstance(run.metrics["sharpe"], float)
    report = runner.config.artifacts_dir() / run.artifacts["report"]
    assert report == runner.config.artifacts_dir() / "backtests" / str(run_id) / "report.html"
    assert "<html" in report.read_text(encoding="utf-8").lower()
    assert (runner.config.artifacts_dir() / run.artifacts["result"] / "identity.json").exists()
    assert runner.in_flight() == []


def test_strategy_that_raises_fails_naming_the_error_with_traceback_in_log(runner, sessions):
    job_id, run_id = _backtest(sessions, _version(sessions, "broken", FAILING))

    runner.submit(job_id)

    assert runner.wait(job_id, TIMEOUT) == "failed"
    job, run = _get(sessions, Job, job_id), _get(sessions, BacktestRun, run_id)
    assert "strategy broken raised in handle_data at 2025-06-" in job.error
    assert "ZeroDivisionError" in job.error and "\n" not in job.error
    assert " INFO bar 4 seen" in job.log and "Traceback (most recent call last)" in job.log
    assert run.status == "failed" and run.error == job.error and run.metrics is None


def test_running_job_stops_when_cancelled_and_queued_job_never_starts(runner, sessions):
    version = _version(sessions, "sleepy", SLEEPY)
    first, _ = _backtest(sessions, version)
    second, _ = _backtest(sessions, version)
    runner.submit(first)
    runner.submit(second)
    _until(lambda: {runner.status(first), runner.status(second)} == {"running"})
    waiting, waiting_run = _backtest(sessions, version)
    runner.submit(waiting)

    assert runner.cancel(waiting) == "cancelled"
    _until(lambda: _get(sessions, Job, first).progress > 0.2)
    assert runner.cancel(first) == "running"
    assert runner.cancel(second) == "running"

    assert runner.wait(first, TIMEOUT) == runner.wait(second, TIMEOUT) == "cancelled"
    stopped = _get(sessions, Job, first)
    assert stopped.cancel_requested and 0.2 < stopped.progress < 1.0
    assert stopped.error == "cancelled on request"
    queued = _get(sessions, Job, waiting)
    assert queued.status == "cancelled" and queued.started_at is None
    assert _get(sessions, BacktestRun, waiting_run).status == "cancelled"
    _until(lambda: runner.in_flight() == [])
    assert runner.status(waiting) == "cancelled"
    assert runner.cancel(first) == "cancelled"


def test_sweep_job_returns_every_row_the_best_one_and_a_csv(runner, sessions):
    source = Path(dual_ma.__file__).read_text(encoding="utf-8")
    version = _version(sessions, "dual_ma_sweep", source)
    grid = {"fast": [3, 5], "slow": [20, 30]}
    payload = {
        "strategy_version_id": version,
        "start": START.isoformat(),
        "end": END.isoformat(),
        "grid": grid,
        "symbols": None,
        "cash": None,
        "freq": "1d",
        "metric": "sharpe",
    }
    job_id = _job(sessions, "sweep", payload)

    runner.submit(job_id)

    assert runner.wait(job_id, TIMEOUT) == "succeeded"
    result = _get(sessions, Job, job_id).result
    assert [row["params"] for row in result["rows"]] == [
        {"fast": 3, "slow": 20},
        {"fast": 3, "slow": 30},
        {"fast": 5, "slow": 20},
        {"fast": 5, "slow": 30},
    ]
    best = max(result["rows"], key=lambda row: row["metrics"]["sharpe"])
    assert result["best"] == best and result["metric"] == "sharpe"
    path = runner.config.artifacts_dir() / "sweeps" / str(job_id) / "results.csv"
    assert result["artifacts"]["results"] == f"sweeps/{job_id}/results.csv"
    with path.open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 4 and {"fast", "slow", "sharpe"} <= set(table[0])


def test_unknown_kind_fails_naming_it(runner, sessions):
    job_id = _job(sessions, "notebook", {})

    runner.submit(job_id)

    assert runner.wait(job_id, TIMEOUT) == "failed"
    assert "unknown job kind 'notebook'" in _get(sessions, Job, job_id).error


def test_job_whose_worker_dies_fails_with_a_reason(runner, sessions):
    job_id, run_id = _backtest(sessions, _version(sessions, "dying", DYING))

    runner.submit(job_id)

    assert runner.wait(job_id, TIMEOUT) == "failed"
    job = _get(sessions, Job, job_id)
    assert "worker process" in job.error and "died" in job.error
    assert _get(sessions, BacktestRun, run_id).status == "failed"
    _until(lambda: runner.in_flight() == [])


def test_jobs_left_behind_by_a_previous_service_fail_when_a_runner_starts(runner, sessions, config):
    _until(lambda: runner.in_flight() == [])
    version = _version(sessions, "orphan", SLEEPY)
    running, running_run = _backtest(sessions, version)
    queued, _ = _backtest(sessions, version)
    with sessions.begin() as session:
        session.get(Job, running).status = "running"
        session.get(BacktestRun, running_run).status = "running"

    with JobRunner(config) as restarted:
        assert restarted.recover() == []
        assert restarted.status(running) == restarted.status(queued) == "failed"

    left_running = _get(sessions, Job, running)
    assert "restarted while the job was running" in left_running.error
    assert "submit it again" in left_running.error and left_running.finished_at is not None
    assert "restarted while the job was queued" in _get(sessions, Job, queued).error
    assert _get(sessions, BacktestRun, running_run).status == "failed"


def test_every_finish_is_audited_and_the_chain_verifies(runner, sessions):
    with sessions() as session:
        report = verify_chain(session)
        finished = session.scalars(select(Job.id).where(Job.finished_at.is_not(None))).all()
        audited = session.scalars(
            select(AuditRecord.object_id).where(AuditRecord.action == "job.finish")
        ).all()
    assert report.ok, report.problem
    assert sorted(audited) == sorted(str(job_id) for job_id in finished)
    assert report.count == len(audited) >= 10


def test_job_settings_come_from_the_environment_and_bad_worker_counts_are_named(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("TAORUI_DATA_DIR", "/srv/taorui")
    monkeypatch.setenv("TAORUI_DATA_STORE", "/srv/store")
    monkeypatch.setenv("TAORUI_DASK_SCHEDULER", "")
    monkeypatch.setenv("TAORUI_DASK_WORKERS", "3")
    loaded = PlatformConfig.from_env()
    assert (loaded.store, loaded.dask_scheduler, loaded.dask_workers) == (
        Path("/srv/store"),
        None,
        3,
    )
    assert loaded.artifacts_dir() == Path("/srv/taorui/artifacts")

    monkeypatch.setenv("TAORUI_DASK_WORKERS", "two")
    with pytest.raises(ConfigError, match="TAORUI_DASK_WORKERS must be a whole number"):
        PlatformConfig.from_env()
