"""The broker notebook places, fills and cancels orders on the paper broker and through
the QMT bridge to the MiniQMT simulator, and both end with the same books."""

import json
from pathlib import Path

import nbformat
import papermill
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "notebooks" / "examples"
MARKER = "RESULT_JSON "

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_paper_and_qmt_through_the_bridge_end_with_identical_positions_and_cash(
    tmp_path: Path,
) -> None:
    output = tmp_path / "05_brokers.ipynb"
    papermill.execute_notebook(
        str(EXAMPLES / "05_brokers.ipynb"),
        str(output),
        parameters={"workdir": str(tmp_path / "accounts")},
        cwd=str(EXAMPLES),
        kernel_name="python3",
        progress_bar=False,
    )
    lines = [
        line
        for cell in nbformat.read(output, as_version=4).cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
        for line in out.get("text", "").splitlines()
        if line.startswith(MARKER)
    ]
    result = json.loads(lines[-1][len(MARKER) :])
    assert result["same_orders"] and result["same_cash"] and result["same_positions"]
    assert result["positions"] == {"600000.SH": [1100, 600]}
    statuses = [status.split()[0] for status in result["statuses"]]
    assert statuses == ["8", "5", "8", "6", "9"]
