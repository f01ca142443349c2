"""Bokeh figures of the tearsheet and the comparison report.

Each function takes plain pandas data and a :class:`ChartStyle`, and returns a bokeh
model. On screen the figures stretch to the page and keep their tools; for print they
have the width of an A4 page, no toolbar, and draw as SVG. Gains are red and losses
green, as on China's exchanges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from bokeh.core.properties import value as fixed
from bokeh.models import (
    BasicTicker,
    ColorBar,
    ColumnDataSource,
    DataRange1d,
    DatetimeTickFormatter,
    FactorRange,
    HoverTool,
    LinearAxis,
    LinearColorMapper,
    Model,
    NumeralTickFormatter,
    Range1d,
    TabPanel,
    Tabs,
)
from bokeh.palettes import Category10, RdYlGn
from bokeh.plotting import figure

from quantlib.analytics.report.labels import Labels

#: Fonts for chart text, CJK first so that Chinese never falls back to boxes.
FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
#: Loss (green) to gain (red).
DIVERGING = RdYlGn[11]
STRATEGY_COLOR = "#c0392b"
BENCHMARK_COLOR = "#7f8c8d"
#: Width of a chart on an A4 page, in CSS pixels.
PRINT_WIDTH = 700


@dataclass(frozen=True)
class ChartStyle:
    """How figures are laid out: on screen (stretching, with tools) or for print."""

    for_print: bool = False
    height: int = 260

    def figure(self, title: str, *, height: int | None = None, **options: object) -> figure:
        """A figure with the report's fonts, size and tools."""
        size: dict[str, object] = (
            {"width": PRINT_WIDTH, "output_backend": "svg", "toolbar_location": None}
            if self.for_print
            else {"sizing_mode": "stretch_width", "tools": "pan,wheel_zoom,box_zoom,reset,save"}
        )
        fig = figure(title=title, height=height or self.height, **size, **options)
        fig.title.text_font = FONT
        fig.title.text_font_size = "13px"
        for axis in (*fig.xaxis, *fig.yaxis):
            axis.axis_label_text_font = FONT
            axis.major_label_text_font = FONT
        fig.toolbar.logo = None
        fig.toolbar.autohide = True
        fig.grid.grid_line_alpha = 0.4
        return fig


def _time_figure(
    style: ChartStyle, title: str, *, height: int | None = None, **options: object
) -> figure:
    fig = style.figure(title, height=height, x_axis_type="datetime", **options)
    fig.xaxis.formatter = DatetimeTickFormatter(months="%Y-%m", days="%Y-%m-%d")
    return fig


def _legend(fig: figure) -> None:
    if fig.legend:
        fig.legend.location = "top_left"
        fig.legend.label_text_font = FONT
        fig.legend.label_text_font_size = "11px"
        fig.legend.background_fill_alpha = 0.6
        fig.legend.click_policy = "hide"


def _date_hover(fig: figure, value: str, fmt: str) -> None:
    fig.add_tools(
        HoverTool(
            tooltips=[("", "@x{%F}"), ("", f"@{{{value}}}{{{fmt}}}")],
            formatters={"@x": "datetime"},
            mode="vline",
        )
    )


def growth(series: pd.Series) -> pd.Series:
    """A curve divided by its first valid value (the growth of 1)."""
    clean = series.dropna()
    if clean.empty or clean.iloc[0] == 0:
        return clean
    return clean / clean.iloc[0]


def equity_chart(
    equity: pd.Series,
    benchmark: pd.Series | None,
    labels: Labels,
    style: ChartStyle,
    *,
    log_scale: bool = False,
) -> Model:
    """Growth of 1 for the strategy and the benchmark; on screen, linear and log tabs."""

    def build(log: bool) -> figure:
        fig = _time_figure(
            style,
            f"{labels['sec_equity']} · {labels['log'] if log else labels['linear']}",
            y_axis_type="log" if log else "linear",
        )
        fig.yaxis.axis_label = labels["growth"]
        curve = growth(equity)
        source = ColumnDataSource({"x": curve.index, "y": curve.to_numpy()})
        fig.line(
            "x",
            "y",
            source=source,
            color=STRATEGY_COLOR,
            width=1.6,
            legend_label=labels["strategy"],
        )
        if benchmark is not None and not benchmark.dropna().empty:
            # a benchmark starting later starts where the strategy stood on that day
            bench = growth(benchmark)
            start = bench.index[0]
            level = curve.loc[:start].iloc[-1] if start >= curve.index[0] else 1.0
            line = bench * float(level)
            fig.line(
                line.index,
                line.to_numpy(),
                color=BENCHMARK_COLOR,
                width=1.2,
                legend_label=labels["benchmark"],
            )
        _date_hover(fig, "y", "0.000")
        _legend(fig)
        return fig

    if style.for_print:
        return build(log_scale)
    linear, log = build(False), build(True)
    log.x_range = linear.x_range
    panels = [
        TabPanel(child=linear, title=labels["linear"]),
        TabPanel(child=log, title=labels["log"]),
    ]
    return Tabs(tabs=panels, active=1 if log_scale else 0, sizing_mode="stretch_width")


