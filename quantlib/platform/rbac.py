"""Roles and permissions: who may do what, as one table of data.

A user's roles come from their hub groups (a group named like a role gives it), or from
the hub scopes that carry those groups into tokens.
:data:`PERMISSIONS` maps every :class:`Action` to an :class:`Access` for every
:class:`Role`: allowed, allowed on the user's own resources only, or denied. A user with
several roles gets the most generous access any of them gives. On top of the table one
rule holds for everybody, admins included: nobody approves a strategy version they wrote
or a strategy they own (:data:`SELF_APPROVAL_FORBIDDEN`).

:func:`authorize` is the single decision function; the platform service calls it on
every endpoint and writes the decision's role into the audit record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from quantlib.platform.errors import PermissionDeniedError


class Role(StrEnum):
    """A platform role; the hub group of the same name gives it."""

    RESEARCHER = "researcher"
    RISK_OFFICER = "risk_officer"
    TRADER = "trader"
    ADMIN = "admin"


class Access(StrEnum):
    """What a role may do with an action."""

    ALLOWED = "allowed"
    OWN = "own"
    DENIED = "denied"


class Action(StrEnum):
    """Everything the platform lets a person do, named ``object.verb``."""

    STRATEGY_CREATE = "strategy.create"
    STRATEGY_READ = "strategy.read"
    STRATEGY_UPDATE = "strategy.update"
    VERSION_UPLOAD = "strategy_version.upload"
    VERSION_READ_CODE = "strategy_version.read_code"
    BACKTEST_RUN = "backtest.run"
    BACKTEST_READ = "backtest.read"
    JOB_READ = "job.read"
    JOB_CANCEL = "job.cancel"
    PIPELINE_SUBMIT = "pipeline.submit"
    PIPELINE_READ = "pipeline.read"
    APPROVAL_REVIEW = "approval.review"
    APPROVAL_FINAL = "approval.final"
    RISK_LIMIT_READ = "risk_limit.read"
    RISK_LIMIT_EDIT = "risk_limit.edit"
    LIVE_START = "live.start"
    LIVE_STOP = "live.stop"
    KILL_SWITCH = "live.kill_switch"
    ORDER_READ = "order.read"
    USER_READ = "user.read"
    ROLE_MANAGE = "role.manage"
    AUDIT_READ = "audit.read"
    AUDIT_EXPORT = "audit.export"


_R, _K, _T, _A = Role.RESEARCHER, Role.RISK_OFFICER, Role.TRADER, Role.ADMIN
_Y, _O, _N = Access.ALLOWED, Access.OWN, Access.DENIED

#: (researcher, risk_officer, trader, admin) for each action.
_TABLE: dict[Action, tuple[Access, Access, Access, Access]] = {
    Action.STRATEGY_CREATE: (_Y, _N, _N, _N),
    Action.STRATEGY_READ: (_Y, _Y, _Y, _Y),
    Action.STRATEGY_UPDATE: (_O, _N, _N, _N),
    Action.VERSION_UPLOAD: (_O, _N, _N, _N),
    Action.VERSION_READ_CODE: (_O, _Y, _N, _Y),
    Action.BACKTEST_RUN: (_O, _N, _N, _N),
    Action.BACKTEST_READ: (_Y, _Y, _Y, _Y),
    Action.JOB_READ: (_O, _Y, _N, _Y),
    Action.JOB_CANCEL: (_O, _N, _N, _Y),
    Action.PIPELINE_SUBMIT: (_O, _N, _N, _N),
    Action.PIPELINE_READ: (_Y, _Y, _Y, _Y),
    Action.APPROVAL_REVIEW: (_N, _Y, _N, _N),
    Action.APPROVAL_FINAL: (_N, _N, _N, _Y),
    Action.RISK_LIMIT_READ: (_Y, _Y, _Y, _Y),
    Action.RISK_LIMIT_EDIT: (_N, _Y, _N, _N),
    Action.LIVE_START: (_N, _N, _Y, _N),
    Action.LIVE_STOP: (_N, _N, _Y, _N),
    Action.KILL_SWITCH: (_N, _Y, _Y, _N),
    Action.ORDER_READ: (_N, _Y, _Y, _Y),
    Action.USER_READ: (_O, _Y, _O, _Y),
    Action.ROLE_MANAGE: (_N, _N, _N, _Y),
    Action.AUDIT_READ: (_N, _Y, _N, _Y),
    Action.AUDIT_EXPORT: (_N, _Y, _N, _Y),
}

#: The permission matrix: ``PERMISSIONS[action][role]`` for every action and role.
PERMISSIONS: Mapping[Action, Mapping[Role, Access]] = MappingProxyType(
    {
        action: MappingProxyType(dict(zip((_R, _K, _T, _A), row, strict=True)))
        for action, row in _TABLE.items()
    }
)

#: Actions refused to the author of the strategy version and the owner of its strategy.
SELF_APPROVAL_FORBIDDEN: frozenset[Action] = frozenset(
    {Action.APPROVAL_REVIEW, Action.APPROVAL_FINAL}
)

#: Order of generosity when a user's roles disagree.
_RANK = {Access.DENIED: 0, Access.OWN: 1, Access.ALLOWED: 2}


@dataclass(frozen=True)
class Decision:
    """The answer of :func:`authorize`: allowed or not, under which role, and why.

    ``role`` is the role that granted the action (what the audit record names), ``None``
    when it was refused.
    """

    allowed: bool
    action: Action
    role: Role | None
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def roles_from_groups(groups: Iterable[str]) -> frozenset[Role]:
    """The roles given by hub group names; groups that are not role names give none.

    Examples
    --------
    >>> sorted(roles_from_groups(["researcher", "quant-team", "admin"]))
    [<Role.ADMIN: 'admin'>, <Role.RESEARCHER: 'researcher'>]
    """
    known = {role.value: role for role in Role}
    return frozenset(known[name] for name in groups if name in known)


#: Prefix of the hub's custom scopes that carry group membership (``hub/groups.py``).
HUB_SCOPE_PREFIX = "custom:taorui:"


def roles_from_scopes(scopes: Iterable[str]) -> frozenset[Role]:
    """The roles carried by a hub token's scopes (``custom:taorui:<group>``).

    Examples
    --------
    >>> sorted(roles_from_scopes(["read:users", "custom:taorui:trader"]))
    [<Role.TRADER: 'trader'>]
    """
    return roles_from_groups(
        scope.removeprefix(HUB_SCOPE_PREFIX)
        for scope in scopes
        if scope.startswith(HUB_SCOPE_PREFIX)
    )


def _parse_action(action: Action | str) -> Action:
    try:
        return Action(action)
    except ValueError:
        known = ", ".join(a.value for a in Action)
        raise ValueError(f"unknown action {action!r}; known actions: {known}") from None


def _parse_roles(user_roles: Iterable[Role | str]) -> list[Role]:
    roles = []
    for role in user_roles:
        try:
            roles.append(Role(role))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {role!r}; known roles: {known}") from None
    return roles


def authorize(
    user_roles: Iterable[Role | str],
    action: Action | str,
    *,
    user: str,
    resource_owner: str | None = None,
    version_author: str | None = None,
) -> Decision:
    """Decide whether ``user`` holding ``user_roles`` may perform ``action``.

    ``resource_owner`` is the user who owns the object acted on (for strategies, versions,
    backtests and jobs); an action a role has only on its own resources is refused
    without it. For approvals, ``version_author`` is who wrote the version under review;
    approving as its author, or as its strategy's owner, is refused whatever the role.

    Examples
    --------
    >>> authorize(["researcher"], "backtest.run", user="li", resource_owner="li").allowed
    True
    >>> authorize(["researcher"], "backtest.run", user="li", resource_owner="wang").reason
    'backtest.run is allowed to researcher only on their own resources; wang owns this one'
    >>> decision = authorize(["admin"], "approval.final", user="zhao", version_author="zhao")
    >>> decision.allowed, decision.reason
    (False, 'nobody approves their own strategy version: zhao wrote it')
    """
    chosen = _parse_action(action)
    roles = _parse_roles(user_roles)
    if not roles:
        return Decision(False, chosen, None, f"{user} has no platform role")
    if chosen in SELF_APPROVAL_FORBIDDEN:
        if version_author == user:
            reason = f"nobody approves their own strategy version: {user} wrote it"
            return Decision(False, chosen, None, reason)
        if resource_owner == user:
            reason = f"nobody approves their own strategy version: {user} owns the strategy"
            return Decision(False, chosen, None, reason)
    ranked = sorted(roles, key=lambda role: (-_RANK[PERMISSIONS[chosen][role]], role.value))
    best = ranked[0]
    access = PERMISSIONS[chosen][best]
    if access is Access.ALLOWED:
        return Decision(True, chosen, best, f"{chosen} is allowed to {best}")
    if access is Access.OWN:
        if resource_owner == user:
            return Decision(True, chosen, best, f"{chosen} is allowed to {best} as owner")
        whose = f"{resource_owner} owns this one" if resource_owner else "no owner was given"
        reason = f"{chosen} is allowed to {best} only on their own resources; {whose}"
        return Decision(False, chosen, None, reason)
    held = ", ".join(sorted(role.value for role in roles))
    return Decision(False, chosen, None, f"{chosen} is not allowed to {held}")


def require(
    user_roles: Iterable[Role | str],
    action: Action | str,
    *,
    user: str,
    resource_owner: str | None = None,
    version_author: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
) -> Decision:
    """:func:`authorize`, raising :class:`PermissionDeniedError` with the reason if refused.

    ``object_type`` and ``object_id`` name what was acted on, for the audit record of a
    refusal.
    """
    decision = authorize(
        user_roles, action, user=user, resource_owner=resource_owner, version_author=version_author
    )
    if not decision.allowed:
        raise PermissionDeniedError(
            f"{user} may not {decision.action}: {decision.reason}",
            action=decision.action.value,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
        )
    return decision


def best_access(user_roles: Iterable[Role | str], action: Action | str) -> Access:
    """The most generous access any of the roles has to ``action``.

    Examples
    --------
    >>> best_access(["researcher", "risk_officer"], "job.read")
    <Access.ALLOWED: 'allowed'>
    >>> best_access([], "job.read")
    <Access.DENIED: 'denied'>
    """
    chosen = _parse_action(action)
    row = PERMISSIONS[chosen]
    return max(
        (row[role] for role in _parse_roles(user_roles)),
        key=_RANK.__getitem__,
        default=Access.DENIED,
    )


def permission_table_markdown() -> str:
    """The permission matrix as a Markdown table (the one ``docs/platform.md`` shows)."""
    marks = {Access.ALLOWED: "yes", Access.OWN: "own", Access.DENIED: "—"}
    lines = [
        "| action | " + " | ".join(role.value for role in Role) + " |",
        "|---|" + "---|" * len(Role),
    ]
    for action, row in PERMISSIONS.items():
        cells = " | ".join(marks[row[role]] for role in Role)
        lines.append(f"| `{action.value}` | {cells} |")
    return "\n".join(lines) + "\n"
