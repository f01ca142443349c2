"""Every shipped example notebook runs top to bottom (papermill, a real kernel)."""

from pathlib import Path

import papermill
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "notebooks" / "examples"

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_data_quickstart_runs_against_a_demo_store(tmp_path, demo_store_template):
    output = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(EXAMPLES / "01_data_quickstart.ipynb"),
        str(output),
        parameters={"store_path": str(demo_store_template)},
        cwd=str(EXAMPLES),
        kernel_name="python3",
        progress_bar=False,
    )
    text = output.read_text(encoding="utf-8")
    assert "limit up" in text and "image/png" in text
    assert "clean / 无问题" in text


def test_data_quickstart_builds_a_store_when_none_exists(tmp_path):
    output = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(EXAMPLES / "01_data_quickstart.ipynb"),
        str(output),
        parameters={"store_path": str(tmp_path / "store"), "demo_symbols": 60, "demo_days": 120},
        cwd=str(EXAMPLES),
        kernel_name="python3",
        progress_bar=False,
    )
    assert (tmp_path / "store" / "quantlib-store.json").exists()
