"""A new user's home: the example and template notebooks, copied on the first spawn."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from hub.settings import REPO_ROOT

#: Folders of the repository that land in each new home, by their name there.
HOME_SOURCES: dict[str, Path] = {
    "examples": REPO_ROOT / "notebooks" / "examples",
    "templates": REPO_ROOT / "notebooks" / "templates",
}
#: Written once a home has been seeded; its presence stops later copies.
MARKER = ".taorui-seeded"


def seed_home(home: Path, sources: Mapping[str, Path] = HOME_SOURCES) -> list[Path]:
    """Copy the notebooks into ``home`` unless it was seeded before; return what was copied.

    Files already in the home are never overwritten, and a home seeded once is left alone
    afterwards (a person may delete the examples). ``strategies/`` is created for the
    person's own work.
    """
    home.mkdir(parents=True, exist_ok=True)
    (home / "strategies").mkdir(exist_ok=True)
    marker = home / MARKER
    if marker.exists():
        return []
    copied = []
    for name, source in sources.items():
        if not source.is_dir():
            continue
        for path in sorted(source.rglob("*")):
            if not path.is_file() or ".ipynb_checkpoints" in path.parts:
                continue
            target = home / name / path.relative_to(source)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            copied.append(target)
    marker.write_text("notebooks copied from the platform on the first start\n", encoding="utf-8")
    return copied
