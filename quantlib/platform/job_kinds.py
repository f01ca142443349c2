"""The kinds of platform job a worker runs: ``backtest`` and ``sweep``.

A ``backtest`` job runs one stored :class:`~quantlib.platform.models.BacktestRun`
(payload ``{"backtest_run_id": id}``); a ``sweep`` job runs a strategy version over a
grid of parameter values (payload: ``strategy_version_id``, ``start``, ``end``,
``grid``, and optionally ``symbols``, ``cash``, ``freq``, ``metric``, ``maximize``).

A strategy version's ``config`` may hold ``params`` (defaults for the script's
``PARAMS``) and ``backtest`` (fields of
:class:`~quantlib.backtest.config.BacktestConfig`); a run's ``parameters`` may hold
``params`` (overrides), ``symbols`` (a list, or null for the script's ``UNIVERSE``),
``cash`` and ``benchmark``.
"""

from __future__ import annotations

import math
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from quantlib.backtest.config import BacktestConfig
from quantlib.core.errors import ConfigError
from quantlib.data.generations import write_atomic
from quantlib.platform.errors import ConflictError, NotFoundError
from quantlib.platform.job_state import FINAL_STATES
from quantlib.platform.models import BacktestRun, JobStatus, StrategyVersion

#: Where a backtest run's files go, under the artifacts directory.
BACKTESTS_DIR = "backtests"
#: Where a sweep job's files go, under the artifacts directory.
SWEEPS_DIR = "sweeps"
#: Failed parameter sets whose traceback goes into a sweep job's log.
SWEEP_TRACEBACKS = 3


class ProgressReporter(Protocol):
    """Stores a job's progress (0 to 1) and message; raises when the job must stop."""

    def __call__(self, fraction: float, message: str, *, force: bool = False) -> None:
        """Report; throttled unless ``force``."""
        ...


class LogSink(Protocol):
    """Adds a line to the job's log."""

    def add(self, level: str, message: str, created: float | None = None) -> None:
        """Append one entry."""
        ...


@dataclass(frozen=True)
class JobContext:
    """What a job kind's function gets: the job, its database, its store and output."""

    job_id: int
    kind: str
    payload: dict[str, Any]
    sessions: sessionmaker[Session]
    store: Path | None
    artifacts_dir: Path
    progress: ProgressReporter
    log: LogSink

    def require_store(self) -> Path:
        """The market data store; a clear error when none is configured."""
        if self.store is None:
            raise ConfigError(
                "no market data store is configured for the platform (set TAORUI_DATA_STORE)"
            )
        return self.store


@dataclass(frozen=True)
class JobOutcome:
    """A successful job's result, and for a backtest its metrics and artifact paths."""

    result: dict[str, Any]
    metrics: dict[str, Any] | None = None
    artifacts: dict[str, Any] | None = None


