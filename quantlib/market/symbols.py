"""Security codes: one canonical form inside, vendor forms at the edges.

The canonical form is ``NNNNNN.EX`` with ``EX`` in ``SH``, ``SZ``, ``BJ``
(``600000.SH``, ``000001.SZ``, ``920118.BJ``). Every vendor form we meet is parsed:
``600000.XSHG`` (JoinQuant, RiceQuant), ``600000.SS`` (PTrade), ``sh600000`` /
``SH600000`` (Sina, Tushare's old API), ``sh.600000`` (BaoStock), ``600000.SSE``
(vn.py) and bare ``600000`` (AkShare), whose exchange is inferred from the code prefix
for stocks only: a bare ``000001`` is Ping An Bank on SZ, never the SSE Composite index.

BSE stocks moved from 43/83/87 codes to 920xxx codes on 2025-10-09; legacy codes are
mapped to the new ones (``830799.BJ`` -> ``920799.BJ``).
"""

from __future__ import annotations

import csv
import functools
import re
from enum import StrEnum
from importlib import resources

from quantlib.core.errors import MalformedSymbolError


class Exchange(StrEnum):
    """Stock exchanges of mainland China."""

    SH = "SH"
    SZ = "SZ"
    BJ = "BJ"


class SecurityKind(StrEnum):
    """What a code denotes; decides whether a bare code may be resolved."""

    STOCK = "stock"
    INDEX = "index"
    FUND = "fund"


_SUFFIX_TO_EXCHANGE: dict[str, Exchange] = {
    "SH": Exchange.SH,
    "SS": Exchange.SH,
    "XSHG": Exchange.SH,
    "SSE": Exchange.SH,
    "SZ": Exchange.SZ,
    "XSHE": Exchange.SZ,
    "SZSE": Exchange.SZ,
    "BJ": Exchange.BJ,
    "BSE": Exchange.BJ,
    "BJSE": Exchange.BJ,
    "XBSE": Exchange.BJ,
}

# Leading digits each exchange uses for codes of any kind (stocks, indices, funds, bonds).
_EXCHANGE_FIRST_DIGITS: dict[Exchange, str] = {
    Exchange.SH: "0125679",
    Exchange.SZ: "0123",
    Exchange.BJ: "489",
}

_LEGACY_BSE_PREFIXES = ("43", "83", "87")

_SUFFIXED = re.compile(r"^(\d{6})\.([A-Z]{2,4})$")
_PREFIXED = re.compile(r"^(SH|SZ|BJ|SS)\.?(\d{6})$")
_BARE = re.compile(r"^\d{6}$")


def infer_exchange(code: str) -> Exchange:
    """Exchange of a bare six-digit **stock** code, from its prefix.

    Raises :class:`MalformedSymbolError` for codes that are not A-share stock codes.
    """
    if not _BARE.match(code):
        raise MalformedSymbolError(f"{code!r} is not a six-digit code")
    if code.startswith(("600", "601", "603", "605", "688", "689")):
        return Exchange.SH
    if code.startswith(("000", "001", "002", "003", "300", "301", "302")):
        return Exchange.SZ
    if code.startswith("920") or code.startswith(_LEGACY_BSE_PREFIXES):
        return Exchange.BJ
    raise MalformedSymbolError(
        f"cannot infer the exchange of bare code {code!r}: not an A-share stock prefix "
        "(600-605/688/689 SH, 000-003/300-302 SZ, 920 BJ); give it with a suffix, "
        "e.g. '000300.SH'"
    )


@functools.cache
def _bse_overrides() -> dict[str, str]:
    text = resources.files("quantlib.market.data").joinpath("bse_code_overrides.csv")
    with text.open(encoding="utf-8") as handle:
        rows = [line for line in handle if not line.startswith("#")]
    return {row["legacy"]: row["new"] for row in csv.DictReader(rows)}


def bse_new_code(legacy_code: str) -> str:
    """The 920xxx code of a legacy (43/83/87) BSE code.

    Examples
    --------
    >>> bse_new_code("830799")
    '920799'
    """
    overrides = _bse_overrides()
    if legacy_code in overrides:
        return overrides[legacy_code]
    return "920" + legacy_code[-3:]


def _canonical(code: str, exchange: Exchange) -> str:
    if code[0] not in _EXCHANGE_FIRST_DIGITS[exchange]:
        raise MalformedSymbolError(
            f"code {code} cannot belong to exchange {exchange.value}: "
            f"{exchange.value} codes start with one of {_EXCHANGE_FIRST_DIGITS[exchange]}"
        )
    if exchange is Exchange.BJ and code.startswith(_LEGACY_BSE_PREFIXES):
        code = bse_new_code(code)
    return f"{code}.{exchange.value}"


