"""The launchers: shell syntax, shellcheck, the Linux launcher run end to end against a fake
docker and a stand-in hub, the .desktop entry, and text checks of the Windows scripts."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from tests.images.conftest import IMAGES, tool

LAUNCHERS = IMAGES / "launchers"
SHELL_SCRIPTS = [LAUNCHERS / "taorui-launcher.sh", LAUNCHERS / "taorui-quant.command"]
CJK = re.compile(r"[\u4e00-\u9fff]")
#: Commands the Linux launcher uses, linked into a private PATH without docker.
BASE_COMMANDS = ("bash", "curl", "dirname", "uname", "sleep", "od", "tr", "grep", "sed", "mkdir")

FAKE_DOCKER = """#!/usr/bin/env bash
# Records its arguments; "compose ... up" starts the stand-in hub when FAKE_HUB_DIR is set.
printf '%s\\n' "$*" >>"$FAKE_DOCKER_LOG"
case "$*" in
    info) [ "${FAKE_DOCKER_DOWN:-0}" = 1 ] && exit 1 ;;
    "image inspect"*) [ "${FAKE_DOCKER_NO_IMAGE:-0}" = 1 ] && exit 1 ;;
    *" up -d")
        if [ -n "${FAKE_HUB_DIR:-}" ]; then
            python3 -m http.server "$TAORUI_HUB_PORT" --bind 127.0.0.1 \\
                --directory "$FAKE_HUB_DIR" >/dev/null 2>&1 &
            echo $! >"$FAKE_HUB_PIDFILE"
        fi ;;
esac
exit 0
"""

FAKE_BROWSER = """#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_BROWSER_LOG"
"""


def write_script(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


class Launch:
    """A copy of images/ in a temporary folder and the environment to run the launcher."""

    def __init__(self, root: Path, port: int) -> None:
        self.images = root / "images"
        (self.images / "launchers").mkdir(parents=True)
        for script in (*SHELL_SCRIPTS, LAUNCHERS / "taorui-quant.desktop"):
            shutil.copy2(script, self.images / "launchers" / script.name)
        shutil.copy2(IMAGES / "compose.yaml", self.images / "compose.yaml")
        self.bin = root / "bin"
        self.bin.mkdir()
        for name in BASE_COMMANDS:
            found = shutil.which(name)
            assert found is not None, name
            (self.bin / name).symlink_to(found)
        (self.bin / "python3").symlink_to(sys.executable)
        self.docker_log = root / "docker.log"
        self.browser_log = root / "browser.log"
        self.hub_dir = root / "hub-site"
        (self.hub_dir / "hub").mkdir(parents=True)
        (self.hub_dir / "hub" / "api").write_text(json.dumps({"version": "5.3.0"}))
        (self.hub_dir / "hub" / "login").write_text("<html>login</html>")
        self.pidfile = root / "hub.pid"
        self.port = port
        self.env = {
            "PATH": str(self.bin),
            "HOME": str(root / "home"),
            "LANG": "C.UTF-8",
            "TAORUI_HUB_PORT": str(port),
            "TAORUI_LAUNCH_TIMEOUT": "20",
            "TAORUI_BROWSER": str(write_script(root / "browser", FAKE_BROWSER)),
            "FAKE_BROWSER_LOG": str(self.browser_log),
            "FAKE_DOCKER_LOG": str(self.docker_log),
            "FAKE_HUB_PIDFILE": str(self.pidfile),
        }

    def add_docker(self) -> None:
        write_script(self.bin / "docker", FAKE_DOCKER)

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        script = self.images / "launchers" / "taorui-launcher.sh"
        return subprocess.run(
            [str(script), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def docker_calls(self) -> list[str]:
        if not self.docker_log.exists():
            return []
        return self.docker_log.read_text(encoding="utf-8").splitlines()

    def stop_hub(self) -> None:
        if self.pidfile.exists():
            pid = int(self.pidfile.read_text(encoding="utf-8"))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


@pytest.fixture
def launch(tmp_path: Path, free_port: int) -> Iterator[Launch]:
    setup = Launch(tmp_path, free_port)
    yield setup
    setup.stop_hub()


class Answer(BaseHTTPRequestHandler):
    """Answers every GET with the class's status and body."""

    status = 404
    body = b"not a hub"

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


class HubAnswer(Answer):
    status = 200
    body = b'{"version": "5.3.0"}'


@pytest.fixture
def squatter(launch: Launch) -> Iterator[Callable[[type[Answer]], None]]:
    """Starts a web server with the given handler on the hub's port; stops it afterwards."""
    holder: dict[str, ThreadingHTTPServer] = {}

    def start(handler: type[Answer]) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", launch.port), handler)
        Thread(target=server.serve_forever, daemon=True).start()
        holder["server"] = server

    yield start
    if "server" in holder:
        holder["server"].shutdown()
        holder["server"].server_close()


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: path.name)
def test_shell_syntax_and_shellcheck(script: Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True)
    subprocess.run([tool("shellcheck"), str(script)], check=True)
    assert script.stat().st_mode & 0o111, f"{script.name} is not executable"


