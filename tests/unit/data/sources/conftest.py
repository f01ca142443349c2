"""Shared helpers for the vendor adapter tests: recorded vendor responses on disk."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "vendors"


@pytest.fixture
def recorded() -> Callable[[str, str], Any]:
    """Load ``tests/fixtures/vendors/<vendor>/<name>`` (JSON parsed, CSV as a path)."""

    def load(vendor: str, name: str) -> Any:
        path = FIXTURES / vendor / name
        if path.suffix == ".json":
            return json.loads(path.read_text(encoding="utf-8"))
        return path

    return load


@pytest.fixture
def no_sleep() -> Callable[[float], None]:
    """A sleep that returns at once, so retry backoffs cost nothing."""

    def sleep(seconds: float) -> None:
        return None

    return sleep
