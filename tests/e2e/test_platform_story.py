"""The platform story behind the real hub, on the embedded SQLite and on PostgreSQL.

One hub (with its proxy and the managed service ``quant``) per database kind. People
sign up on the hub's sign-up page, the admin approves them and puts them in groups, and
each signs in with their password for an API token. With those tokens and
:class:`~quantlib.client.PlatformClient` they do what the platform is for: a researcher
uploads two versions of a strategy, backtests one in the service's Dask workers and
reads the result; a trader may read but not change; the version goes through risk review
and final approval, where nobody approves their own work; a risk officer sets a limit;
and the audit log tells the whole story in order, its hash chain intact.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from quantlib.backtest.examples import dual_ma
from quantlib.client import PlatformClient, PlatformError
from quantlib.platform.db import open_engine, upgrade
from tests.e2e.hubprocess import Hub, start_hub
from tests.integration.platform.postgres import PostgresServer, postgres_bin

pytestmark = pytest.mark.slow

#: Everyone but the admin, with the hub groups the admin puts them in.
PEOPLE = {
    "li": ["researcher"],
    "zhou": ["risk_officer"],
    "qian": ["trader"],
    "duo": ["researcher", "risk_officer"],
}
CODE_PATH = Path(dual_ma.__file__)
START, END = "2025-06-03", "2025-12-31"


def password_of(name: str) -> str:
    """The password a person signs up with."""
    return f"Taorui-{name}-e2e-2025"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def platform_db(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The hub's extra environment for the platform database of each kind.

    ``sqlite``: nothing (the service upgrades its embedded database at start);
    ``postgresql``: ``TAORUI_DB_URL`` of a fresh database on a throwaway server,
    migrated first, as a configured database must be.
    """
    if request.param == "sqlite":
        yield {}
        return
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed and cannot be (needs root and apt-get)")
    server = PostgresServer.start(bin_dir)
    try:
        url = server.url(server.create_database())
        engine = open_engine(url)
        upgrade(engine)
        engine.dispose()
        yield {"TAORUI_DB_URL": url}
    finally:
        server.stop()


@pytest.fixture(scope="module")
def hub(
    platform_db: dict[str, str],
    demo_store_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Hub]:
    """The embedded hub on free ports with the platform on ``platform_db``, answering."""
    running = start_hub(
        tmp_path_factory.mktemp("story") / "state",
        demo_store_template,
        TAORUI_IDLE_TIMEOUT="0",
        **platform_db,
    )
    try:
        deadline = time.monotonic() + 60
        while httpx.get(running.url + "services/quant/openapi.json").status_code != 200:
            assert time.monotonic() < deadline, running.log_text()[-4000:]
            time.sleep(0.5)
        yield running
    finally:
        running.stop()


def form_post(browser: httpx.Client, page: str, fields: dict[str, str]) -> httpx.Response:
    """Open a hub form page and post ``fields`` with its XSRF token, as a browser would."""
    form = browser.get(page)
    found = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
    assert form.status_code == 200 and found, form.text[:2000]
    return browser.post(page, data={"_xsrf": found.group(1), **fields})


def sign_up(hub: Hub, name: str) -> None:
    """Fill in the hub's sign-up form as ``name``."""
    with httpx.Client(base_url=hub.url, timeout=30) as browser:
        answer = form_post(
            browser,
            "hub/signup",
            {
                "username": name,
                "signup_password": password_of(name),
                "signup_password_confirmation": password_of(name),
            },
        )
    assert answer.status_code == 200 and "等待管理员批准" in answer.text, answer.text[-2000:]


def password_token(hub: Hub, name: str) -> httpx.Response:
    """Ask the hub for a new API token of ``name``, signing in with the password."""
    return httpx.post(
        f"{hub.url}hub/api/users/{name}/tokens",
        json={"auth": {"username": name, "password": password_of(name)}, "note": "story"},
        timeout=30,
    )


