"""What varies between installations of the hub: one TOML file, overridden by environment.

The file is ``$TAORUI_HUB_SETTINGS`` if set, else ``var/hub/settings.toml`` under the
repository when it exists (see ``hub/settings.example.toml``). Each key can also be set by
the environment variable named in :data:`ENVIRONMENT`, which wins over the file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

#: The repository this package lives in (the root of a clone).
REPO_ROOT = Path(__file__).resolve().parent.parent

SPAWNERS = ("local", "docker", "kubernetes")
#: The hub-managed platform service, reached under ``/services/<name>/``.
SERVICE_NAME = "quant"
AUTHENTICATORS = ("native", "oauth", "ldap")


#: The environment variable of each setting.
ENVIRONMENT: dict[str, str] = {
    "ip": "TAORUI_HUB_IP",
    "port": "TAORUI_HUB_PORT",
    "hub_api_port": "TAORUI_HUB_API_PORT",
    "proxy_api_port": "TAORUI_PROXY_API_PORT",
    "state_dir": "TAORUI_HUB_STATE_DIR",
    "store": "TAORUI_DATA_STORE",
    "store_volume": "TAORUI_DATA_STORE_VOLUME",
    "platform_url": "TAORUI_PLATFORM_URL",
    "service_port": "TAORUI_SERVICE_PORT",
    "platform_data_dir": "TAORUI_DATA_DIR",
    "platform_db_url": "TAORUI_DB_URL",
    "dask": "TAORUI_DASK",
    "db_url": "TAORUI_HUB_DB_URL",
    "spawner": "TAORUI_SPAWNER",
    "authenticator": "TAORUI_AUTHENTICATOR",
    "admin_user": "TAORUI_ADMIN_USER",
    "singleuser_cmd": "TAORUI_SINGLEUSER_CMD",
    "image": "TAORUI_RESEARCH_IMAGE",
    "docker_network": "TAORUI_DOCKER_NETWORK",
    "hub_connect_ip": "TAORUI_HUB_CONNECT_IP",
    "proxy_api_url": "TAORUI_PROXY_API_URL",
    "idle_timeout": "TAORUI_IDLE_TIMEOUT",
}


class SettingsError(ValueError):
    """A settings file or variable that cannot be used; the message names it."""


@dataclass(frozen=True)
class HubSettings:
    """The installation's hub settings (defaults: the embedded single-machine hub)."""

    ip: str = "127.0.0.1"
    port: int = 8000
    #: where the hub's own API listens (the proxy and servers reach it there)
    hub_api_port: int = 8081
    #: where the proxy's REST API listens when the hub starts the proxy
    proxy_api_port: int = 8001
    #: hub database, cookie secret, admin password file, local users' homes
    state_dir: Path = REPO_ROOT / "var" / "hub"
    #: the market-data store (QUANTLIB_STORE in every user's kernels); with DockerSpawner
    #: also the path it is mounted at, read-only, in each research container
    store: Path = REPO_ROOT / "var" / "store"
    #: DockerSpawner: a named Docker volume that holds the store (else ``store`` is bound)
    store_volume: str = ""
    #: the platform service as servers reach it (QUANTLIB_PLATFORM_URL); empty: the
    #: service's own address, :attr:`HubSettings.platform_address`
    platform_url: str = ""
    #: where the platform service (hub-managed, ``quant``) listens
    service_port: int = 8765
    #: the platform's data directory (database file, job artifacts); empty:
    #: ``platform/`` in state_dir
    platform_data_dir: str = ""
    #: SQLAlchemy URL of the platform database; empty: SQLite in platform_data_dir
    platform_db_url: str = ""
    #: Dask for sweeps: "local" for a local cluster per user, or a scheduler address
    dask: str = "local"
    #: SQLAlchemy URL of the hub database; empty: SQLite in state_dir
    db_url: str = ""
    spawner: str = "local"
    authenticator: str = "native"
    admin_user: str = "admin"
    #: the single-user server command for the local spawner; empty: the venv's
    singleuser_cmd: str = ""
    #: the research image for DockerSpawner (built from images/research)
    image: str = "taorui/research:latest"
    #: Docker network the hub and user containers share
    docker_network: str = "taorui-net"
    #: the address containers reach the hub at (DockerSpawner, KubeSpawner)
    hub_connect_ip: str = ""
    #: an external configurable-http-proxy's API; empty: the hub starts its own
    proxy_api_url: str = ""
    #: seconds a server may sit idle before the culler stops it; 0 turns the culler off
    idle_timeout: int = 3600
    #: extra attributes copied from the file as they are (OAuth and LDAP options)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The address people open in their browser."""
        host = "127.0.0.1" if self.ip in ("", "0.0.0.0") else self.ip
        return f"http://{host}:{self.port}/"

    @property
    def service_url(self) -> str:
        """Where the platform service listens; the proxy sends ``/services/quant/`` there.

        The local spawner keeps it on 127.0.0.1; in containers it listens on the address
        they reach the hub at (``hub_connect_ip``).
        """
        host = "127.0.0.1" if self.spawner == "local" else (self.hub_connect_ip or "127.0.0.1")
        return f"http://{host}:{self.service_port}"

    @property
    def platform_address(self) -> str:
        """QUANTLIB_PLATFORM_URL: ``platform_url``, else the service's own address."""
        return self.platform_url or f"{self.service_url}/services/{SERVICE_NAME}/"

    @property
    def platform_dir(self) -> Path:
        """The platform's data directory (TAORUI_DATA_DIR of the service)."""
        if not self.platform_data_dir:
            return self.state_dir / "platform"
        path = Path(self.platform_data_dir).expanduser()
        return path if path.is_absolute() else REPO_ROOT / path

    @property
    def admin_password_file(self) -> Path:
        """Where a generated first-admin password is kept (mode 0600)."""
        return self.state_dir / "admin-password"


