from pathlib import Path

import pytest

from quantlib.core.errors import ConfigError
from quantlib.platform.config import PlatformConfig
from quantlib.platform.db import parse_url, safe_url


def test_defaults_put_sqlite_under_var_platform(monkeypatch):
    monkeypatch.delenv("TAORUI_DB_URL", raising=False)
    monkeypatch.delenv("TAORUI_DATA_DIR", raising=False)

    config = PlatformConfig.from_env()

    assert config.data_dir == Path("var/platform")
    assert config.database_url() == "sqlite:///var/platform/platform.db"


def test_a_configured_url_wins_and_its_password_stays_out_of_repr(monkeypatch):
    monkeypatch.setenv("TAORUI_DB_URL", "postgresql://app:hunter2@db:5432/taorui")

    config = PlatformConfig.from_env()

    assert config.database_url().endswith("@db:5432/taorui")
    assert "hunter2" not in repr(config)


def test_postgresql_urls_are_driven_by_psycopg_3():
    assert parse_url("postgresql://app@db/taorui").drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://root:pw@localhost/x", "'mysql' is not supported"),
        ("not a url", "cannot be parsed"),
        ("postgresql://app:pw@db:5432", "names no database"),
        ("sqlite://", "names no SQLite file"),
    ],
)
def test_bad_urls_are_refused_naming_the_problem_without_the_password(url, says):
    with pytest.raises(ConfigError, match=says) as caught:
        parse_url(url)
    assert ":pw@" not in str(caught.value)


def test_safe_url_masks_passwords():
    assert safe_url("postgresql://app:hunter2@db/taorui") == "postgresql://app:***@db/taorui"
