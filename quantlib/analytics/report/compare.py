"""Comparison report: runs side by side (versions of a strategy, or a sweep's best sets).

Given two or more results, the report tabulates their metrics with the first run as the
baseline (cells better or worse than it are marked, with the difference), lists their
identities (differing parameters marked) and overlays their equity curves. Given a
sweep table (:func:`quantlib.backtest.sweep.run_sweep`), it shows the best parameter
sets by a metric and a heatmap of the metric over two parameters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from bokeh.models import Model

from quantlib.analytics.report import charts as ch
from quantlib.analytics.report.content import TearsheetContent, build_content
from quantlib.analytics.report.errors import ReportError
from quantlib.analytics.report.formatting import is_missing, metric_text
from quantlib.analytics.report.labels import (
    CLOSER_TO_ZERO_IS_BETTER,
    LOWER_IS_BETTER,
    METRICS,
    NEUTRAL,
    PERCENT,
    Labels,
)
from quantlib.analytics.report.page import Charts, Section, embed_charts, render_page
from quantlib.analytics.report.tables import Cell, table

#: Metrics compared across runs, in order.
COMPARED = (
    "total_return",
    "annual_return",
    "volatility",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_days",
    "win_rate",
    "profit_factor",
    "turnover",
    "exposure",
    "excess_return",
    "information_ratio",
    "alpha",
    "beta",
    "n_trades",
    "total_fees",
    "final_equity",
)
#: Sweep table columns that are never parameters.
_NOT_PARAMS = frozenset({*METRICS, "error", "n_rejected", "n_orders"})
#: Relative tolerance under which two values count as equal.
_SAME = 1e-9


def direction(name: str, value: float, base: float) -> str:
    """``"better"``, ``"worse"`` or ``"differs"`` for ``value`` against ``base`` (which
    must differ), by what a larger value of the metric means."""
    if name in NEUTRAL or name not in METRICS:
        return "differs"
    if name in CLOSER_TO_ZERO_IS_BETTER:
        better = abs(value) < abs(base)
    elif name in LOWER_IS_BETTER:
        better = value < base
    else:
        better = value > base
    return "better" if better else "worse"


def _same(value: Any, base: Any) -> bool:
    if is_missing(value) or is_missing(base):
        return is_missing(value) and is_missing(base)
    return math.isclose(float(value), float(base), rel_tol=_SAME, abs_tol=1e-12)


def _delta_text(name: str, delta: float) -> str:
    return f"{delta:+.2%}" if name in PERCENT else f"{delta:+,.2f}"


def _names(runs: Sequence[Any], given: Sequence[str] | None) -> list[str]:
    if given is not None:
        if len(given) != len(runs):
            raise ReportError(
                f"{len(given)} names for {len(runs)} runs / 名称数量 {len(given)} 与运行数量 "
                f"{len(runs)} 不符"
            )
        return [str(n) for n in given]
    names: list[str] = []
    for run in runs:
        ident = getattr(run, "identity", None)
        base = ident.strategy if ident is not None else "run"
        if ident is not None and ident.params:
            base += " " + ",".join(f"{k}={v}" for k, v in sorted(ident.params.items()))
        elif ident is not None and ident.code_hash:
            base += f" {ident.code_hash[:8]}"
        name, number = base, 2
        while name in names:
            name, number = f"{base} #{number}", number + 1
        names.append(name)
    return names


def _metrics_table(
    contents: Sequence[TearsheetContent], names: Sequence[str], labels: Labels
) -> str:
    header = [escape(labels["metric"])] + [
        escape(name) + (f" <small>({escape(labels['baseline'])})</small>" if i == 0 else "")
        for i, name in enumerate(names)
    ]
    rows = []
    for metric in COMPARED:
        values = [c.metrics.get(metric) for c in contents]
        if all(is_missing(v) for v in values):
            continue
        base = values[0]
        cells: list[Cell] = [
            escape(labels.metric(metric)),
            escape(metric_text(metric, base, labels)),
        ]
        for value in values[1:]:
            text = escape(metric_text(metric, value, labels))
            if _same(value, base):
                cells.append(text)
                continue
            if is_missing(value) or is_missing(base):
                kind = "differs"
            else:
                number, reference = float(value), float(base)  # type: ignore[arg-type]
                kind = direction(metric, number, reference)
                delta = _delta_text(metric, number - reference)
                text += f" <small>({escape(delta)})</small>"
            cells.append((text, kind))
        rows.append(cells)
    return table(header, rows, classes="compare num")


def _identity_table(
    contents: Sequence[TearsheetContent], names: Sequence[str], labels: Labels
) -> str:
    idents = [c.identity for c in contents]
    keys = sorted({k for ident in idents if ident is not None for k in ident.params})
    fields: list[tuple[str, list[str]]] = [
        (labels["id_strategy"], [getattr(i, "strategy", "") for i in idents]),
        (labels["id_code_hash"], [(getattr(i, "code_hash", "") or "")[:12] for i in idents]),
    ]
    fields += [
        (
            f"{labels['id_params']}: {key}",
            [repr(i.params.get(key)) if i is not None and key in i.params else "—" for i in idents],
        )
        for key in keys
    ]
    fields += [
        (
            labels["id_range"],
            [f"{getattr(i, 'start', '')} → {getattr(i, 'end', '')}" for i in idents],
        ),
        (labels["id_symbols"], [str(getattr(i, "n_symbols", "")) for i in idents]),
        (
            labels["id_snapshot"],
            [str(getattr(i, "snapshot", None) or labels["none"]) for i in idents],
        ),
    ]
    rows = [[escape(label), *map(escape, values)] for label, values in fields]
    marks = ["differs" if len(set(values)) > 1 else "" for _, values in fields]
    header = [""] + [escape(n) for n in names]
    return table(header, rows, classes="identity-compare", row_classes=marks)


def _sweep_params(sweep: pd.DataFrame, params: Sequence[str] | None) -> list[str]:
    if params is not None:
        missing = [p for p in params if p not in sweep.columns]
        if missing:
            raise ReportError(
                f"sweep table has no parameter column(s) {missing} / 扫描结果缺少参数列 {missing}"
            )
        return list(params)
    recorded = sweep.attrs.get("params")
    if recorded:
        return [p for p in recorded if p in sweep.columns]
    return [c for c in sweep.columns if c not in _NOT_PARAMS and not str(c).startswith("fees_")]


def _better_first(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER and metric not in CLOSER_TO_ZERO_IS_BETTER


def _sweep_sections(
    sweep: pd.DataFrame,
    *,
    params: Sequence[str] | None,
    heatmap: tuple[str, str] | None,
    metric: str,
    top: int,
    labels: Labels,
    style: ch.ChartStyle,
    notes: list[str],
) -> tuple[list[Section], dict[str, Model]]:
    if metric not in sweep.columns:
        raise ReportError(
            f"sweep table has no metric column {metric!r}; columns are "
            f"{list(map(str, sweep.columns))} / 扫描结果没有指标列 {metric!r}"
        )
    names = _sweep_params(sweep, params)
    values = pd.to_numeric(sweep[metric], errors="coerce")
    usable = sweep[
        values.notna() & values.map(lambda v: math.isfinite(v) if pd.notna(v) else False)
    ]
    failed = len(sweep) - len(usable)
    if failed:
        notes.append(labels.format("failed_sets", count=failed))
    if len(usable) < 2:
        raise ReportError(
            f"a sweep comparison needs at least 2 parameter sets with a finite {metric}, got "
            f"{len(usable)} / 参数扫描对比至少需要 2 组有效结果"
        )
    descending = _better_first(metric)
    if metric in CLOSER_TO_ZERO_IS_BETTER:
        order = usable[metric].astype(float).abs().sort_values(kind="stable").index
    else:
        order = (
            usable[metric].astype(float).sort_values(ascending=not descending, kind="stable").index
        )
    best = usable.loc[order[: max(top, 1)]]
    shown = [metric, *[m for m in COMPARED if m in best.columns and m != metric]]
    header = [escape(n) for n in names] + [escape(labels.metric(m)) for m in shown]
    winners: dict[str, Any] = {}
    for m in shown:
        column = pd.to_numeric(best[m], errors="coerce")
        if column.notna().any() and m not in NEUTRAL:
            if m in CLOSER_TO_ZERO_IS_BETTER:
                winners[m] = column.abs().idxmin()
            else:
                winners[m] = column.idxmax() if _better_first(m) else column.idxmin()
    body = []
    for index, row in best.iterrows():
        cells: list[Cell] = [escape(str(row[n])) for n in names]
        for m in shown:
            text = escape(metric_text(m, row[m], labels))
            cells.append((text, "best") if winners.get(m) == index else text)
        body.append(cells)
    legend = labels.format(
        "legend_sweep", top=len(best), total=len(usable), metric=labels.metric(metric)
    )
    top_table = f"<p class='note'>{escape(legend)}</p>" + table(header, body, classes="sweep num")
    top_table = top_table.replace("<td><b class='best'>", "<td class='best'><b>").replace(
        "</b></td>", "</b></td>"
    )
    sections = [Section("top", labels["sec_top"], top_table)]
    figures: dict[str, Model] = {}
    title_metric = labels.metric(metric)
    if len(names) >= 2 or (heatmap is not None):
        x, y = heatmap if heatmap is not None else (names[0], names[1])
        for axis in (x, y):
            if axis not in sweep.columns:
                raise ReportError(
                    f"sweep table has no parameter column {axis!r} / 扫描结果没有参数列 {axis!r}"
                )
        grouped = usable.assign(**{metric: usable[metric].astype(float)}).groupby([x, y])[metric]
        if metric in CLOSER_TO_ZERO_IS_BETTER:
            grid = grouped.apply(lambda s: s.iloc[int(np.argmin(s.abs().to_numpy()))])
        else:
            grid = grouped.max() if descending else grouped.min()
        title = labels.format("best_over_rest", metric=title_metric, x=x, y=y)
        figures["heatmap"] = ch.parameter_heatmap(grid.reset_index(), x, y, metric, title, style)
    elif len(names) == 1:
        title = labels.format("by_param", metric=title_metric, x=names[0])
        figures["heatmap"] = ch.parameter_bars(usable, names[0], metric, title, style)
    return sections, figures


def comparison_html(
    runs: Sequence[Any] | Mapping[str, Any] = (),
    *,
    names: Sequence[str] | None = None,
    sweep: pd.DataFrame | None = None,
    params: Sequence[str] | None = None,
    heatmap: tuple[str, str] | None = None,
    metric: str = "sharpe",
    top: int = 10,
    language: str | None = None,
    for_print: bool = False,
) -> str:
    """A comparison report as one self-contained HTML document.

    Parameters
    ----------
    runs
        Results to put side by side (a sequence, or a mapping of name to result); the
        first is the baseline. Two or more, unless ``sweep`` is given.
    names
        Column names for ``runs`` (default: strategy and parameters).
    sweep
        A sweep table (:func:`~quantlib.backtest.sweep.run_sweep`): its ``top`` best
        rows by ``metric`` are tabulated and ``metric`` is drawn over two parameters.
    params
        The sweep's parameter columns (default: ``sweep.attrs["params"]``, else the
        columns that are not metrics).
    heatmap
        The two parameters of the heatmap (default: the first two).
    metric, top
        The metric that ranks parameter sets, and how many rows to list.
    language, for_print
        As for :func:`~quantlib.analytics.report.tearsheet.tearsheet_html`.

    Raises
    ------
    ReportError
        With fewer than two runs and no sweep, on a result without a usable equity
        curve, or a sweep without the metric or parameter columns asked for.
    """
    labels = Labels(language)
    if isinstance(runs, Mapping):
        names, runs = list(runs.keys()), list(runs.values())
    runs = list(runs)
    if sweep is None and len(runs) < 2:
        raise ReportError(
            f"a comparison needs at least two runs (or a sweep table), got {len(runs)} / "
            f"对比报告至少需要两个运行结果（或一张参数扫描表），收到 {len(runs)} 个"
        )
    if len(runs) == 1:
        raise ReportError("comparing runs needs at least two / 对比运行结果至少需要两个")
    style = ch.ChartStyle(for_print=for_print)
    notes: list[str] = []
    sections: list[Section] = []
    figures: dict[str, Model] = {}
    run_names = _names(runs, names)
    if runs:
        contents = [build_content(run, language=labels.language) for run in runs]
        for name, content in zip(run_names, contents, strict=True):
            notes += [f"{name}: {note}" for note in content.notes]
        figures["overlay"] = ch.overlay_chart(
            [(n, c.equity) for n, c in zip(run_names, contents, strict=True)], labels, style
        )
        legend = f"<p class='note'>{escape(labels['legend_compare'])}</p>"
        sections += [
            Section(
                "metrics",
                labels["sec_metrics_table"],
                legend + _metrics_table(contents, run_names, labels),
            ),
            Section("overlay", labels["sec_overlay"], ""),
            Section("params", labels["sec_params"], _identity_table(contents, run_names, labels)),
        ]
    if sweep is not None:
        swept, sweep_figures = _sweep_sections(
            sweep,
            params=params,
            heatmap=heatmap,
            metric=metric,
            top=top,
            labels=labels,
            style=style,
            notes=notes,
        )
        sections += swept
        figures.update(sweep_figures)
        if "heatmap" in figures:
            sections.append(Section("heatmap", labels["sec_heatmap"], ""))
    charts = embed_charts(figures)
    sections = [_with_chart(s, charts) for s in sections]
    title = labels["comparison"] if runs else labels["sweep_comparison"]
    subtitle = (
        " · ".join(run_names) if runs else f"{len(sweep) if sweep is not None else 0} × {metric}"
    )
    return render_page(
        title=title,
        subtitle=subtitle,
        sections=sections,
        labels=labels,
        charts=charts,
        notes=notes,
        for_print=for_print,
    )


def _with_chart(section: Section, charts: Charts) -> Section:
    if section.id in charts.divs:
        return Section(
            section.id, section.heading, charts[section.id] + section.body, section.page_break
        )
    return section


__all__ = ["COMPARED", "comparison_html", "direction"]