@functools.lru_cache(maxsize=65536)
def normalize_symbol(code: str, kind: SecurityKind = SecurityKind.STOCK) -> str:
    """Return the canonical form of a security code given in any vendor form.

    Parameters
    ----------
    code
        ``600000.SH``, ``600000.XSHG``, ``600000.SS``, ``sh600000``, ``SH600000``,
        ``sh.600000``, ``600000.SSE`` or bare ``600000``.
    kind
        Bare codes are resolved only for stocks; an index or fund needs a suffix.

    Raises
    ------
    MalformedSymbolError
        The code is in no known form, or its digits cannot belong to its exchange.

    Examples
    --------
    >>> normalize_symbol("600000.XSHG")
    '600000.SH'
    >>> normalize_symbol("sz000001")
    '000001.SZ'
    >>> normalize_symbol("430047")
    '920047.BJ'
    """
    if not isinstance(code, str):
        raise MalformedSymbolError(f"security code must be a string, got {code!r}")
    text = code.strip().upper()
    if match := _SUFFIXED.match(text):
        digits, suffix = match.groups()
        exchange = _SUFFIX_TO_EXCHANGE.get(suffix)
        if exchange is None:
            raise MalformedSymbolError(
                f"unknown exchange suffix {suffix!r} in {code!r}; expected one of "
                f"{', '.join(sorted(_SUFFIX_TO_EXCHANGE))}"
            )
        return _canonical(digits, exchange)
    if match := _PREFIXED.match(text):
        prefix, digits = match.groups()
        return _canonical(digits, _SUFFIX_TO_EXCHANGE[prefix])
    if _BARE.match(text):
        if kind is not SecurityKind.STOCK:
            raise MalformedSymbolError(
                f"bare code {code!r} is ambiguous for a {kind.value}; give the exchange, "
                f"e.g. '{text}.SH'"
            )
        return _canonical(text, infer_exchange(text))
    raise MalformedSymbolError(
        f"{code!r} is not a security code; expected forms like 600000.SH, 600000.XSHG, "
        "sh600000, sh.600000 or 600000"
    )


def try_normalize_symbol(code: object, kind: SecurityKind = SecurityKind.STOCK) -> str | None:
    """The canonical form of ``code``, or None when it is not a code we know how to read
    (for vendor lists that mix in bonds, funds or junk rows)."""
    try:
        return normalize_symbol(str(code), kind)
    except MalformedSymbolError:
        return None


def split_symbol(symbol: str) -> tuple[str, Exchange]:
    """Split a code (any form) into its six digits and exchange."""
    canonical = normalize_symbol(symbol)
    return canonical[:6], Exchange(canonical[7:])


class Vendor(StrEnum):
    """Code conventions of the systems we talk to."""

    CANONICAL = "canonical"
    XTQUANT = "xtquant"
    TUSHARE = "tushare"
    WIND = "wind"
    JQDATA = "jqdata"
    RICEQUANT = "ricequant"
    PTRADE = "ptrade"
    BAOSTOCK = "baostock"
    AKSHARE = "akshare"
    SINA = "sina"
    VNPY = "vnpy"


_MIC = {Exchange.SH: "XSHG", Exchange.SZ: "XSHE", Exchange.BJ: "BJ"}
_PTRADE = {Exchange.SH: "SS", Exchange.SZ: "SZ", Exchange.BJ: "BJ"}
_VNPY = {Exchange.SH: "SSE", Exchange.SZ: "SZSE", Exchange.BJ: "BSE"}


def to_vendor_symbol(symbol: str, vendor: Vendor | str) -> str:
    """Render a code in a vendor's convention.

    JoinQuant's BSE suffix and BaoStock's BSE support are unconfirmed; both use ``BJ``.

    Examples
    --------
    >>> to_vendor_symbol("600000.SH", "jqdata")
    '600000.XSHG'
    >>> to_vendor_symbol("000001.SZ", "baostock")
    'sz.000001'
    """
    digits, exchange = split_symbol(symbol)
    vendor = Vendor(vendor)
    match vendor:
        case Vendor.CANONICAL | Vendor.XTQUANT | Vendor.TUSHARE | Vendor.WIND:
            return f"{digits}.{exchange.value}"
        case Vendor.JQDATA | Vendor.RICEQUANT:
            return f"{digits}.{_MIC[exchange]}"
        case Vendor.PTRADE:
            return f"{digits}.{_PTRADE[exchange]}"
        case Vendor.BAOSTOCK:
            return f"{exchange.value.lower()}.{digits}"
        case Vendor.AKSHARE:
            return digits
        case Vendor.SINA:
            return f"{exchange.value.lower()}{digits}"
        case Vendor.VNPY:
            return f"{digits}.{_VNPY[exchange]}"
