"""The audit log: append-only, hash-chained, written in the same transaction as the change.

Record ``n`` (``seq`` counts 1, 2, 3 … without gaps) stores ``prev_hash``, the hash of
record ``n - 1`` (64 zeros for the first), and ``hash``, the SHA-256 of the canonical
JSON of its own fields: seq, time (UTC, microseconds), user, role, action, object type
and id, details, outcome and ``prev_hash``. Editing a record breaks its hash; deleting,
inserting or reordering records breaks the sequence or the links. :func:`verify_chain`
walks the chain and names the first record that does not hold.

:func:`record` takes the chain's lock inside the caller's transaction (a PostgreSQL
advisory lock held to commit; on SQLite the transaction already holds the write lock),
so concurrent appends queue and the chain never forks; the unique ``seq`` is the
last line of defence. Call it as the last statement before commit to keep the lock short.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from quantlib.core.dates import SHANGHAI, UTC, check_range, to_date, utc_now
from quantlib.platform.canonical import canonical_json, sha256_hex
from quantlib.platform.errors import AuditError
from quantlib.platform.models import AuditOutcome, AuditRecord
from quantlib.platform.rbac import Role

#: ``prev_hash`` of the first record.
GENESIS_HASH = "0" * 64
#: Key of the PostgreSQL advisory lock that serializes appends.
AUDIT_LOCK_KEY = 0x7A0_0002
#: Columns of :func:`export_csv`, in order.
CSV_COLUMNS = (
    "seq",
    "at",
    "user",
    "role",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "details",
    "prev_hash",
    "hash",
)


def _utc(moment: dt.datetime) -> dt.datetime:
    """An instant as aware UTC; naive values (SQLite returns these) are UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def record_hash(entry: AuditRecord) -> str:
    """The hash a record's fields should carry (what :func:`verify_chain` recomputes)."""
    content = {
        "seq": entry.seq,
        "at": _utc(entry.at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "user": entry.user_name,
        "role": entry.role,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "details": entry.details,
        "outcome": entry.outcome,
        "prev_hash": entry.prev_hash,
    }
    return sha256_hex(canonical_json(content))


def _required(name: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AuditError(f"audit record needs a non-empty {name}, got {value!r}")
    return value


def _role(role: Role | str | None) -> str:
    if not role:
        return ""
    try:
        return Role(role).value
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise AuditError(f"audit role {role!r} is not one of {known}") from None


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})


