"""Immutable generations and the single-writer transaction that makes a new one visible.

A writer takes the store's lock, clones the current generation with hard links (cheap:
no data is copied), changes the clone (zarr and our table writers replace files, never
edit them in place, so the parent's files are untouched), checks it, and then swaps the
``CURRENT`` pointer atomically. A reader resolves ``CURRENT`` once and sees one
consistent generation however long it reads. A writer killed at any point before the
swap leaves the store exactly as it was; the next writer removes its debris.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from quantlib.core.errors import NotAStoreError, StoreError, StoreLockedError
from quantlib.data import audit
from quantlib.data.layout import (
    CURRENT_FILE,
    GENERATION_META,
    GENERATIONS_DIR,
    LOCK_FILE,
    STORE_FORMAT,
    STORE_MARKER,
    STORE_VERSION,
    generation_name,
    generation_number,
)

log = logging.getLogger(__name__)

#: Generations kept besides the current one, for readers still using them.
KEEP_GENERATIONS = 4


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (renames, new files) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see either the old or the new content, never a part."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    fsync_dir(path.parent)


def sync_new_files(generation: Path) -> None:
    """Make a new generation durable: fsync the files this transaction wrote and every
    directory. Files it did not write are hard links to the parent generation's (link
    count above 1), made durable when that generation was committed."""
    for directory, _dirs, files in os.walk(generation):
        for name in files:
            path = Path(directory) / name
            if path.stat().st_nlink == 1:
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        fsync_dir(Path(directory))


def is_store(root: Path) -> bool:
    """Whether ``root`` holds a quantlib store."""
    return (root / STORE_MARKER).is_file()


def require_store(root: Path) -> None:
    """Raise :class:`NotAStoreError` unless ``root`` is a store."""
    if not root.exists():
        raise NotAStoreError(
            f"store {root} does not exist; build one with "
            f"`quantlib data demo --store {root}` or `quantlib data update`"
        )
    if not is_store(root):
        raise NotAStoreError(f"{root} is not a quantlib data store (no {STORE_MARKER} in it)")
    try:
        marker = json.loads((root / STORE_MARKER).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise NotAStoreError(f"{root / STORE_MARKER} is unreadable: {error}") from error
    if marker.get("format") != STORE_FORMAT or marker.get("version") != STORE_VERSION:
        raise NotAStoreError(
            f"{root} has store format {marker.get('format')!r} version {marker.get('version')!r}; "
            f"this quantlib reads {STORE_FORMAT!r} version {STORE_VERSION}"
        )


def init_store(root: Path) -> None:
    """Create an empty store at ``root`` (which must be absent or an empty directory)."""
    if root.exists() and any(root.iterdir()):
        if is_store(root):
            raise StoreError(f"{root} already holds a store; update it instead of creating one")
        raise StoreError(f"{root} is not empty and not a store; choose an empty directory")
    (root / GENERATIONS_DIR).mkdir(parents=True, exist_ok=True)
    marker = {"format": STORE_FORMAT, "version": STORE_VERSION, "created_at": audit.now_iso()}
    write_atomic(root / STORE_MARKER, json.dumps(marker, indent=2).encode())


def current_generation(root: Path) -> str | None:
    """Name of the visible generation, or None for a store with no data yet."""
    pointer = root / CURRENT_FILE
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    if not (root / GENERATIONS_DIR / name).is_dir():
        raise StoreError(f"{root}: CURRENT names generation {name!r}, which is missing")
    return name


def generation_meta(path: Path) -> dict[str, Any]:
    """The ``generation.json`` of a generation directory."""
    return json.loads((path / GENERATION_META).read_text(encoding="utf-8"))


def _generations(root: Path) -> list[str]:
    found = []
    for entry in (root / GENERATIONS_DIR).iterdir():
        with contextlib.suppress(ValueError):
            generation_number(entry.name)
            found.append(entry.name)
    return sorted(found, key=generation_number)


def clone_tree(source: Path, target: Path) -> int:
    """Hard-link every file of ``source`` into a new tree ``target``; returns file count."""
    count = 0
    for directory, _dirs, files in os.walk(source):
        relative = Path(directory).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            if name.endswith(".partial"):
                continue
            os.link(Path(directory) / name, target / relative / name)
            count += 1
    return count


def recover(root: Path) -> None:
    """Clean up after a writer that died: drop unpublished generations, close its audit row.

    Must be called with the lock held.
    """
    current = current_generation(root)
    current_number = generation_number(current) if current else 0
    for name in _generations(root):
        if generation_number(name) > current_number:
            log.warning("removing generation %s left by an interrupted update", name)
            shutil.rmtree(root / GENERATIONS_DIR / name)
    events = audit.read_events(root)
    closed = {e["update_id"] for e in events if e["event"] != "started"}
    published = None
    if current and (root / GENERATIONS_DIR / current / GENERATION_META).exists():
        published = generation_meta(root / GENERATIONS_DIR / current).get("update_id")
    for event in events:
        if event["event"] != "started" or event["update_id"] in closed:
            continue
        if event["update_id"] == published:
            final = {"event": "committed", "note": "commit recorded on recovery"}
        else:
            final = {
                "event": "aborted",
                "error": "the writer stopped before committing; "
                "its generation was discarded and the store is unchanged",
            }
        audit.append_event(root, {"update_id": event["update_id"], "at": audit.now_iso(), **final})
        closed.add(event["update_id"])


class StoreTransaction:
    """A single writer's change to a store, published atomically on :meth:`commit`.

    Use as a context manager; leaving it without committing discards the new generation
    and records the update as aborted with the error that ended it.

    Examples
    --------
    >>> with StoreTransaction(root, op="append", details={}) as tx:  # doctest: +SKIP
    ...     write_something(tx.path)
    ...     tx.commit({"daily": {...}})
    """

    def __init__(self, root: Path, op: str, details: dict[str, Any]) -> None:
        self.root = Path(root)
        self.op = op
        self.details = details
        self.update_id = uuid.uuid4().hex
        self.parent: str | None = None
        self.name = ""
        self.path = Path()
        self.committed = False
        self.skipped: str | None = None
        self._lock_fd: int | None = None
        self._started = 0.0

    @property
    def parent_path(self) -> Path | None:
        """Directory of the generation this one was cloned from."""
        return self.root / GENERATIONS_DIR / self.parent if self.parent else None

    def __enter__(self) -> Self:
        require_store(self.root)
        self._lock()
        try:
            recover(self.root)
            self.parent = current_generation(self.root)
            existing = _generations(self.root)
            number = generation_number(existing[-1]) + 1 if existing else 1
            self.name = generation_name(number)
            self.path = self.root / GENERATIONS_DIR / self.name
            self._started = time.monotonic()
            audit.append_event(
                self.root,
                {
                    "event": "started",
                    "update_id": self.update_id,
                    "op": self.op,
                    "gen_parent": self.parent,
                    "gen_new": self.name,
                    "started_at": audit.now_iso(),
                    **self.details,
                },
            )
            if self.parent_path is not None:
                clone_tree(self.parent_path, self.path)
            else:
                self.path.mkdir(parents=True)
        except BaseException:
            self._unlock()
            raise
        return self

    def _lock(self) -> None:
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLockedError(
                f"store {self.root} is being updated by another process (pid {holder}); "
                "try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def commit(self, meta: dict[str, Any], result: dict[str, Any]) -> None:
        """Publish the new generation: write its identity, sync, swap ``CURRENT``.

        ``meta`` describes the generation's content; ``result`` (counts, checksums,
        validation) goes into the audit record.
        """
        generation = {
            "generation": self.name,
            "parent": self.parent,
            "update_id": self.update_id,
            "op": self.op,
            "created_at": audit.now_iso(),
            **meta,
        }
        write_atomic(
            self.path / GENERATION_META,
            json.dumps(generation, indent=2, ensure_ascii=False, default=str).encode(),
        )
        sync_new_files(self.path)
        write_atomic(self.root / CURRENT_FILE, self.name.encode())
        self.committed = True
        audit.append_event(
            self.root,
            {
                "event": "committed",
                "update_id": self.update_id,
                "committed_at": audit.now_iso(),
                "duration_s": round(time.monotonic() - self._started, 3),
                **result,
            },
        )
        self._collect_garbage()

    def skip(self, note: str) -> None:
        """End without a new generation because there was nothing to do."""
        self.skipped = note

    def _collect_garbage(self) -> None:
        names = _generations(self.root)
        current = generation_number(self.name)
        keep = {n for n in names if generation_number(n) > current - 1 - KEEP_GENERATIONS}
        for name in names:
            if name not in keep and generation_number(name) < current:
                shutil.rmtree(self.root / GENERATIONS_DIR / name, ignore_errors=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if not self.committed:
                shutil.rmtree(self.path, ignore_errors=True)
                if self.skipped is not None and exc is None:
                    event = {"event": "skipped", "note": self.skipped}
                else:
                    reason = f"{type(exc).__name__}: {exc}" if exc else "left without commit"
                    event = {"event": "aborted", "error": reason}
                audit.append_event(
                    self.root, {"update_id": self.update_id, "at": audit.now_iso(), **event}
                )
        finally:
            self._unlock()
