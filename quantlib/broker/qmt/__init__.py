"""QMT / MiniQMT through xtquant: the in-process gateway (``qmt``), the mapping between
xtquant objects and our records, and a MiniQMT simulator for tests (see ``docs/qmt.md``).
"""
