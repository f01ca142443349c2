"""Parameter sweeps: build parameter sets, run a task over them, in-process or on Dask.

A *sweep task* is a plain function ``task(shared, params) -> {metric: value}``. ``shared``
is the (usually large) read-only input every evaluation needs, such as market data;
``params`` is one parameter set. :func:`run_sweep` evaluates the task for every parameter
set and returns one tidy table::

    from quantlib.backtest.sweep import grid, run_sweep, best

    params = grid({"fast": [5, 10, 20], "slow": [60, 120]})
    table = run_sweep(task, params, shared=market_data, client="local")
    chosen = best(table, "sharpe")

Building parameter sets: :func:`grid` (Cartesian product), :func:`random_search`
(seeded random draws) and, for out-of-sample testing, :func:`walk_forward_splits` with
:func:`walk_forward`.

Where the work runs is chosen by ``client``:

* ``None``: in this process, one parameter set after another (small sweeps, debugging).
* ``"local"``: a temporary :class:`distributed.LocalCluster` with one single-threaded
  worker process per core, closed when the sweep ends.
* a scheduler address such as ``"tcp://10.0.0.5:8786"``: an existing Dask cluster.
* a :class:`distributed.Client`: used as is and left open.

On Dask, ``shared`` is sent to every worker once (``scatter(..., broadcast=True)``) and
each Dask task evaluates a *chunk* of parameter sets, so that scheduling overhead stays
small next to the work. Worker processes must be able to import the task function (a
module-level function in an installed package or a module on the workers' path); scripts
that start a local cluster need the usual ``if __name__ == "__main__":`` guard.

A parameter set whose evaluation raises does not stop the sweep: its row gets NaN metrics
and the message in an ``error`` column.

``distributed`` is an optional dependency (``pip install quantlib[compute]``); it is only
imported when ``client`` is not ``None``.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from quantlib.core.errors import ConfigError, InvalidRangeError, QuantlibError, UnknownFieldError

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = [
    "ERROR_COLUMN",
    "ClientSpec",
    "SweepError",
    "SweepTask",
    "WindowTask",
    "best",
    "grid",
    "random_search",
    "run_sweep",
    "walk_forward",
    "walk_forward_splits",
]

logger = logging.getLogger(__name__)

#: Name of the column holding the error message of parameter sets whose evaluation raised.
ERROR_COLUMN = "error"

#: A Dask task should carry at least this much work (seconds) when the size is estimated.
_TARGET_CHUNK_SECONDS = 0.2
#: ... but the work is split into at least this many chunks per worker thread.
_CHUNKS_PER_SLOT = 2
#: :func:`random_search` gives up looking for new distinct points after n * this draws.
_DRAWS_PER_POINT = 10

#: What ``client`` may be: ``None``, ``"local"``, a scheduler address or a Client.
type ClientSpec = str | Client | None

#: A random-search dimension: choices, a (low, high) range, or a sampler.
type SpaceEntry = Sequence[Any] | tuple[float, float] | Callable[[np.random.Generator], Any]


class SweepError(QuantlibError, ValueError):
    """A sweep produced no usable result (for example every parameter set failed)."""


class SweepTask(Protocol):
    """The function a sweep evaluates: ``task(shared, params) -> {metric: value}``.

    Parameters
    ----------
    shared
        The object passed as ``shared`` to :func:`run_sweep` (on Dask: the worker's
        copy). Treat it as read-only: on a worker it is shared by every evaluation.
    params
        One parameter set (a fresh ``dict`` the task may change).

    Returns
    -------
    Mapping[str, float]
        The metrics of this parameter set, e.g. ``{"sharpe": 1.2, "max_drawdown": -0.1}``.
        Different parameter sets may return different metric names; missing ones are NaN.
    """

    def __call__(self, shared: Any, params: dict[str, Any], /) -> Mapping[str, float]:
        """Evaluate one parameter set."""
        ...


class WindowTask(Protocol):
    """A task for :func:`walk_forward`: ``task(shared, params, window) -> {metric: value}``.

    ``window`` is a ``slice`` of bars (rows of ``shared``) to evaluate on: a training
    window while parameters are chosen, then the following test window.
    """

    def __call__(
        self, shared: Any, params: dict[str, Any], window: slice, /
    ) -> Mapping[str, float]:
        """Evaluate one parameter set on one window of bars."""
        ...


# --------------------------------------------------------------------------------------
# Building parameter sets
# --------------------------------------------------------------------------------------


def grid(spec: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the given parameter values (the Cartesian product).

    Parameters
    ----------
    spec
        Parameter name to the values to try, e.g. ``{"fast": [5, 10], "slow": [60, 120]}``.
        Values may be any sequence except a string (wrap a single string in a list).

    Returns
    -------
    list[dict[str, Any]]
        One dict per combination, in a stable order: the first parameter varies slowest,
        the last fastest (like nested ``for`` loops in key order).

    Raises
    ------
    ConfigError
        If ``spec`` is empty or not a mapping, a name is not a non-empty string, or a
        value list is empty or not a sequence.

    Examples
    --------
    >>> grid({"fast": [5, 10], "slow": [60, 120]})  # doctest: +NORMALIZE_WHITESPACE
    [{'fast': 5, 'slow': 60}, {'fast': 5, 'slow': 120},
     {'fast': 10, 'slow': 60}, {'fast': 10, 'slow': 120}]
    """
    _check_space(spec, "grid spec")
    names = list(spec)
    axes: list[list[Any]] = []
    for name in names:
        values = spec[name]
        if not _is_value_sequence(values):
            raise ConfigError(
                f"grid spec: values of {name!r} must be a list of values, "
                f"got {type(values).__name__} {values!r}"
            )
        listed = list(values)
        if not listed:
            raise ConfigError(f"grid spec: parameter {name!r} has no values")
        axes.append(listed)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]


