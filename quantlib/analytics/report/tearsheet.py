"""The tearsheet of one backtest, as a self-contained HTML page (screen or print)."""

from __future__ import annotations

from html import escape
from typing import Any

from bokeh.models import Model

from quantlib.analytics.report import charts as ch
from quantlib.analytics.report.content import ROLLING_WINDOW, TearsheetContent, build_content
from quantlib.analytics.report.page import Charts, Section, embed_charts, render_page
from quantlib.analytics.report.tables import (
    drawdown_table,
    fee_table,
    identity_table,
    metrics_grid,
    trade_list,
    yearly_table,
)

#: Headline metrics of every tearsheet, in order.
HEADLINE = (
    "total_return",
    "annual_return",
    "volatility",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_days",
    "var",
    "cvar",
    "win_rate",
    "profit_factor",
    "payoff_ratio",
    "avg_holding_days",
    "n_round_trips",
    "turnover",
    "exposure",
    "time_in_market",
    "n_trades",
    "total_fees",
    "final_equity",
)
#: Metrics added when the run has a benchmark.
RELATIVE = ("excess_return", "tracking_error", "information_ratio", "alpha", "beta")
#: Trades listed in a printed tearsheet (the HTML page lists all of them).
PRINT_TRADES = 100


def _figures(content: TearsheetContent, style: ch.ChartStyle, log_scale: bool) -> dict[str, Model]:
    labels = content.labels
    figures: dict[str, Model] = {
        "equity": ch.equity_chart(
            content.equity, content.benchmark, labels, style, log_scale=log_scale
        ),
        "drawdown": ch.drawdown_chart(content.drawdown, labels, style),
    }
    if not content.monthly.empty:
        figures["monthly"] = ch.monthly_heatmap(content.monthly, labels, style)
    if content.rolling_sharpe is not None:
        figures["rolling"] = ch.rolling_chart(
            content.rolling_sharpe, content.rolling_beta, content.window, labels, style
        )
    if content.exposure is not None:
        figures["exposure"] = ch.exposure_chart(
            content.exposure, content.n_positions, labels, style
        )
    if content.turnover is not None and not content.turnover.empty:
        figures["turnover"] = ch.turnover_chart(content.turnover, labels, style)
    if content.fees.sum() > 0:
        figures["fees"] = ch.fee_chart(content.fees, labels, style)
    return figures


def _sections(content: TearsheetContent, charts: Charts, style: ch.ChartStyle) -> list[Section]:
    labels = content.labels
    names = HEADLINE + (RELATIVE if content.benchmark is not None else ())
    sections: list[Section | None] = [
        Section("summary", labels["sec_summary"], metrics_grid(content.metrics, names, labels)),
        Section("identity", labels["sec_identity"], identity_table(content.identity, labels))
        if content.identity is not None
        else None,
        Section("equity", labels["sec_equity"], charts["equity"]),
        Section(
            "drawdown",
            labels["sec_drawdown"],
            charts["drawdown"]
            + f"<h3>{escape(labels['sec_drawdown_periods'])}</h3>"
            + drawdown_table(content.drawdown_periods, labels),
            page_break=style.for_print,
        ),
    ]
    if "monthly" in charts.divs:
        sections.append(
            Section(
                "monthly",
                labels["sec_monthly"],
                charts["monthly"]
                + f"<h3>{escape(labels['sec_yearly'])}</h3>"
                + yearly_table(content.yearly, labels),
            )
        )
    optional = (
        ("rolling", "sec_rolling"),
        ("exposure", "sec_exposure"),
        ("turnover", "sec_turnover"),
    )
    sections += [
        Section(key, labels[heading], charts[key])
        for key, heading in optional
        if key in charts.divs
    ]
    fees = fee_table(content.fees, content.traded_value, labels)
    if "fees" in charts.divs:
        fees = f"<div class='grid2'><div>{fees}</div><div>{charts['fees']}</div></div>"
    sections.append(Section("fees", labels["sec_fees"], fees))
    sections.append(
        Section(
            "trades",
            labels["sec_trades"],
            trade_list(content.trades, labels, interactive=not style.for_print, limit=PRINT_TRADES),
            page_break=style.for_print,
        )
    )
    return [s for s in sections if s is not None]


def tearsheet_html(
    result: Any,
    *,
    language: str | None = None,
    for_print: bool = False,
    log_scale: bool = False,
    window: int = ROLLING_WINDOW,
) -> str:
    """The tearsheet of ``result`` as one self-contained HTML document.

    Parameters
    ----------
    result
        A :class:`~quantlib.backtest.result.BacktestResult`.
    language
        ``"zh"`` or ``"en"``; default from ``QUANTLIB_REPORT_LANG`` / ``QUANTLIB_LANG``,
        else Chinese.
    for_print
        Lay out for an A4 page (fixed-width SVG charts, no tools, a shortened trade list)
        instead of the screen (stretching charts, tools, filterable trade list).
    log_scale
        Show the equity curve on a log scale (on screen: open the log tab first).
    window
        Days in the rolling Sharpe and beta windows.

    Raises
    ------
    ReportError
        If the result has no usable equity curve or an unusable benchmark.
    """
    content = build_content(result, language=language, window=window)
    labels = content.labels
    style = ch.ChartStyle(for_print=for_print)
    charts = embed_charts(_figures(content, style, log_scale))
    identity = content.identity
    strategy = identity.strategy if identity is not None else ""
    start, end = content.equity.index[0].date(), content.equity.index[-1].date()
    return render_page(
        title=f"{labels['tearsheet']} · {strategy}" if strategy else labels["tearsheet"],
        subtitle=f"{start} → {end}",
        sections=_sections(content, charts, style),
        labels=labels,
        charts=charts,
        notes=content.notes,
        for_print=for_print,
        interactive_tables=not for_print,
    )


__all__ = ["HEADLINE", "PRINT_TRADES", "RELATIVE", "tearsheet_html"]
