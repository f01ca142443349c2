"""The mirror of hub users and groups in the platform database.

The hub owns people and group membership; each request's caller is mirrored here
(:func:`mirror_caller`) so that strategies, versions and jobs can name their owner and
the database answers "who is in which group" without the hub. A change of a person's
groups, seen on their next request, writes an audit record.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from quantlib.platform import audit
from quantlib.platform.errors import NotFoundError
from quantlib.platform.identity import Principal
from quantlib.platform.models import Group, User


def _groups_of(principal: Principal) -> set[str]:
    """The caller's groups: as the hub listed them, else those their scopes carry."""
    return set(principal.groups) or set(principal.role_names)


def _group(session: Session, name: str) -> Group:
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name)
        session.add(group)
    return group


def mirror_caller(session: Session, principal: Principal) -> User:
    """The caller's row, created or brought up to date with the hub's groups.

    Examples
    --------
    >>> from quantlib.platform.db import open_engine, session_factory, upgrade
    >>> engine = open_engine("sqlite:////tmp/taorui-doc/users.db")
    >>> _ = upgrade(engine)
    >>> with session_factory(engine).begin() as session:
    ...     user = mirror_caller(session, Principal.from_hub("li", groups=["researcher"]))
    ...     user.group_names
    ['researcher']
    """
    user = session.scalar(select(User).where(User.name == principal.name))
    wanted = _groups_of(principal)
    if user is None:
        user = User(name=principal.name, groups=[_group(session, g) for g in sorted(wanted)])
        session.add(user)
        session.flush()
        audit.record(
            session,
            user=principal.name,
            role=None,
            action="user.mirror",
            object_type="user",
            object_id=user.id,
            details={"groups": sorted(wanted)},
        )
        return user
    held = set(user.group_names)
    if held != wanted or not user.active:
        user.groups = [_group(session, g) for g in sorted(wanted)]
        user.active = True
        session.flush()
        audit.record(
            session,
            user=principal.name,
            role=None,
            action="user.groups_changed",
            object_type="user",
            object_id=user.id,
            details={"before": sorted(held), "after": sorted(wanted)},
        )
    return user


def user_by_name(session: Session, name: str) -> User:
    """The mirrored user called ``name``; :class:`NotFoundError` if never seen."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"no user {name!r} has used the platform")
    return user
