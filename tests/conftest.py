"""Shared fixtures: small demo stores built once per test session (per xdist worker)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quantlib.data.update import build_demo_store

#: Recent enough to cover the 2026-07-06 ST limit change, long enough for dividends.
RECENT_START = "2025-06-03"


@pytest.fixture(scope="session")
def demo_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only demo store (150 stocks, 300 days from 2025-06-03, minute bars)."""
    root = tmp_path_factory.mktemp("template") / "store"
    build_demo_store(
        root, n_symbols=150, days=300, seed=7, start=RECENT_START, minute_symbols=8, minute_days=5
    )
    return root


@pytest.fixture
def demo_store(demo_store_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store that a test may change."""
    target = tmp_path / "store"
    shutil.copytree(demo_store_template, target, symlinks=True)
    return target
