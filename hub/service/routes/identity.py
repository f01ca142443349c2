"""``/api/me``: who the caller is, their roles and what the roles let them do."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from hub.service.deps import Caller
from quantlib.platform.rbac import PERMISSIONS, best_access

router = APIRouter(prefix="/api", tags=["identity"])


class Me(BaseModel):
    """The caller as the platform sees them."""

    name: str
    kind: str
    groups: list[str]
    roles: list[str]
    permissions: dict[str, str]


@router.get("/me", response_model=Me, summary="The caller's identity and roles")
def me(caller: Caller) -> Me:
    """The caller's hub name and groups, platform roles, and access per action
    (``allowed``, ``own`` for their own resources only, or ``denied``)."""
    permissions = {action.value: best_access(caller.roles, action).value for action in PERMISSIONS}
    return Me(
        name=caller.name,
        kind=caller.kind.value,
        groups=sorted(caller.groups),
        roles=caller.role_names,
        permissions=permissions,
    )
