"""Parameter sweeps: building parameter sets, running them in-process and on a real Dask
cluster, choosing the best set, walk-forward testing."""

from __future__ import annotations

import math
import os
import uuid
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from quantlib.backtest import sweep as sweep_module
from quantlib.backtest.sweep import (
    SweepError,
    best,
    grid,
    random_search,
    run_sweep,
    walk_forward,
    walk_forward_splits,
)
from quantlib.core.errors import ConfigError, InvalidRangeError, QuantlibError, UnknownFieldError

distributed = pytest.importorskip("distributed")

# ----------------------------------------------------------------------------------------
# Module-level tasks (picklable by reference, importable on Dask workers)
# ----------------------------------------------------------------------------------------

RETURNS = np.random.default_rng(3).normal(0.0005, 0.01, 400)


def score_task(shared: np.ndarray, params: dict[str, Any]) -> dict[str, float]:
    """A deterministic metric of the shared array and the parameters."""
    head = shared[: params["n"]]
    return {"sharpe": float(head.sum() * params["k"]), "n_twice": float(2 * params["n"])}


def flaky_task(shared: np.ndarray, params: dict[str, Any]) -> dict[str, float]:
    if params["n"] == 3:
        raise ValueError(f"bad n {params['n']}")
    return score_task(shared, params)


def failing_task(shared: Any, params: dict[str, Any]) -> dict[str, float]:
    raise RuntimeError("always")


def no_shared_task(shared: Any, params: dict[str, Any]) -> dict[str, float]:
    assert shared is None
    return {"value": float(params["x"] ** 2)}


_LOADS: dict[str, int] = {}


class Tracked:
    """Shared data that counts how often it was unpickled, per process and token."""

    def __init__(self, values: np.ndarray) -> None:
        self.token = uuid.uuid4().hex
        self.values = values

    def __getstate__(self) -> dict[str, Any]:
        return {"token": self.token, "values": self.values}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.token = state["token"]
        self.values = state["values"]
        _LOADS[self.token] = _LOADS.get(self.token, 0) + 1


def loads_of(token: str) -> int:
    return _LOADS.get(token, 0)


def where_task(shared: Tracked, params: dict[str, Any]) -> dict[str, float]:
    return {
        "pid": float(os.getpid()),
        "shared_id": float(id(shared)),
        "loads": float(_LOADS.get(shared.token, 0)),
        "total": float(shared.values[: params["n"]].sum()),
    }


#: Four regimes of 25 bars with levels 1, 2, 3, 4: a training window's mean is its level.
LEVELS = np.repeat([1.0, 2.0, 3.0, 4.0], 25)


def closeness_task(shared: np.ndarray, params: dict[str, Any], window: slice) -> dict[str, float]:
    """Best when ``target`` equals the window's mean level."""
    mean = float(shared[window].mean())
    return {"sharpe": -abs(mean - params["target"]), "mean": mean}


def closeness_failing_first(
    shared: np.ndarray, params: dict[str, Any], window: slice
) -> dict[str, float]:
    if window.start == 0:
        raise ValueError("no data in the first window")
    return closeness_task(shared, params, window)


@pytest.fixture(scope="module")
def dask_client():
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table.attrs = {}
    return table


# ----------------------------------------------------------------------------------------
# grid
# ----------------------------------------------------------------------------------------


def test_grid_is_the_product_with_the_first_key_slowest():
    sets = grid({"fast": [5, 10], "slow": (60, 120, 240)})
    assert sets == [
        {"fast": 5, "slow": 60},
        {"fast": 5, "slow": 120},
        {"fast": 5, "slow": 240},
        {"fast": 10, "slow": 60},
        {"fast": 10, "slow": 120},
        {"fast": 10, "slow": 240},
    ]
    assert [list(s) for s in sets] == [["fast", "slow"]] * 6


def test_grid_accepts_ranges_arrays_and_single_values():
    sets = grid({"a": range(3), "b": np.array([0.5]), "c": ["x"]})
    assert sets == [{"a": i, "b": 0.5, "c": "x"} for i in range(3)]


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({}, "empty"),
        ({"a": []}, "no values"),
        ({"a": [1], 3: [1]}, "3"),
        ({"a": "abc"}, "list of values"),
        ({"a": 5}, "list of values"),
        ([("a", [1])], "mapping"),
        ({"error": [1]}, "reserved"),
    ],
)
def test_grid_errors_name_the_problem(spec, needle):
    with pytest.raises(ConfigError, match=needle):
        grid(spec)


# ----------------------------------------------------------------------------------------
# random_search
# ----------------------------------------------------------------------------------------

