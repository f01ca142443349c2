"""The local process spawner of the embedded hub.

By default every person's server runs as the hub's own system user, in a home of its own
under ``<state_dir>/home/<name>``: this works as root on a fresh machine without creating
system accounts, and suits one researcher's workstation or a trial. Set
``system_users = True`` to run each server as the system account of the same name
(JupyterHub's own behaviour, accounts created by the administrator) when several people
share one machine; for real isolation use DockerSpawner or KubeSpawner.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from tornado import web
from traitlets import Bool, Unicode

from hub.home import seed_home


class SpawnFailedError(web.HTTPError):
    """A server that cannot start, with the reason shown to the person in the page.

    An HTTP error (503) so that JupyterHub passes it to the spawn page as it is.
    """

    def __init__(self, message: str) -> None:
        super().__init__(503, message)
        #: what JupyterHub shows in the page
        self.jupyterhub_message = message

    def __str__(self) -> str:
        return self.jupyterhub_message


def port_in_use(ip: str, port: int) -> bool:
    """Whether something already listens on ``ip:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((ip or "127.0.0.1", port)) == 0


class TaoruiLocalSpawner(LocalProcessSpawner):
    """A local process spawner with per-person homes and clear failures."""

    system_users = Bool(
        False,
        config=True,
        help="Run each server as the system user of the same name (needs those accounts).",
    )
    homes_dir = Unicode(
        "",
        config=True,
        help="Where homes are made when system_users is off (one folder per person).",
    )

    def home(self) -> Path:
        """The person's home folder."""
        if self.system_users:
            return Path(pwd.getpwnam(self.user.name).pw_dir)
        return Path(self.homes_dir) / self.user.name

    def make_preexec_fn(self, name: str) -> Callable[[], None] | None:
        """Switch to the person's account only with system users."""
        if self.system_users:
            return super().make_preexec_fn(name)
        return None

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        """The person's HOME (and USER) in the server's environment."""
        if self.system_users:
            return super().user_env(env)
        env["USER"] = self.user.name
        env["HOME"] = str(self.home())
        return env

    async def move_certs(self, paths: dict[str, str]) -> dict[str, str]:
        """Leave internal-SSL certificates in place unless servers run as other users."""
        if self.system_users:
            return await super().move_certs(paths)
        return paths

    def _check_startable(self) -> None:
        command = list(self.cmd)
        if not command or shutil.which(command[0]) is None:
            missing = command[0] if command else "(empty)"
            raise SpawnFailedError(
                f"无法启动服务器：找不到单用户服务器命令 {missing}。请联系管理员。 · "
                f"Cannot start your server: the single-user server command {missing} "
                "was not found. Please contact an administrator."
            )
        if self.port and port_in_use(self.ip, self.port):
            raise SpawnFailedError(
                f"无法启动服务器：端口 {self.port} 已被占用。请联系管理员。 · "
                f"Cannot start your server: port {self.port} is already in use. "
                "Please contact an administrator."
            )

    async def start(self) -> Any:
        """Seed the home on the first start, check the command and port, then start."""
        try:
            self._check_startable()
        except SpawnFailedError as error:
            self.log.error("spawn of %s refused: %s", self.user.name, error)
            raise
        home = self.home()
        copied = seed_home(home)
        if self.system_users and copied:
            account = pwd.getpwnam(self.user.name)
            for path in [home / "strategies", *copied]:
                for part in [path, *path.relative_to(home).parents]:
                    os.chown(home / part, account.pw_uid, account.pw_gid)
        if copied:
            self.log.info("copied %d notebooks into %s", len(copied), home)
        kwargs: dict[str, Any] = dict(getattr(self, "popen_kwargs", {}))
        kwargs["cwd"] = str(home)
        self.popen_kwargs = kwargs
        return await super().start()
