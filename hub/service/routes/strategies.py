"""``/api/strategies``: strategies, their versions, and the difference between two."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from hub.service.deps import Caller, Member, State, user_row
from hub.service.schemas import (
    DiffOut,
    Filter,
    Id,
    Limit,
    Number,
    Offset,
    Page,
    StrategyCreate,
    StrategyOut,
    VersionOut,
    VersionUpload,
)
from quantlib.platform import strategies
from quantlib.platform.paging import DEFAULT_LIMIT

router = APIRouter(prefix="/api/strategies", tags=["strategies"])


@router.get("", response_model=Page[StrategyOut], summary="List strategies")
def list_strategies(
    caller: Caller,
    state: State,
    owner: Filter = None,
    q: Filter = None,
    include_archived: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[StrategyOut]:
    """Strategies by name; filter by ``owner`` and by ``q`` (a piece of the name)."""
    with state.sessions.begin() as session:
        page = strategies.list_strategies(
            session,
            caller,
            owner=owner,
            name_contains=q,
            include_archived=include_archived,
            limit=limit,
            offset=offset,
        )
        counts = strategies.version_counts(session, [s.id for s in page.items])
        items = [StrategyOut.of(s, counts.get(s.id, 0)) for s in page.items]
    return Page[StrategyOut].of(page, items)


@router.post(
    "",
    response_model=StrategyOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a strategy",
)
def create_strategy(
    body: StrategyCreate, caller: Caller, member: Member, state: State
) -> StrategyOut:
    """A new strategy owned by the caller (researchers)."""
    with state.sessions.begin() as session:
        strategy = strategies.create_strategy(
            session, caller, user_row(session, member), body.name, body.description
        )
        return StrategyOut.of(strategy, 0)


@router.get("/{strategy_id}", response_model=StrategyOut, summary="Read a strategy")
def read_strategy(strategy_id: Id, caller: Caller, state: State) -> StrategyOut:
    """One strategy with its number of versions."""
    with state.sessions.begin() as session:
        strategy = strategies.read_strategy(session, caller, strategy_id)
        counts = strategies.version_counts(session, [strategy.id])
        return StrategyOut.of(strategy, counts.get(strategy.id, 0))


@router.get("/{strategy_id}/versions", response_model=Page[VersionOut], summary="List versions")
def list_versions(
    strategy_id: Id,
    caller: Caller,
    state: State,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[VersionOut]:
    """A strategy's versions, newest first; code included where the caller may read it."""
    with state.sessions.begin() as session:
        page = strategies.list_versions(session, caller, strategy_id, limit=limit, offset=offset)
        readable = strategies.may_read_code(caller, strategies.get_strategy(session, strategy_id))
        items = [VersionOut.of(v, with_code=readable) for v in page.items]
    return Page[VersionOut].of(page, items)


@router.post(
    "/{strategy_id}/versions",
    response_model=VersionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a version",
)
def upload_version(
    strategy_id: Id, body: VersionUpload, caller: Caller, member: Member, state: State
) -> VersionOut:
    """The next version of the caller's strategy; the code is checked, never run here."""
    with state.sessions.begin() as session:
        version = strategies.upload_version(
            session,
            caller,
            user_row(session, member),
            strategy_id,
            code=body.code,
            config=body.config,
            message=body.message,
            git_commit=body.git_commit,
        )
        return VersionOut.of(version, with_code=True)


@router.get("/{strategy_id}/versions/{number}", response_model=VersionOut, summary="Read a version")
def read_version(strategy_id: Id, number: Number, caller: Caller, state: State) -> VersionOut:
    """One version; its code only where the caller may read it."""
    with state.sessions.begin() as session:
        version = strategies.read_version(session, caller, strategy_id, number)
        readable = strategies.may_read_code(caller, version.strategy)
        return VersionOut.of(version, with_code=readable)


@router.get("/{strategy_id}/diff", response_model=DiffOut, summary="Compare two versions")
def diff(
    strategy_id: Id,
    caller: Caller,
    state: State,
    from_version: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1)],
) -> DiffOut:
    """A unified diff of the code of versions ``from`` and ``to``, and their config changes."""
    with state.sessions.begin() as session:
        found = strategies.diff_versions(session, caller, strategy_id, from_version, to_version)
    return DiffOut(
        strategy_id=found.strategy_id,
        from_version=found.from_number,
        to_version=found.to_number,
        identical=found.identical,
        code_diff=found.code_diff,
        config_added=found.config_added,
        config_removed=found.config_removed,
        config_changed=found.config_changed,
    )