SPACE: dict[str, Any] = {
    "window": (5, 60),
    "z": (0.5, 3.0),
    "side": ["long", "short", "both"],
    "jitter": lambda rng: round(float(rng.normal()), 3),
}


def test_random_search_is_deterministic_and_typed():
    first = random_search(SPACE, 20, seed=42)
    assert first == random_search(SPACE, 20, seed=42)
    assert first != random_search(SPACE, 20, seed=43)
    assert len(first) == 20
    for params in first:
        assert list(params) == ["window", "z", "side", "jitter"]
        assert type(params["window"]) is int and 5 <= params["window"] <= 60
        assert type(params["z"]) is float and 0.5 <= params["z"] < 3.0
        assert params["side"] in SPACE["side"]
        assert isinstance(params["jitter"], float)


def test_random_search_smaller_n_is_a_prefix():
    assert random_search(SPACE, 5, seed=1) == random_search(SPACE, 12, seed=1)[:5]


def test_random_search_integer_ranges_include_both_ends_and_drop_duplicates():
    sets = random_search({"a": (0, 1)}, 2, seed=0)
    assert sorted(s["a"] for s in sets) == [0, 1]
    small = random_search({"a": [1, 2], "b": ["x"]}, 10, seed=5)
    assert sorted(s["a"] for s in small) == [1, 2]  # only two distinct points exist
    unhashable = random_search({"a": [[1], [2]]}, 5, seed=0)
    assert sorted(s["a"] for s in unhashable) == [[1], [2]]


def test_random_search_choices_from_a_numpy_array_are_python_values():
    sets = random_search({"a": np.array([1, 2, 3])}, 3, seed=0)
    assert all(type(s["a"]) is int for s in sets)


@pytest.mark.parametrize(
    ("space", "n", "seed", "needle"),
    [
        (SPACE, 0, 0, "positive integer"),
        (SPACE, 1.5, 0, "positive integer"),
        (SPACE, True, 0, "positive integer"),
        (SPACE, 3, "x", "seed"),
        ({}, 3, 0, "empty"),
        ({"a": (1, 2, 3)}, 3, 0, "two numbers"),
        ({"a": ("x", "y")}, 3, 0, "two numbers"),
        ({"a": (5, 1)}, 3, 0, "above high"),
        ({"a": []}, 3, 0, "empty"),
        ({"a": "abc"}, 3, 0, "list of choices"),
        ({"a": 7}, 3, 0, "list of choices"),
        ({1: [1]}, 3, 0, "not a non-empty string"),
    ],
)
def test_random_search_errors(space, n, seed, needle):
    with pytest.raises(ConfigError, match=needle):
        random_search(space, n, seed=seed)


# ----------------------------------------------------------------------------------------
# walk_forward_splits
# ----------------------------------------------------------------------------------------


def test_rolling_splits_tile_the_test_windows():
    splits = walk_forward_splits(10, train=4, test=2)
    assert splits == [
        (slice(0, 4), slice(4, 6)),
        (slice(2, 6), slice(6, 8)),
        (slice(4, 8), slice(8, 10)),
    ]


def test_splits_with_a_step_and_trailing_bars():
    splits = walk_forward_splits(11, train=4, test=2, step=3)
    assert splits == [(slice(0, 4), slice(4, 6)), (slice(3, 7), slice(7, 9))]


def test_anchored_splits_expand_from_bar_zero():
    splits = walk_forward_splits(10, train=4, test=3, anchored=True)
    assert splits == [(slice(0, 4), slice(4, 7)), (slice(0, 7), slice(7, 10))]


def test_one_split_when_the_windows_just_fit():
    assert walk_forward_splits(6, 4, 2) == [(slice(0, 4), slice(4, 6))]


def test_splits_errors():
    with pytest.raises(InvalidRangeError, match="do not fit"):
        walk_forward_splits(5, train=4, test=2)
    for kwargs in ({"train": 0, "test": 2}, {"train": 3, "test": -1}, {"train": 2.0, "test": 1}):
        with pytest.raises(ConfigError, match="positive integer"):
            walk_forward_splits(10, **kwargs)
    with pytest.raises(ConfigError, match="step"):
        walk_forward_splits(10, 4, 2, step=0)
    with pytest.raises(ValueError):  # both are ValueErrors as well
        walk_forward_splits(0, 1, 1)


# ----------------------------------------------------------------------------------------
# run_sweep in-process, best
# ----------------------------------------------------------------------------------------

PARAMS = grid({"n": [1, 2, 3, 4, 5, 6], "k": [1.0, -1.0]})


