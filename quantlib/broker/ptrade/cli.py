"""``quantlib ptrade …``: export a strategy for PTrade, import PTrade's statements.

Registered on the main app by :mod:`quantlib.cli`. Exit codes: 0 done, 1 for
``import --reconcile`` when there are breaks, 2 for errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from quantlib.core.i18n import Catalog, translate

TEXT: Catalog = {
    "ptrade": (
        "Hundsun PTrade: export strategies as PTrade files, import PTrade statements.",
        "恒生 PTrade：将策略导出为 PTrade 文件，导入 PTrade 对账单。",
    ),
    "export": (
        "Write one PTrade-uploadable file from a strategy, with risk limits compiled in.",
        "将策略导出为一个可上传 PTrade 的文件，并内置风控限额。",
    ),
    "import": (
        "Read a PTrade orders or trades CSV; optionally reconcile it with a saved run.",
        "读取 PTrade 委托或成交 CSV；可与已保存的回测结果对账。",
    ),
    "opt_out": ("The file to write.", "输出文件。"),
    "opt_limits": ("Risk limits JSON file.", "风控限额 JSON 文件。"),
    "opt_ignore": (
        "A limit name in the limits file to leave out (repeatable).",
        "忽略限额文件中的某个限额名称（可重复）。",
    ),
    "opt_param": ("Strategy parameter KEY=VALUE (repeatable).", "策略参数 KEY=VALUE（可重复）。"),
    "opt_symbols": (
        "Comma-separated universe (default: the strategy's UNIVERSE).",
        "逗号分隔的证券池（默认取策略的 UNIVERSE）。",
    ),
    "opt_freq": ("Bar frequency on PTrade: 1d or 1m.", "PTrade 上的 K 线周期：1d 或 1m。"),
    "opt_kind": (
        "orders or trades (default: from the headers).",
        "orders 或 trades（默认按表头判断）。",
    ),
    "opt_reconcile": (
        "A saved run directory (--save) whose trades to reconcile with.",
        "用于对账的已保存回测结果目录（--save 写出）。",
    ),
    "opt_json": ("Print JSON.", "输出 JSON。"),
    "bad_option": ("options are KEY=VALUE, got {text!r}", "选项格式应为 KEY=VALUE，收到 {text!r}"),
    "bad_kind": (
        "kind must be orders or trades, got {kind!r}",
        "类型必须是 orders 或 trades，收到 {kind!r}",
    ),
    "exported": (
        "Wrote {path} ({universe} symbols, limits: {limits}); source sha256 {sha}",
        "已写出 {path}（{universe} 只证券，限额：{limits}）；源文件 sha256 {sha}",
    ),
    "read": ("{count} {kind} read from {path}", "从 {path} 读取 {count} 条{kind}"),
    "orders": ("orders", "委托"),
    "trades": ("trades", "成交"),
    "matched": ("Reconciled: every trade matches.", "对账完成：全部成交一致。"),
    "breaks": ("{count} reconciliation breaks.", "对账差异 {count} 项。"),
}


def _t(key: str, **values: object) -> str:
    return translate(TEXT, key, **values)


ptrade_app = typer.Typer(help=_t("ptrade"), no_args_is_help=True)
out = Console(width=160)
err = Console(stderr=True)


def _params(pairs: list[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(_t("bad_option", text=pair))
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


@ptrade_app.command("export", help=_t("export"))
def export_command(
    strategy: Annotated[Path, typer.Argument(help="STRATEGY.py")],
    out_file: Annotated[Path, typer.Option("-o", "--out", help=_t("opt_out"))],
    limits: Annotated[Path | None, typer.Option("--limits", help=_t("opt_limits"))] = None,
    ignore_limit: Annotated[
        list[str] | None, typer.Option("--ignore-limit", help=_t("opt_ignore"))
    ] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help=_t("opt_param"))] = None,
    symbols: Annotated[str | None, typer.Option("--symbols", help=_t("opt_symbols"))] = None,
    freq: Annotated[str, typer.Option("--freq", help=_t("opt_freq"))] = "1d",
) -> None:
    """Export a strategy for PTrade."""
    from quantlib.broker.ptrade.export import export_strategy
    from quantlib.broker.ptrade.limits import ExportLimits, read_limits

    chosen = read_limits(limits, ignore=ignore_limit or ()) if limits else ExportLimits()
    universe = [s.strip() for s in symbols.split(",") if s.strip()] if symbols else None
    result = export_strategy(
        strategy, out_file, params=_params(param), symbols=universe, limits=chosen, frequency=freq
    )
    out.print(
        _t(
            "exported",
            path=result.path,
            universe=len(result.universe),
            limits=result.limits.describe(),
            sha=result.source_sha256[:16],
        )
    )


@ptrade_app.command("import", help=_t("import"))
def import_command(
    statement: Annotated[Path, typer.Argument(help="ORDERS_OR_TRADES.csv")],
    kind: Annotated[str | None, typer.Option("--kind", help=_t("opt_kind"))] = None,
    reconcile_with: Annotated[
        Path | None, typer.Option("--reconcile", help=_t("opt_reconcile"))
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help=_t("opt_json"))] = False,
) -> None:
    """Read a PTrade statement."""
    from dataclasses import asdict

    from quantlib.broker.ptrade.statement import StatementTrade, read_statement, reconcile

    if kind not in (None, "orders", "trades"):
        raise typer.BadParameter(_t("bad_kind", kind=kind))
    records = read_statement(statement, kind)  # type: ignore[arg-type]
    is_trades = bool(records) and isinstance(records[0], StatementTrade)
    label = _t("trades" if is_trades or kind == "trades" else "orders")
    if reconcile_with is None:
        rows = [{k: str(v) for k, v in asdict(r).items()} for r in records]
        if json_output:
            out.print_json(data=rows)
        else:
            table = Table(*(rows[0] if rows else []), title=str(statement))
            for row in rows:
                table.add_row(*row.values())
            out.print(table)
        err.print(_t("read", count=len(records), kind=label, path=statement))
        return
    from quantlib.backtest import BacktestResult

    trades = [r for r in records if isinstance(r, StatementTrade)]
    result = reconcile(trades, BacktestResult.load(reconcile_with).trades)
    if json_output:
        out.print_json(data=json.loads(result.table.to_json(orient="records", default_handler=str)))
    else:
        view = Table(*result.table.columns)
        for values in result.table.itertuples(index=False):
            view.add_row(*map(str, values))
        out.print(view)
    if result.ok:
        err.print(_t("matched"))
        return
    err.print(_t("breaks", count=len(result.breaks)))
    raise typer.Exit(1)
