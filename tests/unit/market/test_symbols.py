import pytest

from quantlib.core.errors import MalformedSymbolError
from quantlib.market.symbols import (
    SecurityKind,
    Vendor,
    bse_new_code,
    normalize_symbol,
    to_vendor_symbol,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("600000.SH", "600000.SH"),
        ("600000.XSHG", "600000.SH"),
        ("600570.SS", "600570.SH"),
        ("600000.SSE", "600000.SH"),
        ("sh600000", "600000.SH"),
        ("SH600000", "600000.SH"),
        ("sh.600000", "600000.SH"),
        (" 600000.sh ", "600000.SH"),
        ("000001.XSHE", "000001.SZ"),
        ("sz.000001", "000001.SZ"),
        ("000001.SZSE", "000001.SZ"),
        ("300750", "300750.SZ"),
        ("688981", "688981.SH"),
        ("689009", "689009.SH"),
        ("001979", "001979.SZ"),
        ("920118.BJ", "920118.BJ"),
        ("920118.BSE", "920118.BJ"),
        ("bj920118", "920118.BJ"),
        ("000300.SH", "000300.SH"),
        ("399001.SZ", "399001.SZ"),
    ],
)
def test_vendor_forms_normalize_to_the_canonical_code(code, expected):
    assert normalize_symbol(code) == expected


@pytest.mark.parametrize(
    ("legacy", "new"),
    [("430047", "920047.BJ"), ("830799.BJ", "920799.BJ"), ("872925", "920925.BJ")],
)
def test_legacy_bse_codes_map_to_their_920_codes(legacy, new):
    assert normalize_symbol(legacy) == new


def test_bse_rule_is_920_plus_last_three_digits():
    assert bse_new_code("835185") == "920185"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("60000", "not a security code"),
        ("600000.XX", "unknown exchange suffix"),
        ("600000.SZ", "cannot belong to exchange SZ"),
        ("300750.SH", "cannot belong to exchange SH"),
        ("123456", "cannot infer the exchange"),
        ("", "not a security code"),
        ("AAPL", "not a security code"),
    ],
)
def test_malformed_codes_raise_a_clear_error(code, fragment):
    with pytest.raises(MalformedSymbolError, match=fragment):
        normalize_symbol(code)


def test_non_string_code_is_refused():
    with pytest.raises(MalformedSymbolError, match="must be a string"):
        normalize_symbol(600000)  # type: ignore[arg-type]


def test_bare_index_code_is_ambiguous_and_refused():
    with pytest.raises(MalformedSymbolError, match="ambiguous"):
        normalize_symbol("000001", SecurityKind.INDEX)


@pytest.mark.parametrize(
    ("vendor", "sh", "sz", "bj"),
    [
        (Vendor.CANONICAL, "600000.SH", "000001.SZ", "920118.BJ"),
        (Vendor.XTQUANT, "600000.SH", "000001.SZ", "920118.BJ"),
        (Vendor.TUSHARE, "600000.SH", "000001.SZ", "920118.BJ"),
        (Vendor.JQDATA, "600000.XSHG", "000001.XSHE", "920118.BJ"),
        (Vendor.PTRADE, "600000.SS", "000001.SZ", "920118.BJ"),
        (Vendor.BAOSTOCK, "sh.600000", "sz.000001", "bj.920118"),
        (Vendor.AKSHARE, "600000", "000001", "920118"),
        (Vendor.SINA, "sh600000", "sz000001", "bj920118"),
        (Vendor.VNPY, "600000.SSE", "000001.SZSE", "920118.BSE"),
    ],
)
def test_vendor_forms_round_trip(vendor, sh, sz, bj):
    for canonical, rendered in (("600000.SH", sh), ("000001.SZ", sz), ("920118.BJ", bj)):
        assert to_vendor_symbol(canonical, vendor) == rendered
        assert normalize_symbol(rendered) == canonical


def test_unknown_vendor_is_refused():
    with pytest.raises(ValueError, match="nonesuch"):
        to_vendor_symbol("600000.SH", "nonesuch")
