"""Importing vendor libraries whose package ``__init__`` must not run.

``xtquant/__init__.py`` calls an update check (a package-registry GET with a 10 s
timeout) on every import, which stalls an offline host. :func:`import_submodule`
registers a bare package module (its ``__path__`` taken from the installed package)
before importing the submodule, so the package's ``__init__.py`` never runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from importlib import metadata


def import_submodule(package: str, submodule: str) -> types.ModuleType:
    """Import ``package.submodule`` without running ``package/__init__.py``.

    A bare ``package`` registered here is removed again when the import fails.

    Raises
    ------
    ModuleNotFoundError
        ``package`` is not installed.
    Exception
        Whatever importing the submodule raised (for example ``ImportError`` from a
        Windows-only extension).

    Examples
    --------
    >>> import_submodule("json", "decoder").__name__
    'json.decoder'
    """
    full_name = f"{package}.{submodule}"
    registered = False
    if package not in sys.modules:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(f"package {package!r} is not installed", name=package)
        bare = types.ModuleType(package)
        bare.__path__ = list(spec.submodule_search_locations)
        bare.__package__ = package
        bare.__spec__ = spec
        bare.__file__ = spec.origin
        bare.__version__ = _version(package)  # type: ignore[attr-defined]
        sys.modules[package] = bare
        registered = True
    try:
        return importlib.import_module(full_name)
    except Exception:
        if registered:
            sys.modules.pop(package, None)
            sys.modules.pop(full_name, None)
        raise


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


__all__ = ["import_submodule"]