def record(
    session: Session,
    *,
    user: str,
    role: Role | str | None,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
    outcome: AuditOutcome | str = AuditOutcome.OK,
) -> AuditRecord:
    """Append one record inside the caller's transaction and return it (flushed).

    It commits or rolls back with the change it describes. ``details`` holds the request
    (JSON values only; decimals as strings); ``role`` is the role the action was
    authorized under (:attr:`quantlib.platform.rbac.Decision.role`).

    Examples
    --------
    >>> from quantlib.platform.db import open_engine, session_factory, upgrade
    >>> engine = open_engine("sqlite:////tmp/taorui-doc/audit.db")
    >>> _ = upgrade(engine)
    >>> with session_factory(engine).begin() as session:
    ...     entry = record(session, user="li", role="researcher", action="strategy.create",
    ...                    object_type="strategy", object_id=7, details={"name": "momentum"})
    >>> len(entry.hash)
    64
    """
    try:
        outcome_value = AuditOutcome(outcome).value
    except ValueError:
        known = ", ".join(o.value for o in AuditOutcome)
        raise AuditError(f"audit outcome {outcome!r} is not one of {known}") from None
    try:
        stored_details = json.loads(canonical_json(details or {}))
    except ValueError as error:
        raise AuditError(f"audit details for {action!r} are {error}") from None
    entry = AuditRecord(
        at=utc_now(),
        user_name=_required("user", user),
        role=_role(role),
        action=_required("action", action),
        object_type=_required("object type", object_type),
        object_id=_required("object id", str(object_id)),
        details=stored_details,
        outcome=outcome_value,
    )
    _lock_chain(session)
    last = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    entry.seq = last.seq + 1 if last else 1
    entry.prev_hash = last.hash if last else GENESIS_HASH
    entry.hash = record_hash(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`."""

    count: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every record checked holds."""
        return self.problem is None


def _problem(entry: AuditRecord, expected_seq: int, prev_hash: str) -> str | None:
    if entry.seq != expected_seq:
        if entry.seq > expected_seq:
            missing = f"#{expected_seq}" + (
                f"..#{entry.seq - 1}" if entry.seq - 1 > expected_seq else ""
            )
            return f"record(s) {missing} before it are missing (deleted)"
        return f"its sequence number should be {expected_seq} (records reordered)"
    if record_hash(entry) != entry.hash:
        return "its content does not match its hash (edited)"
    if entry.prev_hash != prev_hash:
        return (
            f"its link to record #{entry.seq - 1} does not match: that record was replaced "
            "or re-hashed, or records were inserted or reordered"
        )
    return None


def verify_chain(session: Session, *, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Walk the whole chain; report the first record that does not hold, if any.

    ``anchor`` is a ``(seq, hash)`` pair noted earlier from a report (kept outside the
    database): the record ``seq`` must still exist with that hash. That catches what the
    chain alone cannot: the newest records cut off, or the whole chain rewritten.
    """
    prev_hash, expected, head_seq = GENESIS_HASH, 1, 0
    rows = session.scalars(
        select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=1000)
    )
    for entry in rows:
        problem = _problem(entry, expected, prev_hash)
        if problem is not None:
            return ChainReport(expected - 1, head_seq, prev_hash, entry.seq, problem)
        if anchor is not None and entry.seq == anchor[0] and entry.hash != anchor[1]:
            problem = f"its hash {entry.hash[:16]}… is not the anchored {anchor[1][:16]}…"
            return ChainReport(expected - 1, head_seq, prev_hash, entry.seq, problem)
        prev_hash, head_seq, expected = entry.hash, entry.seq, expected + 1
    if anchor is not None and anchor[0] > head_seq:
        problem = f"the log ends at #{head_seq} but record #{anchor[0]} was anchored (truncated)"
        return ChainReport(head_seq, head_seq, prev_hash, anchor[0], problem)
    return ChainReport(head_seq, head_seq, prev_hash)


def parse_anchor(text_value: str) -> tuple[int, str]:
    """``SEQ:HASH`` (as ``quantlib audit verify`` prints it) as a ``(seq, hash)`` pair."""
    seq, sep, digest = text_value.strip().partition(":")
    digest = digest.lower()
    if not sep or not seq.isdigit() or len(digest) != len(GENESIS_HASH):
        raise ValueError(f"anchor {text_value!r} is not SEQ:HASH (64 hex digits)")
    if any(char not in "0123456789abcdef" for char in digest):
        raise ValueError(f"anchor {text_value!r} has a hash that is not hexadecimal")
    return int(seq), digest


_EARLIEST, _LATEST = dt.date(1900, 1, 1), dt.date(9000, 1, 1)


def _day_bounds(start: object, end: object) -> tuple[dt.datetime | None, dt.datetime | None]:
    first = to_date(start, name="start date") if start is not None else None
    last = to_date(end, name="end date") if end is not None else None
    if first is not None and last is not None:
        check_range(first, last)
    # Days before or after anything a record can carry put no bound on the query (and
    # would overflow the conversion to UTC at the ends of the calendar).
    low = (
        dt.datetime.combine(first, dt.time(), SHANGHAI).astimezone(UTC)
        if first and first > _EARLIEST
        else None
    )
    high = (
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), SHANGHAI).astimezone(UTC)
        if last and last < _LATEST
        else None
    )
    return low, high


def select_records(
    *,
    start: object = None,
    end: object = None,
    user: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    action: str | None = None,
    outcome: str | None = None,
) -> Select[AuditRecord]:
    """A query for records in a date range (Shanghai days, inclusive), by user, object,
    action or outcome.

    Dates are ``YYYY-MM-DD`` or ``YYYYMMDD`` strings or dates; a bad date or a backwards
    range raises :class:`~quantlib.core.errors.DateError` /
    :class:`~quantlib.core.errors.InvalidRangeError`.
    """
    low, high = _day_bounds(start, end)
    query = select(AuditRecord).order_by(AuditRecord.seq)
    if low is not None:
        query = query.where(AuditRecord.at >= low)
    if high is not None:
        query = query.where(AuditRecord.at < high)
    if user is not None:
        query = query.where(AuditRecord.user_name == user)
    if object_type is not None:
        query = query.where(AuditRecord.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditRecord.object_id == str(object_id))
    if action is not None:
        query = query.where(AuditRecord.action == action)
    if outcome is not None:
        query = query.where(AuditRecord.outcome == outcome)
    return query


def _csv_rows(session: Session, query: Select[AuditRecord]) -> Iterator[list[object]]:
    for entry in session.scalars(query.execution_options(yield_per=1000)):
        yield [
            entry.seq,
            _utc(entry.at).astimezone(SHANGHAI).isoformat(timespec="microseconds"),
            entry.user_name,
            entry.role,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.outcome,
            canonical_json(entry.details),
            entry.prev_hash,
            entry.hash,
        ]


def export_csv(session: Session, out: TextIO, query: Select[AuditRecord]) -> int:
    """Write the records ``query`` selects as CSV (times in Shanghai); return how many."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in _csv_rows(session, query):
        writer.writerow(row)
        count += 1
    return count


def csv_chunks(session: Session, query: Select[AuditRecord], rows: int = 1000) -> Iterator[str]:
    """The CSV :func:`export_csv` writes, as text pieces of ``rows`` records (streaming)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for count, row in enumerate(_csv_rows(session, query), start=1):
        writer.writerow(row)
        if count % rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
