"""Who is calling: the authenticated person (or service) behind a platform request.

The platform service builds a :class:`Principal` from the hub's answer about a token
(``/hub/api/user``): the name, the hub groups and the token's scopes. The roles come from
the groups, or, when the hub does not show the groups, from the ``custom:taorui:<group>``
scopes the hub puts into tokens (:mod:`quantlib.platform.rbac`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from quantlib.platform.rbac import Role, roles_from_groups, roles_from_scopes


class PrincipalKind(StrEnum):
    """A person signed in to the hub, or a hub service acting for itself."""

    USER = "user"
    SERVICE = "service"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: hub name, hub groups, token scopes and platform roles.

    Examples
    --------
    >>> who = Principal.from_hub("li", groups=["researcher"], scopes=["self"])
    >>> sorted(who.roles), who.role_names
    ([<Role.RESEARCHER: 'researcher'>], ['researcher'])
    """

    name: str
    groups: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    roles: frozenset[Role] = frozenset()
    kind: PrincipalKind = PrincipalKind.USER
    admin: bool = field(default=False)

    @classmethod
    def from_hub(
        cls,
        name: str,
        *,
        groups: Iterable[str] = (),
        scopes: Iterable[str] = (),
        kind: PrincipalKind = PrincipalKind.USER,
        admin: bool = False,
    ) -> Principal:
        """A principal from what the hub says of a token; roles from groups and scopes."""
        group_set = frozenset(groups)
        scope_set = frozenset(scopes)
        roles = roles_from_groups(group_set) | roles_from_scopes(scope_set)
        return cls(name, group_set, scope_set, roles, kind, admin)

    @property
    def role_names(self) -> list[str]:
        """The platform roles by name, sorted."""
        return sorted(role.value for role in self.roles)
