"""The report example notebook runs top to bottom, shows the tearsheet inline, and writes
an offline HTML tearsheet, an A4 PDF whose pages (turned into PNG) are not blank and
carry the Chinese headings, and two comparison reports."""

import json
import re
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import papermill
import pytest
from PIL import Image

EXAMPLES = Path(__file__).resolve().parents[2] / "notebooks" / "examples"
MARKER = "RESULT_JSON "

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def _result(notebook: nbformat.NotebookNode) -> dict:
    for cell in reversed(notebook.cells):
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith(MARKER):
                    return json.loads(line[len(MARKER) :])
    raise AssertionError(f"no {MARKER.strip()} line in the executed notebook")


def _html_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    return [
        output["data"]["text/html"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "text/html" in output.get("data", {})
    ]


def test_report_notebook_shows_and_writes_the_reports(tmp_path, demo_store):
    executed = tmp_path / "04_report.ipynb"
    papermill.execute_notebook(
        str(EXAMPLES / "04_report.ipynb"),
        str(executed),
        parameters={"store_path": str(demo_store), "out_dir": str(tmp_path / "out")},
        cwd=str(EXAMPLES),
        kernel_name="python3",
        progress_bar=False,
    )
    notebook = nbformat.read(executed, as_version=4)
    result = _result(notebook)
    assert result["n_trades"] > 0 and result["n_sweep"] == 6

    shown = _html_outputs(notebook)
    assert any("<svg" in html and "夏普比率" in html for html in shown)  # the result's repr
    frames = [html for html in shown if html.startswith("<iframe srcdoc=")]
    assert len(frames) == 3 and "核心指标" in frames[0]  # tearsheet, comparison, sweep

    html = Path(result["html"]).read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html) and "<h2>核心指标</h2>" in html
    assert "<h2>指标对比</h2>" in Path(result["compare"]).read_text(encoding="utf-8")
    assert "<h2>参数热力图</h2>" in Path(result["sweep"]).read_text(encoding="utf-8")

    pdf = Path(result["pdf"])
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("L"), dtype=np.float64)
        assert pixels.std() > 8, f"{page.name} is blank"
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    for heading in ("回测报告", "核心指标", "净值与基准", "月度收益", "交易费用", "成交记录"):
        assert heading in text, heading
