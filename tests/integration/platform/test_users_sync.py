"""The hub's users and groups synced into the platform database, on SQLite and PostgreSQL.

:func:`sync_directory` is driven with lists as the hub would give them; the background
task (:class:`DirectorySync`) runs inside the in-process service, once against a port
where no hub answers and once against a listed directory standing in for the hub (the
real hub: ``tests/e2e/test_user_sync.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.service.app import create_app
from hub.service.deps import ServiceState
from hub.service.sync import DirectoryError, DirectorySync, HubDirectory
from quantlib.platform.audit import verify_chain
from quantlib.platform.config import PlatformConfig
from quantlib.platform.identity import Principal
from quantlib.platform.models import AuditRecord, Strategy, User
from quantlib.platform.users import SyncReport, mirror_caller, sync_directory, user_by_name
from tests.e2e.hubprocess import free_port
from tests.integration.platform.service_app import PEOPLE, TokenTable, headers

HUB = {
    "admin": ["admin"],
    "alice": ["researcher"],
    "rita": ["risk_officer", "researcher"],
    "tom": ["trader"],
    "nora": [],
}


def _sync(sessions: sessionmaker[Session], hub_users: Mapping[str, Iterable[str]]) -> SyncReport:
    with sessions.begin() as session:
        return sync_directory(session, hub_users)


def _rows(sessions: sessionmaker[Session]) -> dict[str, tuple[list[str], bool]]:
    with sessions.begin() as session:
        return {
            user.name: (user.group_names, user.active) for user in session.scalars(select(User))
        }


def _audit(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """Every audit record as (user, role, action, object name, details), in order."""
    with sessions.begin() as session:
        names = {str(user.id): user.name for user in session.scalars(select(User))}
        return [
            (entry.user_name, entry.role, entry.action, names[entry.object_id], entry.details)
            for entry in session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
            if entry.object_type == "user"
        ]


def test_a_first_sync_creates_everyone_with_their_groups(sessions: sessionmaker[Session]) -> None:
    report = _sync(sessions, HUB)

    assert report == SyncReport(created=5)
    assert report.changes == 5
    assert _rows(sessions) == {name: (sorted(groups), True) for name, groups in HUB.items()}
    records = _audit(sessions)
    assert records == [
        ("system", "", "user.mirror", name, {"groups": sorted(HUB[name])}) for name in sorted(HUB)
    ]
    with sessions.begin() as session:
        assert verify_chain(session).ok


def test_a_second_sync_with_the_same_list_writes_nothing(sessions: sessionmaker[Session]) -> None:
    _sync(sessions, HUB)
    with sessions.begin() as session:
        records_before = session.scalar(select(func.count()).select_from(AuditRecord))
        stamps_before = {u.name: u.updated_at for u in session.scalars(select(User))}

    report = _sync(sessions, {name: reversed(groups) for name, groups in HUB.items()})

    assert report == SyncReport(unchanged=5)
    assert report.changes == 0
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == records_before
        assert {u.name: u.updated_at for u in session.scalars(select(User))} == stamps_before


def test_group_changes_and_removals_follow_the_hub(sessions: sessionmaker[Session]) -> None:
    _sync(sessions, HUB)
    with sessions.begin() as session:
        tom = user_by_name(session, "tom")
        session.add(Strategy(name="momentum", owner_id=tom.id))
    changed = {**HUB, "rita": ["researcher"], "nora": ["trader"]}
    del changed["tom"]

    report = _sync(sessions, changed)

    assert report == SyncReport(regrouped=2, deactivated=1, unchanged=2)
    rows = _rows(sessions)
    assert rows["rita"] == (["researcher"], True)
    assert rows["nora"] == (["trader"], True)
    assert rows["tom"] == (["trader"], False), "the row stays, inactive, with its groups"
    with sessions.begin() as session:
        strategy = session.scalar(select(Strategy).where(Strategy.name == "momentum"))
        assert strategy is not None and strategy.owner_id == user_by_name(session, "tom").id
    assert _audit(sessions)[5:] == [
        (
            "system",
            "",
            "user.groups_changed",
            "nora",
            {"before": [], "after": ["trader"]},
        ),
        (
            "system",
            "",
            "user.groups_changed",
            "rita",
            {"before": ["researcher", "risk_officer"], "after": ["researcher"]},
        ),
        ("system", "", "user.deactivated", "tom", {"groups": ["trader"]}),
    ]
    assert _sync(sessions, changed) == SyncReport(unchanged=4), "still gone: nothing again"


def test_a_returning_user_is_reactivated_with_the_hubs_groups(
    sessions: sessionmaker[Session],
) -> None:
    _sync(sessions, HUB)
    without_tom = {name: groups for name, groups in HUB.items() if name != "tom"}
    _sync(sessions, without_tom)

    report = _sync(sessions, {**without_tom, "tom": ["trader", "researcher"]})

    assert report == SyncReport(regrouped=1, reactivated=1, unchanged=4)
    assert _rows(sessions)["tom"] == (["researcher", "trader"], True)
    assert [record[2:4] for record in _audit(sessions)[-3:]] == [
        ("user.deactivated", "tom"),
        ("user.reactivated", "tom"),
        ("user.groups_changed", "tom"),
    ]


def test_a_deactivated_caller_is_reactivated_by_their_request(
    sessions: sessionmaker[Session],
) -> None:
    _sync(sessions, HUB)
    _sync(sessions, {name: groups for name, groups in HUB.items() if name != "alice"})

    with sessions.begin() as session:
        mirror_caller(session, Principal.from_hub("alice", groups=["researcher"]))

    assert _rows(sessions)["alice"] == (["researcher"], True)
    assert _audit(sessions)[-1] == (
        "alice",
        "",
        "user.reactivated",
        "alice",
        {"groups": ["researcher"]},
    )
    with sessions.begin() as session:
        mirror_caller(session, Principal.from_hub("alice", groups=["researcher"]))
    assert len(_audit(sessions)) == 7, "an active caller with the same groups writes nothing"


def test_a_sync_that_fails_leaves_no_change_and_no_record(sessions: sessionmaker[Session]) -> None:
    _sync(sessions, HUB)
    count = len(_audit(sessions))

    with pytest.raises(RuntimeError, match="abandoned"), sessions.begin() as session:
        assert sync_directory(session, {"alice": ["trader"]}).deactivated == 4
        raise RuntimeError("abandoned")

    assert _rows(sessions)["alice"] == (["researcher"], True)
    assert all(active for _, active in _rows(sessions).values())
    assert len(_audit(sessions)) == count


class ListedDirectory:
    """A directory whose list the test sets, standing in for the hub's ``GET /users``."""

    def __init__(self, users: dict[str, list[str]]) -> None:
        self.listed = users
        self.reads = 0

    async def users(self) -> dict[str, list[str]]:
        """The list as set, or :class:`DirectoryError` while it is ``{}``."""
        self.reads += 1
        if not self.listed:
            raise DirectoryError("the hub is away")
        return dict(self.listed)


