"""Strategies and their versions: create, upload, list, read and compare.

A version's code is checked when it is uploaded — it must parse, and its ``PARAMS`` and
``UNIVERSE`` must be literals — by reading it, never by running it: strategy code runs
only in the job workers. Versions are numbered 1, 2, … per strategy; uploading content
identical to an earlier version is refused with that version's number.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantlib.backtest.context import StrategyError
from quantlib.backtest.strategy import HOOKS, script_metadata
from quantlib.platform import audit
from quantlib.platform.errors import ConflictError, InvalidInputError, NotFoundError
from quantlib.platform.identity import Principal
from quantlib.platform.models import Strategy, StrategyVersion, User, version_content_hash
from quantlib.platform.paging import Page, paginate
from quantlib.platform.rbac import Access, Action, best_access, require

#: Letters (any script, so Chinese names work), digits, and ``_ - . space`` inside.
NAME_PATTERN = re.compile(r"^[^\W_][\w\-. ]{0,127}$")
GIT_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
MAX_CODE_BYTES = 1_000_000
MAX_CONFIG_BYTES = 64_000
MAX_TEXT = 4000
#: Names that make a script a strategy: the hooks, or the signal/weight functions.
ENTRY_POINTS = frozenset(HOOKS) | {"signals", "weights", "target_weights"}


def _check_name(name: str) -> str:
    cleaned = name.strip()
    if not NAME_PATTERN.match(cleaned):
        raise InvalidInputError(
            "name",
            "1-128 characters: letters (Chinese too), digits, '_', '-', '.' or spaces, "
            f"starting with a letter or digit; got {name!r}",
        )
    return cleaned


def _check_text(field: str, value: str) -> str:
    if len(value) > MAX_TEXT:
        raise InvalidInputError(field, f"at most {MAX_TEXT} characters, got {len(value)}")
    return value


def get_strategy(session: Session, strategy_id: int) -> Strategy:
    """The strategy with this id; :class:`NotFoundError` if there is none."""
    strategy = session.get(Strategy, strategy_id)
    if strategy is None:
        raise NotFoundError(f"no strategy with id {strategy_id}")
    return strategy


def get_version(session: Session, strategy_id: int, number: int) -> StrategyVersion:
    """Version ``number`` of a strategy; :class:`NotFoundError` naming what is missing."""
    strategy = get_strategy(session, strategy_id)
    version = session.scalar(
        select(StrategyVersion).where(
            StrategyVersion.strategy_id == strategy.id, StrategyVersion.number == number
        )
    )
    if version is None:
        raise NotFoundError(f"strategy {strategy.name!r} has no version {number}")
    return version


def create_strategy(
    session: Session, caller: Principal, owner: User, name: str, description: str = ""
) -> Strategy:
    """A new strategy owned by the caller; its name must be unused."""
    decision = require(
        caller.roles, Action.STRATEGY_CREATE, user=caller.name, object_type="strategy"
    )
    cleaned = _check_name(name)
    _check_text("description", description)
    if session.scalar(select(Strategy.id).where(Strategy.name == cleaned)) is not None:
        raise ConflictError(f"a strategy named {cleaned!r} exists already")
    strategy = Strategy(name=cleaned, description=description, owner=owner)
    session.add(strategy)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"a strategy named {cleaned!r} exists already") from None
    audit.record(
        session,
        user=caller.name,
        role=decision.role,
        action=Action.STRATEGY_CREATE,
        object_type="strategy",
        object_id=strategy.id,
        details={"name": cleaned, "description": description},
    )
    return strategy


def list_strategies(
    session: Session,
    caller: Principal,
    *,
    owner: str | None = None,
    name_contains: str | None = None,
    include_archived: bool = False,
    limit: int,
    offset: int,
) -> Page[Strategy]:
    """Strategies by name, filtered by owner and a piece of the name."""
    require(caller.roles, Action.STRATEGY_READ, user=caller.name, object_type="strategy")
    query: Select[Any] = select(Strategy).order_by(Strategy.name)
    if owner is not None:
        query = query.join(Strategy.owner).where(User.name == owner)
    if name_contains:
        query = query.where(Strategy.name.contains(name_contains, autoescape=True))
    if not include_archived:
        query = query.where(Strategy.archived.is_(False))
    return paginate(session, query, limit=limit, offset=offset)


def read_strategy(session: Session, caller: Principal, strategy_id: int) -> Strategy:
    """A strategy the caller may read (every role may)."""
    require(
        caller.roles,
        Action.STRATEGY_READ,
        user=caller.name,
        object_type="strategy",
        object_id=strategy_id,
    )
    return get_strategy(session, strategy_id)


def read_version(
    session: Session, caller: Principal, strategy_id: int, number: int
) -> StrategyVersion:
    """A version the caller may read; whether they see its code is :func:`may_read_code`."""
    read_strategy(session, caller, strategy_id)
    return get_version(session, strategy_id, number)


def version_counts(session: Session, strategy_ids: Sequence[int]) -> dict[int, int]:
    """How many versions each strategy has (one query for a whole page)."""
    rows = session.execute(
        select(StrategyVersion.strategy_id, func.count())
        .where(StrategyVersion.strategy_id.in_(strategy_ids))
        .group_by(StrategyVersion.strategy_id)
    )
    return {strategy_id: int(count) for strategy_id, count in rows}


def check_code(code: str, label: str = "code") -> dict[str, Any]:
    """Check strategy source without running it; its ``PARAMS`` when it passes."""
    if not isinstance(code, str) or not code.strip():
        raise InvalidInputError(label, "the strategy code is empty")
    size = len(code.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        raise InvalidInputError(label, f"at most {MAX_CODE_BYTES} bytes, got {size}")
    try:
        params, _universe = script_metadata(code, "<upload>")
        tree = ast.parse(code)
    except (StrategyError, ValueError) as error:
        raise InvalidInputError(label, str(error).replace("strategy <upload> ", "")) from None
    names = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    if not names & ENTRY_POINTS and not classes:
        wanted = ", ".join(sorted(ENTRY_POINTS))
        raise InvalidInputError(
            label, f"defines no strategy: expected a function named one of {wanted}, or a class"
        )
    return params


def _check_config(config: dict[str, Any]) -> dict[str, Any]:
    try:
        text = json.dumps(config, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise InvalidInputError("config", f"must be plain JSON values: {error}") from None
    if len(text.encode("utf-8")) > MAX_CONFIG_BYTES:
        raise InvalidInputError("config", f"at most {MAX_CONFIG_BYTES} bytes of JSON")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def upload_version(
    session: Session,
    caller: Principal,
    author: User,
    strategy_id: int,
    *,
    code: str,
    config: dict[str, Any] | None = None,
    message: str = "",
    git_commit: str | None = None,
) -> StrategyVersion:
    """Store the next version of the caller's strategy after checking its code."""
    strategy = get_strategy(session, strategy_id)
    decision = require(
        caller.roles,
        Action.VERSION_UPLOAD,
        user=caller.name,
        resource_owner=strategy.owner.name,
        object_type="strategy",
        object_id=strategy.id,
    )
    check_code(code)
    stored_config = _check_config(config or {})
    _check_text("message", message)
    if git_commit is not None and not GIT_COMMIT.match(git_commit):
        raise InvalidInputError("git_commit", f"7-40 lowercase hex digits, got {git_commit!r}")
    content_hash = version_content_hash(code, stored_config)
    same = session.scalar(
        select(StrategyVersion.number).where(
            StrategyVersion.strategy_id == strategy.id,
            StrategyVersion.content_hash == content_hash,
        )
    )
    if same is not None:
        raise ConflictError(f"this code and config are version {same} of {strategy.name!r}")
    number = (
        session.scalar(
            select(func.max(StrategyVersion.number)).where(
                StrategyVersion.strategy_id == strategy.id
            )
        )
        or 0
    ) + 1
    version = StrategyVersion(
        strategy=strategy,
        number=number,
        code=code,
        config=stored_config,
        content_hash=content_hash,
        author=author,
        git_commit=git_commit,
        message=message,
    )
    session.add(version)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(
            f"another version of {strategy.name!r} was uploaded at the same time; try again"
        ) from None
    audit.record(
        session,
        user=caller.name,
        role=decision.role,
        action=Action.VERSION_UPLOAD,
        object_type="strategy_version",
        object_id=version.id,
        details={
            "strategy_id": strategy.id,
            "number": number,
            "content_hash": content_hash,
            "git_commit": git_commit,
            "message": message,
        },
    )
    return version


