"""The rich display of a result in Jupyter: headline metrics and an inline SVG sparkline.

Plain HTML and SVG, no script, so it shows in JupyterLab, in saved notebooks and on
GitHub alike.
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd

from quantlib.analytics.report.charts import BENCHMARK_COLOR, STRATEGY_COLOR, growth
from quantlib.analytics.report.content import build_content
from quantlib.analytics.report.errors import ReportError
from quantlib.analytics.report.formatting import metric_text
from quantlib.analytics.report.labels import Labels

#: Metrics in the summary, in order.
SUMMARY = (
    "total_return",
    "annual_return",
    "sharpe",
    "max_drawdown",
    "volatility",
    "excess_return",
    "n_trades",
    "final_equity",
)
#: Size of the sparkline in pixels.
WIDTH, HEIGHT = 260, 64


def _points(curve: pd.Series, low: float, high: float, start: pd.Timestamp, span: float) -> str:
    seconds = (pd.DatetimeIndex(curve.index) - start).total_seconds().to_numpy()
    xs = seconds / span * (WIDTH - 4) + 2
    ys = HEIGHT - 2 - (curve.to_numpy() - low) / (high - low) * (HEIGHT - 4)
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


def sparkline(equity: pd.Series, benchmark: pd.Series | None = None) -> str:
    """An inline SVG of the growth of 1 of ``equity`` (and of ``benchmark``, in grey)."""
    curves = [(growth(equity), STRATEGY_COLOR, 1.5)]
    if benchmark is not None:
        bench = growth(benchmark.loc[equity.index[0] : equity.index[-1]])
        if len(bench) > 1:
            curves.insert(0, (bench, BENCHMARK_COLOR, 1.0))
    values = np.concatenate([c.to_numpy() for c, _, _ in curves])
    low, high = float(values.min()), float(values.max())
    if high <= low:
        low, high = low - 0.5, high + 0.5
    start = pd.Timestamp(equity.index[0])
    span = max((pd.Timestamp(equity.index[-1]) - start).total_seconds(), 1.0)
    baseline = HEIGHT - 2 - (1.0 - low) / (high - low) * (HEIGHT - 4)
    lines = "".join(
        f"<polyline fill='none' stroke='{color}' stroke-width='{width}' "
        f"points='{_points(curve, low, high, start, span)}'/>"
        for curve, color, width in curves
    )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' "
        f"viewBox='0 0 {WIDTH} {HEIGHT}' role='img'>"
        f"<line x1='0' x2='{WIDTH}' y1='{baseline:.1f}' y2='{baseline:.1f}' stroke='#ccc' "
        f"stroke-dasharray='3,3'/>{lines}</svg>"
    )


def summary_html(result: Any, *, language: str | None = None) -> str:
    """Headline metrics and a sparkline of ``result``; a sentence instead if it has
    nothing to show."""
    labels = Labels(language)
    ident = getattr(result, "identity", None)
    title = escape(getattr(ident, "strategy", "") or labels["tearsheet"])
    try:
        content = build_content(result, language=labels.language)
    except ReportError as error:
        return f"<div><b>{title}</b><p>{escape(str(error))}</p></div>"
    cells = "".join(
        f"<tr><th style='text-align:left;font-weight:normal;padding:1px 8px 1px 0'>"
        f"{escape(labels.metric(name))}</th><td style='text-align:right;padding:1px 0'>"
        f"<b>{escape(metric_text(name, content.metrics.get(name), labels))}</b></td></tr>"
        for name in SUMMARY
        if name != "excess_return" or content.benchmark is not None
    )
    span = f"{content.equity.index[0].date()} → {content.equity.index[-1].date()}"
    notes = "".join(f"<li>{escape(n)}</li>" for n in content.notes)
    notes_html = f"<ul style='margin:4px 0;color:#8a6d3b'>{notes}</ul>" if notes else ""
    legend = f"<span style='color:{STRATEGY_COLOR}'>━ {escape(labels['strategy'])}</span>" + (
        f" <span style='color:{BENCHMARK_COLOR}'>━ {escape(labels['benchmark'])}</span>"
        if content.benchmark is not None
        else ""
    )
    return (
        "<div style='font-family:sans-serif;font-size:13px'>"
        f"<div><b>{title}</b> <span style='color:#666'>{escape(span)}</span></div>"
        "<div style='display:flex;gap:18px;align-items:flex-start;margin-top:4px'>"
        f"<table style='border-collapse:collapse'>{cells}</table>"
        f"<div>{sparkline(content.equity, content.benchmark)}"
        f"<div style='font-size:11px'>{legend}</div></div></div>{notes_html}</div>"
    )


__all__ = ["SUMMARY", "sparkline", "summary_html"]
