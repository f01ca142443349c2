"""``quantlib ptrade export``: one PTrade-uploadable file from a quantlib strategy.

The file holds, in order: a header (source, its SHA-256, export time, quantlib version,
universe, parameters, limits), the compiled-in settings, the runtime of
:mod:`quantlib.broker.ptrade.runtime` (quantlib's API on top of PTrade's), the strategy's
source with its API calls pointed at the runtime, and the entry points PTrade calls. It
imports only the standard library, numpy, pandas and what the strategy itself imports
from PTrade's bundle; never quantlib.

The strategy is checked before anything is written (it compiles, defines
``initialize`` and ``handle_data``, imports only what PTrade has, does not rebind an
API name), and the output is written atomically.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quantlib.backtest.context import StrategyError
from quantlib.backtest.strategy import from_source
from quantlib.broker.ptrade.limits import ExportLimits
from quantlib.broker.ptrade.runtime import ENTRY_POINTS, RENAMED, RUNTIME_SOURCE
from quantlib.core.errors import ConfigError, MalformedSymbolError, QuantlibError
from quantlib.core.i18n import Catalog, translate
from quantlib.market.symbols import normalize_symbol

#: Third-party modules PTrade's servers bundle (besides the standard library).
PTRADE_MODULES = frozenset({"numpy", "pandas", "talib", "scipy", "sklearn", "statsmodels"})
#: Frequencies an exported strategy may run at on PTrade.
FREQUENCIES = ("1d", "1m")

TEXT: Catalog = {
    "missing": ("strategy file {file} does not exist", "策略文件 {file} 不存在"),
    "syntax": (
        "strategy {file} does not compile: {msg} (line {line})",
        "策略 {file} 有语法错误：{msg}（第 {line} 行）",
    ),
    "no_hook": (
        "strategy {file} defines no {hook}(); PTrade needs initialize(context) and "
        "handle_data(context, data)",
        "策略 {file} 未定义 {hook}()；PTrade 需要 initialize(context) 和 "
        "handle_data(context, data)",
    ),
    "import": (
        "strategy {file} imports {module} (line {line}), which PTrade does not have; "
        "PTrade offers the standard library and {bundle}",
        "策略 {file} 导入了 PTrade 没有的模块 {module}（第 {line} 行）；"
        "PTrade 提供标准库和 {bundle}",
    ),
    "relative": (
        "strategy {file} uses a relative import (line {line}); an exported file stands alone",
        "策略 {file} 使用了相对导入（第 {line} 行）；导出文件必须独立运行",
    ),
    "rebinds": (
        "strategy {file} rebinds the API name {name!r} (line {line}); rename it",
        "策略 {file} 重新绑定了接口名 {name!r}（第 {line} 行）；请改名",
    ),
    "reserved": (
        "strategy {file} uses the name {name!r} (line {line}), reserved for the export "
        "runtime (names starting with _ql)",
        "策略 {file} 使用了导出运行时保留的名称 {name!r}（第 {line} 行，以 _ql 开头）",
    ),
    "no_universe": (
        "strategy {file} has no UNIVERSE; give the symbols with --symbols",
        "策略 {file} 没有 UNIVERSE；请用 --symbols 给出证券代码",
    ),
    "bad_symbol": ("{value!r} is not a security code", "{value!r} 不是证券代码"),
    "frequency": (
        "frequency must be one of {known}, got {value!r}",
        "周期必须是 {known} 之一，收到 {value!r}",
    ),
    "same_file": (
        "the output {out} is the strategy file itself",
        "输出文件 {out} 就是策略文件本身",
    ),
    "no_directory": ("output directory {dir} does not exist", "输出目录 {dir} 不存在"),
    "generated": (
        "the generated file does not compile ({msg}, line {line}); this is a quantlib bug",
        "生成的文件有语法错误（{msg}，第 {line} 行）；这是 quantlib 的缺陷",
    ),
}


def _t(key: str, **values: object) -> str:
    return translate(TEXT, key, **values)


class ExportError(QuantlibError, ValueError):
    """The strategy cannot be exported; nothing was written."""


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    path: Path
    source_sha256: str
    universe: tuple[str, ...]
    params: Mapping[str, Any]
    limits: ExportLimits
    frequency: str


def _bound_names(node: ast.AST) -> Iterable[tuple[str, int]]:
    """Names a node binds, with their line."""
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        yield node.id, line
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield node.name, line
    elif isinstance(node, ast.arg):
        yield node.arg, line
    elif isinstance(node, ast.Import | ast.ImportFrom):
        for alias in node.names:
            yield (alias.asname or alias.name).split(".")[0], line
    elif isinstance(node, ast.Global | ast.Nonlocal):
        for name in node.names:
            yield name, line


def _check(tree: ast.Module, file: str) -> None:
    defined = {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    for hook in ("initialize", "handle_data"):
        if hook not in defined:
            raise ExportError(_t("no_hook", file=file, hook=hook))
    stdlib = sys.stdlib_module_names
    bundle = ", ".join(sorted(PTRADE_MODULES))
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise ExportError(_t("relative", file=file, line=node.lineno))
            modules = [node.module or ""]
        for module in modules:
            top = module.split(".")[0]
            if top != "__future__" and top not in stdlib and top not in PTRADE_MODULES:
                raise ExportError(
                    _t(
                        "import",
                        file=file,
                        module=module,
                        line=getattr(node, "lineno", 0),
                        bundle=bundle,
                    )
                )
        for name, line in _bound_names(node):
            if name in RENAMED:
                raise ExportError(_t("rebinds", file=file, name=name, line=line))
            if name.startswith("_ql"):
                raise ExportError(_t("reserved", file=file, name=name, line=line))
        if isinstance(node, ast.Name) and node.id.startswith("_ql"):
            raise ExportError(_t("reserved", file=file, name=node.id, line=node.lineno))


def rewrite_source(source: str, tree: ast.Module) -> tuple[str, list[str]]:
    """The strategy's source with its API references renamed to the runtime's
    (comments and layout kept), and its ``from __future__`` lines taken out."""
    lines = source.splitlines(keepends=True)
    edits: dict[int, list[tuple[int, int, str]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in RENAMED and node.end_col_offset is not None:
            edits.setdefault(node.lineno - 1, []).append(
                (node.col_offset, node.end_col_offset, RENAMED[node.id])
            )
    for index, changes in edits.items():
        raw = lines[index].encode("utf-8")
        for start, end, name in sorted(changes, reverse=True):
            raw = raw[:start] + name.encode("utf-8") + raw[end:]
        lines[index] = raw.decode("utf-8")
    future: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future.append("".join(lines[node.lineno - 1 : node.end_lineno]).strip())
            for i in range(node.lineno - 1, node.end_lineno or node.lineno):
                lines[i] = "\n"
    return "".join(lines), future


def _universe(symbols: Iterable[str] | None, declared: list[str] | None, file: str) -> list[str]:
    chosen = list(symbols) if symbols is not None else declared
    if not chosen:
        raise ExportError(_t("no_universe", file=file))
    out: list[str] = []
    for value in chosen:
        try:
            symbol = normalize_symbol(value)
        except MalformedSymbolError:
            raise ExportError(_t("bad_symbol", value=value)) from None
        if symbol not in out:
            out.append(symbol)
    return out


def render_export(
    source: str,
    *,
    filename: str,
    params: Mapping[str, Any] | None = None,
    symbols: Iterable[str] | None = None,
    limits: ExportLimits | None = None,
    frequency: str = "1d",
    exported_at: dt.datetime | None = None,
) -> tuple[str, ExportResult]:
    """The exported file's text for a strategy's source (checked as :func:`export_strategy`
    does); the result's ``path`` is the bare filename."""
    from quantlib import __version__

    if frequency not in FREQUENCIES:
        raise ExportError(_t("frequency", known=", ".join(FREQUENCIES), value=frequency))
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as error:
        raise ExportError(_t("syntax", file=filename, msg=error.msg, line=error.lineno)) from None
    _check(tree, filename)
    try:
        loaded = from_source(source, name=Path(filename).stem, filename=filename)
        resolved = loaded.resolve_params(params)
    except (StrategyError, ConfigError) as error:
        raise ExportError(str(error)) from None
    universe = _universe(symbols, loaded.universe, filename)
    limits = limits or ExportLimits()
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    when = (exported_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    body, future = rewrite_source(source, tree)
    header = [
        "# -*- coding: utf-8 -*-",
        f"# Exported by quantlib {__version__} for Hundsun PTrade. Upload this one file as",
        "# the strategy; do not edit it, export again instead.",
        "# 由 quantlib 导出的 PTrade 策略文件：直接上传本文件；请勿手改，需改动时重新导出。",
        f"# source: {Path(filename).name}",
        f"# source sha256: {digest}",
        f"# exported: {when}",
        f"# quantlib version: {__version__}",
        f"# frequency: {frequency}",
        f"# universe: {', '.join(universe)}",
        f"# params: {resolved!r}",
        f"# limits: {limits.describe()}",
    ]
    settings = [
        f"_QL_SOURCE_SHA256 = {digest!r}",
        f"_QL_PARAMS = {resolved!r}",
        f"_QL_UNIVERSE = {universe!r}",
        f"_QL_FREQUENCY = {frequency!r}",
        f"_QL_LIMITS = {limits.compiled()!r}",
        f"_QL_RESTRICTED = frozenset({list(limits.restricted_symbols)!r})",
    ]
    text = "\n".join(
        [
            *header,
            *future,
            "",
            *settings,
            RUNTIME_SOURCE.rstrip(),
            "",
            "",
            f"# ---- strategy {Path(filename).name} (API calls renamed to _ql_*) ----",
            body.rstrip(),
            "",
            "",
            "# ---- entry points PTrade calls ----",
            ENTRY_POINTS.strip(),
            "",
        ]
    )
    try:
        compile(text, "<export>", "exec")
    except SyntaxError as error:
        raise ExportError(_t("generated", msg=error.msg, line=error.lineno)) from None
    result = ExportResult(
        Path(Path(filename).name), digest, tuple(universe), resolved, limits, frequency
    )
    return text, result


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def export_strategy(
    strategy: str | Path,
    out: str | Path,
    *,
    params: Mapping[str, Any] | None = None,
    symbols: Iterable[str] | None = None,
    limits: ExportLimits | None = None,
    frequency: str = "1d",
) -> ExportResult:
    """Export a quantlib strategy file as one PTrade strategy file.

    Parameters
    ----------
    strategy
        The strategy ``.py`` (quantlib's script form).
    out
        The file to write (atomically; nothing is written when a check fails).
    params
        Overrides of the strategy's ``PARAMS``, compiled in as ``context.params``.
    symbols
        The universe (default: the strategy's ``UNIVERSE``).
    limits
        Risk limits compiled in as a pre-trade guard (:mod:`.limits`).
    frequency
        ``"1d"`` or ``"1m"``: the bar frequency chosen for the strategy in PTrade.

    Examples
    --------
    >>> from pathlib import Path
    >>> import tempfile
    >>> here = Path(tempfile.mkdtemp())
    >>> _ = (here / "s.py").write_text(
    ...     "UNIVERSE = ['600000.SH']\\n"
    ...     "def initialize(context):\\n    pass\\n"
    ...     "def handle_data(context, data):\\n    order_target('600000.SH', 100)\\n"
    ... )
    >>> export_strategy(here / "s.py", here / "out.py").universe
    ('600000.SH',)
    """
    source_path, target = Path(strategy), Path(out)
    if not source_path.is_file():
        raise ExportError(_t("missing", file=source_path))
    if target.resolve() == source_path.resolve():
        raise ExportError(_t("same_file", out=target))
    if not target.parent.is_dir():
        raise ExportError(_t("no_directory", dir=target.parent))
    source = source_path.read_text(encoding="utf-8")
    text, result = render_export(
        source,
        filename=str(source_path),
        params=params,
        symbols=symbols,
        limits=limits,
        frequency=frequency,
    )
    write_atomically(target, text)
    return ExportResult(
        target, result.source_sha256, result.universe, result.params, result.limits, frequency
    )


__all__ = [
    "FREQUENCIES",
    "PTRADE_MODULES",
    "ExportError",
    "ExportResult",
    "export_strategy",
    "render_export",
    "rewrite_source",
    "write_atomically",
]
