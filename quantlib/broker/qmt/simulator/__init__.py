"""The MiniQMT simulator: the real ``xttrader.py`` running on Linux over a fake native
client and a paper account.

:func:`install` registers a :class:`MiniQmtSimulator` for its ``userdata_mini`` path and
puts the fake modules in ``sys.modules`` (``xtquant.xtpythonclient``, ``xtquant.xtdata``)
under a bare ``xtquant`` package whose ``__init__.py`` never runs; :func:`uninstall`
takes them away again once the last simulator is gone. Everything above the native
boundary (``xttrader``, ``xttype``, ``xtconstant``) is the installed wheel's own code.
"""

from __future__ import annotations

import sys
import threading
import types

from quantlib.broker.qmt.simulator import xtdata as fake_xtdata
from quantlib.broker.qmt.simulator import xtpythonclient as fake_client
from quantlib.broker.qmt.simulator.process import (
    MiniQmtSimulator,
    counter_message,
    lookup,
    register,
    unregister,
)
from quantlib.core.vendor import import_submodule

_FAKES = {"xtquant.xtpythonclient": fake_client, "xtquant.xtdata": fake_xtdata}
_lock = threading.Lock()
_saved: dict[str, types.ModuleType | None] | None = None


def install(simulator: MiniQmtSimulator) -> MiniQmtSimulator:
    """Register ``simulator`` and make ``xtquant`` imports use the fakes; returns it."""
    global _saved
    with _lock:
        if _saved is None:
            _saved = {
                name: module for name, module in sys.modules.items() if name.startswith("xtquant")
            }
            import_submodule("xtquant", "xtconstant")
            sys.modules.pop("xtquant.xttrader", None)
            package = sys.modules["xtquant"]
            for name, module in _FAKES.items():
                sys.modules[name] = module
                setattr(package, name.rpartition(".")[2], module)
        register(simulator)
    return simulator


def uninstall(simulator: MiniQmtSimulator) -> None:
    """Close and unregister ``simulator``; the last one out restores ``sys.modules``."""
    global _saved
    simulator.close()
    with _lock:
        if not unregister(simulator) or _saved is None:
            return
        for name in [name for name in sys.modules if name.startswith("xtquant")]:
            if name not in _saved:
                del sys.modules[name]
        for name, module in _saved.items():
            if module is not None:
                sys.modules[name] = module
        package = sys.modules.get("xtquant")
        for name in _FAKES:
            attribute = name.rpartition(".")[2]
            if package is not None and getattr(package, attribute, None) is _FAKES[name]:
                delattr(package, attribute)
        _saved = None


__all__ = ["MiniQmtSimulator", "counter_message", "install", "lookup", "uninstall"]
