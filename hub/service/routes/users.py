"""``/api/users``: the people the platform has seen, with their groups and roles."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from hub.service.deps import Caller, State
from hub.service.schemas import Filter, Limit, Offset, Page, UserOut
from quantlib.platform.models import User
from quantlib.platform.paging import DEFAULT_LIMIT, paginate
from quantlib.platform.rbac import Access, Action, best_access, require, roles_from_groups

router = APIRouter(prefix="/api/users", tags=["users"])


@router.get("", response_model=Page[UserOut], summary="List users")
def list_users(
    caller: Caller,
    state: State,
    group: Filter = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[UserOut]:
    """Users by name with their hub groups and platform roles (others see only themselves)."""
    access = best_access(caller.roles, Action.USER_READ)
    if access is Access.DENIED:
        require(caller.roles, Action.USER_READ, user=caller.name, object_type="user")
    query = select(User).order_by(User.name)
    if access is Access.OWN:
        query = query.where(User.name == caller.name)
    if group is not None:
        query = query.where(User.groups.any(name=group))
    with state.sessions.begin() as session:
        page = paginate(session, query, limit=limit, offset=offset)
        items = [
            UserOut(
                name=user.name,
                groups=user.group_names,
                roles=sorted(role.value for role in roles_from_groups(user.group_names)),
                active=user.active,
            )
            for user in page.items
        ]
    return Page[UserOut].of(page, items)
