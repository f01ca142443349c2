"""The mirror of hub users and groups in the platform database.

The hub owns people and group membership. The platform keeps a row per person so that
strategies, versions and jobs can name their owner and the database answers "who is in
which group" without the hub. Two paths keep the rows in step with the hub:

* :func:`mirror_caller`, on each request, for the caller (created, regrouped or
  reactivated as their token says);
* :func:`sync_directory`, for everyone at once, from the hub's full list of users and
  their groups (:mod:`hub.service.sync` runs it periodically): people new to the platform
  are created, changed groups are set, people the hub no longer has are marked inactive
  (their rows stay: strategies and the audit log name them) and returning ones are
  reactivated.

Every change writes one audit record in the caller's transaction: ``user.mirror``,
``user.groups_changed``, ``user.deactivated`` or ``user.reactivated``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from quantlib.platform import audit
from quantlib.platform.errors import NotFoundError
from quantlib.platform.identity import Principal
from quantlib.platform.job_state import SYSTEM_USER
from quantlib.platform.models import Group, User

MIRROR_ACTION = "user.mirror"
GROUPS_CHANGED_ACTION = "user.groups_changed"
DEACTIVATED_ACTION = "user.deactivated"
REACTIVATED_ACTION = "user.reactivated"


@dataclass(frozen=True)
class SyncReport:
    """What :func:`sync_directory` changed, counted by kind of change.

    A returning person whose groups also changed counts as reactivated and regrouped.

    Attributes
    ----------
    created
        People new to the platform.
    regrouped
        People whose groups were set to the hub's.
    deactivated
        People the hub no longer has, marked inactive.
    reactivated
        Inactive people the hub has again.
    unchanged
        People in the hub whose rows already matched.
    """

    created: int = 0
    regrouped: int = 0
    deactivated: int = 0
    reactivated: int = 0
    unchanged: int = 0

    @property
    def changes(self) -> int:
        """The audit records the sync wrote (one per change)."""
        return self.created + self.regrouped + self.deactivated + self.reactivated

    def describe(self) -> str:
        """One line for the log.

        Examples
        --------
        >>> SyncReport(created=2, unchanged=5).describe()
        '2 created, 0 regrouped, 0 deactivated, 0 reactivated, 5 unchanged'
        """
        return (
            f"{self.created} created, {self.regrouped} regrouped, "
            f"{self.deactivated} deactivated, {self.reactivated} reactivated, "
            f"{self.unchanged} unchanged"
        )


@dataclass
class _Changes:
    """Rows changed in a session and the audit records they call for, written last."""

    session: Session
    actor: str
    _groups: dict[str, Group] = field(default_factory=dict)
    _pending: list[tuple[str, User, dict[str, Any]]] = field(default_factory=list)

    def group(self, name: str) -> Group:
        """The group called ``name``, created when the database does not have it yet."""
        known = self._groups.get(name)
        if known is None:
            known = self.session.scalar(select(Group).where(Group.name == name))
            if known is None:
                known = Group(name=name)
                self.session.add(known)
            self._groups[name] = known
        return known

    def create(self, name: str, wanted: set[str]) -> User:
        """A new row for ``name`` in ``wanted``'s groups."""
        user = User(name=name, groups=[self.group(g) for g in sorted(wanted)])
        self.session.add(user)
        self._pending.append((MIRROR_ACTION, user, {"groups": sorted(wanted)}))
        return user

    def reactivate(self, user: User) -> None:
        """Mark ``user`` active again."""
        user.active = True
        self._pending.append((REACTIVATED_ACTION, user, {"groups": user.group_names}))

    def deactivate(self, user: User) -> None:
        """Mark ``user`` inactive; the row and its groups stay."""
        user.active = False
        self._pending.append((DEACTIVATED_ACTION, user, {"groups": user.group_names}))

    def regroup(self, user: User, wanted: set[str]) -> bool:
        """Set ``user``'s groups to ``wanted``; whether they differed."""
        held = user.group_names
        if set(held) == wanted:
            return False
        user.groups = [self.group(g) for g in sorted(wanted)]
        self._pending.append(
            (GROUPS_CHANGED_ACTION, user, {"before": held, "after": sorted(wanted)})
        )
        return True

    def write_audit(self) -> None:
        """Flush the rows, then append one audit record per change, in order."""
        if not self._pending:
            return
        self.session.flush()
        for action, user, details in self._pending:
            audit.record(
                self.session,
                user=self.actor,
                role=None,
                action=action,
                object_type="user",
                object_id=user.id,
                details=details,
            )
        self._pending.clear()


