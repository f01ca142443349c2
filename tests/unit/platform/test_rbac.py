import re
from pathlib import Path

import pytest

from hub.groups import GROUPS, scope_of
from quantlib.platform.errors import PermissionDeniedError
from quantlib.platform.rbac import (
    PERMISSIONS,
    SELF_APPROVAL_FORBIDDEN,
    Access,
    Action,
    Role,
    authorize,
    permission_table_markdown,
    require,
    roles_from_groups,
    roles_from_scopes,
)

DOCS = Path(__file__).parents[3] / "docs" / "platform.md"
READS = [action for action in Action if action.value.endswith((".read", ".read_code"))]


def test_the_matrix_gives_every_role_an_access_for_every_action():
    assert set(PERMISSIONS) == set(Action)
    for row in PERMISSIONS.values():
        assert set(row) == set(Role)
        assert all(isinstance(access, Access) for access in row.values())


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_authorize_follows_the_matrix_for_every_action_and_role(action, role):
    access = PERMISSIONS[action][role]

    own = authorize([role], action, user="li", resource_owner="li", version_author="zhang")
    other = authorize([role], action, user="li", resource_owner="wang", version_author="zhang")

    if action in SELF_APPROVAL_FORBIDDEN:
        assert not own.allowed
        assert other.allowed is (access is Access.ALLOWED)
    else:
        assert own.allowed is (access is not Access.DENIED)
        assert other.allowed is (access is Access.ALLOWED)
    assert (other.role is role) is other.allowed


def test_researchers_work_on_their_own_strategies_and_read_shared_results():
    researcher = [Role.RESEARCHER]
    assert authorize(researcher, Action.STRATEGY_CREATE, user="li")
    for action in (Action.VERSION_UPLOAD, Action.BACKTEST_RUN, Action.PIPELINE_SUBMIT):
        assert authorize(researcher, action, user="li", resource_owner="li")
        assert not authorize(researcher, action, user="li", resource_owner="wang")
        assert "only on their own" in authorize(researcher, action, user="li").reason
    assert authorize(researcher, Action.BACKTEST_READ, user="li", resource_owner="wang")
    assert not authorize(researcher, Action.APPROVAL_REVIEW, user="li", resource_owner="wang")


def test_risk_officers_review_and_set_limits_read_everything_but_never_edit_code():
    officer = [Role.RISK_OFFICER]
    assert authorize(officer, Action.APPROVAL_REVIEW, user="wang", version_author="li")
    assert authorize(officer, Action.RISK_LIMIT_EDIT, user="wang")
    for action in READS:
        assert authorize(officer, action, user="wang", resource_owner="li"), action
    for action in (Action.STRATEGY_UPDATE, Action.VERSION_UPLOAD, Action.STRATEGY_CREATE):
        assert not authorize(officer, action, user="wang", resource_owner="wang")
    assert not authorize(officer, Action.APPROVAL_FINAL, user="wang", version_author="li")


def test_traders_start_and_stop_live_strategies_and_hold_the_kill_switch():
    for action in (Action.LIVE_START, Action.LIVE_STOP, Action.KILL_SWITCH):
        assert authorize([Role.TRADER], action, user="zhao")
        assert not authorize([Role.RESEARCHER], action, user="li")
    # risk officers may halt everything (the kill switch) but not run strategies
    assert authorize([Role.RISK_OFFICER], Action.KILL_SWITCH, user="wang")
    for action in (Action.LIVE_START, Action.LIVE_STOP):
        assert not authorize([Role.RISK_OFFICER], action, user="wang")


def test_admins_manage_roles_and_give_final_approval():
    assert authorize([Role.ADMIN], Action.ROLE_MANAGE, user="chen")
    assert authorize([Role.ADMIN], Action.APPROVAL_FINAL, user="chen", version_author="li")
    assert not authorize([Role.ADMIN], Action.RISK_LIMIT_EDIT, user="chen")


@pytest.mark.parametrize(
    "roles", [[Role.RISK_OFFICER], [Role.ADMIN], [Role.ADMIN, Role.RISK_OFFICER, Role.RESEARCHER]]
)
@pytest.mark.parametrize("action", sorted(SELF_APPROVAL_FORBIDDEN))
def test_nobody_approves_their_own_strategy_version(roles, action):
    as_author = authorize(roles, action, user="li", version_author="li", resource_owner="wang")
    as_owner = authorize(roles, action, user="li", version_author="wang", resource_owner="li")

    assert not as_author and "wrote it" in as_author.reason
    assert not as_owner and "owns the strategy" in as_owner.reason


def test_several_roles_give_the_most_generous_access():
    decision = authorize(
        ["trader", "researcher"], Action.BACKTEST_RUN, user="li", resource_owner="li"
    )
    assert decision.allowed and decision.role is Role.RESEARCHER


def test_roles_come_from_hub_groups_and_hub_scopes():
    assert roles_from_groups(["researcher", "quant-desk"]) == {Role.RESEARCHER}
    assert roles_from_groups(GROUPS) == set(Role)
    assert roles_from_scopes([scope_of(name) for name in GROUPS] + ["read:users"]) == set(Role)
    assert not authorize(roles_from_groups(["quant-desk"]), Action.STRATEGY_READ, user="li")


def test_unknown_actions_and_roles_are_refused_naming_them():
    with pytest.raises(ValueError, match=r"unknown action 'strategy\.delete'"):
        authorize([Role.ADMIN], "strategy.delete", user="chen")
    with pytest.raises(ValueError, match="unknown role 'intern'"):
        authorize(["intern"], Action.STRATEGY_READ, user="chen")


def test_require_raises_permission_denied_with_the_reason():
    with pytest.raises(PermissionDeniedError, match=r"li may not live\.kill_switch"):
        require([Role.RESEARCHER], Action.KILL_SWITCH, user="li")
    assert require([Role.TRADER], Action.KILL_SWITCH, user="zhao").role is Role.TRADER


def test_the_documented_matrix_is_the_one_in_the_code():
    documented = DOCS.read_text(encoding="utf-8")
    block = re.search(
        r"<!-- permission-matrix:start -->\n(.*?)<!-- permission-matrix:end -->",
        documented,
        re.DOTALL,
    )
    assert block is not None, "docs/platform.md lost its permission-matrix markers"
    assert block.group(1) == permission_table_markdown()
