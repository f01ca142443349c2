"""The ``quantlib`` command line.

Every command prints in Simplified Chinese or English (``QUANTLIB_LANG=zh|en`` or the
locale), shows progress on long work, and on failure exits non-zero with a one-line
reason on standard error: 2 for errors, and for ``data check`` 1 when it has findings.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import quantlib
from quantlib.broker.ptrade import cli as ptrade_cli
from quantlib.core.errors import QuantlibError
from quantlib.core.i18n import Catalog, translate
from quantlib.platform import cli as platform_cli

TEXT: Catalog = {
    "app": ("Taorui Quant: A-share research-to-live platform.", "韬睿量化：A 股研究到实盘平台。"),
    "data": (
        "Market data store: build, update, check, inspect.",
        "行情数据仓库：构建、更新、检查、查看。",
    ),
    "demo": (
        "Build a store of the seeded synthetic demo market.",
        "用带种子的模拟市场构建演示数据仓库。",
    ),
    "update": (
        "Append the trading days missing from a store, from a source.",
        "从数据源补齐仓库缺少的交易日。",
    ),
    "check": (
        "Check a store's data quality (exit 0 clean, 1 findings, 2 error).",
        "检查数据质量（0 无问题，1 有发现，2 出错）。",
    ),
    "info": ("Show what a store holds.", "显示仓库内容概况。"),
    "log": ("Show the store's update audit log.", "显示仓库更新审计日志。"),
    "sources": ("List the data sources that can be used by name.", "列出可用的数据源名称。"),
    "symbol": (
        "Convert security codes between vendor forms.",
        "在各厂商代码格式之间转换证券代码。",
    ),
    "version": ("Print the version.", "显示版本。"),
    "opt_store": ("Store directory.", "数据仓库目录。"),
    "opt_json": ("Print JSON instead of a table.", "输出 JSON 而不是表格。"),
    "error": ("error", "错误"),
    "built": ("Built demo store {store}: {message}", "已构建演示仓库 {store}：{message}"),
    "updated": ("Updated {store}: {message}", "已更新 {store}：{message}"),
    "uptodate": ("{store}: {message}", "{store}：{message}"),
    "clean": ("No findings: the store is clean.", "未发现问题：数据完好。"),
    "findings": (
        "{count} findings ({errors} errors, {warnings} warnings).",
        "共 {count} 项发现（错误 {errors}，警告 {warnings}）。",
    ),
    "working": ("Working", "处理中"),
    "checking": ("Checking", "检查中"),
    "field": ("field", "项目"),
    "value": ("value", "值"),
    "no_log": ("No updates recorded.", "没有更新记录。"),
    "bad_option": ("options are KEY=VALUE, got {text!r}", "选项格式应为 KEY=VALUE，收到 {text!r}"),
    "backtest": (
        "Backtest a strategy file on a store and print its metrics.",
        "在数据仓库上回测策略文件并输出绩效指标。",
    ),
    "sweep": (
        "Backtest a strategy over a parameter grid and print parameters x metrics.",
        "按参数网格回测策略，输出参数与指标表。",
    ),
    "opt_start": ("First day (YYYY-MM-DD).", "开始日期（YYYY-MM-DD）。"),
    "opt_end": ("Last day (YYYY-MM-DD).", "结束日期（YYYY-MM-DD）。"),
    "opt_cash": ("Starting cash in yuan.", "初始资金（元）。"),
    "opt_freq": (
        "Bar frequency: 1d (daily) or 1m (one-minute bars).",
        "K 线周期：1d（日线）或 1m（一分钟线）。",
    ),
    "opt_param": ("Strategy parameter KEY=VALUE (repeatable).", "策略参数 KEY=VALUE（可重复）。"),
    "opt_grid": (
        "Parameter values KEY=V1,V2,... (repeatable; the grid is their product).",
        "参数取值 KEY=V1,V2,...（可重复；网格为其笛卡尔积）。",
    ),
    "opt_symbols": (
        "Comma-separated symbols (default: the strategy's UNIVERSE, else all).",
        "逗号分隔的证券代码（默认：策略的 UNIVERSE，否则全部）。",
    ),
    "opt_scheduler": (
        "Dask: 'local' for a local cluster, or a scheduler address; in-process when omitted.",
        "Dask：'local' 启动本地集群，或填调度器地址；省略时在本进程运行。",
    ),
    "opt_save": ("Save the result to this directory.", "将回测结果保存到此目录。"),
    "metric": ("metric", "指标"),
    "no_grid": ("give at least one --grid KEY=V1,V2", "请至少给出一个 --grid KEY=V1,V2"),
    "sweeping": ("Sweeping", "参数扫描中"),
    "opt_report": (
        "Write the tearsheet to this .html or .pdf file.",
        "将回测报告写入此 .html 或 .pdf 文件。",
    ),
    "report": ("Backtest reports.", "回测报告。"),
    "compare": (
        "Compare saved runs (directories written by --save) in one report.",
        "在一份报告中对比已保存的回测结果（--save 写出的目录）。",
    ),
    "opt_out": ("Report file (.html or .pdf).", "报告文件（.html 或 .pdf）。"),
    "opt_language": (
        "Report language, zh or en (default: QUANTLIB_LANG, else zh).",
        "报告语言 zh 或 en（默认取 QUANTLIB_LANG，否则为中文）。",
    ),
    "opt_names": (
        "Comma-separated column names of the runs.",
        "逗号分隔的各运行名称。",
    ),
    "wrote_report": ("Wrote report {path}", "已写出报告 {path}"),
    "writing_report": ("Writing report", "生成报告中"),
}


def _t(key: str, **values: object) -> str:
    return translate(TEXT, key, **values)


app = typer.Typer(
    help=_t("app"), no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
)
data_app = typer.Typer(help=_t("data"), no_args_is_help=True)
app.add_typer(data_app, name="data")
report_app = typer.Typer(help=_t("report"), no_args_is_help=True)
app.add_typer(report_app, name="report")
app.add_typer(platform_cli.db_app, name="db")
app.add_typer(platform_cli.audit_app, name="audit")
app.add_typer(ptrade_cli.ptrade_app, name="ptrade")
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)

StoreOption = Annotated[Path, typer.Option("--store", help=_t("opt_store"))]
JsonOption = Annotated[bool, typer.Option("--json", help=_t("opt_json"))]


@contextmanager
def _progress(label: str) -> Iterator[Callable[[str, float], None]]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=1.0)

        def update(stage: str, fraction: float) -> None:
            bar.update(task, completed=fraction, description=f"{label}: {stage}")

        yield update


def _parse_value(raw: str) -> Any:
    """A command-line value as JSON (numbers, true/false, lists) or else the text."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _options(pairs: list[str] | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(_t("bad_option", text=pair))
        options[key] = _parse_value(raw)
    return options