def json_safe(value: Any) -> Any:
    """``value`` as JSON values: NaN and infinities as None, NumPy scalars as Python ones.

    Examples
    --------
    >>> json_safe({"sharpe": float("nan"), "n": np.int64(3), "x": [np.float64(1.5)]})
    {'sharpe': None, 'n': 3, 'x': [1.5]}
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _save_result(result: Any, target: Path) -> None:
    """Save a backtest result directory, replacing an older one only once complete."""
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    try:
        result.save(temporary)
        if target.exists():
            shutil.rmtree(target)
        temporary.rename(target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _int_field(payload: Mapping[str, Any], name: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"job payload field {name!r} must be an integer id, got {value!r}")
    return value


def _mapping(source: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    value = source.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} field {name!r} must be an object, got {value!r}")
    return dict(value)


def _symbols(value: Any, where: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{where} field 'symbols' must be a list of symbols or null")
    return list(value)


def _backtest_config(version_config: Mapping[str, Any], given: Mapping[str, Any]) -> BacktestConfig:
    """The version's backtest settings with the run's ``cash`` and ``benchmark`` on top."""
    fields = _mapping(version_config, "backtest", "strategy version config")
    if given.get("cash") is not None:
        fields["cash"] = given["cash"]
    if "benchmark" in given:
        fields["benchmark"] = given["benchmark"]
    try:
        return BacktestConfig(**fields)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}" for problem in error.errors()
        )
        raise ConfigError(f"backtest settings are invalid: {problems}") from None


@dataclass(frozen=True)
class _Version:
    code: str
    config: dict[str, Any]
    name: str


def _version(version: StrategyVersion) -> _Version:
    return _Version(version.code, dict(version.config or {}), version.strategy.name)


def backtest_job(context: JobContext) -> JobOutcome:
    """Run the stored backtest run; write its tearsheet and saved result."""
    from quantlib.analytics.report.output import write_tearsheet
    from quantlib.backtest.engine import run_backtest

    run_id = _int_field(context.payload, "backtest_run_id")
    with context.sessions.begin() as session:
        run = session.get(BacktestRun, run_id)
        if run is None:
            raise NotFoundError(f"backtest run {run_id} does not exist")
        if run.status in FINAL_STATES:
            raise ConflictError(
                f"backtest run {run_id} already finished ({run.status}); start a new run"
            )
        run.job_id = context.job_id
        run.status = JobStatus.RUNNING.value
        version = _version(run.strategy_version)
        parameters = dict(run.parameters or {})
        start, end, freq = run.start_date, run.end_date, run.frequency
    where = f"backtest run {run_id} parameters"
    params = {
        **_mapping(version.config, "params", "strategy version config"),
        **_mapping(parameters, "params", where),
    }
    config = _backtest_config(version.config, parameters)
    symbols = _symbols(parameters.get("symbols"), where)
    store = context.require_store()
    context.progress(0.1, "loading market data", force=True)

    def on_bars(done: int, total: int) -> None:
        context.progress(0.2 + 0.7 * done / total, f"bar {done} of {total}")

    result = run_backtest(
        version.code,
        store=store,
        symbols=symbols,
        start=start,
        end=end,
        params=params,
        config=config,
        freq=freq,
        name=version.name,
        on_progress=on_bars,
    )
    context.progress(0.95, "writing the report", force=True)
    metrics = json_safe(result.metrics())
    folder = context.artifacts_dir / BACKTESTS_DIR / str(run_id)
    report = folder / "report.html"
    write_tearsheet(result, report, format="html")
    _save_result(result, folder / "result")
    artifacts = {
        "report": (report.relative_to(context.artifacts_dir)).as_posix(),
        "result": (folder / "result").relative_to(context.artifacts_dir).as_posix(),
    }
    return JobOutcome(
        result={"backtest_run_id": run_id, "metrics": metrics, "artifacts": artifacts},
        metrics=metrics,
        artifacts=artifacts,
    )


@dataclass
class _SweepStep:
    """The sweep task: report progress (and stop if asked), then run one parameter set."""

    context: JobContext
    total: int
    defaults: dict[str, Any]
    done: int = 0

    def __call__(self, shared: Any, params: dict[str, Any], /) -> Mapping[str, float]:
        from quantlib.backtest.engine import backtest_metrics

        self.context.progress(
            0.1 + 0.85 * self.done / self.total, f"parameter set {self.done + 1} of {self.total}"
        )
        self.done += 1
        return backtest_metrics(shared, {**self.defaults, **params})


def sweep_job(context: JobContext) -> JobOutcome:
    """Run a strategy version over the Cartesian product of a parameter grid."""
    from quantlib.backtest.market_data import MarketData
    from quantlib.backtest.strategy import from_source
    from quantlib.backtest.sweep import ERROR_COLUMN, SweepError, best, grid, run_sweep

    payload = context.payload
    version_id = _int_field(payload, "strategy_version_id")
    with context.sessions() as session:
        stored = session.get(StrategyVersion, version_id)
        if stored is None:
            raise NotFoundError(f"strategy version {version_id} does not exist")
        version = _version(stored)
    metric = payload.get("metric") or "sharpe"
    maximize = bool(payload.get("maximize", True))
    param_sets = grid(_mapping(payload, "grid", "sweep payload"))
    config = _backtest_config(version.config, payload)
    symbols = _symbols(payload.get("symbols"), "sweep payload")
    loaded = from_source(version.code, name=version.name)
    store = context.require_store()
    context.progress(0.05, "loading market data", force=True)
    data = MarketData.from_store(
        store,
        symbols or loaded.universe,
        payload.get("start"),
        payload.get("end"),
        benchmark=config.benchmark,
        freq=payload.get("freq") or "1d",
    )
    shared = {"source": version.code, "name": version.name, "data": data, "config": config}
    step = _SweepStep(
        context, len(param_sets), _mapping(version.config, "params", "strategy version config")
    )
    table = run_sweep(step, param_sets, shared=shared, progress=False)
    for position, text in list(table.attrs["tracebacks"].items())[:SWEEP_TRACEBACKS]:
        context.log.add("ERROR", f"parameter set {position + 1} failed:\n{text}")
    if table.attrs["n_failed"] == len(table):
        raise SweepError(f"every parameter set failed; the first: {table[ERROR_COLUMN].iloc[0]}")
    context.progress(0.95, "writing the results", force=True)
    rows = []
    for record in table.to_dict("records"):
        row: dict[str, Any] = {
            "params": {name: json_safe(record[name]) for name in table.attrs["params"]},
            "metrics": {name: json_safe(record[name]) for name in table.attrs["metrics"]},
        }
        if isinstance(record.get(ERROR_COLUMN), str):
            row["error"] = record[ERROR_COLUMN]
        rows.append(row)
    chosen = json_safe(best(table, metric, maximize))
    best_row = next(row for row in rows if row["params"] == chosen)
    path = context.artifacts_dir / SWEEPS_DIR / str(context.job_id) / "results.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, table.to_csv(index=False).encode("utf-8"))
    return JobOutcome(
        result={
            "metric": metric,
            "maximize": maximize,
            "rows": rows,
            "best": best_row,
            "n_failed": table.attrs["n_failed"],
            "artifacts": {"results": path.relative_to(context.artifacts_dir).as_posix()},
        }
    )


JOB_KINDS: dict[str, Callable[[JobContext], JobOutcome]] = {
    "backtest": backtest_job,
    "sweep": sweep_job,
}
