"""A throwaway PostgreSQL server for the tests, from Debian's packages.

Installed with apt-get when missing (as root, once per machine, under a file lock so two
xdist workers do not race for dpkg), then one cluster per test session (per worker) in
a temporary directory on a free port, owned by the ``postgres`` user because the server
refuses to run as root. Each test gets its own database.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

INSTALL_LOCK = Path(tempfile.gettempdir()) / "taorui-postgresql-install.lock"
SUPERUSER = "postgres"


def _initdb_paths() -> list[Path]:
    found = Path("/usr/lib/postgresql").glob("*/bin/initdb")
    return sorted(found, key=lambda path: int(path.parent.parent.name))


def _apt_install() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)


def postgres_bin() -> Path | None:
    """The newest installed server's bin directory, installing it first if root can."""
    if not _initdb_paths() and os.geteuid() == 0 and shutil.which("apt-get"):
        with INSTALL_LOCK.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _initdb_paths():
                _apt_install()
    paths = _initdb_paths()
    return paths[-1].parent if paths else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway cluster: where it lives and how to reach it."""

    bin_dir: Path
    data_dir: Path
    port: int

    @classmethod
    def start(cls, bin_dir: Path) -> PostgresServer:
        """initdb and start a cluster on a free port; retried if the port was taken."""
        root = Path(tempfile.mkdtemp(prefix="taorui-pg-"))
        if os.geteuid() == 0:
            shutil.chown(root, SUPERUSER, SUPERUSER)
        server = cls(bin_dir, root / "data", 0)
        server._run(
            "initdb",
            "-D",
            str(server.data_dir),
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--no-sync",
        )
        for _attempt in range(3):
            server.port = _free_port()
            options = (
                f"-k {root} -p {server.port} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            started = server._run(
                "pg_ctl",
                "-D",
                str(server.data_dir),
                "-l",
                str(root / "log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
                check=False,
            )
            if started.returncode == 0:
                return server
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{log[-2000:]}")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", SUPERUSER, "--"] if os.geteuid() == 0 else []
        command = [*prefix, str(self.bin_dir / tool), *args]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def stop(self) -> None:
        """Stop the server at once and remove its directory."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def url(self, database: str, *, password: str | None = None) -> str:
        """A SQLAlchemy URL for ``database`` on this server."""
        user = f"{SUPERUSER}:{password}" if password else SUPERUSER
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql)

    def create_database(self) -> str:
        """A new empty database; its name."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._admin(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing any connections still open to it."""
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
