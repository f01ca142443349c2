"""Start the hub in the foreground: what ``make up`` runs (``python -m hub.launch``).

It checks what the hub needs (the proxy from ``npm ci``, the data store), makes sure the
first admin has a password (``TAORUI_ADMIN_PASSWORD``, or one generated once into
``<state_dir>/admin-password`` with mode 0600), prints the address and how to sign in,
and then becomes ``jupyterhub -f jupyterhub_config.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hub.credentials import PASSWORD_VARIABLE, admin_password
from hub.settings import REPO_ROOT, HubSettings, SettingsError, load_settings

CONFIG = REPO_ROOT / "jupyterhub_config.py"
PROXY = REPO_ROOT / "hub" / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"


def problems(settings: HubSettings) -> list[str]:
    """What is missing for the embedded hub, each in Chinese and English."""
    found = []
    if settings.spawner == "local" and not settings.proxy_api_url and not PROXY.exists():
        found.append(
            f"缺少代理 {PROXY}：请运行 make up（或 cd hub/proxy && npm ci）。 · "
            f"the proxy {PROXY} is missing: run make up (or cd hub/proxy && npm ci)."
        )
    if not (settings.store / "quantlib-store.json").is_file():
        found.append(
            f"数据仓库 {settings.store} 不存在：请运行 "
            f"quantlib data demo --store {settings.store}。 · "
            f"no data store at {settings.store}: run quantlib data demo --store {settings.store}."
        )
    return found


def banner(settings: HubSettings, password: str | None, generated: bool) -> str:
    """The lines printed before the hub starts: where to go and how to sign in."""
    lines = [
        "韬睿量化专业版 · Taorui Quant Pro",
        f"  地址 · URL:        {settings.url}",
        f"  管理员 · Admin:    {settings.admin_user}",
    ]
    if settings.authenticator != "native":
        lines.append(f"  登录方式 · Sign-in: {settings.authenticator} (see docs/hub.md)")
    elif os.environ.get(PASSWORD_VARIABLE):
        lines.append(f"  密码 · Password:   from {PASSWORD_VARIABLE}")
    else:
        note = "新生成 · generated now" if generated else "已保存 · saved"
        lines += [
            f"  密码 · Password:   {password}",
            f"                     ({note}: {settings.admin_password_file}, mode 0600)",
        ]
    lines += [
        "  其他人在登录页注册，由管理员在 /hub/authorize 批准。 · Others sign up on the login",
        "  page; an admin approves them at /hub/authorize. Ctrl+C stops the hub.",
    ]
    return "\n".join(lines)


def main() -> int:
    """Check, print how to sign in, then run JupyterHub in this process."""
    try:
        settings = load_settings()
        settings.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        password, generated = admin_password(settings.admin_password_file, create=True)
    except (SettingsError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    missing = problems(settings)
    for problem in missing:
        print(f"error: {problem}", file=sys.stderr)  # noqa: T201
    if missing:
        return 2
    print(banner(settings, password, generated), flush=True)  # noqa: T201
    command = Path(sys.executable).with_name("jupyterhub")
    os.chdir(settings.state_dir)
    os.execv(command, [str(command), "-f", str(CONFIG)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