def drawdown_chart(drawdown: pd.Series, labels: Labels, style: ChartStyle) -> figure:
    """The underwater curve: fall from the running peak, as a shaded area."""
    fig = _time_figure(style, labels["sec_drawdown"], height=200)
    source = ColumnDataSource({"x": drawdown.index, "y": drawdown.to_numpy()})
    fig.varea(x="x", y1=0.0, y2="y", source=source, color="#1a9850", alpha=0.35)
    fig.line("x", "y", source=source, color="#1a9850", width=1.0)
    fig.yaxis.formatter = NumeralTickFormatter(format="0%")
    fig.yaxis.axis_label = labels["drawdown"]
    _date_hover(fig, "y", "0.00%")
    return fig


def _heat_cells(
    fig: figure, frame: pd.DataFrame, x: str, y: str, mapper: LinearColorMapper
) -> None:
    """Coloured cells of a heatmap (``frame``'s ``value``) with their ``text`` on them."""
    source = ColumnDataSource(frame)
    fig.rect(
        x,
        y,
        1,
        1,
        source=source,
        line_color="white",
        fill_color={"field": "value", "transform": mapper},
    )
    fig.text(
        x,
        y,
        text="text",
        source=source,
        text_align="center",
        text_baseline="middle",
        text_font_size="10px",
        text_font=fixed(FONT),
    )


def monthly_heatmap(monthly: pd.DataFrame, labels: Labels, style: ChartStyle) -> figure:
    """Monthly returns, years down and months across, each cell labelled."""
    months = [labels.month(m) for m in range(1, 13)]
    years = [str(y) for y in monthly.index]
    rows = []
    for year, row in monthly.iterrows():
        for month in range(1, 13):
            value = row.get(month, np.nan)
            if pd.notna(value):
                rows.append((str(year), labels.month(month), float(value), f"{float(value):.1%}"))
    frame = pd.DataFrame(rows, columns=["year", "month", "value", "text"])
    reach = float(frame["value"].abs().max()) if len(frame) else 0.0
    reach = reach if reach > 0 else 0.01
    mapper = LinearColorMapper(palette=DIVERGING, low=-reach, high=reach)
    fig = style.figure(
        labels["sec_monthly"],
        x_range=FactorRange(*months),
        y_range=FactorRange(*reversed(years)),
        height=max(120, 60 + 28 * len(years)),
    )
    _heat_cells(fig, frame, "month", "year", mapper)
    fig.grid.visible = False
    fig.axis.major_tick_line_color = None
    fig.axis.axis_line_color = None
    fig.add_tools(HoverTool(tooltips=[("", "@year @month"), ("", "@value{0.00%}")]))
    return fig


def rolling_chart(
    sharpe: pd.Series | None,
    beta: pd.Series | None,
    window: int,
    labels: Labels,
    style: ChartStyle,
) -> figure:
    """Rolling Sharpe ratio (left axis) and rolling beta to the benchmark (right axis)."""
    fig = _time_figure(style, labels["sec_rolling"], height=220)
    if sharpe is not None:
        clean = sharpe.dropna()
        main = fig.line(
            clean.index,
            clean.to_numpy(),
            color=STRATEGY_COLOR,
            width=1.3,
            legend_label=labels.format("rolling_sharpe", window=window),
        )
        fig.yaxis.axis_label = labels.format("rolling_sharpe", window=window)
        fig.y_range = DataRange1d(renderers=[main])
    if beta is not None and not beta.dropna().empty:
        clean = beta.dropna()
        low, high = float(clean.min()), float(clean.max())
        pad = max((high - low) * 0.1, 0.05)
        fig.extra_y_ranges = {"beta": Range1d(low - pad, high + pad)}
        axis = LinearAxis(
            y_range_name="beta", axis_label=labels.format("rolling_beta", window=window)
        )
        axis.axis_label_text_font = FONT
        fig.add_layout(axis, "right")
        fig.line(
            clean.index,
            clean.to_numpy(),
            color="#2471a3",
            width=1.1,
            y_range_name="beta",
            legend_label=labels.format("rolling_beta", window=window),
        )
    _legend(fig)
    return fig


