"""The platform's groups and the hub roles that carry them into tokens.

Each group ``G`` gets a role ``taorui-G`` with the custom scope ``custom:taorui:G``. A
member's tokens (and the OAuth tokens a hub service receives when it asks for these
scopes) then list ``custom:taorui:G``, which is how the platform service (a later issue)
learns a person's roles without its own copy of group membership.
"""

from __future__ import annotations

from typing import Any

#: Group name: (Chinese, English) description.
GROUPS: dict[str, tuple[str, str]] = {
    "researcher": ("研究员：研究、回测、提交策略版本", "researcher: research, backtest, submit"),
    "risk_officer": ("风控：审阅报告、审批、设定风险限额", "risk officer: review, approve, limits"),
    "trader": ("交易员：启停策略、对账、日终盈亏", "trader: start and stop, reconcile, PnL"),
    "admin": ("管理员：用户、组、最终审批、审计", "admin: users, groups, final approval, audit"),
}

#: What members of the ``admin`` group may do in the hub besides their custom scope.
ADMIN_GROUP_SCOPES = ["admin-ui", "admin:users", "admin:groups", "admin:servers", "read:roles"]


def scope_of(group: str) -> str:
    """The custom scope that marks members of ``group``."""
    return f"custom:taorui:{group}"


def custom_scopes() -> dict[str, dict[str, str]]:
    """``JupyterHub.custom_scopes``: one scope per group."""
    return {scope_of(name): {"description": f"{zh} · {en}"} for name, (zh, en) in GROUPS.items()}


def group_roles() -> list[dict[str, Any]]:
    """``JupyterHub.load_roles`` entries giving each group its scope."""
    roles = []
    for name, (_, english) in GROUPS.items():
        scopes = [scope_of(name)]
        if name == "admin":
            scopes += ADMIN_GROUP_SCOPES
        roles.append(
            {
                "name": f"taorui-{name.replace('_', '-')}",
                "description": english,
                "scopes": scopes,
                "groups": [name],
            }
        )
    return roles
