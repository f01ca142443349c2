"""A whole report shown inside a notebook cell, isolated in an ``<iframe>``.

The report's page keeps its own styles and scripts; the notebook's do not touch it, and
it works in JupyterLab, classic notebooks and Voila alike.
"""

from __future__ import annotations

from html import escape
from typing import Any

from quantlib.analytics.report.compare import comparison_html
from quantlib.analytics.report.tearsheet import tearsheet_html


class InlineReport:
    """A report page that Jupyter displays in a frame of ``height`` pixels."""

    def __init__(self, html: str, *, height: int = 900) -> None:
        self.html = html
        self.height = height

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{escape(self.html, quote=True)}" '
            f"style='width:100%;height:{self.height}px;border:1px solid #ddd' "
            "sandbox='allow-scripts allow-popups allow-downloads'></iframe>"
        )


def show_tearsheet(result: Any, *, height: int = 900, **options: Any) -> InlineReport:
    """The tearsheet of ``result`` for display in a notebook (options as for
    :func:`~quantlib.analytics.report.tearsheet.tearsheet_html`)."""
    return InlineReport(tearsheet_html(result, **options), height=height)


def show_comparison(runs: Any = (), *, height: int = 700, **options: Any) -> InlineReport:
    """A comparison report for display in a notebook (arguments as for
    :func:`~quantlib.analytics.report.compare.comparison_html`)."""
    return InlineReport(comparison_html(runs, **options), height=height)


__all__ = ["InlineReport", "show_comparison", "show_tearsheet"]
