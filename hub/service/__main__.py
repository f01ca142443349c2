"""``python -m hub.service``: run the platform service as the hub's managed service.

The hub starts it with ``JUPYTERHUB_SERVICE_URL`` (where to listen),
``JUPYTERHUB_SERVICE_PREFIX`` (``/services/quant/``) and its API token; the platform's
own settings come from ``TAORUI_*`` (:class:`~quantlib.platform.config.PlatformConfig`,
and ``TAORUI_USER_SYNC_SECONDS`` for :mod:`hub.service.sync`).
Before serving, the database schema must be current: the embedded SQLite database (no
``TAORUI_DB_URL``) is upgraded in place, a configured database that is behind is
refused with exit status 2 and the command to run. Logs go to stderr, where the hub
shows them.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from urllib.parse import urlparse

import uvicorn

from hub.service.app import MountedAt, create_app
from hub.service.auth import HubIdentity, HubIdentityError
from hub.service.sync import DirectorySync, HubDirectory, sync_seconds
from quantlib.core.errors import ConfigError
from quantlib.platform.config import PlatformConfig
from quantlib.platform.db import open_engine, require_current_schema, upgrade
from quantlib.platform.errors import DatabaseError
from quantlib.platform.jobs import JobRunner

log = logging.getLogger("hub.service")


def listen_address(environ: Mapping[str, str]) -> tuple[str, int]:
    """Host and port of ``JUPYTERHUB_SERVICE_URL``.

    Examples
    --------
    >>> listen_address({"JUPYTERHUB_SERVICE_URL": "http://127.0.0.1:8765"})
    ('127.0.0.1', 8765)
    """
    raw = environ.get("JUPYTERHUB_SERVICE_URL", "").strip()
    if not raw:
        raise HubIdentityError(
            "JUPYTERHUB_SERVICE_URL is not set: give the service a url in jupyterhub_config.py"
        )
    parsed = urlparse(raw)
    if not parsed.hostname:
        raise HubIdentityError(f"JUPYTERHUB_SERVICE_URL {raw!r} names no host")
    return parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80)


def prepare_schema(config: PlatformConfig) -> str:
    """Make sure the schema is current; upgrade only the embedded SQLite default.

    Returns
    -------
    str
        One line saying where the schema stands.

    Raises
    ------
    quantlib.platform.errors.DatabaseError
        A configured database that is behind or ahead, or unreachable.
    """
    engine = open_engine(config=config)
    try:
        if config.db_url is None:
            return upgrade(engine).describe()
        return require_current_schema(engine).describe()
    finally:
        engine.dispose()


def main() -> int:
    """Check the environment and the schema, then serve until stopped."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="[%(levelname).1s %(asctime)s %(name)s] %(message)s",
    )
    for chatty in ("alembic", "httpx"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        config = PlatformConfig.from_env()
        identity = HubIdentity.from_env()
        host, port = listen_address(os.environ)
        every = sync_seconds()
        log.info("%s", prepare_schema(config))
    except (ConfigError, HubIdentityError, DatabaseError) as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    directory = DirectorySync(HubDirectory.of(identity), every) if every > 0 else None
    app = create_app(config, identity, runner=JobRunner(config), directory=directory)
    log.info("serving %s on http://%s:%d%s", app.title, host, port, identity.prefix)
    served = MountedAt(app, identity.prefix)
    uvicorn.run(served, host=host, port=port, log_config=None, proxy_headers=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
