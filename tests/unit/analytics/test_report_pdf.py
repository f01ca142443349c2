"""PDF reports printed by headless Chromium, turned back into PNG pages and text with
poppler (pdftoppm, pdftotext) and checked: A4 pages, none blank, the headings present
in Chinese and English. One Chromium serves the whole module."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantlib.analytics.report import PdfRenderer, ReportError, write_comparison, write_tearsheet
from quantlib.analytics.report.pdf import find_chromium
from quantlib.backtest import MarketData, run_backtest

DUAL_MA = Path(__file__).resolve().parents[3] / "quantlib" / "backtest" / "examples" / "dual_ma.py"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def renderer():
    for tool in ("pdftoppm", "pdftotext", "pdfinfo"):
        assert shutil.which(tool), f"{tool} missing: install poppler-utils (make system-deps)"
    with PdfRenderer() as running:
        yield running


@pytest.fixture(scope="module")
def runs(demo_store_template: Path):
    from quantlib.data import open_store

    symbols = list(open_store(demo_store_template).instruments(kind="stock").index[:10])
    market = MarketData.from_store(demo_store_template, symbols, benchmark="000300.SH")
    return [
        run_backtest(DUAL_MA, market, params={"fast": 5, "slow": 20}),
        run_backtest(DUAL_MA, market, params={"fast": 10, "slow": 30}),
    ]


def pages(pdf: Path, out: Path) -> list[np.ndarray]:
    """The PDF's pages as greyscale pixel arrays (pdftoppm at 40 dpi)."""
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(out / "page")], check=True)
    files = sorted(out.glob("page-*.png"))
    return [np.asarray(Image.open(f).convert("L"), dtype=np.float64) for f in files]


def text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def assert_a4_and_not_blank(pdf: Path, tmp_path: Path) -> list[np.ndarray]:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    assert "pts (A4)" in info.stdout
    images = pages(pdf, tmp_path)
    assert images
    for number, image in enumerate(images, 1):
        assert image.std() > 8, f"page {number} is blank"
        assert (image < 128).mean() > 0.001, f"page {number} has almost no ink"
    return images


def test_chinese_tearsheet_pdf_has_every_heading_on_non_blank_a4_pages(runs, renderer, tmp_path):
    pdf = write_tearsheet(runs[0], tmp_path / "tearsheet.pdf", language="zh", renderer=renderer)
    images = assert_a4_and_not_blank(pdf, tmp_path)
    assert len(images) >= 3
    words = text(pdf)
    for heading in (
        "回测报告",
        "核心指标",
        "运行信息",
        "净值与基准",
        "回撤（水下曲线）",
        "月度收益",
        "滚动夏普与贝塔",
        "仓位与持仓数",
        "换手率",
        "交易费用",
        "成交记录",
        "佣金",
        "印花税",
        "过户费",
        "夏普比率",
    ):
        assert heading in words, heading
    assert runs[0].identity.code_hash[:16] in words


def test_english_tearsheet_pdf(runs, renderer, tmp_path):
    pdf = write_tearsheet(runs[1], tmp_path / "t.pdf", language="en", renderer=renderer)
    assert_a4_and_not_blank(pdf, tmp_path)
    words = text(pdf)
    for heading in (
        "Backtest tearsheet",
        "Headline metrics",
        "Equity vs benchmark",
        "Monthly returns",
        "Fees",
        "Stamp duty",
        "Trades",
    ):
        assert heading in words, heading


def test_comparison_pdf_and_result_report_method(runs, renderer, tmp_path):
    pdf = write_comparison(tmp_path / "c.pdf", runs, language="zh", renderer=renderer)
    assert_a4_and_not_blank(pdf, tmp_path)
    words = text(pdf)
    assert "回测对比报告" in words and "指标对比" in words and "参数" in words
    # BacktestResult.report starts (and closes) a Chromium of its own
    own = runs[0].report(tmp_path / "own" / "r.pdf", language="en")
    assert own.read_bytes().startswith(b"%PDF") and "Headline metrics" in text(own)


def test_pdf_prints_offline_and_waits_for_the_charts(renderer, tmp_path):
    html = (
        "<html><body data-charts='0'><h1>离线 offline</h1>"
        "<img src='https://cdn.example.invalid/x.png'></body></html>"
    )
    pdf = renderer.render(html, tmp_path / "offline.pdf")
    assert "离线 offline" in text(pdf)


def test_missing_chromium_is_a_clear_bilingual_error(monkeypatch, tmp_path):
    monkeypatch.setenv("QUANTLIB_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(ReportError, match="QUANTLIB_CHROMIUM"):
        find_chromium()
    monkeypatch.delenv("QUANTLIB_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ReportError, match=r"apt-get install chromium.*Chromium"):
        find_chromium()
