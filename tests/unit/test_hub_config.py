"""The hub's settings, first-admin password, profiles, home seeding and configuration."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

pytest.importorskip("jupyterhub")

from traitlets.config.loader import PyFileConfigLoader

from hub.credentials import admin_password
from hub.groups import group_roles
from hub.home import seed_home
from hub.kernelspec import install_kernelspec
from hub.profiles import UnknownProfileError, options_from_form
from hub.settings import REPO_ROOT, SettingsError, load_settings


def test_the_environment_wins_over_the_settings_file(tmp_path: Path) -> None:
    file = tmp_path / "hub.toml"
    file.write_text('port = 9000\nspawner = "docker"\n[oauth]\nclient_id = "x"\n')
    env = {"TAORUI_HUB_SETTINGS": str(file), "TAORUI_HUB_PORT": "9100"}
    settings = load_settings(env)
    assert (settings.port, settings.spawner) == (9100, "docker")
    assert settings.extra == {"oauth": {"client_id": "x"}}
    assert settings.store == REPO_ROOT / "var" / "store"
    with pytest.raises(SettingsError, match="unknown spawner 'podman'"):
        load_settings({"TAORUI_SPAWNER": "podman"})
    with pytest.raises(SettingsError, match="must be an integer"):
        load_settings({"TAORUI_HUB_PORT": "eighty"})


def test_a_generated_admin_password_is_kept_private_and_reused(tmp_path: Path) -> None:
    file = tmp_path / "admin-password"
    assert admin_password(file, {}) == (None, False)
    password, generated = admin_password(file, {}, create=True)
    assert generated and password and len(password) >= 20
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert admin_password(file, {}, create=True) == (password, False)
    assert admin_password(file, {"TAORUI_ADMIN_PASSWORD": "from-the-env"}) == (
        "from-the-env",
        False,
    )
    with pytest.raises(ValueError, match="at least 8"):
        admin_password(file, {"TAORUI_ADMIN_PASSWORD": "short"})


def test_unknown_profiles_are_refused_by_name() -> None:
    assert options_from_form({"profile": ["desktop"]}) == {"profile": "desktop"}
    assert options_from_form({}) == {"profile": "lab"}
    with pytest.raises(UnknownProfileError, match="Unknown server profile 'gpu'"):
        options_from_form({"profile": ["gpu"]})


def test_a_home_is_seeded_once_without_overwriting(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.ipynb").write_text("new")
    (source / "b.ipynb").write_text("new")
    home = tmp_path / "home"
    (home / "examples").mkdir(parents=True)
    (home / "examples" / "a.ipynb").write_text("mine")
    copied = seed_home(home, {"examples": source})
    assert copied == [home / "examples" / "b.ipynb"]
    assert (home / "examples" / "a.ipynb").read_text() == "mine"
    (home / "examples" / "b.ipynb").unlink()
    assert seed_home(home, {"examples": source}) == []
    assert (home / "strategies").is_dir()


def test_each_group_carries_its_custom_scope() -> None:
    roles = {role["groups"][0]: role["scopes"] for role in group_roles()}
    assert set(roles) == {"researcher", "risk_officer", "trader", "admin"}
    assert roles["trader"] == ["custom:taorui:trader"]
    assert "admin:groups" in roles["admin"]


def test_the_kernelspec_names_this_python_and_the_store(tmp_path: Path) -> None:
    settings = load_settings({"TAORUI_DATA_STORE": str(tmp_path / "store")})
    target = install_kernelspec(tmp_path / "kernels", settings, python="/opt/py/bin/python")
    spec = json.loads((target / "kernel.json").read_text())
    assert spec["display_name"] == "Taorui Quant (Python 3)"
    assert spec["argv"][0] == "/opt/py/bin/python"
    assert spec["env"]["QUANTLIB_STORE"] == str(tmp_path / "store")


def load_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> object:
    monkeypatch.delenv("TAORUI_HUB_SETTINGS", raising=False)
    monkeypatch.setenv("TAORUI_HUB_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TAORUI_ADMIN_PASSWORD", "config-test-password")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader("jupyterhub_config.py", path=str(REPO_ROOT)).load_config()


def test_docker_spawner_mounts_the_store_read_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = load_config(
        monkeypatch,
        tmp_path,
        TAORUI_SPAWNER="docker",
        TAORUI_DATA_STORE="/srv/taorui/store",
        TAORUI_DATA_STORE_VOLUME="taorui-store",
    )
    assert config.JupyterHub.spawner_class == "docker"  # type: ignore[attr-defined]
    volumes = config.DockerSpawner.volumes  # type: ignore[attr-defined]
    assert volumes["taorui-store"] == {"bind": "/srv/taorui/store", "mode": "ro"}
    assert volumes["taorui-user-{username}"] == "/home/jovyan/work"
    assert config.Spawner.environment["QUANTLIB_STORE"] == "/srv/taorui/store"  # type: ignore[attr-defined]


def test_kubespawner_gets_the_same_profiles(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = load_config(monkeypatch, tmp_path, TAORUI_SPAWNER="kubernetes")
    profiles = config.KubeSpawner.profile_list  # type: ignore[attr-defined]
    assert [p["slug"] for p in profiles] == ["lab", "desktop"]
    assert profiles[1]["kubespawner_override"]["default_url"] == "/desktop"
    services = config.JupyterHub.services  # type: ignore[attr-defined]
    assert [service["name"] for service in services] == ["quant", "idle-culler"]


def test_the_platform_service_is_wired_into_the_hub(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("TAORUI_DATA_DIR", "TAORUI_DB_URL", "TAORUI_PLATFORM_URL", "TAORUI_DASK"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(monkeypatch, tmp_path, TAORUI_SERVICE_PORT="9123")
    quant = config.JupyterHub.services[0]  # type: ignore[attr-defined]
    assert quant["url"] == "http://127.0.0.1:9123"
    assert quant["command"][1:] == ["-m", "hub.service"]
    assert quant["oauth_no_confirm"] is True
    assert "custom:taorui:risk_officer" in quant["oauth_client_allowed_scopes"]
    assert quant["environment"]["TAORUI_DATA_DIR"] == str(tmp_path / "state" / "platform")
    assert "TAORUI_DB_URL" not in quant["environment"]
    assert "TAORUI_DASK_SCHEDULER" not in quant["environment"]
    environment = config.Spawner.environment  # type: ignore[attr-defined]
    assert environment["QUANTLIB_PLATFORM_URL"] == "http://127.0.0.1:9123/services/quant/"
    scopes = config.Spawner.server_token_scopes  # type: ignore[attr-defined]
    assert {"access:services!service=quant", "custom:taorui:trader"} <= set(scopes)
    roles = {role["name"]: role for role in config.JupyterHub.load_roles}  # type: ignore[attr-defined]
    assert roles["user"]["scopes"] == ["self", "access:services!service=quant"]
    assert roles["taorui-platform-service"]["services"] == ["quant"]

    config = load_config(
        monkeypatch,
        tmp_path,
        TAORUI_DB_URL="postgresql://quant@db/platform",
        TAORUI_DASK="tcp://10.0.0.5:8786",
        TAORUI_PLATFORM_URL="https://quant.example.com/services/quant/",
    )
    quant = config.JupyterHub.services[0]  # type: ignore[attr-defined]
    assert quant["environment"]["TAORUI_DB_URL"] == "postgresql://quant@db/platform"
    assert quant["environment"]["TAORUI_DASK_SCHEDULER"] == "tcp://10.0.0.5:8786"
    environment = config.Spawner.environment  # type: ignore[attr-defined]
    assert environment["QUANTLIB_PLATFORM_URL"] == "https://quant.example.com/services/quant/"


def test_lab_overrides_turn_off_news_and_update_checks(tmp_path: Path) -> None:
    from hub.lab_settings import install_overrides

    path = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}')
    assert install_overrides(tmp_path) == path
    written = json.loads(path.read_text())
    assert written["@jupyterlab/apputils-extension:notification"] == {
        "fetchNews": "false",
        "checkForUpdates": False,
    }
    assert written["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    path.write_text("{broken")
    with pytest.raises(SystemExit, match="is not valid JSON"):
        install_overrides(tmp_path)
