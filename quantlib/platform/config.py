"""Where the platform keeps its data, and where its jobs run.

Read from the environment by :meth:`PlatformConfig.from_env`:

* ``TAORUI_DATA_DIR``: the data directory (default ``var/platform``); job artifacts go
  under its ``artifacts/`` directory.
* ``TAORUI_DB_URL``: the database (default: the SQLite file ``platform.db`` in the data
  directory).
* ``TAORUI_DATA_STORE``: the market data store backtests read (default: none; backtest
  jobs then fail saying so).
* ``TAORUI_DASK_SCHEDULER``: the address of a Dask scheduler to run jobs on, such as
  ``tcp://10.0.0.5:8786`` (default: empty, a local cluster started by the service).
* ``TAORUI_DASK_WORKERS``: worker processes of that local cluster (default 2).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr

from quantlib.core.config import BaseConfig
from quantlib.core.errors import ConfigError

DATA_DIR_VARIABLE = "TAORUI_DATA_DIR"
DB_URL_VARIABLE = "TAORUI_DB_URL"
STORE_VARIABLE = "TAORUI_DATA_STORE"
SCHEDULER_VARIABLE = "TAORUI_DASK_SCHEDULER"
WORKERS_VARIABLE = "TAORUI_DASK_WORKERS"
DEFAULT_DATA_DIR = Path("var/platform")
DEFAULT_DASK_WORKERS = 2
SQLITE_FILE = "platform.db"
ARTIFACTS_DIR = "artifacts"


def _workers_from_env() -> int:
    text = os.environ.get(WORKERS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_DASK_WORKERS
    try:
        workers = int(text)
    except ValueError:
        raise ConfigError(
            f"{WORKERS_VARIABLE} must be a whole number of worker processes, got {text!r}"
        ) from None
    if workers < 1:
        raise ConfigError(f"{WORKERS_VARIABLE} must be at least 1, got {workers}")
    return workers


class PlatformConfig(BaseConfig):
    """The platform's storage and job settings.

    Attributes
    ----------
    data_dir
        The data directory (the SQLite file and job artifacts live here).
    db_url
        The database URL; secret because a PostgreSQL URL may carry a password.
    store
        The market data store that backtest and sweep jobs read.
    dask_scheduler
        A Dask scheduler address to run jobs on; ``None`` starts a local cluster.
    dask_workers
        Worker processes of the local cluster (one single-threaded job each).

    Examples
    --------
    >>> PlatformConfig(data_dir=Path("/srv/taorui")).database_url()
    'sqlite:////srv/taorui/platform.db'
    >>> PlatformConfig(data_dir=Path("/srv/taorui")).artifacts_dir()
    PosixPath('/srv/taorui/artifacts')
    """

    data_dir: Path = DEFAULT_DATA_DIR
    db_url: SecretStr | None = None
    store: Path | None = None
    dask_scheduler: str | None = None
    dask_workers: int = Field(default=DEFAULT_DASK_WORKERS, ge=1)

    @classmethod
    def from_env(cls) -> PlatformConfig:
        """The settings from the ``TAORUI_*`` variables, else the defaults.

        Raises
        ------
        ConfigError
            If ``TAORUI_DASK_WORKERS`` is not a positive whole number.
        """
        data_dir = os.environ.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR
        url = os.environ.get(DB_URL_VARIABLE) or None
        store = os.environ.get(STORE_VARIABLE, "").strip()
        scheduler = os.environ.get(SCHEDULER_VARIABLE, "").strip()
        return cls(
            data_dir=Path(data_dir),
            db_url=SecretStr(url) if url else None,
            store=Path(store) if store else None,
            dask_scheduler=scheduler or None,
            dask_workers=_workers_from_env(),
        )

    def database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data directory."""
        if self.db_url is not None:
            return self.db_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / SQLITE_FILE).as_posix()}"

    def artifacts_dir(self) -> Path:
        """Where jobs write their files: ``artifacts/`` under the data directory."""
        return self.data_dir / ARTIFACTS_DIR
