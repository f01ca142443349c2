"""The data-store benchmark's pieces; ``benchmarks/store_bench.py`` is the entry point.

- :mod:`.measure`: paths, fields and patterns, the prepared data (:class:`BenchData`),
  timing, checking and the load average; shared by every store and the report.
- :mod:`.quantlib_store`, :mod:`.parquet_store`, :mod:`.qlib_store`,
  :mod:`.arcticdb_store`: one bench class per store (and the ArcticDB venv helper).
- :mod:`.report`: the per-pattern summary, the markdown table and the versions.

Only :mod:`.quantlib_store` touches quantlib, and only inside its methods; a worker
imports only its own store's module, so the ArcticDB worker runs without quantlib.
"""
