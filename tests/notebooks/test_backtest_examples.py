"""The backtest example notebooks run top to bottom and report plausible numbers.

Each notebook's last cell prints one ``RESULT_JSON {...}`` line; the tests read it back
from the executed notebook.
"""

import json
import math
from pathlib import Path

import nbformat
import papermill
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "notebooks" / "examples"
MARKER = "RESULT_JSON "

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def _execute(name: str, tmp_path: Path, store: Path) -> nbformat.NotebookNode:
    output = tmp_path / name
    papermill.execute_notebook(
        str(EXAMPLES / name),
        str(output),
        parameters={"store_path": str(store)},
        cwd=str(EXAMPLES),
        kernel_name="python3",
        progress_bar=False,
    )
    return nbformat.read(output, as_version=4)


def _result(notebook: nbformat.NotebookNode) -> dict:
    for cell in reversed(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream":
                continue
            for line in output.get("text", "").splitlines():
                if line.startswith(MARKER):
                    return json.loads(line[len(MARKER) :])
    raise AssertionError(f"no {MARKER.strip()} line in the executed notebook")


def _has_image(notebook: nbformat.NotebookNode) -> bool:
    return any(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


def test_backtest_notebook_runs_and_both_forms_agree(tmp_path, demo_store):
    notebook = _execute("02_backtest.ipynb", tmp_path, demo_store)
    result = _result(notebook)
    final = result["final_equity"]
    assert math.isfinite(final) and 0.5e6 < final < 2e6  # from 1,000,000 yuan
    assert result["n_trades"] > 0
    assert result["trades_match"] is True
    assert result["max_abs_diff"] < 1e-4
    assert result["vector_final_equity"] == pytest.approx(final, abs=1e-4)
    assert result["loaded_final_equity"] == final
    expected = {"WRONG_PHASE", "NOT_ON_LOT_GRID", "UNKNOWN_SYMBOL", "INVALID_ARGUMENT"}
    assert expected <= set(result["rule_reasons"])
    assert "INSUFFICIENT_CASH" in result["rule_reasons"]
    assert _has_image(notebook)


def test_sweep_notebook_finds_the_best_windows_in_the_grid(tmp_path, demo_store):
    notebook = _execute("03_sweep.ipynb", tmp_path, demo_store)
    result = _result(notebook)
    fast, slow = result["best"]["fast"], result["best"]["slow"]
    assert fast in result["fast_windows"] and slow in result["slow_windows"]
    assert fast < slow
    assert result["n_params"] == sum(
        f < s for f in result["fast_windows"] for s in result["slow_windows"]
    )
    assert math.isfinite(result["best_sharpe"])
    assert math.isfinite(result["best_final_equity"]) and result["best_final_equity"] > 0
    assert result["engine_runs"] == 4
    assert result["engine_vs_vector_max_abs_diff"] < 1e-4
    assert _has_image(notebook)
