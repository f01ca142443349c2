"""Smoke test of the data-store benchmark harness (``benchmarks/store_bench.py --quick``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "store_bench.py"
STORES = ("quantlib", "pq_year", "qlib_bin")
PATTERNS = ("full", "xsec", "rand100", "symbol", "append")


@pytest.mark.slow
def test_store_bench_quick_produces_checked_rows(tmp_path: Path) -> None:
    """A tiny run (ArcticDB left out) yields one correctness-checked row per store/pattern."""
    out = tmp_path / "store.json"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--quick",
            "--stores",
            ",".join(STORES),
            "--work-dir",
            str(tmp_path / "work"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(out.read_text())
    rows = {(r["store"], r["pattern"]): r for r in report["rows"]}
    for store in STORES:
        assert rows[(store, "build")].get("seconds") is not None, rows[(store, "build")]
        for pattern in PATTERNS:
            row = rows[(store, pattern)]
            assert row["check"] == "ok", row
            assert row["seconds"] > 0
    assert [entry["pattern"] for entry in report["summary"]] == list(PATTERNS)
    assert out.with_suffix(".md").read_text().startswith("| pattern |")


def test_arcticdb_worker_path_imports_no_quantlib() -> None:
    """The ``adb_inst`` worker runs from a venv without quantlib: its imports must not need it."""
    code = (
        "import sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import store_bench\n"
        "store_bench.bench_class('adb_inst')\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] == 'quantlib'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(SCRIPT.parent)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", done.stdout
