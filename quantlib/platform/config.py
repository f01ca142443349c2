"""Where the platform keeps its data: the data directory and the database URL.

Read from the environment by :meth:`PlatformConfig.from_env`: ``TAORUI_DATA_DIR``
(default ``var/platform``) and ``TAORUI_DB_URL`` (default: the SQLite file
``platform.db`` in the data directory).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import SecretStr

from quantlib.core.config import BaseConfig

DATA_DIR_VARIABLE = "TAORUI_DATA_DIR"
DB_URL_VARIABLE = "TAORUI_DB_URL"
DEFAULT_DATA_DIR = Path("var/platform")
SQLITE_FILE = "platform.db"


class PlatformConfig(BaseConfig):
    """The platform's storage settings.

    ``db_url`` is secret because a PostgreSQL URL may carry a password.

    Examples
    --------
    >>> PlatformConfig(data_dir=Path("/srv/taorui")).database_url()
    'sqlite:////srv/taorui/platform.db'
    """

    data_dir: Path = DEFAULT_DATA_DIR
    db_url: SecretStr | None = None

    @classmethod
    def from_env(cls) -> PlatformConfig:
        """The settings from ``TAORUI_DATA_DIR`` and ``TAORUI_DB_URL``, else the defaults."""
        data_dir = os.environ.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR
        url = os.environ.get(DB_URL_VARIABLE) or None
        return cls(data_dir=Path(data_dir), db_url=SecretStr(url) if url else None)

    def database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data directory."""
        if self.db_url is not None:
            return self.db_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / SQLITE_FILE).as_posix()}"
