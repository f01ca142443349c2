"""Simplified Chinese and English for person-facing text.

The language comes from ``QUANTLIB_LANG`` (``zh`` or ``en``), else from the locale
(``LANG``/``LC_ALL`` starting with ``zh`` means Chinese), else English.
"""

from __future__ import annotations

import os

Catalog = dict[str, tuple[str, str]]


def language() -> str:
    """``"zh"`` or ``"en"``."""
    chosen = os.environ.get("QUANTLIB_LANG", "").lower()
    if chosen in ("zh", "en"):
        return chosen
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def translate(catalog: Catalog, key: str, **values: object) -> str:
    """The text for ``key`` in the current language, formatted with ``values``."""
    english, chinese = catalog[key]
    text = chinese if language() == "zh" else english
    return text.format(**values) if values else text
