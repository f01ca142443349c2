"""Risk limits: firm-wide ones and per-strategy ones, read by all, set by risk officers.

A limit is a name (``max_position_pct``, ``max_order_value`` …), an exact decimal value
and a unit. Setting one creates or replaces it and writes the old and new values to the
audit log.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from quantlib.platform import audit
from quantlib.platform.errors import InvalidInputError
from quantlib.platform.identity import Principal
from quantlib.platform.models import RiskLimit, User
from quantlib.platform.paging import Page, paginate
from quantlib.platform.rbac import Action, require
from quantlib.platform.strategies import get_strategy

NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
#: What a limit's value counts.
UNITS = ("yuan", "percent", "ratio", "shares", "count", "per_second", "per_day", "seconds")
#: Largest magnitude a limit may have (the column holds 18 digits before the point).
MAX_VALUE = Decimal("1e17")


def list_limits(
    session: Session,
    caller: Principal,
    *,
    strategy_id: int | None = None,
    firm_only: bool = False,
    limit: int,
    offset: int,
) -> Page[RiskLimit]:
    """Limits by strategy then name; ``strategy_id`` gives that strategy's and the firm's."""
    require(caller.roles, Action.RISK_LIMIT_READ, user=caller.name, object_type="risk_limit")
    query: Select[Any] = select(RiskLimit).order_by(
        RiskLimit.strategy_id.is_not(None), RiskLimit.strategy_id, RiskLimit.name
    )
    if firm_only:
        query = query.where(RiskLimit.strategy_id.is_(None))
    elif strategy_id is not None:
        get_strategy(session, strategy_id)
        query = query.where(
            (RiskLimit.strategy_id == strategy_id) | RiskLimit.strategy_id.is_(None)
        )
    return paginate(session, query, limit=limit, offset=offset)


def parse_value(raw: str | int | float | Decimal) -> Decimal:
    """A limit value as an exact, finite decimal within range (strings keep every digit)."""
    try:
        value = Decimal(str(raw)) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise InvalidInputError("value", f"not a number: {raw!r}") from None
    if not value.is_finite():
        raise InvalidInputError("value", f"must be finite, got {raw!r}")
    if abs(value) >= MAX_VALUE:
        raise InvalidInputError("value", f"must be below {MAX_VALUE:.0e} in size, got {raw!r}")
    if value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise InvalidInputError("value", f"at most 6 decimal places, got {raw!r}")
    return value


def set_limit(
    session: Session,
    caller: Principal,
    editor: User,
    name: str,
    *,
    value: str | int | float | Decimal,
    unit: str,
    strategy_id: int | None = None,
) -> RiskLimit:
    """Create or change a limit; the audit record holds its previous value."""
    decision = require(
        caller.roles,
        Action.RISK_LIMIT_EDIT,
        user=caller.name,
        object_type="risk_limit",
        object_id=name,
    )
    if not NAME.match(name):
        raise InvalidInputError(
            "name", f"2-64 lowercase letters, digits or '_', starting with a letter; got {name!r}"
        )
    if unit not in UNITS:
        raise InvalidInputError("unit", f"one of {', '.join(UNITS)}, got {unit!r}")
    exact = parse_value(value)
    if strategy_id is not None:
        get_strategy(session, strategy_id)
    scope = (
        RiskLimit.strategy_id.is_(None)
        if strategy_id is None
        else RiskLimit.strategy_id == strategy_id
    )
    current = session.scalar(select(RiskLimit).where(scope, RiskLimit.name == name))
    before = None if current is None else {"value": str(current.value), "unit": current.unit}
    if current is None:
        current = RiskLimit(
            strategy_id=strategy_id, name=name, value=exact, unit=unit, updated_by_id=editor.id
        )
        session.add(current)
    else:
        current.value, current.unit, current.updated_by_id = exact, unit, editor.id
    session.flush()
    audit.record(
        session,
        user=caller.name,
        role=decision.role,
        action=Action.RISK_LIMIT_EDIT,
        object_type="risk_limit",
        object_id=current.id,
        details={
            "name": name,
            "strategy_id": strategy_id,
            "before": before,
            "after": {"value": str(exact), "unit": unit},
        },
    )
    return current