def _groups_of(principal: Principal) -> set[str]:
    """The caller's groups: as the hub listed them, else those their scopes carry."""
    return set(principal.groups) or set(principal.role_names)


def mirror_caller(session: Session, principal: Principal) -> User:
    """The caller's row, created or brought up to date with the hub's groups.

    A caller whose row was deactivated (the hub had lost them at a sync) exists in the
    hub again, so the row is reactivated. The audit records name the caller.

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
    changes = _Changes(session, actor=principal.name)
    wanted = _groups_of(principal)
    user = session.scalar(select(User).where(User.name == principal.name))
    if user is None:
        user = changes.create(principal.name, wanted)
    else:
        if not user.active:
            changes.reactivate(user)
        changes.regroup(user, wanted)
    changes.write_audit()
    return user


def sync_directory(session: Session, hub_users: Mapping[str, Iterable[str]]) -> SyncReport:
    """Bring every row in step with the hub's full list of users and their groups.

    Runs in the caller's transaction and writes nothing when the rows already match, so
    running it twice with the same list changes nothing the second time.

    Parameters
    ----------
    session
        A session in a transaction; the changes and their audit records (by user
        ``system``) commit or roll back with it.
    hub_users
        Every user the hub has, by name, with the names of their groups.

    Returns
    -------
    SyncReport
        How many people were created, regrouped, deactivated, reactivated or unchanged.

    Examples
    --------
    >>> from quantlib.platform.db import open_engine, session_factory, upgrade
    >>> engine = open_engine("sqlite:////tmp/taorui-doc/users-sync.db")
    >>> _ = upgrade(engine)
    >>> with session_factory(engine).begin() as session:
    ...     _ = sync_directory(session, {"wu": ["trader"]})
    ...     (user_by_name(session, "wu").group_names, user_by_name(session, "wu").active)
    (['trader'], True)
    >>> with session_factory(engine).begin() as session:
    ...     _ = sync_directory(session, {})
    ...     user_by_name(session, "wu").active
    False
    """
    wanted_by_name = {name: set(groups) for name, groups in hub_users.items()}
    rows = {
        user.name: user for user in session.scalars(select(User).options(selectinload(User.groups)))
    }
    changes = _Changes(session, actor=SYSTEM_USER)
    counts = dict.fromkeys(("created", "regrouped", "deactivated", "reactivated", "unchanged"), 0)
    for name in sorted(wanted_by_name):
        wanted = wanted_by_name[name]
        user = rows.get(name)
        if user is None:
            changes.create(name, wanted)
            counts["created"] += 1
            continue
        reactivated = not user.active
        if reactivated:
            changes.reactivate(user)
            counts["reactivated"] += 1
        regrouped = changes.regroup(user, wanted)
        counts["regrouped"] += regrouped
        counts["unchanged"] += not (reactivated or regrouped)
    for name in sorted(rows.keys() - wanted_by_name.keys()):
        if rows[name].active:
            changes.deactivate(rows[name])
            counts["deactivated"] += 1
    changes.write_audit()
    return SyncReport(**counts)


def user_by_name(session: Session, name: str) -> User:
    """The mirrored user called ``name``; :class:`NotFoundError` if never seen."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"no user {name!r} has used the platform")
    return user
