"""``/api/risk-limits``: read the firm's and strategies' limits; risk officers set them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from hub.service.deps import Caller, Member, State, user_row
from hub.service.schemas import Limit, LimitOut, LimitSet, Offset, OptionalId, Page
from quantlib.platform import limits
from quantlib.platform.models import RiskLimit, User
from quantlib.platform.paging import DEFAULT_LIMIT

router = APIRouter(prefix="/api/risk-limits", tags=["risk limits"])

LimitName = Annotated[
    str,
    Path(
        pattern=r"^[a-z][a-z0-9_]{1,63}$",
        description="2-64 lowercase letters, digits or '_', starting with a letter",
    ),
]


def _out(session: Session, limit: RiskLimit) -> LimitOut:
    editor = session.get(User, limit.updated_by_id)
    return LimitOut.of(limit, editor.name if editor is not None else "")


@router.get("", response_model=Page[LimitOut], summary="List risk limits")
def list_limits(
    caller: Caller,
    state: State,
    strategy_id: OptionalId = None,
    firm_only: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[LimitOut]:
    """Firm-wide limits, and with ``strategy_id`` that strategy's own as well."""
    with state.sessions.begin() as session:
        page = limits.list_limits(
            session,
            caller,
            strategy_id=strategy_id,
            firm_only=firm_only,
            limit=limit,
            offset=offset,
        )
        items = [_out(session, item) for item in page.items]
    return Page[LimitOut].of(page, items)


@router.put("/{name}", response_model=LimitOut, summary="Set a risk limit")
def set_limit(
    name: LimitName,
    body: LimitSet,
    caller: Caller,
    member: Member,
    state: State,
    strategy_id: OptionalId = None,
) -> LimitOut:
    """Create or change a limit, firm-wide or (with ``strategy_id``) for one strategy."""
    with state.sessions.begin() as session:
        item = limits.set_limit(
            session,
            caller,
            user_row(session, member),
            name,
            value=body.value,
            unit=body.unit,
            strategy_id=strategy_id,
        )
        return _out(session, item)
