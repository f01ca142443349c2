"""The bridge's command line: ``python -m quantlib.broker.bridge serve|token``.

``serve`` runs the bridge server in front of a broker opened by name::

    python -m quantlib.broker.bridge serve --broker qmt --settings qmt.json \\
        --host 0.0.0.0 --port 8765 --token-file bridge.token \\
        --tls-cert bridge.crt --tls-key bridge.key

It refuses to start without a token file, with an empty or short token, or with a token
file other users can read (and says why). ``token FILE`` writes a new random token to
a file only its owner can read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import signal
import ssl
import stat
import subprocess
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from quantlib.broker.bridge.server import BridgeServer
from quantlib.broker.errors import BrokerUnavailableError
from quantlib.broker.registry import open_broker
from quantlib.core.errors import QuantlibError
from quantlib.core.i18n import Catalog, translate

log = logging.getLogger(__name__)

#: Shortest token accepted (the client's ``BridgeConfig`` asks the same).
MIN_TOKEN_LENGTH = 16
#: Windows accounts that must not be able to read the token file.
WINDOWS_OTHERS = ("Everyone:", "BUILTIN\\Users:", "NT AUTHORITY\\Authenticated Users:")

TEXT: Catalog = {
    "description": (
        "Serve a broker (normally QMT) to other hosts over HTTP + WebSocket.",
        "通过 HTTP + WebSocket 向其他主机提供券商接口（通常为 QMT）。",
    ),
    "serve_help": ("run the bridge server", "运行桥接服务"),
    "token_help": ("write a new token file", "生成新的令牌文件"),
    "broker_help": ("broker to serve (registered name)", "要提供的券商（注册名）"),
    "settings_help": ("JSON file with the broker's settings", "券商设置的 JSON 文件"),
    "host_help": ("address to listen on", "监听地址"),
    "port_help": ("port to listen on", "监听端口"),
    "token_file_help": (
        "file holding the bearer token (readable by its owner only)",
        "存放令牌的文件（仅所有者可读）",
    ),
    "cert_help": ("TLS certificate (PEM)", "TLS 证书（PEM）"),
    "key_help": ("TLS private key (PEM)", "TLS 私钥（PEM）"),
    "buffer_help": (
        "events kept for clients that reconnect",
        "为重连客户端保留的事件数",
    ),
    "path_help": ("where to write the token", "令牌文件路径"),
    "no_token_file": (
        "refusing to start: token file {path} does not exist (create one with "
        "'python -m quantlib.broker.bridge token {path}')",
        "拒绝启动：令牌文件 {path} 不存在（可用 'python -m quantlib.broker.bridge token "
        "{path}' 生成）",
    ),
    "token_too_short": (
        "refusing to start: the token in {path} is shorter than {length} characters",
        "拒绝启动：{path} 中的令牌短于 {length} 个字符",
    ),
    "token_readable": (
        "refusing to start: token file {path} can be read by {who}; anyone who reads it "
        "can trade on this account. Restrict it: {fix}",
        "拒绝启动：令牌文件 {path} 可被 {who} 读取，读到它的人即可用此账户交易。请限制权限：{fix}",
    ),
    "others": ("other users", "其他用户"),
    "group": ("its group", "同组用户"),
    "token_exists": (
        "{path} already exists; not overwriting it",
        "{path} 已存在，不会覆盖",
    ),
    "token_written": (
        "new token written to {path} (readable by you only); give it to the client's "
        "'token' setting",
        "新令牌已写入 {path}（仅您可读）；请填入客户端的 token 设置",
    ),
    "tls_pair": (
        "--tls-cert and --tls-key go together",
        "--tls-cert 与 --tls-key 必须同时给出",
    ),
    "tls_failed": ("cannot load the TLS certificate: {detail}", "无法加载 TLS 证书：{detail}"),
    "bad_settings": ("cannot read settings {path}: {detail}", "无法读取设置 {path}：{detail}"),
    "bad_broker": ("cannot open broker {name!r}: {detail}", "无法打开券商 {name!r}：{detail}"),
    "plain_http": (
        "listening on {host} without TLS: the token and orders cross the network in clear",
        "在 {host} 上未启用 TLS 监听：令牌和委托将明文在网络上传输",
    ),
    "broker_down": (
        "the broker is not connected yet ({detail}); clients will retry through the bridge",
        "券商尚未连接（{detail}）；客户端会通过桥接重试",
    ),
    "listening": (
        "bridge serving broker {broker!r} on {scheme}://{host}:{port}",
        "桥接服务已启动：券商 {broker!r}，地址 {scheme}://{host}:{port}",
    ),
    "stopping": ("bridge stopping", "桥接服务正在停止"),
}


class TokenFileError(QuantlibError, PermissionError):
    """The token file is missing, too weak, or readable by others."""


def read_token(path: Path) -> str:
    """The token in ``path``, after checking that only its owner can read it."""
    if not path.is_file():
        raise TokenFileError(translate(TEXT, "no_token_file", path=path))
    problem = _readable_by_others(path)
    if problem is not None:
        who, fix = problem
        raise TokenFileError(translate(TEXT, "token_readable", path=path, who=who, fix=fix))
    token = path.read_text(encoding="utf-8").strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise TokenFileError(translate(TEXT, "token_too_short", path=path, length=MIN_TOKEN_LENGTH))
    return token


def _readable_by_others(path: Path) -> tuple[str, str] | None:
    if os.name == "nt":
        listing = subprocess.run(
            ["icacls", str(path)], capture_output=True, text=True, check=False
        ).stdout
        others = [name.rstrip(":") for name in WINDOWS_OTHERS if name in listing]
        if others:
            fix = f'icacls "{path}" /inheritance:r /grant:r "%USERNAME%:F"'
            return ", ".join(others), fix
        return None
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        who = "others" if mode & stat.S_IRWXO else "group"
        return translate(TEXT, who), f"chmod 600 {path}"
    return None


def write_token(path: Path) -> str:
    """Write a new random token to ``path`` (which must not exist), owner-only."""
    token = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise TokenFileError(translate(TEXT, "token_exists", path=path)) from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    if os.name == "nt":
        user = os.environ.get("USERNAME", "")
        subprocess.run(
            ["icacls", str(path), "/inheritance:r", "/grant:r", f"{user}:F"],
            capture_output=True,
            check=True,
        )
    return token


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server TLS context (TLS 1.2 or newer) from a PEM certificate and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m quantlib.broker.bridge", description=translate(TEXT, "description")
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help=translate(TEXT, "serve_help"))
    serve.add_argument("--broker", default="qmt", help=translate(TEXT, "broker_help"))
    serve.add_argument("--settings", type=Path, help=translate(TEXT, "settings_help"))
    serve.add_argument("--host", default="127.0.0.1", help=translate(TEXT, "host_help"))
    serve.add_argument("--port", type=int, default=8765, help=translate(TEXT, "port_help"))
    serve.add_argument(
        "--token-file", type=Path, required=True, help=translate(TEXT, "token_file_help")
    )
    serve.add_argument("--tls-cert", type=Path, help=translate(TEXT, "cert_help"))
    serve.add_argument("--tls-key", type=Path, help=translate(TEXT, "key_help"))
    serve.add_argument("--buffer", type=int, default=10_000, help=translate(TEXT, "buffer_help"))
    token = commands.add_parser("token", help=translate(TEXT, "token_help"))
    token.add_argument("path", type=Path, help=translate(TEXT, "path_help"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "token":
            write_token(arguments.path)
            log.info(translate(TEXT, "token_written", path=arguments.path))
            return 0
        return _serve(arguments)
    except (QuantlibError, ValueError, OSError) as error:
        log.error("%s", error)
        return 2


def _serve(arguments: argparse.Namespace) -> int:
    token = read_token(arguments.token_file)
    if (arguments.tls_cert is None) != (arguments.tls_key is None):
        raise TokenFileError(translate(TEXT, "tls_pair"))
    context = None
    if arguments.tls_cert is not None:
        try:
            context = tls_context(arguments.tls_cert, arguments.tls_key)
        except (OSError, ssl.SSLError) as error:
            raise TokenFileError(translate(TEXT, "tls_failed", detail=error)) from None
    settings = _settings(arguments.settings)
    try:
        server = BridgeServer(
            lambda events: open_broker(arguments.broker, settings, events=events),
            token,
            capacity=arguments.buffer,
        )
    except QuantlibError as error:
        raise QuantlibError(
            translate(TEXT, "bad_broker", name=arguments.broker, detail=error)
        ) from None
    if context is None and arguments.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning(translate(TEXT, "plain_http", host=arguments.host))
    try:
        server.broker.connect()
    except BrokerUnavailableError as error:
        log.warning(translate(TEXT, "broker_down", detail=error))
    # Windows has no loop signal handlers: Ctrl+C arrives as KeyboardInterrupt, which
    # cancels _run (its finally stops the server) and ends here as a clean stop.
    with suppress(KeyboardInterrupt):
        try:
            asyncio.run(_run(server, arguments.host, arguments.port, context))
        finally:
            server.broker.disconnect()
    return 0


def _settings(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise QuantlibError(translate(TEXT, "bad_settings", path=path, detail=error)) from None
    if not isinstance(data, dict):
        detail = "expected a JSON object"
        raise QuantlibError(translate(TEXT, "bad_settings", path=path, detail=detail))
    return data


async def _run(server: BridgeServer, host: str, port: int, context: ssl.SSLContext | None) -> None:
    bound = await server.start(host, port, context)
    scheme = "https" if context is not None else "http"
    log.info(
        translate(
            TEXT, "listening", broker=server.broker.name, scheme=scheme, host=host, port=bound
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        log.info(translate(TEXT, "stopping"))
        await server.stop()


__all__ = ["TokenFileError", "main", "read_token", "tls_context", "write_token"]