@pytest.fixture(scope="module")
def tokens(hub: Hub) -> dict[str, str]:
    """An API token per person: signed up, approved and put in groups by the admin.

    The admin approves on the hub's authorize page, signed in with the password (the hub
    takes tokens only on its API), then makes the hub user and adds it to groups through
    the REST API; the hub gives a person a token only for their password after that.
    """
    made = {"admin": hub.admin_token()}
    with httpx.Client(base_url=hub.url, timeout=30) as admin_browser:
        signed_in = form_post(
            admin_browser, "hub/login", {"username": "admin", "password": hub.admin_password}
        )
        assert signed_in.status_code == 302, signed_in.text[-2000:]
        for name, groups in PEOPLE.items():
            sign_up(hub, name)
            refused = password_token(hub, name)
            assert refused.status_code == 403, f"{name} signed in unapproved: {refused.text}"
            approved = admin_browser.get(f"hub/authorize/{name}")
            assert approved.status_code == 302, approved.text[-2000:]
            hub.api(f"users/{name}", made["admin"], "POST")
            for group in groups:
                hub.api(f"groups/{group}/users", made["admin"], "POST", {"users": [name]})
            answer = password_token(hub, name)
            assert answer.status_code == 201, answer.text
            made[name] = answer.json()["token"]
    return made


@pytest.fixture(scope="module")
def clients(hub: Hub, tokens: dict[str, str]) -> Iterator[dict[str, PlatformClient]]:
    """A platform client per person with their token, through the hub's proxy."""
    made = {
        name: PlatformClient(url=f"{hub.url}services/quant/", token=token, timeout=60)
        for name, token in tokens.items()
    }
    yield made
    for client in made.values():
        client.close()


def refusal(call: Any, *args: Any, says: str) -> None:
    """``call(*args)`` must raise a 403 :class:`PlatformError` whose message ``says``."""
    with pytest.raises(PlatformError) as raised:
        call(*args)
    assert raised.value.status == 403, raised.value
    assert says in raised.value.detail, raised.value.detail


def oldest_first(platform: PlatformClient, **filters: Any) -> list[tuple[str, str, str]]:
    """Who did what with which outcome, oldest first, for the audit ``filters``."""
    page = platform.audit(**filters, limit=500)
    assert page["total"] == len(page["items"])
    return [(i["user_name"], i["action"], i["outcome"]) for i in reversed(page["items"])]


