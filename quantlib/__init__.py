"""Taorui Quant (韬睿量化): an A-share research-to-live platform.

The package is layered; lower layers never import upper ones::

    core -> model -> market -> data -> backtest -> analytics -> risk -> broker -> live
         -> platform -> lifecycle

Most users start with :func:`quantlib.data.open_store`.
"""

__version__ = "0.1.0"
