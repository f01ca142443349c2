"""The Dockerfiles lint clean with hadolint and keep the promises images/README.md makes."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.images.conftest import IMAGES, REPO, tool

DOCKERFILES = sorted(IMAGES.glob("*/Dockerfile"))
RESEARCH = IMAGES / "research" / "Dockerfile"
HUB = IMAGES / "hub" / "Dockerfile"


def test_every_image_has_a_dockerfile() -> None:
    assert {path.parent.name for path in DOCKERFILES} >= {"research", "hub"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_hadolint_clean(dockerfile: Path) -> None:
    result = subprocess.run(
        [tool("hadolint"), "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_copied_sources_pass_the_dockerignore(dockerfile: Path) -> None:
    """Every COPY source from the build context is re-included by Dockerfile.dockerignore."""
    ignore = (dockerfile.parent / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    allowed = {line[1:].rstrip("/") for line in ignore.splitlines() if line.startswith("!")}
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                parts = Path(source.rstrip("/")).parts
                included = any("/".join(parts[:n]) in allowed for n in range(1, len(parts) + 1))
                assert included, f"{source} is excluded from the context"
                assert (REPO / source).exists(), f"{source} is missing from the repository"


def test_research_image_promises() -> None:
    text = RESEARCH.read_text(encoding="utf-8")
    assert re.search(r"^FROM ubuntu:\d\d\.04$", text, re.MULTILINE), "Ubuntu LTS base"
    for package in ("xfce4", "tigervnc-standalone-server", "dbus-x11", "fonts-noto-cjk", "tzdata"):
        assert package in text
    assert "TZ=Asia/Shanghai" in text
    assert re.search(r"^USER \$\{NB_UID\}$", text, re.MULTILINE), "runs as the non-root user"
    assert "ARG NB_UID=1000" in text
    assert "HEALTHCHECK" in text
    assert "/home/${NB_USER}/work" in text
    assert "TAORUI_DATA_STORE=/srv/taorui/store" in text
    extras = re.search(r'pip install "\./\[([a-z,]+)\]"', text)
    assert extras is not None
    assert {"notebook", "hub"} <= set(extras.group(1).split(","))


def test_research_version_arg_matches_quantlib() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    match = re.search(r"^ARG QUANTLIB_VERSION=(\S+)$", RESEARCH.read_text("utf-8"), re.MULTILINE)
    assert match is not None
    assert match.group(1) == project["version"]


def test_image_extras_exist_in_pyproject() -> None:
    """The extras the images install are defined (the hub extra comes with the hub)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = set(project["optional-dependencies"])
    for dockerfile in (RESEARCH, HUB):
        found = re.search(r'pip install "\./\[([a-z,]+)\]"', dockerfile.read_text("utf-8"))
        assert found is not None
        missing = set(found.group(1).split(",")) - extras
        assert not missing, f"{dockerfile.parent.name} installs undefined extras {missing}"


def test_hub_image_runs_the_repository_config() -> None:
    text = HUB.read_text(encoding="utf-8")
    assert 'CMD ["jupyterhub", "-f", "/srv/taorui/app/jupyterhub_config.py"]' in text
    assert "TAORUI_SPAWNER=docker" in text
    assert "HEALTHCHECK" in text
    assert "npm ci" in text


def test_proxy_lock_matches_its_manifest() -> None:
    folder = REPO / "hub" / "proxy"
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))
    wanted = manifest["dependencies"]["configurable-http-proxy"]
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"]
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == wanted
    node = re.search(r"^FROM node:(\d+)-", HUB.read_text(encoding="utf-8"), re.MULTILINE)
    assert node is not None
    for entry in lock["packages"].values():
        engine = entry.get("engines", {}).get("node", "")
        for minimum in re.findall(r">=\s*(\d+)", engine):
            assert int(node.group(1)) >= int(minimum), f"node {node.group(1)} < {engine}"


def test_research_scripts_pass_shellcheck() -> None:
    scripts = sorted((IMAGES / "research").glob("*.sh"))
    assert scripts
    subprocess.run([tool("shellcheck"), *map(str, scripts)], check=True)
    for script in scripts:
        assert script.stat().st_mode & 0o111, f"{script.name} is not executable"
