"""images/compose.yaml validates offline and wires the hub as images/README.md says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from tests.images.conftest import IMAGES

COMPOSE = IMAGES / "compose.yaml"
STORE = "/srv/taorui/store"


def compose_schema() -> dict[str, Any]:
    """The compose-spec JSON schema that check-jsonschema vendors (Apache-2.0)."""
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return dict(json.loads((vendor / "compose-spec.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")))


def test_schema_validation_has_teeth() -> None:
    validator = jsonschema.validators.validator_for(compose_schema())(compose_schema())
    bad = {"services": {"hub": {"image": "x", "volumes": [{"type": "volume", "sorce": "s"}]}}}
    assert list(validator.iter_errors(bad))


def test_compose_matches_the_compose_spec(compose: dict[str, Any]) -> None:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(compose)]
    assert not errors, errors


def test_docker_compose_config() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI here: the compose-spec schema test validates instead")
    plugin = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    if plugin.returncode != 0:
        pytest.skip("docker CLI without the compose plugin: the schema test validates instead")
    env = {**os.environ, "TAORUI_PROXY_TOKEN": "test-token"}
    subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"], env=env, check=True
    )


def mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    """A service's volumes in the long syntax, short entries converted."""
    result = []
    for entry in service.get("volumes", []):
        if isinstance(entry, str):
            source, target, *mode = entry.split(":")
            result.append({"source": source, "target": target, "read_only": mode == ["ro"]})
        else:
            result.append(entry)
    return result


def test_hub_mounts_the_docker_socket(compose: dict[str, Any]) -> None:
    hub_mounts = mounts(compose["services"]["hub"])
    assert {
        "source": "/var/run/docker.sock",
        "target": "/var/run/docker.sock",
        "read_only": False,
    } in (hub_mounts)
    assert compose["services"]["hub"]["environment"]["TAORUI_SPAWNER"] == "docker"


def test_dedicated_network(compose: dict[str, Any]) -> None:
    network = compose["networks"]["taorui-net"]
    assert network["name"] == "taorui-net", "a fixed name DockerSpawner can join"
    assert network.get("external") is not True
    for name, service in compose["services"].items():
        assert service.get("networks") == ["taorui-net"], name
        assert service.get("network_mode") is None, name
    env = compose["services"]["hub"]["environment"]
    assert env["TAORUI_DOCKER_NETWORK"] == network["name"]


def test_data_store_is_read_only_except_for_the_loader(compose: dict[str, Any]) -> None:
    volume = compose["volumes"]["taorui-store"]["name"]
    env = compose["services"]["hub"]["environment"]
    assert env["TAORUI_DATA_STORE_VOLUME"] == volume
    assert env["TAORUI_DATA_STORE"] == STORE
    writers = []
    for name, service in compose["services"].items():
        for mount in mounts(service):
            if mount["source"] == "taorui-store":
                assert mount["target"] == STORE
                if not mount.get("read_only"):
                    writers.append(name)
    assert writers == ["store-demo"]
    assert compose["services"]["store-demo"]["profiles"] == ["tools"]


def test_proxy_is_the_only_published_port(compose: dict[str, Any]) -> None:
    published = {name: s["ports"] for name, s in compose["services"].items() if "ports" in s}
    assert published == {"proxy": ["127.0.0.1:${TAORUI_HUB_PORT:-8000}:8000"]}
    hub_env = compose["services"]["hub"]["environment"]
    proxy_env = compose["services"]["proxy"]["environment"]
    assert hub_env["CONFIGPROXY_AUTH_TOKEN"] == proxy_env["CONFIGPROXY_AUTH_TOKEN"]
    assert hub_env["TAORUI_PROXY_API_URL"] == "http://proxy:8001"
    assert "--api-port=8001" in compose["services"]["proxy"]["command"]


def test_images_use_the_shared_names(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["hub"]["image"] == services["proxy"]["image"] == "taorui/hub:latest"
    assert services["hub"]["build"]["dockerfile"] == "images/hub/Dockerfile"
    assert services["store-demo"]["image"] == "taorui/research:latest"
    assert services["store-demo"]["build"]["dockerfile"] == "images/research/Dockerfile"
    assert services["hub"]["environment"]["TAORUI_RESEARCH_IMAGE"] == "taorui/research:latest"
