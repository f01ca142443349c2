"""`make up`, exactly as the README says, on its embedded defaults: it builds a demo store,
starts the hub and prints where to go and the admin's generated password; with that
password the admin signs in, gets a token, starts JupyterLab with the Taorui kernel, and
reaches the platform service."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.e2e.hubprocess import REPO, Hub, free_port

PASSWORD_LINE = re.compile(r"密码 · Password:\s+(\S+)")
URL_LINE = re.compile(r"地址 · URL:\s+(\S+)")


def _make_up(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    state = tmp_path / "state"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TAORUI_", "JUPYTERHUB_"))
    }
    env.update(
        TAORUI_HUB_STATE_DIR=str(state),
        TAORUI_HUB_PORT=str(free_port()),
        TAORUI_HUB_API_PORT=str(free_port()),
        TAORUI_PROXY_API_PORT=str(free_port()),
        TAORUI_SERVICE_PORT=str(free_port()),
    )
    output = tmp_path / "make-up.log"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [
                "make",
                "--no-print-directory",
                "up",
                f"STORE={tmp_path / 'store'}",
                "DEMO_ARGS=--symbols 40 --days 60",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, output


def _banner(process: subprocess.Popen[bytes], output: Path) -> tuple[str, str]:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        text = output.read_text(encoding="utf-8", errors="replace")
        url, password = URL_LINE.search(text), PASSWORD_LINE.search(text)
        if url and password:
            return url.group(1), password.group(1)
        assert process.poll() is None, f"make up stopped:\n{text[-4000:]}"
        time.sleep(0.5)
    raise AssertionError("make up printed no address and password")


def test_make_up_serves_the_hub_and_the_admin_gets_jupyterlab(tmp_path: Path) -> None:
    process, output = _make_up(tmp_path)
    try:
        url, password = _banner(process, output)
        hub = Hub(url, output, process, password)
        deadline = time.monotonic() + 120
        while not hub.alive():
            assert process.poll() is None, output.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, "the hub never answered"
            time.sleep(0.5)
        assert (tmp_path / "store" / "quantlib-store.json").is_file()
        login = httpx.get(url + "hub/login", timeout=30)
        assert login.status_code == 200 and "韬睿量化" in login.text

        with httpx.Client(base_url=url, timeout=30) as browser:
            form = browser.get("hub/login")
            xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
            assert xsrf, form.text[:2000]
            signed_in = browser.post(
                "hub/login",
                data={"_xsrf": xsrf.group(1), "username": "admin", "password": password},
            )
            assert signed_in.status_code == 302, signed_in.text[-2000:]
            home = browser.get("hub/home")
            assert home.status_code == 200, f"not signed in: {home.status_code}"
        wrong = httpx.post(
            url + "hub/api/users/admin/tokens",
            json={"auth": {"username": "admin", "password": password + "x"}},
            timeout=30,
        )
        assert wrong.status_code == 403
        made = httpx.post(
            url + "hub/api/users/admin/tokens",
            json={"auth": {"username": "admin", "password": password}, "note": "make up"},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        token = made.json()["token"]
        auth = {"Authorization": f"token {token}"}

        started = httpx.post(url + "hub/api/users/admin/server", headers=auth, timeout=30)
        assert started.status_code in {201, 202}, started.text
        deadline = time.monotonic() + 120
        while (
            not httpx.get(url + "hub/api/users/admin", headers=auth, timeout=30)
            .json()["servers"]
            .get("", {})
            .get("ready")
        ):
            assert time.monotonic() < deadline, "JupyterLab did not start"
            time.sleep(1)
        lab = httpx.get(url + "user/admin/lab", headers=auth, timeout=30, follow_redirects=True)
        assert lab.status_code == 200 and "JupyterLab" in lab.text
        kernels = httpx.get(url + "user/admin/api/kernelspecs", headers=auth, timeout=30).json()
        assert "taorui" in kernels["kernelspecs"], sorted(kernels["kernelspecs"])
        me = httpx.get(url + "services/quant/api/me", headers=auth, timeout=30)
        assert me.status_code == 200 and "admin" in me.json()["roles"], me.text
        saved = tmp_path / "state" / "admin-password"
        assert saved.read_text(encoding="utf-8").strip() == password
        assert saved.stat().st_mode & 0o777 == 0o600
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
