"""Install the "Taorui Quant (Python 3)" kernelspec from ``kernels/taorui``.

The spec in the repository names ``python`` and the embedded defaults; installing it writes
this environment's interpreter and the installation's store, platform URL and Dask
setting into ``kernel.json``. ``make up`` and ``make test`` install it into the venv
(``python -m hub.kernelspec``); the hub installs the same spec with its own settings into
``<state_dir>/jupyter/kernels`` and puts that first on the servers' ``JUPYTER_PATH``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from hub.settings import REPO_ROOT, HubSettings, load_settings

#: The kernel's name in Jupyter (``jupyter kernelspec list``).
KERNEL_NAME = "taorui"
SOURCE = REPO_ROOT / "kernels" / KERNEL_NAME


def kernel_environment(settings: HubSettings, store: str | None = None) -> dict[str, str]:
    """The variables every Taorui kernel starts with."""
    return {
        "QUANTLIB_STORE": store if store is not None else str(settings.store),
        "QUANTLIB_PLATFORM_URL": settings.platform_address,
        "QUANTLIB_DASK": settings.dask,
    }


def install_kernelspec(
    kernels_dir: Path,
    settings: HubSettings,
    *,
    python: str = sys.executable,
    store: str | None = None,
) -> Path:
    """Write the kernelspec into ``kernels_dir/taorui`` (replacing one there); return it."""
    spec = json.loads((SOURCE / "kernel.json").read_text(encoding="utf-8"))
    spec["argv"][0] = python
    spec["env"] = kernel_environment(settings, store)
    target = kernels_dir / KERNEL_NAME
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SOURCE, target)
    (target / "kernel.json").write_text(
        json.dumps(spec, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return target


def main(argv: list[str] | None = None) -> int:
    """Command line: install the kernelspec into this environment (or a given folder)."""
    parser = argparse.ArgumentParser(
        prog="python -m hub.kernelspec",
        description="安装 Taorui Quant 内核 · install the Taorui Quant (Python 3) kernelspec",
    )
    parser.add_argument(
        "--kernels-dir",
        type=Path,
        default=Path(sys.prefix) / "share" / "jupyter" / "kernels",
        help="where kernelspecs live (default: this environment's share/jupyter/kernels)",
    )
    args = parser.parse_args(argv)
    target = install_kernelspec(args.kernels_dir, load_settings())
    print(f"已安装内核 · installed kernelspec: {target}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
