"""Writing reports to files: HTML as is, PDF through Chromium; the path is checked first."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from quantlib.analytics.report.compare import comparison_html
from quantlib.analytics.report.errors import ReportError
from quantlib.analytics.report.pdf import PdfRenderer, html_to_pdf
from quantlib.analytics.report.tearsheet import tearsheet_html
from quantlib.data.generations import write_atomic

#: Output formats and the file suffixes that imply them.
FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def report_format(path: str | Path, format: str | None = None) -> str:
    """``"html"`` or ``"pdf"``: ``format`` if given, else from the file's suffix."""
    chosen = format.lower() if format else FORMATS.get(Path(path).suffix.lower())
    if chosen not in ("html", "pdf"):
        raise ReportError(
            f"cannot tell the report format of {str(path)!r}: use a .html or .pdf file or "
            f"format='html'|'pdf' / 无法确定报告格式：请使用 .html 或 .pdf 文件，或指定 format"
        )
    return chosen


def writable_path(path: str | Path) -> Path:
    """``path`` with its folder created; raises :class:`ReportError` if it cannot be written."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ReportError(f"{target} is a directory, not a file / {target} 是目录而不是文件")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportError(
            f"cannot create the folder of {target}: {error.strerror or error} / "
            f"无法创建输出目录 {target.parent}"
        ) from error
    exists = target.exists()
    if (exists and not os.access(target, os.W_OK)) or (
        not exists and not os.access(target.parent, os.W_OK | os.X_OK)
    ):
        raise ReportError(f"cannot write {target}: permission denied / 无法写入 {target}：权限不足")
    return target


def _write(
    build: Callable[[bool], str],
    path: str | Path,
    format: str | None,
    renderer: PdfRenderer | None,
) -> Path:
    kind = report_format(path, format)
    target = writable_path(path)
    html = build(kind == "pdf")
    try:
        if kind == "pdf":
            return html_to_pdf(html, target, renderer=renderer)
        write_atomic(target, html.encode("utf-8"))
    except OSError as error:
        raise ReportError(f"cannot write {target}: {error} / 无法写入 {target}") from error
    return target


def write_tearsheet(
    result: Any,
    path: str | Path,
    *,
    format: str | None = None,
    language: str | None = None,
    log_scale: bool = False,
    renderer: PdfRenderer | None = None,
) -> Path:
    """Write the tearsheet of ``result`` to ``path`` as HTML or an A4 PDF.

    ``format`` defaults to the suffix of ``path``; ``renderer`` reuses a running
    Chromium for PDFs (one is started and closed otherwise). Returns the path written.

    Raises
    ------
    ReportError
        On an unknown format, an unwritable path, a result with nothing to report, or a
        PDF without Chromium.
    """
    return _write(
        lambda for_print: tearsheet_html(
            result, language=language, for_print=for_print, log_scale=log_scale
        ),
        path,
        format,
        renderer,
    )


def write_comparison(
    path: str | Path,
    runs: Sequence[Any] | Mapping[str, Any] = (),
    *,
    sweep: pd.DataFrame | None = None,
    format: str | None = None,
    renderer: PdfRenderer | None = None,
    **options: Any,
) -> Path:
    """Write a comparison report (see :func:`comparison_html` for ``runs``, ``sweep`` and
    ``options``) to ``path`` as HTML or an A4 PDF. Returns the path written."""
    return _write(
        lambda for_print: comparison_html(runs, sweep=sweep, for_print=for_print, **options),
        path,
        format,
        renderer,
    )


__all__ = ["FORMATS", "report_format", "writable_path", "write_comparison", "write_tearsheet"]
