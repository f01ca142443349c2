"""The risk limits an exported PTrade file enforces before each order.

Limits are the platform's risk limits (name, decimal value, unit), given as JSON in one
of three shapes:

* a list of records ``[{"name": "max_order_value", "value": "500000", "unit": "yuan"}]``
  (as the platform lists them);
* ``{"limits": [records...], "restricted_symbols": ["600000.SH", ...]}``;
* a flat mapping ``{"max_order_value": 500000, "restricted_symbols": [...]}``, each value
  a number or ``{"value": ..., "unit": ...}``.

The export enforces :data:`SUPPORTED_LIMITS`; any other name is refused unless it is
explicitly ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from quantlib.broker.ptrade.codes import from_ptrade_code
from quantlib.core.errors import ConfigError, MalformedSymbolError
from quantlib.core.i18n import Catalog, translate

#: Limit name -> the units it may be given in, and what the export checks.
SUPPORTED_LIMITS: Mapping[str, tuple[tuple[str, ...], str]] = {
    "max_order_value": (("yuan",), "estimated value of one order (shares x last price)"),
    "max_position_pct": (
        ("percent",),
        "a buy may not take the symbol's holding above this percent of total value",
    ),
    "max_orders_per_day": (("count", "per_day"), "orders sent per trading day"),
}
#: The key of the restricted list (buys refused, sells allowed).
RESTRICTED_KEY = "restricted_symbols"

TEXT: Catalog = {
    "unknown": (
        "{source}: unknown risk limit {name!r}; the export enforces {known} and "
        "{restricted}. Pass --ignore-limit {name} to export without it",
        "{source}：未知风控限额 {name!r}；导出支持 {known} 和 {restricted}。"
        "如需忽略，请加 --ignore-limit {name}",
    ),
    "unit": (
        "{source}: limit {name} has unit {unit!r}; expected {expected}",
        "{source}：限额 {name} 的单位为 {unit!r}，应为 {expected}",
    ),
    "value": (
        "{source}: limit {name} must be a positive number, got {value!r}",
        "{source}：限额 {name} 必须是正数，收到 {value!r}",
    ),
    "integer": (
        "{source}: limit {name} must be a whole number, got {value!r}",
        "{source}：限额 {name} 必须是整数，收到 {value!r}",
    ),
    "shape": (
        "{source}: limits must be a JSON list of {{name, value, unit}} records or an object",
        "{source}：限额须为 {{name, value, unit}} 记录的 JSON 列表或对象",
    ),
    "json": ("{source}: not valid JSON: {error}", "{source}：不是有效的 JSON：{error}"),
    "missing": ("limits file {source} does not exist", "限额文件 {source} 不存在"),
    "symbol": (
        "{source}: {value!r} in restricted_symbols is not a security code",
        "{source}：restricted_symbols 中的 {value!r} 不是证券代码",
    ),
    "duplicate": ("{source}: limit {name} is given twice", "{source}：限额 {name} 重复出现"),
}


def _t(key: str, **values: object) -> str:
    return translate(TEXT, key, **values)


class LimitsError(ConfigError):
    """A limits file is unreadable, or names a limit the export cannot enforce."""


@dataclass(frozen=True)
class ExportLimits:
    """Limits compiled into an exported file. ``values`` maps supported names to their
    values; ``ignored`` lists the names given but explicitly left out."""

    values: Mapping[str, Decimal] = field(default_factory=dict)
    restricted_symbols: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    def compiled(self) -> dict[str, float | int]:
        """The values as the exported file holds them (counts as int, money as float)."""
        return {
            name: int(value) if name == "max_orders_per_day" else float(value)
            for name, value in sorted(self.values.items())
        }

    def describe(self) -> str:
        """One line for the exported file's header."""
        parts = [f"{name}={value}" for name, value in sorted(self.values.items())]
        if self.restricted_symbols:
            parts.append(f"{RESTRICTED_KEY}={','.join(self.restricted_symbols)}")
        if self.ignored:
            parts.append(f"ignored={','.join(self.ignored)}")
        return "; ".join(parts) or "none"


def _records(raw: Any, source: str) -> tuple[list[tuple[str, Any, str | None]], list[Any]]:
    restricted: list[Any] = []
    if isinstance(raw, list):
        items: list[Any] = raw
    elif isinstance(raw, Mapping) and "limits" in raw:
        items = list(raw["limits"])
        restricted = list(raw.get(RESTRICTED_KEY, []))
    elif isinstance(raw, Mapping):
        items = []
        for name, value in raw.items():
            if name == RESTRICTED_KEY:
                restricted = list(value)
            elif isinstance(value, Mapping):
                items.append({"name": name, **value})
            else:
                items.append({"name": name, "value": value})
    else:
        raise LimitsError(_t("shape", source=source))
    records = []
    for item in items:
        if not isinstance(item, Mapping) or "name" not in item or "value" not in item:
            raise LimitsError(_t("shape", source=source))
        if item["name"] == RESTRICTED_KEY:
            restricted.extend(item["value"])
            continue
        records.append((str(item["name"]), item["value"], item.get("unit")))
    return records, restricted


def parse_limits(raw: Any, *, ignore: Iterable[str] = (), source: str = "limits") -> ExportLimits:
    """Limits from parsed JSON (see the module docstring); unknown names are errors
    unless in ``ignore``."""
    skip = set(ignore)
    records, restricted = _records(raw, source)
    values: dict[str, Decimal] = {}
    ignored: list[str] = []
    for name, value, unit in records:
        if name not in SUPPORTED_LIMITS:
            if name in skip:
                ignored.append(name)
                continue
            raise LimitsError(
                _t(
                    "unknown",
                    source=source,
                    name=name,
                    known=", ".join(SUPPORTED_LIMITS),
                    restricted=RESTRICTED_KEY,
                )
            )
        units = SUPPORTED_LIMITS[name][0]
        if unit is not None and unit not in units:
            raise LimitsError(
                _t("unit", source=source, name=name, unit=unit, expected=" or ".join(units))
            )
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise LimitsError(_t("value", source=source, name=name, value=value)) from None
        if isinstance(value, bool) or not number.is_finite() or number <= 0:
            raise LimitsError(_t("value", source=source, name=name, value=value))
        if name == "max_orders_per_day" and number != number.to_integral_value():
            raise LimitsError(_t("integer", source=source, name=name, value=value))
        if name in values:
            raise LimitsError(_t("duplicate", source=source, name=name))
        values[name] = number
    symbols: list[str] = []
    for item in restricted:
        try:
            symbols.append(from_ptrade_code(str(item)))
        except MalformedSymbolError:
            raise LimitsError(_t("symbol", source=source, value=item)) from None
    return ExportLimits(values, tuple(dict.fromkeys(symbols)), tuple(sorted(set(ignored))))


def read_limits(path: str | Path, *, ignore: Iterable[str] = ()) -> ExportLimits:
    """Limits from a JSON file (see :func:`parse_limits`)."""
    file = Path(path)
    if not file.is_file():
        raise LimitsError(_t("missing", source=file))
    try:
        raw = json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise LimitsError(_t("json", source=file, error=error)) from None
    return parse_limits(raw, ignore=ignore, source=str(file))


__all__ = [
    "RESTRICTED_KEY",
    "SUPPORTED_LIMITS",
    "ExportLimits",
    "LimitsError",
    "parse_limits",
    "read_limits",
]
