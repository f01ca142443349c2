"""Print report HTML to an A4 PDF with headless Chromium (driven by Playwright).

The page is loaded from a local file with every network request refused, so a PDF is
made offline; printing waits until the bokeh charts have rendered. Chromium comes from
the system (Debian's ``chromium``; ``QUANTLIB_CHROMIUM`` names another binary), never
downloaded. Playwright's synchronous API cannot run on a thread with a running event
loop (Jupyter's), so a :class:`PdfRenderer` drives the browser from its own thread.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self

from quantlib.analytics.report.errors import ReportError

#: Chromium binaries looked for on PATH, in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Flags that keep a headless Chromium quiet on a closed network.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
#: Width in CSS pixels of an A4 page at 96 dpi; print layouts are built for it.
A4_WIDTH_PX = 794
#: True once every bokeh document on the page has finished rendering (or there is none).
_CHARTS_READY = """() => {
  const charts = document.body && document.body.dataset.charts === "1";
  if (!charts) return document.readyState === "complete";
  const B = window.Bokeh;
  return !!B && B.documents.length > 0 && B.documents.every((d) => d.is_idle);
}"""


def find_chromium() -> str:
    """Path of the Chromium binary to print with.

    Raises
    ------
    ReportError
        If ``QUANTLIB_CHROMIUM`` names no executable file, or none is on ``PATH``.
    """
    configured = os.environ.get("QUANTLIB_CHROMIUM")
    if configured:
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return configured
        raise ReportError(
            f"QUANTLIB_CHROMIUM={configured!r} is not an executable file / "
            f"QUANTLIB_CHROMIUM 指向的文件不可执行"
        )
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ReportError(
        "PDF reports need Chromium: install it (Debian/Ubuntu: apt-get install chromium, "
        "or run make system-deps) / 生成 PDF 报告需要 Chromium：请安装"
        "（Debian/Ubuntu：apt-get install chromium，或运行 make system-deps）"
    )


def _sync_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ReportError(
            "PDF reports need Playwright: pip install 'quantlib[notebook]' / "
            "生成 PDF 报告需要 Playwright：请执行 pip install 'quantlib[notebook]'"
        ) from None
    return sync_playwright


class PdfRenderer:
    """One headless Chromium that prints any number of HTML documents to PDF.

    Use as a context manager, or call :meth:`close` when done::

        with PdfRenderer() as renderer:
            renderer.render(html, "report.pdf")
    """

    def __init__(self, executable: str | None = None, *, timeout_s: float = 60.0) -> None:
        self.executable = executable or find_chromium()
        self.timeout_ms = timeout_s * 1000.0
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="quantlib-pdf")
        self._playwright: Any = None
        self._browser: Any = None
        try:
            self._thread.submit(self._start).result()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        self._playwright = _sync_playwright()().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self.executable, args=list(CHROMIUM_FLAGS)
            )
        except Exception as error:
            raise ReportError(
                f"cannot start Chromium {self.executable}: {str(error).splitlines()[0]} / "
                f"无法启动 Chromium"
            ) from error

    def render(self, html: str, path: str | Path) -> Path:
        """Print ``html`` (a self-contained page) to an A4 PDF at ``path``."""
        return self._thread.submit(self._render, html, Path(path)).result()

    def _render(self, html: str, path: Path) -> Path:
        if self._browser is None:
            raise ReportError("the PDF renderer is closed / PDF 渲染器已关闭")
        with tempfile.TemporaryDirectory(prefix="quantlib-report-") as folder:
            page_file = Path(folder) / "report.html"
            page_file.write_text(html, encoding="utf-8")
            page = self._browser.new_page(viewport={"width": A4_WIDTH_PX, "height": 1123})
            try:
                page.route("**/*", _offline)
                page.emulate_media(media="print")
                page.goto(page_file.as_uri(), wait_until="load", timeout=self.timeout_ms)
                page.wait_for_function(_CHARTS_READY, timeout=self.timeout_ms)
                pdf = page.pdf(
                    format="A4",
                    print_background=True,
                    prefer_css_page_size=True,
                    margin={"top": "12mm", "bottom": "14mm", "left": "10mm", "right": "10mm"},
                )
            finally:
                page.close()
        path.write_bytes(pdf)
        return path

    def close(self) -> None:
        """Close the browser and its thread (safe to call twice)."""
        if self._playwright is not None:
            self._thread.submit(self._stop).result()
        self._thread.shutdown(wait=True)

    def _stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        self._playwright.stop()
        self._playwright = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _offline(route: Any) -> None:
    """Let the page read local files and inline data only; refuse the network."""
    if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
        route.continue_()
    else:
        route.abort()


def html_to_pdf(html: str, path: str | Path, *, renderer: PdfRenderer | None = None) -> Path:
    """Print ``html`` to an A4 PDF at ``path``, with ``renderer`` or a Chromium of its own."""
    if renderer is not None:
        return renderer.render(html, path)
    with PdfRenderer() as own:
        return own.render(html, path)


__all__ = ["A4_WIDTH_PX", "PdfRenderer", "find_chromium", "html_to_pdf"]
