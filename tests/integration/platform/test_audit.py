import csv
import io
import itertools
import threading
from decimal import Decimal

import pytest
from sqlalchemy import Engine, Insert, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from quantlib.core.errors import DateError, InvalidRangeError
from quantlib.platform.audit import (
    CSV_COLUMNS,
    export_csv,
    record,
    record_hash,
    select_records,
    verify_chain,
)
from quantlib.platform.errors import AuditError
from quantlib.platform.models import AuditRecord, Strategy, User


def _append(sessions, count, *, user="li", object_id="1"):
    for number in range(count):
        with sessions.begin() as session:
            record(
                session,
                user=user,
                role="researcher",
                action="strategy.update",
                object_type="strategy",
                object_id=object_id,
                details={"number": number, "limit": "10.01"},
            )


def _tamper(engine: Engine, *statements: str | Insert) -> None:
    """Run statements on the audit log with its append-only guard lifted, as an attacker."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
            connection.execute(text("DROP TRIGGER audit_log_no_delete"))
        for statement in statements:
            connection.execute(text(statement) if isinstance(statement, str) else statement)
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def _verify(sessions, **options):
    with sessions() as session:
        return verify_chain(session, **options)


def test_records_form_a_chain_that_verifies(sessions):
    _append(sessions, 5)

    report = _verify(sessions)

    assert report.ok and report.count == 5 and report.head_seq == 5
    with sessions() as session:
        entries = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert report.head_hash == entries[-1].hash


def test_record_commits_and_rolls_back_with_the_change_it_describes(sessions):
    with sessions.begin() as session:
        owner = User(name="li")
        session.add(owner)
        session.flush()
        session.add(Strategy(name="kept", owner_id=owner.id))
        record(
            session,
            user="li",
            role="researcher",
            action="strategy.create",
            object_type="strategy",
            object_id="kept",
        )
    with pytest.raises(RuntimeError), sessions.begin() as session:
        session.add(Strategy(name="lost", owner_id=owner.id))
        record(
            session,
            user="li",
            role="researcher",
            action="strategy.create",
            object_type="strategy",
            object_id="lost",
        )
        raise RuntimeError("the change failed after it was audited")

    with sessions() as session:
        assert session.scalars(select(Strategy.name)).all() == ["kept"]
        assert session.scalars(select(AuditRecord.object_id)).all() == ["kept"]
    assert _verify(sessions).ok


def test_the_database_refuses_to_update_or_delete_audit_records(sessions):
    _append(sessions, 2)

    for statement in ("UPDATE audit_log SET user_name = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
            session.execute(text(statement))

    assert _verify(sessions).count == 2


def _forged_third_record(sessions) -> Insert:
    """An insert of a forged record 3 that carries a correct hash of its own content."""
    with sessions() as session:
        second = session.get_one(AuditRecord, 2).hash
        original = session.get_one(AuditRecord, 3)
    columns = [column.key for column in AuditRecord.__mapper__.columns]
    forged = AuditRecord(**{key: getattr(original, key) for key in columns})
    forged.details, forged.prev_hash = {"number": 99}, str(second)
    forged.hash = record_hash(forged)
    return insert(AuditRecord).values({key: getattr(forged, key) for key in columns})


@pytest.mark.parametrize(
    ("attack", "first_bad", "says"),
    [
        ("update-field", 3, "edited"),
        ("update-time", 3, "edited"),
        ("delete-middle", 4, "#3 before it are missing"),
        ("reinsert-forged", 4, "link to record #3"),
        ("reorder", 2, "edited"),
    ],
)
def test_verify_names_the_first_tampered_record(engine, sessions, attack, first_bad, says):
    _append(sessions, 5)
    statements = {
        "update-field": ["UPDATE audit_log SET user_name = 'mallory' WHERE seq = 3"],
        "update-time": ["UPDATE audit_log SET at = at + INTERVAL '1 hour' WHERE seq = 3"]
        if engine.dialect.name == "postgresql"
        else ["UPDATE audit_log SET at = datetime(at, '+1 hour') WHERE seq = 3"],
        "delete-middle": ["DELETE FROM audit_log WHERE seq = 3"],
        "reorder": [
            "UPDATE audit_log SET seq = 1000 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = 1000",
        ],
    }
    if attack == "reinsert-forged":
        statements[attack] = ["DELETE FROM audit_log WHERE seq = 3", _forged_third_record(sessions)]

    _tamper(engine, *statements[attack])
    report = _verify(sessions)

    assert not report.ok
    assert report.first_bad_seq == first_bad
    assert says in str(report.problem)
    assert report.count == report.head_seq < first_bad


def test_a_cut_off_tail_is_caught_only_against_an_anchor(engine, sessions):
    _append(sessions, 5)
    anchor = (5, _verify(sessions).head_hash)

    _tamper(engine, "DELETE FROM audit_log WHERE seq = 5")

    assert _verify(sessions).ok
    report = _verify(sessions, anchor=anchor)
    assert not report.ok and report.first_bad_seq == 5 and "truncated" in str(report.problem)


def test_concurrent_appends_keep_a_single_unbroken_chain(sessions):
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            _append(sessions, 15, user=name)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"user{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    report = _verify(sessions)
    assert report.ok and report.count == 45
    with sessions() as session:
        assert session.scalar(select(func.count(func.distinct(AuditRecord.user_name)))) == 3


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"details": {"price": Decimal("10.01")}}, "not storable as JSON"),
        ({"details": {"ratio": float("nan")}}, "not storable as JSON"),
        ({"user": " "}, "non-empty user"),
        ({"outcome": "maybe"}, "outcome 'maybe'"),
        ({"role": "intern"}, "role 'intern'"),
    ],
)
def test_unusable_records_are_refused_and_nothing_is_written(sessions, fields, says):
    arguments = {
        "user": "li",
        "role": "researcher",
        "action": "strategy.create",
        "object_type": "strategy",
        "object_id": 1,
        "details": {},
        **fields,
    }
    with pytest.raises(AuditError, match=says), sessions.begin() as session:
        record(session, **arguments)

    assert _verify(sessions).count == 0


def test_export_selects_by_user_and_object_and_checks_its_dates(sessions):
    _append(sessions, 2, user="li", object_id="1")
    _append(sessions, 3, user="wang", object_id="2")

    buffer = io.StringIO()
    with sessions() as session:
        count = export_csv(session, buffer, select_records(user="wang", start="2000-01-01"))
        by_object = export_csv(session, io.StringIO(), select_records(object_id=1))
        future = export_csv(session, io.StringIO(), select_records(start="20990101"))

    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert (count, by_object, future) == (3, 2, 0)
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {row["user"] for row in rows} == {"wang"}
    assert rows[0]["at"].endswith("+08:00")
    with pytest.raises(DateError, match="2025-02-30"):
        select_records(start="2025-02-30")
    with pytest.raises(InvalidRangeError):
        select_records(start="2025-03-01", end="2025-02-01")
