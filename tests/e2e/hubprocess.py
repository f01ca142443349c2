"""Start and stop a real JupyterHub (with its real proxy) the way ``make up`` does."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
#: Settings a test hub never takes from the surrounding environment (the platform service
#: keeps its database in the hub's state directory).
ISOLATED = ("TAORUI_HUB_SETTINGS", "TAORUI_DATA_DIR", "TAORUI_DB_URL", "TAORUI_PLATFORM_URL")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Hub:
    """A running hub: its address, log file and process."""

    url: str
    log: Path
    process: subprocess.Popen[bytes]
    admin_password: str

    def alive(self) -> bool:
        """Whether the hub process runs and answers its API."""
        if self.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(self.url + "hub/api/", timeout=5) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def api(self, path: str, token: str, method: str = "GET", body: Any = None) -> Any:
        """Call the hub's REST API (``hub/api/<path>``) with a token; the parsed answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + "hub/api/" + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def admin_token(self) -> str:
        """A new API token of the first admin, requested with the admin's password."""
        data = json.dumps({"auth": {"username": "admin", "password": self.admin_password}})
        request = urllib.request.Request(
            self.url + "hub/api/users/admin/tokens",
            data=data.encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return str(json.loads(response.read())["token"])

    def log_text(self) -> str:
        """Everything the hub logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop the hub (it stops the proxy, its services and the servers)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_hub(state_dir: Path, store: Path, **extra_env: str) -> Hub:
    """Run ``python -m hub.launch`` in a new session on free ports; wait until it answers."""
    port = free_port()
    password = "test-admin-password-1"
    inherited = {name: value for name, value in os.environ.items() if name not in ISOLATED}
    env = {
        **inherited,
        "TAORUI_HUB_STATE_DIR": str(state_dir),
        "TAORUI_DATA_STORE": str(store),
        "TAORUI_HUB_PORT": str(port),
        "TAORUI_HUB_API_PORT": str(free_port()),
        "TAORUI_PROXY_API_PORT": str(free_port()),
        "TAORUI_SERVICE_PORT": str(free_port()),
        "TAORUI_ADMIN_PASSWORD": password,
        **extra_env,
    }
    state_dir.mkdir(parents=True, exist_ok=True)
    log = state_dir / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.launch"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = Hub(f"http://127.0.0.1:{port}/", log, process, password)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if hub.alive():
            return hub
        if process.poll() is not None:
            break
        time.sleep(0.5)
    hub.stop()
    raise RuntimeError(f"the hub did not start; its log:\n{hub.log_text()[-4000:]}")
