"""Hundsun PTrade: run PTrade scripts here, export quantlib strategies to PTrade, and
import PTrade's order and trade statements.

* :mod:`.compat` — the PTrade dialect: PTrade strategy files backtest unchanged on
  quantlib's engine (:func:`load_ptrade_strategy`, :func:`run_ptrade_backtest`);
* :mod:`.export` — one PTrade-uploadable file from a quantlib strategy, with the risk
  limits of :mod:`.limits` compiled in (:func:`export_strategy`);
* :mod:`.statement` — PTrade's orders/trades CSV exports as typed records, and their
  reconciliation with our own fills (:func:`read_statement`, :func:`reconcile`).

* :mod:`.broker` — the ``ptrade`` broker: the Broker interface over PTrade's order API
  (its order ids mapped to our client order ids and saved), and :mod:`.venue`, a
  simulation of that API on the paper venue for running it here.

PTrade runs strategies on the broker's intranet and has no network trading API, so
"connecting" to PTrade means uploading the exported file; the ``ptrade`` broker is the
adapter for code that runs where PTrade's order API is.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public names and the module each lives in (imported on first use, so the CLI stays
#: light).
_EXPORTS = {
    "load_ptrade_strategy": "compat",
    "run_ptrade_backtest": "compat",
    "UnsupportedPTradeApiError": "compat",
    "export_strategy": "export",
    "ExportError": "export",
    "ExportResult": "export",
    "ExportLimits": "limits",
    "parse_limits": "limits",
    "read_limits": "limits",
    "read_statement": "statement",
    "reconcile": "statement",
    "StatementError": "statement",
    "from_ptrade_code": "codes",
    "to_ptrade_code": "codes",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = sorted(_EXPORTS)
