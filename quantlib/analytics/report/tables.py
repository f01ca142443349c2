"""HTML tables of the reports: metrics, run identity, fees, drawdowns, trades.

Every value is escaped; missing numbers show as ``n/a`` (``不适用``), never as a number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

import pandas as pd

from quantlib.analytics.report.formatting import date_text, is_missing, metric_text, percent_text
from quantlib.analytics.report.labels import Labels

#: The fee kinds of a trade, in report order.
FEE_KINDS = ("commission", "stamp_duty", "transfer_fee", "exchange_fees")


#: A table cell: escaped HTML, or escaped HTML with a CSS class.
Cell = str | tuple[str, str]


def _cell(tag: str, cell: Cell) -> str:
    if isinstance(cell, tuple):
        html, css = cell
        return f"<{tag} class='{css}'>{html}</{tag}>"
    return f"<{tag}>{cell}</{tag}>"


def table(
    header: Sequence[str] | None,
    rows: Iterable[Sequence[Cell]],
    *,
    classes: str = "",
    row_classes: Sequence[str] | None = None,
) -> str:
    """A table of escaped HTML cells (the first cell of a row is its heading)."""
    head = "".join(f"<th>{cell}</th>" for cell in header) if header else ""
    body = []
    for number, row in enumerate(rows):
        css = f" class='{row_classes[number]}'" if row_classes and row_classes[number] else ""
        cells = "".join(
            _cell("th" if column == 0 else "td", cell) for column, cell in enumerate(row)
        )
        body.append(f"<tr{css}>{cells}</tr>")
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f"<table class='{classes}'>{thead}<tbody>{''.join(body)}</tbody></table>"


def metrics_grid(metrics: Mapping[str, Any], names: Sequence[str], labels: Labels) -> str:
    """Headline metrics as label/value pairs in two columns of a table."""
    pairs = [
        (escape(labels.metric(name)), escape(metric_text(name, metrics.get(name), labels)))
        for name in names
    ]
    half = (len(pairs) + 1) // 2
    rows = []
    for left, right in zip(pairs[:half], [*pairs[half:], ("", "")], strict=False):
        rows.append([left[0], left[1], f"<b>{right[0]}</b>" if right[0] else "", right[1]])
    cells = []
    for row in rows:
        cells.append(
            f"<tr><th>{row[0]}</th><td class='num'>{row[1]}</td>"
            f"<th>{row[2]}</th><td class='num'>{row[3]}</td></tr>"
        )
    return f"<table class='metrics'><tbody>{''.join(cells)}</tbody></table>"


def identity_table(identity: Any, labels: Labels) -> str:
    """Strategy, version hash, parameters, data range, snapshot and settings of a run."""
    config = dict(identity.config or {})
    params = ", ".join(f"{k}={v!r}" for k, v in sorted(identity.params.items()))
    cash = config.get("cash")
    rows = [
        ("id_strategy", identity.strategy),
        ("id_code_hash", identity.code_hash[:16] or labels["none"]),
        ("id_params", params or labels["none"]),
        ("id_range", f"{identity.start} → {identity.end}"),
        ("id_symbols", f"{identity.n_symbols} ({identity.symbols_hash or labels['none']})"),
        ("id_snapshot", identity.snapshot or labels["none"]),
        ("id_cash", f"{float(cash):,.2f}" if isinstance(cash, int | float) else labels["none"]),
        ("id_benchmark", config.get("benchmark") or labels["none"]),
        ("id_version", identity.quantlib_version or labels["none"]),
        ("id_created", identity.created or labels["none"]),
    ]
    return table(
        None, ([escape(labels[key]), escape(str(value))] for key, value in rows), classes="identity"
    )


def fee_table(fees: pd.Series, traded_value: float, labels: Labels) -> str:
    """Fees by kind with their share of the total, and the total against traded value."""
    total = float(fees.sum())
    rows = [
        [
            escape(labels[f"fee_{kind}"]),
            f"{float(fees[kind]):,.2f}",
            percent_text(float(fees[kind]) / total if total else None, labels),
        ]
        for kind in fees.index
    ]
    rows.append(
        [escape(labels["total"]), f"{total:,.2f}", percent_text(1.0 if total else None, labels)]
    )
    share = percent_text(total / traded_value if traded_value else None, labels, digits=3)
    header = ["", escape(labels["amount"]), escape(labels["share"])]
    note = f"<p class='note'>{escape(labels.format('fees_of_traded', share=share))}</p>"
    return table(header, rows, classes="fees num") + note


def drawdown_table(periods: pd.DataFrame, labels: Labels) -> str:
    """The worst drawdowns: peak, trough, recovery (or not yet), depth and length."""
    rows = []
    for _, period in periods.iterrows():
        recovery = period.get("recovery")
        rows.append(
            [
                escape(date_text(period.get("peak"))),
                escape(date_text(period.get("trough"))),
                escape(
                    date_text(recovery) if not is_missing(recovery) else labels["not_recovered"]
                ),
                escape(percent_text(period.get("depth"), labels, digits=2)),
                escape(metric_text("max_drawdown_days", period.get("duration_days"), labels)),
            ]
        )
    header = [
        escape(labels[k]) for k in ("dd_peak", "dd_trough", "dd_recovery", "dd_depth", "dd_days")
    ]
    return table(header, rows, classes="drawdowns num")


def yearly_table(yearly: pd.Series, labels: Labels) -> str:
    """Each calendar year's return."""
    rows = [
        [escape(str(year)), escape(percent_text(value, labels, digits=2))]
        for year, value in yearly.items()
    ]
    return table([escape(labels["year"]), escape(labels["return"])], rows, classes="yearly num")


