"""Kubernetes: the manifests pass kubernetes-validate --strict, values.yaml has z2jh's keys."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml

from tests.images.conftest import IMAGES, tool

KUBE = IMAGES / "kubernetes"
MANIFESTS = sorted((KUBE / "manifests").glob("*.yaml"))
STORE = "/srv/taorui/store"


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return dict(yaml.safe_load((KUBE / "values.yaml").read_text(encoding="utf-8")))


def test_manifests_validate_strictly() -> None:
    assert MANIFESTS
    result = subprocess.run(
        [tool("kubernetes-validate"), "--strict", "--quiet", *map(str, MANIFESTS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifests_cover_store_and_isolation() -> None:
    kinds = {}
    for path in MANIFESTS:
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            kinds[document["kind"]] = document
            assert document["metadata"].get("namespace", "taorui") == "taorui"
    assert kinds["PersistentVolumeClaim"]["metadata"]["name"] == "taorui-store"
    policy = kinds["NetworkPolicy"]["spec"]
    assert policy["podSelector"]["matchLabels"] == {"component": "singleuser-server"}
    sources = [peer["podSelector"]["matchLabels"] for peer in policy["ingress"][0]["from"]]
    assert sources == [{"component": "hub"}, {"component": "proxy"}]


def test_values_have_the_z2jh_keys(values: dict[str, Any]) -> None:
    assert set(values) <= {"hub", "proxy", "singleuser", "cull", "scheduling", "prePuller"}
    single = values["singleuser"]
    assert single["image"] == {
        "name": "taorui/research",
        "tag": "latest",
        "pullPolicy": "IfNotPresent",
    }
    assert single["uid"] == 1000
    assert single["storage"]["type"] == "dynamic"
    assert single["storage"]["homeMountPath"] == "/home/jovyan/work"
    assert "{username}" in single["storage"]["dynamic"]["pvcNameTemplate"]
    assert values["cull"]["enabled"] is True
    assert values["cull"]["timeout"] > 0
    assert values["hub"]["extraEnv"]["TAORUI_SPAWNER"] == "kubernetes"


def test_store_is_mounted_read_only(values: dict[str, Any]) -> None:
    storage = values["singleuser"]["storage"]
    (volume,) = storage["extraVolumes"]
    (mount,) = storage["extraVolumeMounts"]
    assert volume["persistentVolumeClaim"] == {"claimName": "taorui-store", "readOnly": True}
    assert mount == {"name": volume["name"], "mountPath": STORE, "readOnly": True}
    assert values["singleuser"]["extraEnv"]["TAORUI_DATA_STORE"] == STORE


def test_profiles_with_limits(values: dict[str, Any]) -> None:
    profiles = {p["display_name"]: p for p in values["singleuser"]["profileList"]}
    assert list(profiles) == ["JupyterLab", "Ubuntu desktop (Xfce)"]
    assert profiles["JupyterLab"]["default"] is True
    assert profiles["JupyterLab"]["kubespawner_override"]["default_url"] == "/lab"
    assert profiles["Ubuntu desktop (Xfce)"]["kubespawner_override"]["default_url"] == "/desktop"
    for profile in profiles.values():
        override = profile["kubespawner_override"]
        assert {"cpu_limit", "mem_limit", "cpu_guarantee", "mem_guarantee"} <= set(override)
        assert float(override["cpu_guarantee"]) <= float(override["cpu_limit"])


def test_profile_overrides_are_kubespawner_traits(values: dict[str, Any]) -> None:
    kubespawner = pytest.importorskip("kubespawner", reason="KubeSpawner comes with the hub extra")
    traits = set(kubespawner.KubeSpawner.class_trait_names())
    for profile in values["singleuser"]["profileList"]:
        assert set(profile["kubespawner_override"]) <= traits


def test_kubernetes_sign_in_groups_and_pages_come_from_the_hub_package(
    values: dict[str, Any],
) -> None:
    from traitlets.config import Config

    from hub.groups import GROUPS, scope_of

    hub = values["hub"]
    assert hub["image"]["name"] == "taorui/hub"
    assert hub["config"]["JupyterHub"]["authenticator_class"] == "hub.auth.TaoruiAuthenticator"
    assert hub["config"]["NativeAuthenticator"]["open_signup"] is False
    c = Config()
    c.JupyterHub.load_roles = [{"name": "jupyterhub-idle-culler", "services": ["culler"]}]
    exec(compile(hub["extraConfig"]["taorui"], "values.yaml:extraConfig", "exec"), {"c": c})
    assert set(c.JupyterHub.custom_scopes) == {scope_of(name) for name in GROUPS}
    assert set(c.JupyterHub.load_groups) == set(GROUPS)
    roles = [role["name"] for role in c.JupyterHub.load_roles]
    assert roles[0] == "jupyterhub-idle-culler" and len(roles) == 1 + len(GROUPS)
    assert c.JupyterHub.template_paths[0] == "/srv/taorui/app/hub/templates"