def _coerce(name: str, raw: object, default: object) -> object:
    if isinstance(default, bool):
        raise SettingsError(f"setting {name!r}: no boolean settings exist")
    if isinstance(default, int):
        try:
            return int(str(raw))
        except ValueError:
            raise SettingsError(
                f"设置 {name!r} 应为整数，而不是 {raw!r} · setting {name!r} must be an integer, "
                f"not {raw!r}"
            ) from None
    if isinstance(default, Path):
        path = Path(str(raw)).expanduser()
        return path if path.is_absolute() else (REPO_ROOT / path)
    return str(raw)


def settings_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The settings file in use, or None when there is none."""
    env = os.environ if environ is None else environ
    named = env.get("TAORUI_HUB_SETTINGS")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise SettingsError(
                f"找不到设置文件 {path} · settings file {path} not found (TAORUI_HUB_SETTINGS)"
            )
        return path
    default = REPO_ROOT / "var" / "hub" / "settings.toml"
    return default if default.is_file() else None


def load_settings(environ: Mapping[str, str] | None = None) -> HubSettings:
    """Read the settings file (if any) and the ``TAORUI_HUB_*`` variables over it."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    extra: dict[str, Any] = {}
    path = settings_file(env)
    known = {f.name: f for f in fields(HubSettings) if f.name != "extra"}
    defaults = HubSettings()
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            message = f"设置文件 {path} 格式错误 · settings file {path}: {error}"
            raise SettingsError(message) from None
        for key, raw in data.items():
            if key in known:
                values[key] = _coerce(key, raw, getattr(defaults, key))
            else:
                extra[key] = raw
    for key, variable in ENVIRONMENT.items():
        raw_env = env.get(variable)
        if raw_env:
            values[key] = _coerce(key, raw_env, getattr(defaults, key))
    settings = HubSettings(**values, extra=extra)  # type: ignore[arg-type]
    if settings.spawner not in SPAWNERS:
        raise SettingsError(
            f"未知的 spawner {settings.spawner!r}（可选 {', '.join(SPAWNERS)}）· unknown spawner "
            f"{settings.spawner!r} (choose from {', '.join(SPAWNERS)})"
        )
    if settings.authenticator not in AUTHENTICATORS:
        raise SettingsError(
            f"未知的 authenticator {settings.authenticator!r}（可选 {', '.join(AUTHENTICATORS)}）"
            f"· unknown authenticator {settings.authenticator!r} "
            f"(choose from {', '.join(AUTHENTICATORS)})"
        )
    return settings