def random_search(
    space: Mapping[str, SpaceEntry],
    n: int,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Randomly drawn parameter sets, reproducible from ``seed``.

    Parameters
    ----------
    space
        Parameter name to how its value is drawn:

        * a ``list`` (or other non-tuple sequence, or a NumPy array) of choices: one is
          picked uniformly;
        * a ``(low, high)`` tuple of two ints: an integer in ``[low, high]`` (both ends
          included);
        * a ``(low, high)`` tuple with a float: a float uniform in ``[low, high)``;
        * a callable ``f(rng)`` taking a :class:`numpy.random.Generator`: its return value
          (use ``rng`` for randomness, so the draw stays reproducible).
    n
        How many distinct parameter sets to return.
    seed
        Seed of the random generator; the same ``space``, ``n`` and ``seed`` give the same
        list, and a smaller ``n`` gives a prefix of a larger one.

    Returns
    -------
    list[dict[str, Any]]
        Up to ``n`` distinct parameter sets in the order drawn (keys in ``space`` order).
        Duplicate draws are dropped; fewer than ``n`` sets come back only when the space
        has fewer distinct points (drawing stops after ``10 * n`` draws).

    Raises
    ------
    ConfigError
        If ``n`` is not a positive integer, ``seed`` is not an integer, ``space`` is
        empty, or an entry is not one of the forms above (an empty choice list, a tuple
        that is not two numbers, ``low > high``).

    Examples
    --------
    >>> sets = random_search({"window": (5, 60), "z": (0.5, 3.0), "side": ["long", "both"]}, 3)
    >>> len(sets), sorted(sets[0])
    (3, ['side', 'window', 'z'])
    """
    if not _is_int(n) or n < 1:
        raise ConfigError(f"random_search: n must be a positive integer, got {n!r}")
    if not _is_int(seed):
        raise ConfigError(f"random_search: seed must be an integer, got {seed!r}")
    _check_space(space, "random_search space")
    samplers = [(name, _sampler(name, entry)) for name, entry in space.items()]
    rng = np.random.default_rng(int(seed))
    found: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for _ in range(n * _DRAWS_PER_POINT):
        params = {name: draw(rng) for name, draw in samplers}
        key = tuple(_hashable(value) for value in params.values())
        if key in seen:
            continue
        seen.add(key)
        found.append(params)
        if len(found) == n:
            break
    return found


def walk_forward_splits(
    n_bars: int,
    train: int,
    test: int,
    step: int | None = None,
    anchored: bool = False,
) -> list[tuple[slice, slice]]:
    """Consecutive train/test windows of bars for walk-forward testing.

    Parameters
    ----------
    n_bars
        Number of bars (rows) available.
    train
        Bars in each training window (with ``anchored=True``: in the first one).
    test
        Bars in each test window; a test window starts right after its training window.
    step
        Bars the windows move forward from one split to the next; defaults to ``test``
        (test windows then tile the data without overlap).
    anchored
        ``False``: rolling windows of ``train`` bars. ``True``: every training window
        starts at bar 0 and grows by ``step`` (expanding window).

    Returns
    -------
    list[tuple[slice, slice]]
        ``(train_window, test_window)`` pairs of ``slice(start, stop)`` bar ranges, in time
        order. Only whole test windows are produced; trailing bars that do not fill one are
        left out.

    Raises
    ------
    ConfigError
        If an argument is not a positive integer.
    InvalidRangeError
        If ``train + test`` exceeds ``n_bars`` (not even one split fits).

    Examples
    --------
    >>> walk_forward_splits(10, train=4, test=2)  # doctest: +NORMALIZE_WHITESPACE
    [(slice(0, 4, None), slice(4, 6, None)), (slice(2, 6, None), slice(6, 8, None)),
     (slice(4, 8, None), slice(8, 10, None))]
    """
    for name, value in (("n_bars", n_bars), ("train", train), ("test", test)):
        if not _is_int(value) or value < 1:
            raise ConfigError(
                f"walk_forward_splits: {name} must be a positive integer, got {value!r}"
            )
    if step is None:
        step = test
    elif not _is_int(step) or step < 1:
        raise ConfigError(f"walk_forward_splits: step must be a positive integer, got {step!r}")
    n_bars, train, test, step = int(n_bars), int(train), int(test), int(step)
    if train + test > n_bars:
        raise InvalidRangeError(
            f"walk_forward_splits: train ({train}) + test ({test}) bars do not fit in {n_bars} bars"
        )
    splits: list[tuple[slice, slice]] = []
    train_stop = train
    while train_stop + test <= n_bars:
        train_start = 0 if anchored else train_stop - train
        splits.append((slice(train_start, train_stop), slice(train_stop, train_stop + test)))
        train_stop += step
    return splits


# --------------------------------------------------------------------------------------
# Running sweeps
# --------------------------------------------------------------------------------------


def run_sweep(
    task: SweepTask,
    param_sets: Sequence[Mapping[str, Any]],
    *,
    shared: Any = None,
    client: ClientSpec = None,
    chunk_size: int | None = None,
    progress: bool = True,
    description: str = "sweep",
) -> pd.DataFrame:
    """Evaluate ``task(shared, params)`` for every parameter set; one row per set.

    Parameters
    ----------
    task
        A :class:`SweepTask`: ``task(shared, params) -> {metric: value}``. For Dask it must
        be picklable and importable on the workers (a module-level function).
    param_sets
        The parameter sets (dicts of name to value), e.g. from :func:`grid` or
        :func:`random_search`.
    shared
        Read-only data every evaluation needs (market data). On Dask it is sent to each
        worker once, never with each task.
    client
        Where to run: ``None`` in this process; ``"local"`` a temporary local Dask cluster
        (one single-threaded process per core, closed at the end); a scheduler address
        (``"tcp://host:8786"``) to connect to; or a :class:`distributed.Client` to use
        (left open).
    chunk_size
        Parameter sets per Dask task. ``None``: the first set is timed in this process and
        chunks are sized to about 0.2 s of work each, but small enough that every worker
        thread gets at least two. Ignored when ``client`` is ``None``.
    progress
        Show a progress bar (rich; terminals and Jupyter) that advances as work completes.
    description
        Label of the progress bar; pass translated text for Chinese users.

    Returns
    -------
    pandas.DataFrame
        One row per parameter set, in the order given (index ``0..n-1``): the parameter
        columns (in order of first appearance), then the metric columns. If any set
        failed, a last ``error`` column holds ``"ExceptionType: message"`` for those rows
        (their metrics are NaN) and missing values elsewhere. ``table.attrs`` records
        ``params`` and ``metrics`` (column names), ``n_failed``, ``elapsed_s``,
        ``chunk_size`` and ``tracebacks`` (row number to formatted traceback).

    Raises
    ------
    ConfigError
        If ``param_sets`` is empty or holds a non-mapping, a parameter name is not a
        string or is ``"error"``, ``chunk_size`` is not a positive integer, or ``client``
        is of an unknown kind (or ``distributed`` is not installed).

    Warns
    -----
    RuntimeWarning
        If every parameter set failed.
    UserWarning
        If a metric has the name of a parameter; its column is renamed ``<name>_metric``.

    Notes
    -----
    Exceptions raised by the task are caught per parameter set (subclasses of
    :class:`Exception` only); a lost Dask chunk (e.g. a worker that died) marks all of its
    parameter sets as failed. Interrupting the sweep cancels the outstanding Dask work.
    """
    params = _check_param_sets(param_sets)
    if chunk_size is not None and (not _is_int(chunk_size) or chunk_size < 1):
        raise ConfigError(f"run_sweep: chunk_size must be a positive integer, got {chunk_size!r}")
    started = time.perf_counter()
    work = [(task, p) for p in params]
    with _Session(client, shared) as session, _progress(progress, description, len(work)) as bar:
        outcomes, used_chunk = _execute(work, session, chunk_size, None, bar)
    table = _assemble(params, outcomes)
    table.attrs["elapsed_s"] = time.perf_counter() - started
    table.attrs["chunk_size"] = used_chunk
    failed = table.attrs["n_failed"]
    if failed == len(params):
        first = next(o.error for o in outcomes if o.error is not None)
        warnings.warn(
            f"run_sweep: all {failed} parameter sets failed; first error: {first}",
            RuntimeWarning,
            stacklevel=2,
        )
    return table


def best(
    table: pd.DataFrame,
    metric: str = "sharpe",
    maximize: bool = True,
    *,
    params: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The parameter set of the row with the best value of ``metric``.

    Parameters
    ----------
    table
        A table from :func:`run_sweep` (or any table with parameter and metric columns).
    metric
        The metric column to rank by. NaN (failed or missing) values are ignored.
    maximize
        ``True`` picks the largest value, ``False`` the smallest (e.g. drawdown, loss).
        Ties go to the earliest row.
    params
        Names of the parameter columns. Defaults to ``table.attrs["params"]`` (set by
        :func:`run_sweep`), else every column except ``metric`` and ``error``.

    Returns
    -------
    dict[str, Any]
        Parameter name to value (NumPy scalars turned into Python ones). Parameters that
        were absent from that set are left out.

    Raises
    ------
    UnknownFieldError
        If the ``metric`` column or a parameter column does not exist.
    SweepError
        If ``metric`` has no non-NaN value (e.g. every parameter set failed).
    """
    if metric not in table.columns:
        raise UnknownFieldError(
            f"best: no metric column {metric!r}; columns are {list(map(str, table.columns))}"
        )
    if params is None:
        params = table.attrs.get("params")
    if params is None:
        names = [c for c in table.columns if c not in (metric, ERROR_COLUMN)]
    else:
        names = list(params)
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise UnknownFieldError(f"best: no parameter column(s) {missing} in the table")
    position = _best_position(table, metric, maximize)
    chosen: dict[str, Any] = {}
    for name in names:
        value = _python_scalar(table[name].iloc[position])
        if not _is_missing(value):
            chosen[str(name)] = value
    return chosen


def _best_position(table: pd.DataFrame, metric: str, maximize: bool) -> int:
    """Row number of the best non-NaN ``metric`` value (the first one on ties)."""
    values = pd.to_numeric(table[metric], errors="coerce").to_numpy(dtype=np.float64)
    if values.size == 0 or np.isnan(values).all():
        raise SweepError(f"best: metric {metric!r} has no value (every row is NaN or failed)")
    return int(np.nanargmax(values) if maximize else np.nanargmin(values))


def walk_forward(
    task_for_window: WindowTask,
    param_sets: Sequence[Mapping[str, Any]],
    splits: Sequence[tuple[slice, slice]],
    *,
    shared: Any,
    metric: str = "sharpe",
    maximize: bool = True,
    client: ClientSpec = None,
    chunk_size: int | None = None,
    progress: bool = True,
    description: str = "walk-forward",
) -> pd.DataFrame:
    """Walk-forward optimisation: choose parameters on each train window, test them after.

    For every ``(train, test)`` split, all parameter sets are evaluated on the training
    window, the best by ``metric`` is chosen, and that set alone is evaluated on the test
    window. All training evaluations of all splits run as one sweep (one Dask session,
    ``shared`` sent once), then all test evaluations.

    Parameters
    ----------
    task_for_window
        A :class:`WindowTask`: ``task(shared, params, window) -> {metric: value}``.
    param_sets
        The candidate parameter sets (e.g. from :func:`grid`).
    splits
        ``(train_window, test_window)`` slice pairs, e.g. from :func:`walk_forward_splits`.
    shared
        Read-only data the task slices with ``window``.
    metric
        The metric that chooses the parameters on each training window.
    maximize
        Whether a larger ``metric`` is better.
    client, chunk_size, progress, description
        As for :func:`run_sweep` (one progress bar covers train and test evaluations).

    Returns
    -------
    pandas.DataFrame
        One row per split: ``split`` (0, 1, ...), ``train_start``, ``train_stop``,
        ``test_start``, ``test_stop``, the chosen parameter columns, ``train_<metric>``
        (the chosen set's training value), then each test metric as ``test_<name>``. If a
        split could not be completed (every training evaluation failed, or the test
        evaluation failed) an ``error`` column explains it. ``attrs["params"]`` names the
        parameter columns and ``attrs["train_failed"]`` counts failed training
        evaluations per split.

    Raises
    ------
    ConfigError
        If ``param_sets`` or ``splits`` is empty or malformed, or for the reasons given
        in :func:`run_sweep`.
    """
    params = _check_param_sets(param_sets)
    windows = _check_splits(splits)
    if chunk_size is not None and (not _is_int(chunk_size) or chunk_size < 1):
        raise ConfigError(
            f"walk_forward: chunk_size must be a positive integer, got {chunk_size!r}"
        )
    names = _ordered_union(params)
    fixed = ["split", "train_start", "train_stop", "test_start", "test_stop"]
    taken = [n for n in names if n in fixed or n == f"train_{metric}" or n.startswith("test_")]
    if taken:
        raise ConfigError(
            f"walk_forward: parameter name(s) {taken} clash with result columns "
            f"({fixed}, 'train_{metric}', 'test_*'); rename them"
        )
    train_work = [(_OnWindow(task_for_window, tr), p) for tr, _ in windows for p in params]
    total = len(train_work) + len(windows)

    rows: list[dict[str, Any]] = []
    train_failed: list[int] = []
    chosen: list[dict[str, Any] | None] = []
    with _Session(client, shared) as session, _progress(progress, description, total) as bar:
        train_outcomes, _ = _execute(train_work, session, chunk_size, None, bar)
        for index, (train_window, test_window) in enumerate(windows):
            part = train_outcomes[index * len(params) : (index + 1) * len(params)]
            table = _assemble(params, part, warn=False)
            train_failed.append(int(table.attrs["n_failed"]))
            row: dict[str, Any] = {
                "split": index,
                "train_start": train_window.start,
                "train_stop": train_window.stop,
                "test_start": test_window.start,
                "test_stop": test_window.stop,
            }
            picked: dict[str, Any] | None = None
            if metric in table.columns and table[metric].notna().any():
                position = _best_position(table, metric, maximize)
                picked = params[position]
                row.update(picked)
                row[f"train_{metric}"] = _python_scalar(table[metric].iloc[position])
            else:
                errors = [o.error for o in part if o.error is not None]
                reason = f"; first error: {errors[0]}" if errors else ""
                row[ERROR_COLUMN] = f"no training result for metric {metric!r}{reason}"
            chosen.append(picked)
            rows.append(row)

        test_work = [
            (_OnWindow(task_for_window, test), picked)
            for (_, test), picked in zip(windows, chosen, strict=True)
            if picked is not None
        ]
        seconds = [o.seconds for o in train_outcomes if o.error is None]
        estimate = float(np.mean(seconds)) if seconds else None
        bar(len(windows) - len(test_work))
        test_outcomes, _ = _execute(test_work, session, chunk_size, estimate, bar)

    results = iter(test_outcomes)
    test_names: list[str] = []
    for row, picked in zip(rows, chosen, strict=True):
        if picked is None:
            continue
        outcome = next(results)
        if outcome.error is not None:
            row[ERROR_COLUMN] = f"test: {outcome.error}"
            continue
        for name, value in (outcome.metrics or {}).items():
            column = f"test_{name}"
            row[column] = value
            if column not in test_names:
                test_names.append(column)

    columns = [*fixed, *names, f"train_{metric}", *test_names]
    if any(ERROR_COLUMN in row for row in rows):
        columns.append(ERROR_COLUMN)
    frame = pd.DataFrame(
        {
            column: _column([row.get(column, _MISSING) for row in rows], exact=column in names)
            for column in columns
        }
    )
    frame.attrs["params"] = names
    frame.attrs["train_failed"] = train_failed
    return frame


# --------------------------------------------------------------------------------------
# Execution (in-process and Dask)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What one evaluation produced: metrics, or an error message and traceback."""

    metrics: dict[str, Any] | None
    error: str | None
    traceback: str | None
    seconds: float


@dataclass(frozen=True, slots=True)
class _Chunk:
    """Work for one Dask task; an opaque object so Dask does not walk into the params."""

    items: tuple[tuple[SweepTask, dict[str, Any]], ...]


@dataclass(frozen=True, slots=True)
class _OnWindow:
    """A :class:`SweepTask` evaluating a :class:`WindowTask` on one fixed window."""

    task: WindowTask
    window: slice

    def __call__(self, shared: Any, params: dict[str, Any], /) -> Mapping[str, float]:
        return self.task(shared, params, self.window)


def _evaluate(task: SweepTask, shared: Any, params: dict[str, Any]) -> _Outcome:
    started = time.perf_counter()
    try:
        result = task(shared, dict(params))
        if not isinstance(result, Mapping):
            raise TypeError(
                f"the task returned {type(result).__name__}, expected a mapping of "
                "metric name to value"
            )
        metrics = dict(result)
        bad = [key for key in metrics if not isinstance(key, str)]
        if bad:
            raise TypeError(f"the task returned non-string metric names {bad!r}")
    except Exception as exc:
        return _Outcome(
            metrics=None,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
            seconds=time.perf_counter() - started,
        )
    return _Outcome(metrics, None, None, time.perf_counter() - started)


def _run_chunk(shared: Any, chunk: _Chunk) -> list[_Outcome]:
    """Evaluate one chunk (runs on a Dask worker)."""
    return [_evaluate(task, shared, params) for task, params in chunk.items]


def _choose_chunk_size(n_items: int, seconds_per_item: float, n_slots: int) -> int:
    """Items per Dask task: about 0.2 s of work, yet at least two chunks per worker thread."""
    if n_items < 1:
        return 1
    by_time = math.ceil(_TARGET_CHUNK_SECONDS / max(seconds_per_item, 1e-6) - 1e-9)
    by_spread = math.ceil(n_items / (_CHUNKS_PER_SLOT * max(n_slots, 1)))
    return max(1, min(by_time, by_spread))


def _execute(
    work: Sequence[tuple[SweepTask, dict[str, Any]]],
    session: _Session,
    chunk_size: int | None,
    seconds_per_item: float | None,
    advance: Callable[[int], None],
) -> tuple[list[_Outcome], int | None]:
    """Evaluate ``work`` in order; returns the outcomes and the chunk size used (if Dask)."""
    if not work:
        return [], None
    if not session.wants_dask:
        outcomes: list[_Outcome] = []
        for task, params in work:
            outcomes.append(_evaluate(task, session.shared, params))
            advance(1)
        return outcomes, None

    done: dict[int, _Outcome] = {}
    start = 0
    if chunk_size is None and seconds_per_item is None:
        # Time the first set here to size the chunks; its result is kept.
        task, params = work[0]
        done[0] = _evaluate(task, session.shared, params)
        seconds_per_item = done[0].seconds
        advance(1)
        start = 1
    if start == len(work):
        return [done[0]], None

    client = session.client()
    if chunk_size is None:
        slots = sum(client.nthreads().values())
        chunk_size = _choose_chunk_size(len(work) - start, seconds_per_item or 0.0, slots)
    shared_ref = session.shared_ref()
    from distributed import as_completed

    spans: dict[Any, range] = {}
    futures: list[Future] = []
    try:
        for first in range(start, len(work), chunk_size):
            span = range(first, min(first + chunk_size, len(work)))
            chunk = _Chunk(tuple(work[i] for i in span))
            future = client.submit(
                _run_chunk, shared_ref, chunk, key=f"sweep-chunk-{uuid.uuid4().hex}"
            )
            spans[future.key] = span
            futures.append(future)
        for future in as_completed(futures):
            span = spans[future.key]
            try:
                results: list[_Outcome] = future.result()
                if len(results) != len(span):
                    raise RuntimeError(f"a chunk returned {len(results)} of {len(span)} results")
            except Exception as exc:
                lost = _Outcome(None, f"{type(exc).__name__}: {exc}", traceback.format_exc(), 0.0)
                results = [lost] * len(span)
            done.update(zip(span, results, strict=True))
            advance(len(span))
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
    return [done[i] for i in range(len(work))], chunk_size


class _Session:
    """The Dask side of a sweep: connects and scatters ``shared`` lazily, closes what it opened."""

    def __init__(self, client: ClientSpec, shared: Any) -> None:
        self.shared = shared
        self._spec = client
        self._client: Client | None = None
        self._cluster: Any = None
        self._owned = False
        self._shared_ref: Any = None
        self._scattered = False
        if client is None:
            self.wants_dask = False
            return
        self.wants_dask = True
        if isinstance(client, str):
            if not client.strip():
                raise ConfigError("run_sweep: client is an empty string; use None or 'local'")
            _import_distributed(client)
            return
        client_type = _import_distributed(client).Client
        if not isinstance(client, client_type):
            raise ConfigError(
                "run_sweep: client must be None, 'local', a scheduler address or a "
                f"distributed.Client, got {type(client).__name__}"
            )
        self._client = client

    def client(self) -> Client:
        """The Dask client, connecting (or starting the local cluster) on first use."""
        if self._client is not None:
            return self._client
        from distributed import Client, LocalCluster

        assert isinstance(self._spec, str)
        if self._spec == "local":
            workers = _cores()
            self._cluster = LocalCluster(
                n_workers=workers,
                processes=True,
                threads_per_worker=1,
                dashboard_address=":0",
            )
            self._client = Client(self._cluster)
            logger.info(
                "started a local Dask cluster (%d workers), dashboard %s",
                workers,
                self._client.dashboard_link,
            )
        else:
            self._client = Client(self._spec)
        self._owned = True
        return self._client

    def shared_ref(self) -> Any:
        """What to pass to Dask tasks for ``shared``: a future of the broadcast copy."""
        if not self._scattered:
            self._scattered = True
            if self.shared is not None:
                # A one-item list so that a list or dict is scattered as one object.
                [self._shared_ref] = self.client().scatter(
                    [self.shared], broadcast=True, hash=False
                )
        return self._shared_ref

    def close(self) -> None:
        """Release the scattered data; close the client and cluster if this session made them."""
        try:
            if self._shared_ref is not None and self._client is not None:
                self._client.cancel([self._shared_ref])
        finally:
            self._shared_ref = None
            self._scattered = False
            if self._owned:
                try:
                    if self._client is not None:
                        self._client.close()
                finally:
                    if self._cluster is not None:
                        self._cluster.close()
                    self._client = None
                    self._cluster = None
                    self._owned = False

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _import_distributed(client: object) -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError(
            f"run_sweep: client={client!r} needs Dask's 'distributed' package "
            "(pip install 'quantlib[compute]')"
        ) from exc
    return distributed


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def _progress(enabled: bool, description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A callback advancing a rich progress bar by a number of evaluations (or a no-op)."""
    if not enabled:
        yield lambda _: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as bar:
        task_id = bar.add_task(escape(description), total=total)

        def advance(count: int) -> None:
            if count:
                bar.advance(task_id, count)

        yield advance


# --------------------------------------------------------------------------------------
# Tables and validation
# --------------------------------------------------------------------------------------


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _column(values: list[Any], *, exact: bool = False) -> pd.Series:
    """A column from values, some possibly ``_MISSING``.

    Missing numbers become NaN, unless ``exact``: then the column is of object dtype with
    None for missing values, so that the others keep their type (an int stays an int).
    """
    if any(v is _MISSING for v in values):
        present = [v for v in values if v is not _MISSING]
        if not exact and present and all(_is_real(v) for v in present):
            return pd.Series([np.nan if v is _MISSING else v for v in values], dtype=np.float64)
        return pd.Series([None if v is _MISSING else v for v in values], dtype=object)
    if values and all(isinstance(v, (list, tuple, dict, set)) for v in values):
        return pd.Series(values, dtype=object)
    return pd.Series(values)


def _assemble(
    params: list[dict[str, Any]], outcomes: list[_Outcome], *, warn: bool = True
) -> pd.DataFrame:
    names = _ordered_union(params)
    metric_names = _ordered_union([o.metrics for o in outcomes if o.metrics is not None])
    renamed = {m: f"{m}_metric" if m in names or m == ERROR_COLUMN else m for m in metric_names}
    clashes = [m for m, column in renamed.items() if column != m]
    if clashes and warn:
        warnings.warn(
            f"metric(s) {clashes} have the name of a parameter or of the error column; "
            "their columns are renamed '<name>_metric'",
            UserWarning,
            stacklevel=3,
        )
    data: dict[str, pd.Series] = {}
    for name in names:
        data[name] = _column([p.get(name, _MISSING) for p in params], exact=True)
    for metric, column in renamed.items():
        values = [
            o.metrics.get(metric, _MISSING) if o.metrics is not None else _MISSING for o in outcomes
        ]
        data[column] = _column(values)
    failed = [i for i, o in enumerate(outcomes) if o.error is not None]
    if failed:
        data[ERROR_COLUMN] = pd.Series([o.error for o in outcomes], dtype=object)
    table = pd.DataFrame(data, index=pd.RangeIndex(len(params)))
    table.attrs["params"] = names
    table.attrs["metrics"] = list(renamed.values())
    table.attrs["n_failed"] = len(failed)
    table.attrs["tracebacks"] = {i: outcomes[i].traceback for i in failed}
    return table


def _ordered_union(dicts: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for d in dicts:
        for key in d:
            seen.setdefault(key, None)
    return list(seen)


def _check_param_sets(param_sets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(param_sets, (Mapping, str, bytes)):
        raise ConfigError(
            "param_sets must be a list of parameter dicts (e.g. from grid()), "
            f"got a {type(param_sets).__name__}"
        )
    params: list[dict[str, Any]] = []
    for i, p in enumerate(param_sets):
        if not isinstance(p, Mapping):
            raise ConfigError(f"param_sets[{i}] is a {type(p).__name__}, expected a dict")
        for key in p:
            if not isinstance(key, str):
                raise ConfigError(f"param_sets[{i}]: parameter name {key!r} is not a string")
            if key == ERROR_COLUMN:
                raise ConfigError(
                    f"param_sets[{i}]: {ERROR_COLUMN!r} is reserved for the error column; "
                    "rename that parameter"
                )
        params.append(dict(p))
    if not params:
        raise ConfigError("param_sets is empty; nothing to sweep")
    return params


def _check_splits(splits: Sequence[tuple[slice, slice]]) -> list[tuple[slice, slice]]:
    windows: list[tuple[slice, slice]] = []
    for i, split in enumerate(splits):
        if (
            not isinstance(split, tuple)
            or len(split) != 2
            or not all(isinstance(w, slice) for w in split)
        ):
            raise ConfigError(
                f"splits[{i}] must be a (train, test) pair of slices "
                f"(see walk_forward_splits), got {split!r}"
            )
        windows.append((split[0], split[1]))
    if not windows:
        raise ConfigError("walk_forward: splits is empty")
    return windows


def _check_space(space: Mapping[str, Any], what: str) -> None:
    if not isinstance(space, Mapping):
        raise ConfigError(f"{what} must be a mapping of parameter name to values, got {space!r}")
    if not space:
        raise ConfigError(f"{what} is empty; give at least one parameter")
    for name in space:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{what}: parameter name {name!r} is not a non-empty string")
        if name == ERROR_COLUMN:
            raise ConfigError(f"{what}: {ERROR_COLUMN!r} is reserved for the error column")


def _sampler(name: str, entry: Any) -> Callable[[np.random.Generator], Any]:
    where = f"random_search space[{name!r}]"
    if isinstance(entry, tuple):
        if len(entry) != 2 or not all(_is_real(v) for v in entry):
            raise ConfigError(
                f"{where}: a tuple means a (low, high) range of two numbers, got {entry!r}; "
                "use a list for choices"
            )
        low, high = entry
        if low > high:
            raise ConfigError(f"{where}: low {low!r} is above high {high!r}")
        if _is_int(low) and _is_int(high):
            lo, hi = int(low), int(high)
            return lambda rng: int(rng.integers(lo, hi, endpoint=True))
        flo, fhi = float(low), float(high)
        return lambda rng: float(rng.uniform(flo, fhi))
    if callable(entry):
        return entry
    if isinstance(entry, np.ndarray):
        entry = entry.tolist()
    if not _is_value_sequence(entry):
        raise ConfigError(
            f"{where} must be a list of choices, a (low, high) tuple or a function of a "
            f"numpy Generator, got {type(entry).__name__} {entry!r}"
        )
    choices = list(entry)
    if not choices:
        raise ConfigError(f"{where}: the list of choices is empty")
    return lambda rng: choices[int(rng.integers(len(choices)))]


def _is_value_sequence(values: object) -> bool:
    return isinstance(values, (Sequence, np.ndarray)) and not isinstance(values, (str, bytes))


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return ("<unhashable>", type(value).__name__, repr(value))
    return value


def _python_scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)
