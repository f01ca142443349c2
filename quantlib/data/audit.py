"""The store's append-only audit log of updates.

One JSON object per line in ``_audit/updates.jsonl``, outside the generations so no
update can rewrite it. Each update writes a ``started`` event before it changes anything
and a ``committed`` or ``aborted`` event at its end; a writer that died leaves a
``started`` event that the next writer closes with an ``aborted`` event saying so.
"""

from __future__ import annotations

import json
import os
import platform
import socket
from pathlib import Path
from typing import Any

from quantlib.core.dates import utc_now
from quantlib.core.errors import CorruptStoreError
from quantlib.data.layout import AUDIT_DIR, AUDIT_LOG


def audit_path(root: Path) -> Path:
    """Path of a store's audit log."""
    return root / AUDIT_DIR / AUDIT_LOG


def append_event(root: Path, event: dict[str, Any]) -> None:
    """Append one event durably (written, flushed and fsync'd before returning)."""
    path = audit_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(event, ensure_ascii=False, sort_keys=True, default=str) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_events(root: Path) -> list[dict[str, Any]]:
    """All events in order. A torn last line (a crash mid-write) is skipped."""
    path = audit_path(root)
    if not path.exists():
        return []
    events: list[dict[str, Any]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError as error:
            if number == len(lines):
                continue
            raise CorruptStoreError(
                f"audit log {path} line {number} is not JSON: {error}"
            ) from error
    return events


def updates(root: Path) -> list[dict[str, Any]]:
    """One row per update: its ``started`` event merged with its final event."""
    rows: dict[str, dict[str, Any]] = {}
    for event in read_events(root):
        row = rows.setdefault(event["update_id"], {"status": "running"})
        row.update({k: v for k, v in event.items() if k != "event"})
        row["status"] = {"started": "running"}.get(event["event"], event["event"])
    return list(rows.values())


def environment() -> dict[str, str]:
    """Versions and host recorded with every update."""
    import numcodecs
    import pandas
    import xarray
    import zarr

    import quantlib

    return {
        "quantlib": quantlib.__version__,
        "python": platform.python_version(),
        "zarr": zarr.__version__,
        "xarray": xarray.__version__,
        "numcodecs": numcodecs.__version__,
        "pandas": pandas.__version__,
        "host": socket.gethostname(),
    }


def now_iso() -> str:
    """Current UTC time as ISO 8601."""
    return utc_now().isoformat(timespec="milliseconds")