def research(li: PlatformClient, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """li's strategy, two versions, a diff and a finished backtest of version 2.

    Version 2 has faster averages and logs them, so its job log has a line.
    """
    strategy = li.create_strategy("双均线 li-dual", "dual moving average · 双均线")
    sid = strategy["id"]
    assert strategy["owner"] == "li"
    first = li.upload_version(sid, path=CODE_PATH, message="the example")
    changed = (
        CODE_PATH.read_text(encoding="utf-8")
        .replace('PARAMS = {"fast": 10, "slow": 50}', 'PARAMS = {"fast": 5, "slow": 20}')
        .replace("    g.bars = 0\n", '    g.bars = 0\n    log.info(f"dual MA {fast}/{slow}")\n')
    )
    second = li.upload_version(sid, changed, config={"note": "faster"}, message="faster")
    assert (first["number"], second["number"]) == (1, 2)
    assert [v["number"] for v in li.versions(sid)["items"]] == [2, 1]
    diff = li.diff(sid, 1, 2)
    assert '-PARAMS = {"fast": 10, "slow": 50}' in diff["code_diff"]
    assert '+PARAMS = {"fast": 5, "slow": 20}' in diff["code_diff"]
    assert diff["config_added"] == {"note": "faster"} and not diff["identical"]

    run = li.submit_backtest(sid, 2, START, END, cash=1e6)
    assert run["status"] in {"queued", "running"} and run["job_id"]
    done = li.wait(run["id"], timeout=300, poll=0.5, progress=False)
    assert done["status"] == "succeeded", done
    assert done["progress"] == 1.0 and done["has_report"]
    assert isinstance(done["metrics"]["sharpe"], float)
    report = li.report(run["id"], tmp_path / "reports" / "li-dual.html")
    page = report.read_text(encoding="utf-8")
    assert "<html" in page[:500].lower()
    assert "双均线 li-dual" in page and "bokeh" in page.lower()
    assert li.job(run["job_id"])["status"] == "succeeded"
    assert "INFO dual MA 5/20" in li.job_log(run["job_id"])
    return sid, done


def trader_reads_but_cannot_change(qian: PlatformClient, sid: int, run: dict[str, Any]) -> None:
    """qian (trader) is refused uploads and backtests and reads the finished run."""
    code = CODE_PATH.read_text(encoding="utf-8")
    refusal(qian.upload_version, sid, code, says="strategy_version.upload")
    refusal(qian.submit_backtest, sid, 2, START, END, says="backtest.run")
    seen = qian.backtest(run["id"])
    assert seen["status"] == "succeeded" and seen["metrics"] == run["metrics"]


def approval(
    platform: dict[str, PlatformClient], hub: Hub, tokens: dict[str, str], sid: int
) -> int:
    """li's version 2 through risk review and final approval; the pipeline's id."""
    li, duo, zhou, admin = (platform[name] for name in ("li", "duo", "zhou", "admin"))
    pipeline = li.submit_for_approval(sid, 2)
    assert (pipeline["stage"], pipeline["status"]) == ("risk_review", "active")
    refusal(li.approve, pipeline["id"], "risk_review", "approved", says="approval.review")

    own = duo.create_strategy("duo-alpha")
    duo.upload_version(own["id"], path=CODE_PATH)
    mine = duo.submit_for_approval(own["id"], 1)
    refusal(
        duo.approve,
        mine["id"],
        "risk_review",
        "approved",
        says="nobody approves their own strategy version",
    )

    review = zhou.approve(pipeline["id"], "risk_review", "approved", "limits ok")
    assert (review["approver"], review["decision"]) == ("zhou", "approved")
    final = admin.approve(pipeline["id"], "final", "approved", "go live")
    assert (final["approver"], final["kind"]) == ("admin", "final")
    passed = platform["qian"].pipeline(pipeline["id"])
    assert passed["status"] == "approved"
    assert [(a["kind"], a["approver"]) for a in passed["approvals"]] == [
        ("risk_review", "zhou"),
        ("final", "admin"),
    ]
    listed = platform["qian"].pipelines(status="approved", strategy_id=sid)
    assert [item["id"] for item in listed["items"]] == [pipeline["id"]]
    return int(pipeline["id"])


def test_the_platform_story(
    hub: Hub,
    platform_db: dict[str, str],
    tokens: dict[str, str],
    clients: dict[str, PlatformClient],
    tmp_path: Path,
) -> None:
    for name, groups in {**PEOPLE, "admin": ["admin"]}.items():
        me = clients[name].me()
        assert (me["name"], me["kind"], me["roles"]) == (name, "user", groups)

    li, zhou = clients["li"], clients["zhou"]
    sid, run = research(li, tmp_path)
    trader_reads_but_cannot_change(clients["qian"], sid, run)
    pipeline_id = approval(clients, hub, tokens, sid)

    limit = zhou.set_risk_limit("max_position_ratio", "0.15", "ratio")
    assert (limit["value"], limit["updated_by"]) == ("0.15", "zhou")
    refusal(li.set_risk_limit, "max_position_ratio", "0.9", "ratio", says="risk_limit.edit")
    stored = [i for i in li.risk_limits()["items"] if i["name"] == "max_position_ratio"]
    assert [(i["value"], i["updated_by"]) for i in stored] == [("0.15", "zhou")]

    assert oldest_first(zhou, object_type="pipeline", object_id=pipeline_id) == [
        ("li", "pipeline.submit", "ok"),
        ("li", "approval.review", "denied"),
        ("zhou", "approval.review", "ok"),
        ("admin", "approval.final", "ok"),
    ]
    assert oldest_first(zhou, object_type="backtest_run", object_id=run["id"]) == [
        ("li", "backtest.run", "ok")
    ]
    assert oldest_first(zhou, object_type="job", object_id=run["job_id"]) == [
        ("system", "job.finish", "ok")
    ]
    denied = oldest_first(zhou, outcome="denied")
    assert ("qian", "strategy_version.upload", "denied") in denied
    assert ("qian", "backtest.run", "denied") in denied
    assert ("duo", "approval.review", "denied") in denied

    verified = zhou.audit_verify()
    assert verified["ok"] and verified["first_bad_seq"] is None, verified
    exported = zhou.audit_export(tmp_path / "audit-li.csv", user="li")
    with exported.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {row["user"] for row in rows} == {"li"}
    assert {row["action"] for row in rows} >= {
        "strategy.create",
        "strategy_version.upload",
        "backtest.run",
        "pipeline.submit",
        "approval.review",
        "risk_limit.edit",
    }

    embedded = f"sqlite:///{hub.log.parent / 'platform' / 'platform.db'}"
    engine = open_engine(platform_db.get("TAORUI_DB_URL", embedded))
    try:
        with engine.connect() as connection:
            kept = connection.execute(
                text(
                    "SELECT user_name, action FROM audit_log "
                    "WHERE object_type = 'backtest_run' AND object_id = :id"
                ),
                {"id": str(run["id"])},
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in kept] == [("li", "backtest.run")]


def test_an_anonymous_request_is_refused(hub: Hub) -> None:
    answer = httpx.get(f"{hub.url}services/quant/api/me", timeout=30)
    assert answer.status_code == 401
    assert answer.json()["detail"].startswith("authentication required")