def test_in_process_sweep_is_tidy_and_in_input_order():
    table = run_sweep(score_task, PARAMS, shared=RETURNS, progress=False)
    assert list(table.columns) == ["n", "k", "sharpe", "n_twice"]
    assert list(table.index) == list(range(len(PARAMS)))
    assert table[["n", "k"]].to_dict("records") == PARAMS
    for row, params in zip(table.itertuples(), PARAMS, strict=True):
        assert row.sharpe == score_task(RETURNS, params)["sharpe"]
    assert table.attrs["params"] == ["n", "k"]
    assert table.attrs["metrics"] == ["sharpe", "n_twice"]
    assert table.attrs["n_failed"] == 0
    assert table.attrs["chunk_size"] is None


def test_a_failing_parameter_set_gets_an_error_row():
    table = run_sweep(flaky_task, PARAMS, shared=RETURNS, progress=False)
    assert list(table.columns) == ["n", "k", "sharpe", "n_twice", "error"]
    bad = table["n"] == 3
    assert table.loc[bad, "error"].tolist() == ["ValueError: bad n 3"] * 2
    assert table.loc[bad, ["sharpe", "n_twice"]].isna().all().all()
    assert table.loc[~bad, "error"].isna().all()
    assert table.loc[~bad, "sharpe"].notna().all()
    assert table.attrs["n_failed"] == 2
    assert set(table.attrs["tracebacks"]) == set(np.flatnonzero(bad.to_numpy()))
    assert "bad n 3" in table.attrs["tracebacks"][4]


def test_all_failing_warns_and_best_refuses():
    with pytest.warns(RuntimeWarning, match="all 2 parameter sets failed"):
        table = run_sweep(failing_task, PARAMS[:2], progress=False)
    assert list(table.columns) == ["n", "k", "error"]
    with pytest.raises(UnknownFieldError):
        best(table, "sharpe")


def test_uneven_parameter_sets_and_metrics():
    def varied(shared: Any, params: dict[str, Any]) -> dict[str, float]:
        return {"a": 1.0} if "extra" in params else {"a": 2.0, "b": 3.0}

    table = run_sweep(varied, [{"n": 1}, {"n": 2, "extra": 7}], progress=False)
    assert list(table.columns) == ["n", "extra", "a", "b"]
    assert table["extra"].tolist() == [None, 7]
    assert math.isnan(table["b"].iloc[1])
    assert best(table, "a") == {"n": 1}  # absent parameters are left out
    assert best(table, "a", maximize=False) == {"n": 2, "extra": 7}
    assert type(best(table, "a", maximize=False)["extra"]) is int


def test_metric_named_like_a_parameter_is_renamed_with_a_warning():
    def echo(shared: Any, params: dict[str, Any]) -> dict[str, float]:
        return {"n": float(params["n"]), "sharpe": 1.0}

    with pytest.warns(UserWarning, match="renamed"):
        table = run_sweep(echo, [{"n": 1}, {"n": 2}], progress=False)
    assert list(table.columns) == ["n", "n_metric", "sharpe"]


def test_a_task_returning_a_non_mapping_is_an_error_row():
    def wrong(shared: Any, params: dict[str, Any]) -> Any:
        return [1.0] if params["n"] == 1 else {"x": 1.0}

    table = run_sweep(wrong, [{"n": 1}, {"n": 2}], progress=False)
    assert table["error"].iloc[0].startswith("TypeError: the task returned list")
    assert table["x"].tolist()[1] == 1.0


def test_best_picks_max_or_min_and_the_first_tie():
    table = run_sweep(score_task, PARAMS, shared=RETURNS, progress=False)
    top = best(table, "sharpe")
    assert top == PARAMS[int(table["sharpe"].to_numpy().argmax())]
    assert type(top["n"]) is int and type(top["k"]) is float
    low = best(table, "sharpe", maximize=False)
    assert low == PARAMS[int(table["sharpe"].to_numpy().argmin())]
    assert best(table, "n_twice") == {"n": 6, "k": 1.0}  # tie with k=-1: first row wins
    with pytest.raises(UnknownFieldError, match="no metric column 'calmar'"):
        best(table, "calmar")
    with pytest.raises(UnknownFieldError, match="parameter column"):
        best(table, "sharpe", params=["nope"])
    bare = _plain(table)  # without attrs: every other column is a parameter
    assert set(best(bare, "sharpe")) == {"n", "k", "n_twice"}
    with pytest.raises(SweepError):
        best(table.assign(sharpe=np.nan), "sharpe")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"param_sets": []}, "empty"),
        ({"param_sets": {"n": 1}}, "list of parameter dicts"),
        ({"param_sets": [{"n": 1}, 5]}, r"param_sets\[1\]"),
        ({"param_sets": [{"error": 1}]}, "reserved"),
        ({"param_sets": [{1: 1}]}, "not a string"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"client": 42}, "client must be"),
        ({"client": ""}, "empty string"),
    ],
)
def test_run_sweep_argument_errors(kwargs, needle):
    arguments: dict[str, Any] = {"param_sets": PARAMS, "progress": False, **kwargs}
    with pytest.raises(ConfigError, match=needle):
        run_sweep(score_task, shared=RETURNS, **arguments)


