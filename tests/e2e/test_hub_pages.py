"""The hub's token, admin, approval and password pages: bilingual, and still working.

One hub for the module; one test drives the pages in order in headless Chromium as the
admin (and carol, who signs up on the way). The token page's screenshot goes to
``tests/artifacts/hub/``.
"""

from __future__ import annotations

import urllib.error
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantlib.analytics.report.pdf import CHROMIUM_FLAGS
from tests.e2e.hubprocess import Hub, start_hub
from tests.e2e.test_hub import ARTIFACTS, CHROMIUM, sign_in

playwright_sync = pytest.importorskip("playwright.sync_api")

CAROL_PASSWORD = "carol-Quant-2024!"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


@pytest.fixture(scope="module")
def hub(demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The embedded hub on free ports, without the idle culler."""
    running = start_hub(
        tmp_path_factory.mktemp("pages") / "state", demo_store_template, TAORUI_IDLE_TIMEOUT="0"
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright."""
    with playwright_sync.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        yield chromium
        chromium.close()


def check_a_platform_token_is_requested_and_revoked_on_the_token_page(hub: Hub, page: Any) -> None:
    page.goto(hub.url + "hub/token")
    assert page.inner_text("h1") == "API 令牌 · API tokens"
    uses = page.inner_text("#token-uses")
    assert "Cursor / VS Code" in uses and "远程内核" in uses and "PlatformClient" in uses
    scopes = page.inner_text("#platform-scopes").strip()
    assert scopes == "access:services!service=quant custom:taorui:admin"
    assert page.inner_text("#request-token-form button[type=submit]") == (
        "申请新令牌 · Request new API token"
    )
    page.fill("#token-note", "platform client")
    page.select_option("#token-expiration-seconds", "3600")
    page.fill("#token-scopes", scopes)
    page.click("#request-token-form button[type=submit]")
    page.wait_for_selector("#token-result:not(:empty)")
    token = page.inner_text("#token-result").strip()
    granted = set(hub.api("user", token)["scopes"])
    assert set(scopes.split()) <= granted and "admin:users" not in granted

    page.reload()
    page.wait_for_function("window._jupyterhub_page_loaded === true")
    assert page.inner_text("#api-tokens-section h2") == "已有令牌 · API tokens"
    menu = page.inner_text("nav")
    for item in ("首页 · Home", "令牌 · Token", "管理 · Admin", "服务 · Services", "退出 · Logout"):
        assert item in menu, menu
    services = page.locator(".dropdown-menu a.dropdown-item")
    assert "平台接口 · Platform API" in services.all_inner_texts()
    row = page.locator("#api-tokens-table .token-row", has_text="platform client")
    assert row.count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"token-page-{uuid.uuid4().hex[:8]}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    row.locator(".revoke-token-btn").click()
    row.wait_for(state="detached")
    with pytest.raises(urllib.error.HTTPError) as refused:
        hub.api("user", token)
    assert refused.value.code == 403


def check_the_admin_page_has_the_guide_and_the_react_app(hub: Hub, page: Any) -> None:
    page.goto(hub.url + "hub/admin")
    assert page.inner_text("h1") == "用户与组管理 · Users and groups"
    guide = page.inner_text("#taorui-admin-guide")
    for text in ("/hub/authorize", "研究员", "风控", "交易员", "管理员", "risk_officer", "Groups"):
        assert text in guide
    assert "English" in guide and "英文" in guide
    app = page.locator("#react-admin-hook")
    app.locator("[data-testid=user-row-name]", has_text="admin").first.wait_for()
    assert app.get_by_text("Manage Groups").count() == 1


def check_a_sign_up_is_approved_on_the_authorize_page(hub: Hub, browser: Any, page: Any) -> Any:
    visitor = browser.new_context().new_page()
    visitor.goto(hub.url + "hub/signup")
    visitor.fill("#username_input", "carol")
    visitor.fill("#password_input", CAROL_PASSWORD)
    visitor.fill("#password_confirmation_input", CAROL_PASSWORD)
    visitor.click("#signup_submit")
    assert "等待管理员批准" in visitor.inner_text(".alert")

    page.goto(hub.url + "hub/authorize")
    assert page.inner_text("h1") == "批准注册 · Approve sign-ups"
    assert "待批准 · Waiting for approval (1)" in page.inner_text("body")
    assert "carol" in page.inner_text("#pending-sign-ups")
    assert "admin" in page.inner_text("#approved-accounts")
    page.click("#pending-sign-ups tr#carol >> text=批准 · Approve")
    page.wait_for_selector("#approved-accounts tr#carol")
    assert page.locator("#pending-sign-ups").count() == 0
    body = page.inner_text("body")
    assert "没有待批准的注册" in body and "No sign-ups are waiting" in body

    carol = sign_in(browser, hub, "carol", CAROL_PASSWORD)
    assert "/hub/login" not in carol.url
    return carol


def check_the_password_pages_are_bilingual_and_work(hub: Hub, page: Any, carol: Any) -> None:
    carol.goto(hub.url + "hub/change-password")
    assert carol.inner_text("h1") == "修改密码 · Change password"
    carol.fill("#old_password_input", "not-the-password")
    carol.fill("#new_password_input", "carol-New-2024!")
    carol.fill("#new_password_confirmation_input", "carol-New-2024!")
    carol.click("#change_password_submit")
    alert = carol.inner_text(".alert")
    assert "当前密码不正确" in alert and "current password was incorrect" in alert
    carol.fill("#old_password_input", CAROL_PASSWORD)
    carol.fill("#new_password_input", "carol-New-2024!")
    carol.fill("#new_password_confirmation_input", "carol-New-2024!")
    carol.click("#change_password_submit")
    alert = carol.inner_text(".alert-success")
    assert "密码已修改" in alert and "changed successfully" in alert

    page.goto(hub.url + "hub/change-password/carol")
    assert page.inner_text("h1") == "为 carol 设置密码 · Set the password of carol"
    page.fill("#new_password_input", "carol-Reset-2024!")
    page.fill("#new_password_confirmation_input", "carol-Other-2024!")
    page.click("#change_password_submit")
    alert = page.inner_text(".alert")
    assert "两次输入的新密码不一致" in alert and "didn't match" in alert


def test_the_token_admin_and_account_pages_are_bilingual_and_work(hub: Hub, browser: Any) -> None:
    page = sign_in(browser, hub, "admin", hub.admin_password)
    assert "/hub/login" not in page.url
    check_a_platform_token_is_requested_and_revoked_on_the_token_page(hub, page)
    check_the_admin_page_has_the_guide_and_the_react_app(hub, page)
    carol = check_a_sign_up_is_approved_on_the_authorize_page(hub, browser, page)
    check_the_password_pages_are_bilingual_and_work(hub, page, carol)
