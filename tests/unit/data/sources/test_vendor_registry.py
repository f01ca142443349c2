"""The vendor adapters are registered by name and construct without touching the vendor."""

from __future__ import annotations

import sys

import pytest

from quantlib.data.sources import create_source, source_class
from quantlib.data.sources.akshare import AkShareSource
from quantlib.data.sources.baostock import BaoStockSource
from quantlib.data.sources.jqdata import JQDataSource
from quantlib.data.sources.tushare import TushareSource
from quantlib.data.sources.wind import WindSource
from quantlib.data.sources.xtdata import XtDataSource

ADAPTERS = {
    "tushare": TushareSource,
    "jqdata": JQDataSource,
    "akshare": AkShareSource,
    "baostock": BaoStockSource,
    "xtdata": XtDataSource,
    "wind": WindSource,
}


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_registry_name_resolves_to_the_adapter_class(name):
    assert source_class(name) is ADAPTERS[name]
    assert ADAPTERS[name].name == name


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_construction_and_describe_need_no_vendor_session_and_show_no_secret(name, monkeypatch):
    monkeypatch.setenv("TUSHARE_TOKEN", "env-token-123")
    monkeypatch.setenv("JQDATA_USER", "13800000000")
    monkeypatch.setenv("JQDATA_PASSWORD", "env-password-456")
    monkeypatch.setenv("BAOSTOCK_PASSWORD", "env-password-789")

    source = create_source(name)
    info = source.describe()

    assert info["source"] == name and info["endpoint"]
    assert "version" in info
    text = repr(source) + str(info)
    for secret in ("env-token-123", "env-password-456", "env-password-789"):
        assert secret not in text
    assert "xtquant" not in sys.modules and "WindPy" not in sys.modules