def test_errors_derive_from_the_quantlib_hierarchy():
    assert issubclass(SweepError, QuantlibError) and issubclass(SweepError, ValueError)


def test_progress_bar_shows_the_callers_description(capsys):
    run_sweep(score_task, PARAMS, shared=RETURNS, description="参数扫描 [grid]")
    out = capsys.readouterr().out
    assert "参数扫描 [grid]" in out
    assert f"{len(PARAMS)}/{len(PARAMS)}" in out


@pytest.mark.parametrize(
    ("n_items", "seconds", "slots", "expected"),
    [
        (1000, 0.001, 2, 200),  # 0.2 s of work per chunk
        (1000, 0.001, 8, 63),  # ... but at least two chunks per worker thread
        (100, 5.0, 4, 1),  # slow tasks: one per chunk
        (10, 0.0, 0, 5),  # unknown cost and no workers yet
        (1, 0.01, 4, 1),
    ],
)
def test_chunk_size_choice(n_items, seconds, slots, expected):
    assert sweep_module._choose_chunk_size(n_items, seconds, slots) == expected


# ----------------------------------------------------------------------------------------
# run_sweep on a real Dask cluster
# ----------------------------------------------------------------------------------------


def test_dask_results_equal_in_process_results(dask_client):
    local = run_sweep(flaky_task, PARAMS, shared=RETURNS, progress=False)
    for chunk_size in (None, 5):
        remote = run_sweep(
            flaky_task,
            PARAMS,
            shared=RETURNS,
            client=dask_client,
            chunk_size=chunk_size,
            progress=False,
        )
        pd.testing.assert_frame_equal(_plain(remote), _plain(local))
        assert remote.attrs["tracebacks"].keys() == local.attrs["tracebacks"].keys()
    assert remote.attrs["chunk_size"] == 5
    assert dask_client.status == "running"  # a client passed in is left open


def test_shared_data_is_scattered_once_and_never_sent_with_tasks(dask_client):
    shared = Tracked(RETURNS)
    params = [{"n": n} for n in range(1, 13)]
    with mock.patch.object(dask_client, "scatter", wraps=dask_client.scatter) as scatter:
        table = run_sweep(
            where_task, params, shared=shared, client=dask_client, chunk_size=1, progress=False
        )
    assert scatter.call_count == 1
    assert scatter.call_args.kwargs["broadcast"] is True
    # Every worker unpickled the shared object exactly once ...
    assert set(dask_client.run(loads_of, shared.token).values()) == {1}
    # ... and each of its tasks saw that same object.
    on_workers = table[table["pid"] != os.getpid()]
    assert len(on_workers) == len(params)  # chunk_size given: nothing is timed in-process
    assert (on_workers["loads"] == 1).all()
    assert (on_workers.groupby("pid")["shared_id"].nunique() == 1).all()
    assert table["total"].tolist() == [float(RETURNS[:n].sum()) for n in range(1, 13)]


def test_failing_parameter_set_on_dask_keeps_the_sweep_going(dask_client, capsys):
    table = run_sweep(
        flaky_task,
        PARAMS,
        shared=RETURNS,
        client=dask_client,
        chunk_size=2,
        description="dask sweep",
    )
    assert table["error"].notna().sum() == 2
    assert table.loc[table["error"].notna(), "n"].tolist() == [3, 3]
    assert table["sharpe"].notna().sum() == len(PARAMS) - 2
    assert "dask sweep" in capsys.readouterr().out


def test_scheduler_address_connects_and_closes_only_its_own_client(dask_client):
    address = dask_client.scheduler.address
    table = run_sweep(score_task, PARAMS, shared=RETURNS, client=address, progress=False)
    local = run_sweep(score_task, PARAMS, shared=RETURNS, progress=False)
    pd.testing.assert_frame_equal(_plain(table), _plain(local))
    assert dask_client.status == "running"


