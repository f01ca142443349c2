"""``quantlib db …`` and ``quantlib audit …``: the platform database and its audit log.

Registered on the main app by :mod:`quantlib.cli`. The database is ``--db-url``, else
``TAORUI_DB_URL``, else the SQLite file under ``TAORUI_DATA_DIR`` (``var/platform``).
Exit codes: 0 done (schema current, chain intact), 1 for ``db status`` when the schema is
not current and for ``audit verify`` when the chain is broken, 2 for errors.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from quantlib.core.i18n import Catalog, translate

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from quantlib.platform.models import AuditRecord

TEXT: Catalog = {
    "db": (
        "Platform database: apply migrations, show the schema's state.",
        "平台数据库：执行迁移，查看结构版本。",
    ),
    "upgrade": (
        "Apply the database migrations this version of quantlib needs.",
        "执行当前 quantlib 版本所需的数据库迁移。",
    ),
    "status": (
        "Show the schema revision (exit 0 current, 1 behind or ahead, 2 error).",
        "显示数据库结构版本（0 为最新，1 为落后或超前，2 为出错）。",
    ),
    "audit": (
        "Audit log: verify the hash chain, export records.",
        "审计日志：校验哈希链，导出记录。",
    ),
    "verify": (
        "Check the audit hash chain (exit 0 intact, 1 broken, 2 error).",
        "校验审计哈希链（0 完好，1 被篡改，2 出错）。",
    ),
    "export": (
        "Write audit records as CSV, by date range, user or object.",
        "按日期范围、用户或对象将审计记录导出为 CSV。",
    ),
    "opt_db_url": (
        "Database URL (default: TAORUI_DB_URL, else SQLite under TAORUI_DATA_DIR).",
        "数据库 URL（默认取 TAORUI_DB_URL，否则为 TAORUI_DATA_DIR 下的 SQLite）。",
    ),
    "opt_json": ("Print JSON.", "输出 JSON。"),
    "opt_anchor": (
        "SEQ:HASH noted from an earlier verify; that record must still carry that hash.",
        "之前校验记下的 SEQ:HASH；该记录的哈希必须保持不变。",
    ),
    "opt_start": ("First day, Shanghai time (YYYY-MM-DD).", "开始日期，北京时间（YYYY-MM-DD）。"),
    "opt_end": ("Last day, Shanghai time (YYYY-MM-DD).", "结束日期，北京时间（YYYY-MM-DD）。"),
    "opt_user": ("Only this user's records.", "只导出该用户的记录。"),
    "opt_object_type": ("Only records on this object type.", "只导出该对象类型的记录。"),
    "opt_object_id": ("Only records on this object id.", "只导出该对象编号的记录。"),
    "opt_out": (
        "CSV file to write (default: standard output).",
        "写入的 CSV 文件（默认标准输出）。",
    ),
    "upgraded": (
        "Upgraded {url} from {before} to {after}.",
        "已将 {url} 从 {before} 升级到 {after}。",
    ),
    "already": ("{url} is already at {after}; nothing to do.", "{url} 已是 {after}，无需迁移。"),
    "intact": (
        "Audit chain intact: {count} records; anchor {seq}:{hash}",
        "审计链完好：共 {count} 条；锚点 {seq}:{hash}",
    ),
    "broken": (
        "Audit chain broken at record #{seq}: {problem} ({count} records before it hold)",
        "审计链在第 {seq} 条记录处断裂：{problem}（此前 {count} 条完好）",
    ),
    "exported": ("Exported {count} audit records.", "已导出 {count} 条审计记录。"),
}


def _t(key: str, **values: object) -> str:
    return translate(TEXT, key, **values)


db_app = typer.Typer(help=_t("db"), no_args_is_help=True)
audit_app = typer.Typer(help=_t("audit"), no_args_is_help=True)
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)

DbUrlOption = Annotated[str | None, typer.Option("--db-url", help=_t("opt_db_url"))]
JsonOption = Annotated[bool, typer.Option("--json", help=_t("opt_json"))]


@db_app.command(help=_t("upgrade"))
def upgrade(db_url: DbUrlOption = None) -> None:
    """Apply migrations."""
    from quantlib.platform import db

    engine = db.open_engine(db_url)
    db.check_connection(engine)
    before = db.schema_status(engine)
    after = db.upgrade(engine)
    key = "already" if before.current == after.current else "upgraded"
    out.print(_t(key, url=after.url, before=before.current or "(empty)", after=after.current))


@db_app.command(help=_t("status"))
def status(db_url: DbUrlOption = None, json_output: JsonOption = False) -> None:
    """Show the schema state."""
    from quantlib.platform import db

    engine = db.open_engine(db_url)
    db.check_connection(engine)
    state = db.schema_status(engine)
    if json_output:
        out.print_json(
            data={
                "url": state.url,
                "current": state.current,
                "head": state.head,
                "state": state.state.value,
            }
        )
    else:
        out.print(state.describe(), soft_wrap=True)
    if state.state is not db.SchemaState.CURRENT:
        raise typer.Exit(1)


@audit_app.command(help=_t("verify"))
def verify(
    db_url: DbUrlOption = None,
    anchor: Annotated[str | None, typer.Option("--anchor", help=_t("opt_anchor"))] = None,
    json_output: JsonOption = False,
) -> None:
    """Verify the audit chain."""
    from quantlib.platform import audit, db

    pinned = audit.parse_anchor(anchor) if anchor else None
    engine = db.open_engine(db_url)
    db.require_current_schema(engine)
    with db.translate_errors(engine), db.session_factory(engine)() as session:
        report = audit.verify_chain(session, anchor=pinned)
    if json_output:
        out.print_json(
            data={
                "ok": report.ok,
                "count": report.count,
                "head_seq": report.head_seq,
                "head_hash": report.head_hash,
                "first_bad_seq": report.first_bad_seq,
                "problem": report.problem,
            }
        )
    elif report.ok:
        out.print(_t("intact", count=report.count, seq=report.head_seq, hash=report.head_hash))
    if not report.ok:
        message = _t("broken", seq=report.first_bad_seq, problem=report.problem, count=report.count)
        err.print(message, soft_wrap=True, highlight=False)
        raise typer.Exit(1)


@audit_app.command(help=_t("export"))
def export(
    db_url: DbUrlOption = None,
    start: Annotated[str | None, typer.Option("--start", help=_t("opt_start"))] = None,
    end: Annotated[str | None, typer.Option("--end", help=_t("opt_end"))] = None,
    user: Annotated[str | None, typer.Option("--user", help=_t("opt_user"))] = None,
    object_type: Annotated[
        str | None, typer.Option("--object-type", help=_t("opt_object_type"))
    ] = None,
    object_id: Annotated[str | None, typer.Option("--object-id", help=_t("opt_object_id"))] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help=_t("opt_out"))] = None,
) -> None:
    """Export audit records as CSV."""
    from quantlib.platform import audit, db

    query = audit.select_records(
        start=start, end=end, user=user, object_type=object_type, object_id=object_id
    )
    engine = db.open_engine(db_url)
    db.require_current_schema(engine)
    with db.translate_errors(engine), db.session_factory(engine)() as session:
        if out_file is None:
            count = audit.export_csv(session, sys.stdout, query)
        else:
            count = _export_to_file(session, out_file, query)
    err.print(_t("exported", count=count), highlight=False)


def _export_to_file(session: Session, path: Path, query: Select[AuditRecord]) -> int:
    """Write the CSV beside ``path`` and move it into place only once it is complete."""
    from quantlib.platform import audit

    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            count = audit.export_csv(session, stream, query)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
