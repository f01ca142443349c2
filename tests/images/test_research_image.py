"""The research image: first-start seeding of the work folder, Chromium for PDF reports."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hub.home import MARKER

from .conftest import tool

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "images" / "research" / "seed-home.sh"
NOTEBOOKS = REPO / "notebooks"


def _seed(work: Path) -> None:
    env = {**os.environ, "TAORUI_NOTEBOOKS": str(NOTEBOOKS)}
    subprocess.run([str(SEED), str(work)], check=True, env=env)


def test_seed_script_is_clean_shell() -> None:
    subprocess.run(["bash", "-n", str(SEED)], check=True)
    subprocess.run([tool("shellcheck"), str(SEED)], check=True)
    assert SEED.stat().st_mode & 0o111


def test_first_start_copies_the_notebooks_once_and_never_overwrites(tmp_path: Path) -> None:
    work = tmp_path / "work"
    mine = work / "examples" / "02_backtest.ipynb"
    mine.parent.mkdir(parents=True)
    mine.write_text("my own edits")
    _seed(work)
    assert mine.read_text() == "my own edits"  # never overwritten
    assert (work / "examples" / "01_data_quickstart.ipynb").is_file()
    templates = sorted(p.name for p in (NOTEBOOKS / "templates").glob("*.ipynb"))
    assert sorted(p.name for p in (work / "templates").glob("*.ipynb")) == templates
    assert (work / "strategies").is_dir()
    assert (work / MARKER).is_file()  # the same marker as the hub's local spawner
    (work / "examples" / "01_data_quickstart.ipynb").unlink()
    _seed(work)  # a later start leaves the person's choices alone
    assert not (work / "examples" / "01_data_quickstart.ipynb").exists()


def test_the_image_copies_the_seed_script_and_the_notebooks() -> None:
    dockerfile = (REPO / "images" / "research" / "Dockerfile").read_text()
    assert "images/research/seed-home.sh" in dockerfile
    assert "COPY notebooks/examples /opt/taorui/notebooks/examples" in dockerfile
    assert "COPY notebooks/templates /opt/taorui/notebooks/templates" in dockerfile
    start = (REPO / "images" / "research" / "start-research.sh").read_text()
    assert "seed-home.sh" in start


def test_the_image_puts_a_chromium_on_path_for_pdf_reports() -> None:
    from quantlib.analytics.report.pdf import CHROMIUM_NAMES

    dockerfile = (REPO / "images" / "research" / "Dockerfile").read_text()
    assert "playwright install --with-deps chromium" in dockerfile
    linked = dockerfile.split("ln -s ")[1].split("\n")[0]
    assert linked.rstrip(" \\").endswith("/usr/local/bin/chromium")
    assert "chromium" in CHROMIUM_NAMES  # the name the PDF renderer looks for on PATH