@app.command(help=_t("version"))
def version() -> None:
    """Print the version."""
    out.print(f"quantlib {quantlib.__version__}")


@data_app.command(help=_t("demo"))
def demo(
    store: StoreOption,
    symbols: Annotated[int, typer.Option(help="Number of stocks / 股票数量")] = 3000,
    days: Annotated[
        int | None, typer.Option(help="Trading days (default: up to today) / 交易日数")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed / 随机种子")] = 42,
    start: Annotated[
        str | None, typer.Option(help="First day (default 2018-01-02) / 起始日")
    ] = None,
    minute_symbols: Annotated[
        int, typer.Option(help="Stocks with minute bars / 分钟线股票数")
    ] = 50,
    minute_days: Annotated[int, typer.Option(help="Last days with minute bars / 分钟线天数")] = 20,
) -> None:
    """Build a demo store."""
    from quantlib.data.update import build_demo_store

    with _progress(_t("working")) as step:
        result = build_demo_store(
            store,
            n_symbols=symbols,
            days=days,
            seed=seed,
            start=start,
            minute_symbols=minute_symbols,
            minute_days=minute_days,
            progress=step,
        )
    out.print(_t("built", store=store, message=result.message))


@data_app.command(help=_t("update"))
def update(
    store: StoreOption,
    source: Annotated[str, typer.Option(help="Source name, e.g. demo, tushare / 数据源名称")],
    start: Annotated[str | None, typer.Option(help="First day (new stores) / 起始日")] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day (default: latest published) / 截止日")
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option(help="Source option KEY=VALUE, repeatable / 数据源参数")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Update a store."""
    from quantlib.data.update import update_store

    with _progress(_t("working")) as step:
        result = update_store(
            store, source, start=start, end=end, source_options=_options(option), progress=step
        )
    if json_output:
        out.print_json(data=result.to_dict())
    elif result.op == "noop":
        out.print(_t("uptodate", store=store, message=result.message))
    else:
        out.print(_t("updated", store=store, message=result.message))


@data_app.command(help=_t("check"))
def check(
    store: StoreOption,
    compare: Annotated[
        str | None, typer.Option(help="Second source to compare with / 对比数据源")
    ] = None,
    option: Annotated[list[str] | None, typer.Option(help="Option of the compared source")] = None,
    start: Annotated[str | None, typer.Option(help="Comparison start / 对比起始日")] = None,
    end: Annotated[str | None, typer.Option(help="Comparison end / 对比截止日")] = None,
    json_output: JsonOption = False,
) -> None:
    """Check a store."""
    from quantlib.data.check import check_store

    with _progress(_t("checking")) as step:
        findings = check_store(
            store,
            compare=compare,
            compare_options=_options(option),
            start=start,
            end=end,
            progress=lambda fraction: step("daily", fraction),
        )
    if json_output:
        out.print_json(data=findings.to_dict("records"))
    elif findings.empty:
        out.print(_t("clean"))
    else:
        table = Table(*findings.columns)
        for row in findings.itertuples(index=False):
            table.add_row(*map(str, row))
        out.print(table)
    if not findings.empty:
        errors = int((findings["severity"] == "error").sum())
        err.print(
            _t("findings", count=len(findings), errors=errors, warnings=len(findings) - errors)
        )
        raise typer.Exit(1)


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in data.items():
        if isinstance(value, dict) and value:
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", str(value)


@data_app.command(help=_t("info"))
def info(store: StoreOption, json_output: JsonOption = False) -> None:
    """Describe a store."""
    from quantlib.data.store import open_store

    details = open_store(store).info()
    if json_output:
        out.print_json(data=details)
        return
    table = Table(_t("field"), _t("value"), title=f"quantlib store {store}")
    for key, value in _flatten(details):
        table.add_row(key, value)
    out.print(table)


@data_app.command(help=_t("log"))
def log(
    store: StoreOption,
    json_output: JsonOption = False,
    limit: Annotated[int, typer.Option(help="Most recent N / 最近 N 条")] = 50,
) -> None:
    """Show the update log."""
    from quantlib.data.audit import updates
    from quantlib.data.generations import require_store

    require_store(store)
    rows = updates(store)[-limit:]
    if json_output:
        out.print_json(data=rows)
        return
    if not rows:
        out.print(_t("no_log"))
        return
    table = Table("started", "op", "status", "source", "days", "generation", "detail")
    for row in rows:
        dates = row.get("trade_dates") or {}
        span = f"{dates.get('first')}..{dates.get('last')} ({dates.get('count')})" if dates else ""
        detail = row.get("error") or row.get("note") or ""
        table.add_row(
            str(row.get("started_at") or row.get("at", ""))[:19],
            str(row.get("op", "")),
            str(row.get("status", "")),
            str((row.get("source") or {}).get("source", "")),
            span,
            str(row.get("gen_new") or ""),
            str(detail)[:80],
        )
    out.print(table)


@data_app.command(help=_t("sources"))
def sources() -> None:
    """List registered sources."""
    from quantlib.data.sources import available_sources

    for name, target in sorted(available_sources().items()):
        out.print(f"{name:10} {target}")


@app.command(help=_t("symbol"))
def symbol(
    codes: Annotated[list[str], typer.Argument(help="Codes in any form / 任意格式代码")],
    to: Annotated[str, typer.Option(help="canonical, jqdata, ptrade, baostock, ...")] = "canonical",
) -> None:
    """Convert codes."""
    from quantlib.market.symbols import normalize_symbol, to_vendor_symbol

    for code in codes:
        typer.echo(f"{code}\t{to_vendor_symbol(normalize_symbol(code), to)}")


def _market(
    strategy: Path,
    store: Path,
    symbols: str | None,
    start: str | None,
    end: str | None,
    cash: float | None,
    freq: str = "1d",
) -> tuple[Any, Any, Any]:
    from quantlib.backtest import BacktestConfig, MarketData, load_strategy

    loaded = load_strategy(strategy)
    config = BacktestConfig() if cash is None else BacktestConfig(cash=cash)
    chosen = [s.strip() for s in symbols.split(",") if s.strip()] if symbols else loaded.universe
    data = MarketData.from_store(store, chosen, start, end, benchmark=config.benchmark, freq=freq)
    return loaded, data, config


StartOption = Annotated[str | None, typer.Option("--start", help=_t("opt_start"))]
EndOption = Annotated[str | None, typer.Option("--end", help=_t("opt_end"))]
CashOption = Annotated[float | None, typer.Option("--cash", help=_t("opt_cash"))]
SymbolsOption = Annotated[str | None, typer.Option("--symbols", help=_t("opt_symbols"))]
FreqOption = Annotated[str, typer.Option("--freq", help=_t("opt_freq"))]


@app.command(help=_t("backtest"))
def backtest(
    strategy: Annotated[Path, typer.Argument(help="STRATEGY.py")],
    store: StoreOption,
    start: StartOption = None,
    end: EndOption = None,
    cash: CashOption = None,
    param: Annotated[list[str] | None, typer.Option("--param", help=_t("opt_param"))] = None,
    symbols: SymbolsOption = None,
    freq: FreqOption = "1d",
    save: Annotated[Path | None, typer.Option("--save", help=_t("opt_save"))] = None,
    report: Annotated[Path | None, typer.Option("--report", help=_t("opt_report"))] = None,
    json_output: JsonOption = False,
) -> None:
    """Run one backtest."""
    from quantlib.analytics.report.output import report_format, writable_path, write_tearsheet
    from quantlib.backtest import run_backtest

    if report is not None:
        report_format(report)
        writable_path(report)
    loaded, data, config = _market(strategy, store, symbols, start, end, cash, freq)
    logging.getLogger("quantlib.strategy").setLevel(logging.ERROR)
    result = run_backtest(loaded, data, config=config, params=_options(param))
    if save is not None:
        result.save(save)
    if report is not None:
        with _progress(_t("writing_report")) as step:
            step("report", 0.0)
            write_tearsheet(result, report)
        err.print(_t("wrote_report", path=report))
    metrics = result.metrics()
    if json_output:
        extra = {"report": str(report)} if report is not None else {}
        out.print_json(data={**metrics, "identity": result.identity.__dict__, **extra})
        return
    table = Table(
        _t("metric"),
        _t("value"),
        title=f"{loaded.name} {result.identity.start}..{result.identity.end}",
    )
    for key, value in metrics.items():
        table.add_row(key, f"{value:,.6g}" if isinstance(value, float) else str(value))
    out.print(table)


@app.command(help=_t("sweep"))
def sweep(
    strategy: Annotated[Path, typer.Argument(help="STRATEGY.py")],
    store: StoreOption,
    grid_values: Annotated[list[str] | None, typer.Option("--grid", help=_t("opt_grid"))] = None,
    start: StartOption = None,
    end: EndOption = None,
    cash: CashOption = None,
    symbols: SymbolsOption = None,
    freq: FreqOption = "1d",
    scheduler: Annotated[str | None, typer.Option("--scheduler", help=_t("opt_scheduler"))] = None,
    json_output: JsonOption = False,
) -> None:
    """Run a parameter grid."""
    from quantlib.backtest.engine import backtest_metrics
    from quantlib.backtest.sweep import grid, run_sweep

    spec: dict[str, list[Any]] = {}
    for item in grid_values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key or not raw:
            raise typer.BadParameter(_t("bad_option", text=item))
        spec[key] = [_parse_value(v) for v in raw.split(",")]
    if not spec:
        raise typer.BadParameter(_t("no_grid"))
    loaded, data, config = _market(strategy, store, symbols, start, end, cash, freq)
    param_sets = grid(spec)
    for params in param_sets:
        loaded.resolve_params(params)
    logging.getLogger("quantlib.strategy").setLevel(logging.ERROR)
    shared = {"source": loaded.source, "name": loaded.name, "data": data, "config": config}
    table = run_sweep(
        backtest_metrics,
        param_sets,
        shared=shared,
        client=scheduler,
        progress=err.is_terminal,
        description=_t("sweeping"),
    )
    if json_output:
        out.print_json(data=json.loads(table.to_json(orient="records")))
        return
    view = Table(*[str(c) for c in table.columns], title=f"{loaded.name} sweep")
    for row in table.itertuples(index=False):
        view.add_row(*[f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row])
    out.print(view)


@report_app.command(help=_t("compare"))
def compare(
    runs: Annotated[list[Path], typer.Argument(help="RUN_DIR ...")],
    out_file: Annotated[Path, typer.Option("--out", help=_t("opt_out"))],
    language: Annotated[str | None, typer.Option("--language", help=_t("opt_language"))] = None,
    names: Annotated[str | None, typer.Option("--names", help=_t("opt_names"))] = None,
) -> None:
    """Compare saved runs."""
    from quantlib.analytics.report.output import report_format, writable_path, write_comparison
    from quantlib.backtest import BacktestResult

    report_format(out_file)
    writable_path(out_file)
    loaded = [BacktestResult.load(run) for run in runs]
    labels = [n.strip() for n in names.split(",")] if names else None
    with _progress(_t("writing_report")) as step:
        step("report", 0.0)
        write_comparison(out_file, loaded, names=labels, language=language)
    out.print(_t("wrote_report", path=out_file))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning quantlib errors into one-line reasons."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Abort:
        return 130
    except Exception as error:
        show, exit_code = getattr(error, "show", None), getattr(error, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):  # click's usage errors
            show()
            return exit_code
        if not isinstance(error, QuantlibError | ValueError | OSError):
            raise
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        sys.stderr.write(f"{_t('error')}: {first_line}\n")
        return 2
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
