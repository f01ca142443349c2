"""The Xfce desktop: jupyter-remote-desktop-proxy under a user's Jupyter server serves the
noVNC page at /desktop/, and its websocket reaches a TigerVNC server running Xfce.

Needs Debian's xfce4, dbus-x11 and tigervnc-standalone-server (make test installs them);
skipped, with the reason shown, where they are not installed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PREFIX = "/user/alice/"
TOKEN = "desktop-test-token"
#: The geometry jupyter-remote-desktop-proxy asks TigerVNC for.
GEOMETRY = (1680, 1050)
MARKER = "TAORUI_DESKTOP_TEST"


def desktop_missing() -> str | None:
    """Why the desktop cannot run here, or None when it can."""
    for command in ("vncserver", "Xtigervnc", "xfce4-session", "dbus-launch"):
        if shutil.which(command) is None:
            return (
                f"{command} not found: apt-get install --no-install-recommends xfce4 "
                "dbus-x11 tigervnc-standalone-server (make test does)"
            )
    try:
        import jupyter_remote_desktop_proxy  # noqa: F401
    except ImportError:
        return "jupyter-remote-desktop-proxy is not installed (the dev and hub extras have it)"
    return None


MISSING = desktop_missing()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=str(MISSING))


def marked_processes(marker: str) -> dict[int, str]:
    """Ids and names of the live processes whose environment carries the marker (a zombie's
    environment reads empty)."""
    found = {}
    needle = f"{MARKER}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "comm").read_text().strip()
        except OSError:
            continue
    return found


def stop_marked(marker: str) -> None:
    """End every process the test started (they carry the marker), politely then not."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in marked_processes(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while marked_processes(marker) and time.monotonic() < deadline:
            time.sleep(0.2)


@dataclass
class UserServer:
    """A running single-user Jupyter server."""

    url: str
    marker: str

    def get(self, path: str) -> tuple[int, str]:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {TOKEN}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, reply.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, ""


@pytest.fixture
def user_server(tmp_path: Path, free_port: int) -> Iterator[UserServer]:
    home = tmp_path / "home"
    home.mkdir()
    marker = uuid.uuid4().hex
    env = {
        **os.environ,
        "HOME": str(home),
        MARKER: marker,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "XDG_RUNTIME_DIR": str(tmp_path / "xdg"),
    }
    (tmp_path / "xdg").mkdir(mode=0o700)
    args = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        f"--port={free_port}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.base_url={PREFIX}",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={home}",
    ]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        args, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = UserServer(f"http://127.0.0.1:{free_port}{PREFIX}", marker)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if server.get("api")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the Jupyter server did not start in 60 s"
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stop_marked(marker)
        log.close()


class Stream:
    """Reads exact byte counts from websocket messages, however the proxy splits them."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.buffer = b""

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            message = self.socket.recv()
            self.buffer += message if isinstance(message, bytes) else message.encode()
        chunk, self.buffer = self.buffer[:size], self.buffer[size:]
        return chunk


def test_desktop_page_answers(user_server: UserServer) -> None:
    status, page = user_server.get("desktop/")
    assert status == 200
    assert "Jupyter Remote Desktop Proxy" in page
    assert "noVNC" in page
    assert f"{PREFIX}desktop/static/dist/viewer.js" in page
    assert user_server.get("desktop/static/dist/viewer.js")[0] == 200


def test_desktop_is_in_the_lab_launcher(user_server: UserServer) -> None:
    status, body = user_server.get("server-proxy/servers-info")
    assert status == 200
    assert '"desktop-websockify"' in body
    assert '"title": "Desktop"' in body


def test_vnc_websocket_reaches_xfce(user_server: UserServer) -> None:
    websocket = pytest.importorskip("websocket")
    url = user_server.url.replace("http://", "ws://") + "desktop-websockify/"
    connection = websocket.create_connection(
        url, header=[f"Authorization: token {TOKEN}"], subprotocols=["binary"], timeout=60
    )
    try:
        stream = Stream(connection)
        assert stream.read(12) == b"RFB 003.008\n"
        connection.send_binary(b"RFB 003.008\n")
        (count,) = stream.read(1)
        assert 1 in stream.read(count), "the VNC server offers security type None"
        connection.send_binary(b"\x01")
        assert stream.read(4) == b"\0\0\0\0", "security handshake accepted"
        connection.send_binary(b"\x01")
        width, height = struct.unpack(">HH", stream.read(4))
        stream.read(16)
        (name_length,) = struct.unpack(">I", stream.read(4))
        name = stream.read(name_length).decode("utf-8", "replace")
    finally:
        connection.close()
    assert (width, height) == GEOMETRY
    assert name
    deadline = time.monotonic() + 30
    names: set[str] = set()
    while time.monotonic() < deadline and not {"Xtigervnc", "xfce4-session"} <= names:
        names = set(marked_processes(user_server.marker).values())
        time.sleep(0.5)
    assert {"Xtigervnc", "xfce4-session"} <= names, names
