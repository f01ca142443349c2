"""The market-data platform: a local Zarr store read through xarray, kept up to date
from vendors, with an audit trail and quality checks.

>>> from quantlib.data import open_store
>>> store = open_store("var/store")                                    # doctest: +SKIP
>>> store.bars(["600000.SH"], "2024-01-02", "2024-06-28", adjust="qfq")  # doctest: +SKIP
"""

from quantlib.data.check import check_store
from quantlib.data.store import DataStore, open_store
from quantlib.data.update import UpdateResult, build_demo_store, update_store

__all__ = [
    "DataStore",
    "UpdateResult",
    "build_demo_store",
    "check_store",
    "open_store",
    "update_store",
]
