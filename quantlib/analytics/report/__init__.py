"""Backtest reports: an interactive HTML tearsheet, the same for print as an A4 PDF, a
comparison of runs or of a parameter sweep, and the rich Jupyter display of a result.

Every report is one self-contained file that opens offline (bokeh and the styles are
inlined); PDFs are printed by a headless Chromium. Text is Simplified Chinese or English
(``language="zh"|"en"``; default ``QUANTLIB_REPORT_LANG``, then ``QUANTLIB_LANG``, then
Chinese)::

    from quantlib.analytics.report import write_tearsheet, write_comparison

    write_tearsheet(result, "tearsheet.html")
    write_tearsheet(result, "tearsheet.pdf", language="en")
    write_comparison("compare.html", [result_a, result_b])
    write_comparison("sweep.html", sweep=table, metric="sharpe", heatmap=("fast", "slow"))
    show_tearsheet(result)  # in a notebook: the whole tearsheet in the cell's output
"""

from quantlib.analytics.report.compare import comparison_html
from quantlib.analytics.report.errors import ReportError
from quantlib.analytics.report.inline import InlineReport, show_comparison, show_tearsheet
from quantlib.analytics.report.labels import Labels, report_language
from quantlib.analytics.report.output import write_comparison, write_tearsheet
from quantlib.analytics.report.pdf import PdfRenderer, html_to_pdf
from quantlib.analytics.report.summary import summary_html
from quantlib.analytics.report.tearsheet import tearsheet_html

__all__ = [
    "InlineReport",
    "Labels",
    "PdfRenderer",
    "ReportError",
    "comparison_html",
    "html_to_pdf",
    "report_language",
    "show_comparison",
    "show_tearsheet",
    "summary_html",
    "tearsheet_html",
    "write_comparison",
    "write_tearsheet",
]
