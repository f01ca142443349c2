"""PTrade security codes: ``600570.SS`` and ``000001.SZ`` at the edge, canonical inside.

PTrade writes Shanghai codes with ``.SS``; some broker builds document ``.XSHG`` and
``.XSHE``. Everything PTrade-shaped that quantlib hands out uses ``.SS``/``.SZ``/``.BJ``;
every form is accepted coming in.

Examples
--------
>>> to_ptrade_code("600570.SH")
'600570.SS'
>>> from_ptrade_code("000001.XSHE")
'000001.SZ'
"""

from __future__ import annotations

from quantlib.market.symbols import Vendor, normalize_symbol, to_vendor_symbol


def to_ptrade_code(symbol: str) -> str:
    """A code (any form) as PTrade writes it (``600570.SS``)."""
    return to_vendor_symbol(normalize_symbol(symbol), Vendor.PTRADE)


def from_ptrade_code(code: str) -> str:
    """A PTrade code (``.SS``, ``.SZ``, ``.XSHG``, ``.XSHE`` ...) in canonical form."""
    return normalize_symbol(code)


__all__ = ["from_ptrade_code", "to_ptrade_code"]