def trade_rows(trades: pd.DataFrame) -> list[list[Any]]:
    """Trades as JSON-ready rows: date, symbol, side, quantity, price, value, fees."""
    if trades.empty:
        return []
    kinds = [k for k in FEE_KINDS if k in trades.columns]
    fees = trades[kinds].sum(axis=1) if kinds else pd.Series(0.0, index=trades.index)
    times = pd.to_datetime(trades["time"])
    return [
        [str(t.date()), str(s), str(side), float(q), float(p), float(v), float(f)]
        for t, s, side, q, p, v, f in zip(
            times,
            trades["symbol"],
            trades["side"],
            trades["quantity"],
            trades["price"],
            trades["value"],
            fees,
            strict=True,
        )
    ]


def trade_list(trades: pd.DataFrame, labels: Labels, *, interactive: bool, limit: int) -> str:
    """The trade list: on screen with filters (symbol, side, date range), for print the
    first ``limit`` rows with a note saying how many are left out."""
    rows = trade_rows(trades)
    columns = [
        "col_time",
        "col_symbol",
        "col_side",
        "col_quantity",
        "col_price",
        "col_value",
        "col_fees",
    ]
    header = [escape(labels[c]) for c in columns]
    sides = {"buy": labels["buy"], "sell": labels["sell"]}
    if not interactive:
        shown = rows[:limit]
        body = [
            [
                escape(r[0]),
                escape(r[1]),
                escape(sides.get(r[2], r[2])),
                f"{r[3]:,.0f}",
                f"{r[4]:,.3f}",
                f"{r[5]:,.2f}",
                f"{r[6]:,.2f}",
            ]
            for r in shown
        ]
        html = table(header, body, classes="trades num")
        if len(rows) > len(shown):
            note = labels.format("trades_truncated", shown=len(shown), total=len(rows))
            html += f"<p class='note'>{escape(note)}</p>"
        return html
    payload = {
        "rows": rows,
        "sides": sides,
        "shown": labels["shown_rows"],
    }
    options = "".join(
        f"<option value='{value}'>{escape(text)}</option>"
        for value, text in (
            ("", labels["filter_all"]),
            ("buy", labels["buy"]),
            ("sell", labels["sell"]),
        )
    )
    controls = [
        ("filter_symbol", "<input type='search' data-filter='symbol'>"),
        ("filter_side", f"<select data-filter='side'>{options}</select>"),
        ("filter_from", "<input type='date' data-filter='from'>"),
        ("filter_to", "<input type='date' data-filter='to'>"),
    ]
    fields = "".join(f"<label>{escape(labels[key])} {control}</label>" for key, control in controls)
    filters = f"<div class='filters'>{fields}<span class='count' data-count></span></div>"
    data = json.dumps(payload, ensure_ascii=False).replace("</", "<\\/")
    return (
        f"<div class='trade-list'>{filters}"
        f"{table(header, [], classes='trades num')}"
        f"<script type='application/json' class='trade-data'>{data}</script></div>"
    )


__all__ = [
    "FEE_KINDS",
    "Cell",
    "drawdown_table",
    "fee_table",
    "identity_table",
    "metrics_grid",
    "table",
    "trade_list",
    "trade_rows",
    "yearly_table",
]
