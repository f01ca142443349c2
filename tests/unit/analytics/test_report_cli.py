"""``quantlib backtest --report`` and ``quantlib report compare``, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

QUANTLIB = str(Path(sys.executable).with_name("quantlib"))
DUAL_MA = Path(__file__).resolve().parents[3] / "quantlib" / "backtest" / "examples" / "dual_ma.py"

pytestmark = pytest.mark.slow


def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUANTLIB_LANG": lang}
    env.pop("QUANTLIB_REPORT_LANG", None)
    return subprocess.run([QUANTLIB, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def saved_runs(demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory):
    """Two backtests saved by the CLI, the first also writing its tearsheet."""
    folder = tmp_path_factory.mktemp("runs")
    from quantlib.data import open_store

    symbols = ",".join(open_store(demo_store_template).instruments(kind="stock").index[:8])
    outputs = []
    for fast, slow in ((5, 20), (10, 30)):
        name = f"ma_{fast}_{slow}"
        args = [
            "backtest",
            str(DUAL_MA),
            "--store",
            str(demo_store_template),
            "--symbols",
            symbols,
            "--param",
            f"fast={fast}",
            "--param",
            f"slow={slow}",
            "--save",
            str(folder / name),
            "--json",
        ]
        if fast == 5:
            args += ["--report", str(folder / "tearsheet.html")]
        outputs.append(run(*args, lang="zh"))
    return folder, outputs


def test_backtest_report_writes_the_tearsheet(saved_runs):
    folder, outputs = saved_runs
    first = outputs[0]
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["report"] == str(folder / "tearsheet.html")
    html = (folder / "tearsheet.html").read_text(encoding="utf-8")
    assert "<h2>核心指标</h2>" in html and "<h2>成交记录</h2>" in html  # QUANTLIB_LANG=zh
    assert "fast=5, slow=20" in html


def test_report_compare_of_saved_runs(saved_runs):
    folder, _ = saved_runs
    out = folder / "compare" / "c.html"
    done = run(
        "report",
        "compare",
        str(folder / "ma_5_20"),
        str(folder / "ma_10_30"),
        "--out",
        str(out),
        "--language",
        "en",
        "--names",
        "fast,slow",
    )
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout.replace("\n", "")
    html = out.read_text(encoding="utf-8")
    assert "<h2>Metrics side by side</h2>" in html and "<h2>Equity curves</h2>" in html
    assert "<th>fast <small>(baseline)</small></th><th>slow</th>" in html


def test_bad_report_arguments_fail_with_one_line(saved_runs, tmp_path):
    folder, _ = saved_runs
    one = run("report", "compare", str(folder / "ma_5_20"), "--out", str(tmp_path / "x.html"))
    assert one.returncode == 2
    assert one.stderr.strip().count("\n") == 0 and "at least two runs" in one.stderr
    not_a_run = run(
        "report",
        "compare",
        str(tmp_path),
        str(folder / "ma_5_20"),
        "--out",
        str(tmp_path / "x.html"),
    )
    assert not_a_run.returncode == 2 and "not a saved backtest result" in not_a_run.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    bad = run(
        "backtest",
        str(DUAL_MA),
        "--store",
        "/nonexistent-store",
        "--report",
        str(blocker / "r.html"),
    )
    assert bad.returncode == 2
    assert "cannot create the folder" in bad.stderr  # checked before the run starts
    unknown = run(
        "report",
        "compare",
        str(folder / "ma_5_20"),
        str(folder / "ma_10_30"),
        "--out",
        str(tmp_path / "x.docx"),
    )
    assert unknown.returncode == 2 and ".html or .pdf" in unknown.stderr
    lang = run(
        "report",
        "compare",
        str(folder / "ma_5_20"),
        str(folder / "ma_10_30"),
        "--out",
        str(tmp_path / "x.html"),
        "--language",
        "fr",
    )
    assert lang.returncode == 2 and "'zh' or 'en'" in lang.stderr
