"""``quantlib db`` and ``quantlib audit``, run as real processes on both databases."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from quantlib.platform.audit import record
from quantlib.platform.db import head_revision, open_engine, session_factory

QUANTLIB = str(Path(sys.executable).with_name("quantlib"))


def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUANTLIB_LANG": lang}
    return subprocess.run([QUANTLIB, *args], capture_output=True, text=True, env=env, timeout=120)


def test_upgrade_status_verify_and_export_round_trip(db_url, tmp_path):
    assert run("db", "status", "--db-url", db_url).returncode == 1
    upgraded = run("db", "upgrade", "--db-url", db_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert head_revision() in upgraded.stdout
    assert run("db", "status", "--db-url", db_url).returncode == 0
    engine = open_engine(db_url)
    with session_factory(engine).begin() as session:
        for user in ("li", "wang"):
            record(
                session,
                user=user,
                role="researcher",
                action="strategy.create",
                object_type="strategy",
                object_id=user,
            )

    verified = run("audit", "verify", "--db-url", db_url)
    target = tmp_path / "audit.csv"
    exported = run("audit", "export", "--db-url", db_url, "--user", "wang", "--out", str(target))

    assert verified.returncode == 0 and "2 records" in verified.stdout
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [row["user"] for row in rows] == ["wang"]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("UPDATE audit_log SET object_id = 'forged' WHERE seq = 1"))
    engine.dispose()
    broken = run("audit", "verify", "--db-url", db_url, lang="zh")
    assert broken.returncode == 1
    assert "第 1 条" in broken.stderr


def test_bad_input_gets_a_one_line_reason_and_exit_code_2(db_url, tmp_path):
    assert run("db", "upgrade", "--db-url", db_url).returncode == 0

    bad_date = run("audit", "export", "--db-url", db_url, "--start", "2025-02-30")
    bad_url = run("audit", "verify", "--db-url", "mysql://root@localhost/x")
    bad_anchor = run("audit", "verify", "--db-url", db_url, "--anchor", "3:xyz")
    missing_dir = run("audit", "export", "--db-url", db_url, "--out", str(tmp_path / "no/a.csv"))

    for result, says in [
        (bad_date, "2025-02-30"),
        (bad_url, "'mysql' is not supported"),
        (bad_anchor, "SEQ:HASH"),
        (missing_dir, "No such file"),
    ]:
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: ") and says in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "no").exists()


def test_a_database_ahead_of_the_code_is_refused_with_what_to_do(db_url):
    assert run("db", "upgrade", "--db-url", db_url).returncode == 0
    engine = open_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    engine.dispose()

    status = run("db", "status", "--db-url", db_url)
    upgrade = run("db", "upgrade", "--db-url", db_url)
    verify = run("audit", "verify", "--db-url", db_url)

    assert status.returncode == 1 and "upgrade quantlib" in status.stdout
    assert upgrade.returncode == 2 and "newer quantlib" in upgrade.stderr
    assert verify.returncode == 2 and "f00dcafe" in verify.stderr
