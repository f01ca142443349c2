"""``/api/audit``: query the audit log, export it as CSV, verify its hash chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Select

from hub.service.deps import Caller, State
from hub.service.schemas import AuditOut, ChainOut, Filter, Limit, Offset, Page
from quantlib.core.errors import DateError, InvalidRangeError
from quantlib.platform import audit
from quantlib.platform.errors import InvalidInputError
from quantlib.platform.models import AuditRecord
from quantlib.platform.paging import DEFAULT_LIMIT, paginate
from quantlib.platform.rbac import Action, require

router = APIRouter(prefix="/api/audit", tags=["audit"])

Day = Annotated[dt.date | None, Query(description="a Shanghai calendar day, YYYY-MM-DD")]
Outcome = Annotated[str | None, Query(pattern=r"^(ok|denied|failed)$")]
ObjectId = Annotated[str | None, Query(max_length=128, pattern=r"^[^\x00]*$")]


def _query(
    *,
    user: str | None,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    outcome: str | None,
    since: dt.date | None,
    until: dt.date | None,
) -> Select[AuditRecord]:
    try:
        return audit.select_records(
            start=since,
            end=until,
            user=user,
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
        )
    except (DateError, InvalidRangeError) as error:
        raise InvalidInputError("until", str(error)) from None


def _filters(
    user: Filter = None,
    action: Filter = None,
    object_type: Filter = None,
    object_id: ObjectId = None,
    outcome: Outcome = None,
    since: Day = None,
    until: Day = None,
) -> dict[str, Any]:
    return {
        "user": user,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "outcome": outcome,
        "since": since,
        "until": until,
    }


Filters = Annotated[dict[str, Any], Depends(_filters)]


@router.get("", response_model=Page[AuditOut], summary="Query the audit log")
def query_audit(
    caller: Caller,
    state: State,
    filters: Filters,
    newest_first: bool = True,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[AuditOut]:
    """Records by user, action, object, outcome and day range (inclusive)."""
    require(caller.roles, Action.AUDIT_READ, user=caller.name, object_type="audit_log")
    query = _query(**filters)
    if newest_first:
        query = query.order_by(None).order_by(AuditRecord.seq.desc())
    with state.sessions.begin() as session:
        page = paginate(session, query, limit=limit, offset=offset)
        items = [AuditOut.model_validate(entry) for entry in page.items]
    return Page[AuditOut].of(page, items)


def _stream(state: Any, query: Select[AuditRecord]) -> Iterator[str]:
    with state.sessions() as session:
        yield from audit.csv_chunks(session, query)


@router.get(
    "/export",
    response_class=StreamingResponse,
    summary="Export the audit log as CSV",
    responses={200: {"content": {"text/csv": {}}, "description": "CSV, times in Shanghai"}},
)
def export_audit(caller: Caller, state: State, filters: Filters) -> StreamingResponse:
    """The selected records as CSV, oldest first; the export itself is audited."""
    decision = require(caller.roles, Action.AUDIT_EXPORT, user=caller.name, object_type="audit_log")
    query = _query(**filters)
    with state.sessions.begin() as session:
        audit.record(
            session,
            user=caller.name,
            role=decision.role,
            action=Action.AUDIT_EXPORT,
            object_type="audit_log",
            object_id="export",
            details={key: str(value) for key, value in filters.items() if value is not None},
        )
    return StreamingResponse(
        _stream(state, query),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@router.get("/verify", response_model=ChainOut, summary="Verify the audit chain")
def verify(caller: Caller, state: State) -> ChainOut:
    """Recompute every record's hash and link; name the first broken record."""
    require(caller.roles, Action.AUDIT_READ, user=caller.name, object_type="audit_log")
    with state.sessions.begin() as session:
        report = audit.verify_chain(session)
    return ChainOut(
        ok=report.ok,
        count=report.count,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        first_bad_seq=report.first_bad_seq,
        problem=report.problem,
    )
