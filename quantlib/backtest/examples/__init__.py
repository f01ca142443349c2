"""Example strategies shipped with quantlib (used by the docs, notebooks and benchmarks)."""