def test_first_start_builds_starts_waits_and_opens(launch: Launch) -> None:
    launch.add_docker()
    result = launch.run(FAKE_DOCKER_NO_IMAGE="1", FAKE_HUB_DIR=str(launch.hub_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    compose = f"compose --project-directory {launch.images} -f {launch.images}/compose.yaml"
    assert launch.docker_calls() == [
        "info",
        "compose version",
        "image inspect taorui/research:latest",
        f"{compose} --profile tools build",
        f"{compose} up -d",
    ]
    login = f"http://localhost:{launch.port}/hub/login"
    assert launch.browser_log.read_text(encoding="utf-8").split() == [login]
    assert "韬睿量化已就绪" in result.stdout and "Taorui Quant is ready" in result.stdout
    env_file = (launch.images / ".env").read_text(encoding="utf-8")
    assert re.fullmatch(r"TAORUI_PROXY_TOKEN=[0-9a-f]{64}\n", env_file)
    assert (launch.images / ".env").stat().st_mode & 0o077 == 0


def test_second_start_reuses_images_and_token(launch: Launch) -> None:
    launch.add_docker()
    (launch.images / ".env").write_text("TAORUI_PROXY_TOKEN=kept\n", encoding="utf-8")
    result = launch.run(FAKE_HUB_DIR=str(launch.hub_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not any("build" in call for call in launch.docker_calls())
    assert launch.docker_calls()[-1].endswith(" up -d")
    assert (launch.images / ".env").read_text(encoding="utf-8") == "TAORUI_PROXY_TOKEN=kept\n"


def test_running_hub_is_reused(launch: Launch, squatter) -> None:
    launch.add_docker()
    squatter(HubAnswer)
    result = launch.run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "已在运行" in result.stdout and "already running" in result.stdout
    assert not any("up -d" in call for call in launch.docker_calls())
    assert launch.browser_log.exists()


def test_docker_missing(launch: Launch) -> None:
    result = launch.run()
    assert result.returncode == 2
    assert "未找到 Docker" in result.stderr and "Docker is not installed" in result.stderr
    assert not launch.browser_log.exists()


def test_docker_not_running(launch: Launch) -> None:
    launch.add_docker()
    result = launch.run(FAKE_DOCKER_DOWN="1")
    assert result.returncode == 3
    assert "Docker 没有运行" in result.stderr and "Docker is not running" in result.stderr
    assert launch.docker_calls() == ["info"]


def test_port_taken(launch: Launch, squatter) -> None:
    launch.add_docker()
    squatter(Answer)
    result = launch.run()
    assert result.returncode == 4
    assert f"端口 {launch.port} 已被其他程序占用" in result.stderr
    assert f"Port {launch.port} is taken" in result.stderr
    assert not any("up -d" in call for call in launch.docker_calls())


def test_timeout(launch: Launch) -> None:
    launch.add_docker()
    result = launch.run(TAORUI_LAUNCH_TIMEOUT="2")
    assert result.returncode == 6
    assert "等待 2 秒后服务仍未响应" in result.stderr
    assert "did not answer within 2 s" in result.stderr
    assert "logs hub" in result.stderr
    assert not launch.browser_log.exists()


def test_desktop_entry_validates() -> None:
    entry = LAUNCHERS / "taorui-quant.desktop"
    subprocess.run([tool("desktop-file-validate"), str(entry)], check=True)
    text = entry.read_text(encoding="utf-8")
    assert "Exec=taorui-launcher.sh --wait-on-error" in text
    assert "Name[zh_CN]=韬睿量化" in text


def test_install_writes_a_valid_menu_entry(launch: Launch, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = launch.run("install", XDG_DATA_HOME=str(data))
    assert result.returncode == 0, result.stdout + result.stderr
    installed = data / "applications" / "taorui-quant.desktop"
    script = launch.images / "launchers" / "taorui-launcher.sh"
    assert f'Exec="{script}" --wait-on-error' in installed.read_text(encoding="utf-8")
    subprocess.run([tool("desktop-file-validate"), str(installed)], check=True)


def test_macos_command_runs_the_shared_launcher() -> None:
    text = (LAUNCHERS / "taorui-quant.command").read_text(encoding="utf-8")
    assert '/taorui-launcher.sh" --wait-on-error "$@"' in text


def test_every_shell_error_is_bilingual() -> None:
    text = (LAUNCHERS / "taorui-launcher.sh").read_text(encoding="utf-8")
    quoted = r'"((?:[^"\\]|\\.)*)"'
    calls = re.findall(rf"fail (\d) {quoted}\s*(?:\\\s*)?{quoted}", text)
    assert {code for code, _, _ in calls} == {"2", "3", "4", "5", "6"}
    for _, chinese, english in calls:
        assert CJK.search(chinese) and not CJK.search(english), (chinese, english)


def test_powershell_launcher() -> None:
    raw = (LAUNCHERS / "taorui-launcher.ps1").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Windows PowerShell 5.1 needs the BOM for Chinese"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    text = raw.decode("utf-8-sig")
    for expected in (
        "& docker info",
        "& docker compose version",
        "& docker image inspect taorui/research:latest",
        "& docker compose --project-directory $Images -f $ComposeFile @Arguments",
        "@('--profile', 'tools', 'build')",
        "@('up', '-d')",
        "http://127.0.0.1:$Port/hub/api",
        "http://localhost:$Port/hub/login",
        "Start-Process $LoginUrl",
        "System.Net.Sockets.TcpClient",
        "TAORUI_PROXY_TOKEN=",
        "TAORUI_LAUNCH_TIMEOUT",
        "[Console]::OutputEncoding = [System.Text.Encoding]::UTF8",
    ):
        assert expected in text, expected
    calls = re.findall(r"Stop-WithError (\d) ([\"'])(.*?)\2 `?\s*([\"'])(.*?)\4", text)
    assert {call[0] for call in calls} == {"2", "3", "4", "5", "6"}
    for call in calls:
        assert CJK.search(call[2]) and not CJK.search(call[4]), call


def test_batch_file_runs_the_powershell_launcher() -> None:
    raw = (LAUNCHERS / "taorui-quant.bat").read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    text = raw.decode("ascii")
    assert "chcp 65001" in text
    assert 'powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0taorui-launcher.ps1"' in (
        text
    )
    assert "pause" in text