@pytest.mark.slow
def test_local_cluster_is_started_and_closed():
    params = [{"x": x} for x in range(8)]
    with mock.patch.object(sweep_module, "_cores", return_value=2):
        table = run_sweep(no_shared_task, params, client="local", chunk_size=2, progress=False)
    assert table["value"].tolist() == [float(x * x) for x in range(8)]


# ----------------------------------------------------------------------------------------
# walk_forward
# ----------------------------------------------------------------------------------------

TARGETS = grid({"target": [1.0, 2.0, 3.0, 4.0]})


def test_walk_forward_chooses_on_train_and_scores_on_test():
    splits = walk_forward_splits(len(LEVELS), train=25, test=25)
    table = walk_forward(closeness_task, TARGETS, splits, shared=LEVELS, progress=False)
    assert list(table.columns) == [
        "split", "train_start", "train_stop", "test_start", "test_stop",
        "target", "train_sharpe", "test_sharpe", "test_mean",
    ]  # fmt: skip
    assert table["split"].tolist() == [0, 1, 2]
    assert table["train_start"].tolist() == [0, 25, 50]
    assert table["test_stop"].tolist() == [50, 75, 100]
    assert table["target"].tolist() == [1.0, 2.0, 3.0]  # the training regime's level
    assert table["train_sharpe"].tolist() == [0.0, 0.0, 0.0]
    assert table["test_mean"].tolist() == [2.0, 3.0, 4.0]
    assert table["test_sharpe"].tolist() == [-1.0, -1.0, -1.0]  # the regime moved on
    assert table.attrs["params"] == ["target"]
    assert table.attrs["train_failed"] == [0, 0, 0]


def test_walk_forward_anchored_and_minimising():
    splits = walk_forward_splits(len(LEVELS), train=50, test=25, anchored=True)
    table = walk_forward(
        closeness_task,
        TARGETS,
        splits,
        shared=LEVELS,
        metric="sharpe",
        maximize=False,
        progress=False,
    )
    # Anchored means 1.5 and 2.0; the worst target is the farthest level (4).
    assert table["target"].tolist() == [4.0, 4.0]
    assert table["train_start"].tolist() == [0, 0]


def test_walk_forward_split_without_training_results_gets_an_error_row():
    splits = walk_forward_splits(len(LEVELS), train=25, test=25)
    table = walk_forward(closeness_failing_first, TARGETS, splits, shared=LEVELS, progress=False)
    assert table["error"].iloc[0].startswith("no training result for metric 'sharpe'")
    assert "no data in the first window" in table["error"].iloc[0]
    assert table["target"].iloc[0] is None or math.isnan(table["target"].iloc[0])
    assert table["target"].tolist()[1:] == [2.0, 3.0]
    assert table["error"].iloc[1:].isna().all()
    assert table.attrs["train_failed"] == [4, 0, 0]


def test_walk_forward_on_dask_equals_in_process(dask_client):
    splits = walk_forward_splits(len(LEVELS), train=20, test=10, step=15)
    local = walk_forward(closeness_task, TARGETS, splits, shared=LEVELS, progress=False)
    remote = walk_forward(
        closeness_task, TARGETS, splits, shared=LEVELS, client=dask_client, progress=False
    )
    pd.testing.assert_frame_equal(_plain(remote), _plain(local))


def test_walk_forward_argument_errors():
    splits = walk_forward_splits(len(LEVELS), train=25, test=25)
    with pytest.raises(ConfigError, match="splits is empty"):
        walk_forward(closeness_task, TARGETS, [], shared=LEVELS)
    with pytest.raises(ConfigError, match="pair of slices"):
        walk_forward(closeness_task, TARGETS, [(0, 25)], shared=LEVELS)  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="clash"):
        walk_forward(closeness_task, [{"test_x": 1}], splits, shared=LEVELS)


def closeness_failing_late(
    shared: np.ndarray, params: dict[str, Any], window: slice
) -> dict[str, float]:
    if window.start >= 75:
        raise ValueError("no data after bar 75")
    return closeness_task(shared, params, window)


def test_walk_forward_failed_test_evaluation_keeps_the_chosen_parameters():
    splits = walk_forward_splits(len(LEVELS), train=25, test=25)
    table = walk_forward(closeness_failing_late, TARGETS, splits, shared=LEVELS, progress=False)
    assert table["target"].tolist() == [1.0, 2.0, 3.0]
    assert table["error"].tolist()[:2] == [None, None]
    assert table["error"].iloc[2] == "test: ValueError: no data after bar 75"
    assert math.isnan(table["test_sharpe"].iloc[2])