def exposure_chart(
    exposure: pd.Series, n_positions: pd.Series | None, labels: Labels, style: ChartStyle
) -> figure:
    """Invested share of equity (left axis) and the number of holdings (right axis)."""
    fig = _time_figure(style, labels["sec_exposure"], height=220)
    source = ColumnDataSource({"x": exposure.index, "y": exposure.to_numpy()})
    fig.varea(x="x", y1=0.0, y2="y", source=source, color="#c0392b", alpha=0.2)
    main = fig.line(
        "x", "y", source=source, color="#c0392b", width=1.1, legend_label=labels["exposure"]
    )
    fig.yaxis.formatter = NumeralTickFormatter(format="0%")
    fig.y_range = DataRange1d(renderers=[main], start=0)
    if n_positions is not None and not n_positions.empty:
        top = float(max(n_positions.max(), 1)) * 1.1
        fig.extra_y_ranges = {"count": Range1d(0, top)}
        axis = LinearAxis(y_range_name="count", axis_label=labels["n_positions"])
        axis.axis_label_text_font = FONT
        fig.add_layout(axis, "right")
        fig.step(
            n_positions.index,
            n_positions.to_numpy(),
            mode="after",
            color="#2c3e50",
            width=1.0,
            y_range_name="count",
            legend_label=labels["n_positions"],
        )
    _legend(fig)
    return fig


def turnover_chart(turnover: pd.Series, labels: Labels, style: ChartStyle) -> figure:
    """Turnover summed by month, as bars."""
    fig = _time_figure(style, labels["turnover_month"], height=200)
    width_ms = 20 * 24 * 3600 * 1000
    fig.vbar(x=turnover.index, top=turnover.to_numpy(), width=width_ms, color="#5d6d7e")
    fig.yaxis.formatter = NumeralTickFormatter(format="0%")
    fig.y_range.start = 0
    return fig


def fee_chart(fees: pd.Series, labels: Labels, style: ChartStyle) -> figure:
    """Fees by kind as horizontal bars (yuan)."""
    names = [labels[f"fee_{kind}"] for kind in fees.index]
    fig = style.figure(labels["sec_fees"], y_range=FactorRange(*reversed(names)), height=170)
    fig.hbar(y=names, right=fees.to_numpy(), height=0.6, color="#8e44ad")
    fig.xaxis.axis_label = labels["amount"]
    fig.xaxis.formatter = NumeralTickFormatter(format="0,0")
    fig.x_range.start = 0
    fig.ygrid.visible = False
    return fig


def overlay_chart(
    curves: Sequence[tuple[str, pd.Series]], labels: Labels, style: ChartStyle
) -> figure:
    """Several runs' growth of 1 on one chart."""
    fig = _time_figure(style, labels["sec_overlay"], height=300)
    palette = Category10[10]
    for number, (name, curve) in enumerate(curves):
        line = growth(curve)
        fig.line(
            line.index,
            line.to_numpy(),
            color=palette[number % len(palette)],
            width=1.4,
            legend_label=name,
        )
    fig.yaxis.axis_label = labels["growth"]
    _legend(fig)
    return fig


def parameter_heatmap(
    table: pd.DataFrame, x: str, y: str, metric: str, title: str, style: ChartStyle
) -> figure:
    """A metric over two parameters; ``table`` has one row per (x, y) pair."""
    xs = [str(v) for v in sorted(table[x].unique())]
    ys = [str(v) for v in sorted(table[y].unique())]
    frame = pd.DataFrame(
        {
            "x": table[x].astype(str),
            "y": table[y].astype(str),
            "value": table[metric].astype(float),
            "text": [f"{v:.3g}" if np.isfinite(v) else "" for v in table[metric].astype(float)],
        }
    )
    finite = frame["value"][np.isfinite(frame["value"])]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if low == high:
        low, high = low - 0.5, high + 0.5
    mapper = LinearColorMapper(palette=DIVERGING, low=low, high=high, nan_color="#eeeeee")
    fig = style.figure(
        title,
        x_range=FactorRange(*xs),
        y_range=FactorRange(*ys),
        height=max(200, 80 + 34 * len(ys)),
    )
    _heat_cells(fig, frame, "x", "y", mapper)
    fig.xaxis.axis_label = x
    fig.yaxis.axis_label = y
    fig.grid.visible = False
    fig.add_layout(ColorBar(color_mapper=mapper, ticker=BasicTicker(desired_num_ticks=6)), "right")
    fig.add_tools(HoverTool(tooltips=[(x, "@x"), (y, "@y"), (metric, "@value")]))
    return fig


def parameter_bars(
    table: pd.DataFrame, x: str, metric: str, title: str, style: ChartStyle
) -> figure:
    """A metric over one parameter, as bars."""
    ordered = table.sort_values(x)
    xs = [str(v) for v in ordered[x]]
    fig = style.figure(title, x_range=FactorRange(*xs), height=240)
    fig.vbar(x=xs, top=ordered[metric].astype(float).to_numpy(), width=0.7, color="#2471a3")
    fig.xaxis.axis_label = x
    fig.yaxis.axis_label = metric
    return fig


__all__ = [
    "FONT",
    "PRINT_WIDTH",
    "ChartStyle",
    "drawdown_chart",
    "equity_chart",
    "exposure_chart",
    "fee_chart",
    "growth",
    "monthly_heatmap",
    "overlay_chart",
    "parameter_bars",
    "parameter_heatmap",
    "rolling_chart",
    "turnover_chart",
]
