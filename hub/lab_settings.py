"""JupyterLab settings every user's lab starts with: no calls to the internet.

The hub's machines often have no route to the internet, and a lab that asks for Jupyter
news or update checks shows a prompt no one here can act on. JupyterLab reads
``<prefix>/share/jupyter/lab/settings/overrides.json`` as the defaults of its plugins;
``make up`` and ``make test`` write it into the venv (``python -m hub.lab_settings``),
merged with any overrides already there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

#: Plugin settings that keep the lab quiet offline.
OVERRIDES: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def install_overrides(prefix: Path) -> Path:
    """Merge :data:`OVERRIDES` into ``prefix``'s lab overrides file; return its path."""
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    current: dict[str, Any] = {}
    if path.exists():
        try:
            current = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise SystemExit(f"{path} is not valid JSON ({error}); fix or remove it") from error
    for plugin, values in OVERRIDES.items():
        current.setdefault(plugin, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Command line: write the overrides into this environment (or a given prefix)."""
    parser = argparse.ArgumentParser(
        prog="python -m hub.lab_settings",
        description="写入 JupyterLab 离线设置 · write JupyterLab's offline settings",
    )
    parser.add_argument("--prefix", type=Path, default=Path(sys.prefix))
    path = install_overrides(parser.parse_args(argv).prefix)
    print(f"已写入 · wrote {path}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