def list_versions(
    session: Session, caller: Principal, strategy_id: int, *, limit: int, offset: int
) -> Page[StrategyVersion]:
    """A strategy's versions, newest first."""
    strategy = read_strategy(session, caller, strategy_id)
    query: Select[Any] = (
        select(StrategyVersion)
        .where(StrategyVersion.strategy_id == strategy.id)
        .order_by(StrategyVersion.number.desc())
    )
    return paginate(session, query, limit=limit, offset=offset)


def may_read_code(caller: Principal, strategy: Strategy) -> bool:
    """Whether the caller may see the code of this strategy's versions."""
    access = best_access(caller.roles, Action.VERSION_READ_CODE)
    return access is Access.ALLOWED or (access is Access.OWN and strategy.owner.name == caller.name)


@dataclass(frozen=True)
class VersionDiff:
    """How two versions differ: a unified diff of the code and the changed config keys."""

    strategy_id: int
    from_number: int
    to_number: int
    code_diff: str
    config_added: dict[str, Any]
    config_removed: dict[str, Any]
    config_changed: dict[str, dict[str, Any]]

    @property
    def identical(self) -> bool:
        """Whether the two versions have the same code and config."""
        return not (
            self.code_diff or self.config_added or self.config_removed or self.config_changed
        )


def diff_versions(
    session: Session, caller: Principal, strategy_id: int, from_number: int, to_number: int
) -> VersionDiff:
    """Compare two versions of a strategy (reading code needs ``strategy_version.read_code``)."""
    strategy = get_strategy(session, strategy_id)
    require(
        caller.roles,
        Action.VERSION_READ_CODE,
        user=caller.name,
        resource_owner=strategy.owner.name,
        object_type="strategy",
        object_id=strategy.id,
    )
    old = get_version(session, strategy_id, from_number)
    new = get_version(session, strategy_id, to_number)
    code_diff = "".join(
        difflib.unified_diff(
            old.code.splitlines(keepends=True),
            new.code.splitlines(keepends=True),
            fromfile=f"{strategy.name} v{from_number}",
            tofile=f"{strategy.name} v{to_number}",
        )
    )
    before, after = old.config or {}, new.config or {}
    return VersionDiff(
        strategy_id=strategy.id,
        from_number=from_number,
        to_number=to_number,
        code_diff=code_diff,
        config_added={k: after[k] for k in sorted(after.keys() - before.keys())},
        config_removed={k: before[k] for k in sorted(before.keys() - after.keys())},
        config_changed={
            k: {"from": before[k], "to": after[k]}
            for k in sorted(before.keys() & after.keys())
            if before[k] != after[k]
        },
    )
