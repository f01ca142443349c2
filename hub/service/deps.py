"""What every endpoint depends on: the caller, a database session, the job runner.

The service's state (engine, sessions, identity, runner) lives on ``app.state`` as a
:class:`ServiceState`, built by :func:`hub.service.app.create_app`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from threading import Lock
from typing import TYPE_CHECKING, Annotated, Protocol

from fastapi import Depends, HTTPException, Request, status
from fastapi.routing import APIRouter
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from quantlib.platform.config import PlatformConfig
from quantlib.platform.errors import NotFoundError, PlatformUnavailableError
from quantlib.platform.identity import Principal
from quantlib.platform.models import User
from quantlib.platform.users import mirror_caller

if TYPE_CHECKING:
    from quantlib.platform.jobs import JobRunner


class Identity(Protocol):
    """How the service learns who calls: the hub, by token or OAuth cookie."""

    async def principal(self, request: Request) -> Principal | None:
        """The caller of ``request``, or ``None`` when it carries no valid credentials."""
        ...

    def router(self) -> APIRouter | None:
        """Routes the identity needs (the OAuth callback), if any."""
        ...


@dataclass
class ServiceState:
    """Everything a request handler may need, shared by the whole app."""

    config: PlatformConfig
    engine: Engine
    sessions: sessionmaker[Session]
    identity: Identity
    runner: JobRunner | None
    mirrored: dict[tuple[str, frozenset[str]], int] = field(default_factory=dict)
    mirror_lock: Lock = field(default_factory=Lock)

    def require_runner(self) -> JobRunner:
        """The job runner; :class:`PlatformUnavailableError` (503) when there is none."""
        if self.runner is None:
            raise PlatformUnavailableError("the platform service runs no job runner")
        return self.runner

    def member_id(self, principal: Principal) -> int:
        """The caller's user id, mirroring the hub's groups when they changed.

        A caller seen with the same groups before is not written again; a first request
        racing another for the same new user retries once on the unique name.
        """
        key = (principal.name, frozenset(principal.groups) | frozenset(principal.role_names))
        with self.mirror_lock:
            known = self.mirrored.get(key)
        if known is not None:
            return known
        for attempt in (1, 2):
            try:
                with self.sessions.begin() as session:
                    user_id = mirror_caller(session, principal).id
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        with self.mirror_lock:
            self.mirrored[key] = user_id
        return user_id


def service_state(request: Request) -> ServiceState:
    """The app's :class:`ServiceState`."""
    state: ServiceState = request.app.state.service
    return state


async def current_principal(
    request: Request, state: Annotated[ServiceState, Depends(service_state)]
) -> Principal:
    """The authenticated caller; 401 with how to authenticate when there is none."""
    principal = await state.identity.principal(request)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="authentication required: send a hub API token "
            "(Authorization: token <token>) or sign in through the hub",
            headers={"WWW-Authenticate": "token"},
        )
    request.state.principal = principal
    return principal


def member(
    caller: Annotated[Principal, Depends(current_principal)],
    state: Annotated[ServiceState, Depends(service_state)],
) -> int:
    """The caller's mirrored user id."""
    return state.member_id(caller)


def user_row(session: Session, user_id: int) -> User:
    """The mirrored user ``user_id`` in ``session``."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} is no longer in the platform database")
    return user


Caller = Annotated[Principal, Depends(current_principal)]
Member = Annotated[int, Depends(member)]
State = Annotated[ServiceState, Depends(service_state)]