def _service(db_url: str, data_dir: Path, sync: DirectorySync) -> TestClient:
    config = PlatformConfig(data_dir=data_dir, db_url=SecretStr(db_url), dask_workers=1)
    return TestClient(create_app(config, TokenTable(PEOPLE), directory=sync))


def _create_strategy(client: TestClient, name: str, strategy: str) -> None:
    """A request of ``name`` that mirrors them (creating a strategy names its owner)."""
    answer = client.post("/api/strategies", json={"name": strategy}, headers=headers(name))
    assert answer.status_code == 201, answer.text


def _until(condition: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_service_keeps_serving_while_no_hub_answers(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = HubDirectory(f"http://127.0.0.1:{free_port()}/hub/api", "service-token")
    sync = DirectorySync(nowhere, seconds=0.2)
    caplog.set_level(logging.WARNING, logger="hub.service.sync")

    with _service(db_url, tmp_path, sync) as client:
        _until(lambda: caplog.text.count("users not synced from the hub, again in 0.2s") >= 3)
        assert sync.running
        _create_strategy(client, "ada", "carry")
    assert not sync.running
    assert "does not answer" in caplog.text
    assert set(_rows(sessions)) == {"ada"}, "only the caller, mirrored by their request"


def test_each_sync_follows_the_hub_and_forgets_mirrored_callers(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    directory = ListedDirectory({})
    sync = DirectorySync(directory, seconds=0.2)

    with _service(db_url, tmp_path, sync) as client:
        state: ServiceState = client.app.state.service  # type: ignore[attr-defined]
        _create_strategy(client, "ben", "momentum")
        assert state.mirrored, "ben's request was mirrored and remembered"
        _until(lambda: directory.reads >= 2)
        assert _rows(sessions) == {"ben": (["researcher"], True)}, "the hub is away: no change"
        assert state.mirrored, "nor is anything forgotten"

        directory.listed = {"ada": ["researcher"], "risk": ["risk_officer"]}
        _until(lambda: not _rows(sessions)["ben"][1])
        _until(lambda: not state.mirrored)
        assert _rows(sessions) == {
            "ada": (["researcher"], True),
            "risk": (["risk_officer"], True),
            "ben": (["researcher"], False),
        }

        directory.listed = {"ada": ["researcher", "trader"], "risk": ["risk_officer"]}
        _until(lambda: _rows(sessions)["ada"] == (["researcher", "trader"], True))
    actions = [(action, name) for user, _, action, name, _ in _audit(sessions) if user == "system"]
    assert actions == [
        ("user.mirror", "ada"),
        ("user.mirror", "risk"),
        ("user.deactivated", "ben"),
        ("user.groups_changed", "ada"),
    ]
