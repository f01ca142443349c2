"""PTrade's orders and trades CSV exports, read as typed records and reconciled.

The PTrade client exports 委托 (orders) and 成交 (trades) tables as CSV. Their exact
column sets are not publicly fixed and differ between broker builds, so the header
names are data (:data:`ORDER_HEADERS`, :data:`TRADE_HEADERS`: field -> accepted
headers, Chinese and English); extend them rather than the code. Files may be UTF-8,
UTF-8 with a BOM, or GBK/GB18030. Codes come out canonical (``600570.SH``), money as
:class:`~decimal.Decimal`, times timezone-aware (Asia/Shanghai). Every bad row is an
error naming the file, the row (the header is row 1) and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd

from quantlib.broker.ptrade.codes import from_ptrade_code
from quantlib.core.errors import MalformedSymbolError, QuantlibError
from quantlib.core.i18n import Catalog, translate
from quantlib.model.enums import Side
from quantlib.model.status import BrokerOrderStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Order fields -> the headers PTrade builds use for them.
ORDER_HEADERS: Mapping[str, tuple[str, ...]] = {
    "date": ("委托日期", "日期", "order_date", "date"),
    "time": ("委托时间", "时间", "order_time", "time"),
    "symbol": ("证券代码", "代码", "stock_code", "security", "symbol", "code"),
    "name": ("证券名称", "名称", "stock_name", "name"),
    "side": ("委托方向", "买卖方向", "买卖标志", "操作", "entrust_bs", "side", "direction"),
    "quantity": ("委托数量", "entrust_amount", "amount", "quantity"),
    "price": ("委托价格", "entrust_price", "price"),
    "filled_quantity": ("成交数量", "business_amount", "filled", "filled_quantity"),
    "filled_price": ("成交均价", "成交价格", "business_price", "avg_price", "filled_price"),
    "status": ("委托状态", "状态", "status"),
    "order_id": ("委托编号", "合同编号", "entrust_no", "order_id"),
}
#: Trade fields -> the headers PTrade builds use for them.
TRADE_HEADERS: Mapping[str, tuple[str, ...]] = {
    "date": ("成交日期", "日期", "business_date", "trade_date", "date"),
    "time": ("成交时间", "时间", "business_time", "trade_time", "time"),
    "trade_id": ("成交编号", "business_id", "trade_id"),
    "order_id": ("委托编号", "合同编号", "entrust_no", "order_id"),
    "symbol": ("证券代码", "代码", "stock_code", "security", "symbol", "code"),
    "name": ("证券名称", "名称", "stock_name", "name"),
    "side": ("买卖方向", "委托方向", "买卖标志", "操作", "entrust_bs", "side", "direction"),
    "price": ("成交价格", "成交均价", "business_price", "price"),
    "quantity": ("成交数量", "business_amount", "quantity"),
    "amount": ("成交金额", "business_balance", "value", "turnover"),
    "commission": ("佣金", "commission"),
    "stamp_duty": ("印花税", "stamp_duty"),
    "transfer_fee": ("过户费", "transfer_fee"),
    "other_fees": ("其他费用", "规费", "other_fees"),
}
_REQUIRED = {
    "orders": ("date", "symbol", "side", "quantity"),
    "trades": ("date", "symbol", "side", "price", "quantity"),
}
#: Side texts -> side.
SIDES: Mapping[str, Side] = {
    "买入": Side.BUY,
    "买": Side.BUY,
    "证券买入": Side.BUY,
    "b": Side.BUY,
    "buy": Side.BUY,
    "1": Side.BUY,
    "卖出": Side.SELL,
    "卖": Side.SELL,
    "证券卖出": Side.SELL,
    "s": Side.SELL,
    "sell": Side.SELL,
    "2": Side.SELL,
}
#: Status texts -> Hundsun status.
STATUSES: Mapping[str, BrokerOrderStatus] = {
    "未报": BrokerOrderStatus.UNREPORTED,
    "待报": BrokerOrderStatus.WAIT_REPORTING,
    "已报": BrokerOrderStatus.REPORTED,
    "已报待撤": BrokerOrderStatus.REPORTED_CANCEL,
    "部成待撤": BrokerOrderStatus.PARTSUCC_CANCEL,
    "部撤": BrokerOrderStatus.PART_CANCEL,
    "已撤": BrokerOrderStatus.CANCELED,
    "部成": BrokerOrderStatus.PART_SUCC,
    "已成": BrokerOrderStatus.SUCCEEDED,
    "废单": BrokerOrderStatus.JUNK,
    **{s.value: s for s in BrokerOrderStatus},
}
ENCODINGS = ("utf-8-sig", "gb18030")

TEXT: Catalog = {
    "at": (
        "{file}, row {row}, column {column}: {problem}",
        "{file}，第 {row} 行，{column} 列：{problem}",
    ),
    "at_file": ("{file}: {problem}", "{file}：{problem}"),
    "missing_file": ("the file does not exist", "文件不存在"),
    "encoding": (
        "cannot decode the file as UTF-8 or GBK/GB18030",
        "无法按 UTF-8 或 GBK/GB18030 解码文件",
    ),
    "empty": ("the file has no header row", "文件没有表头"),
    "kind": (
        "cannot tell orders from trades by the headers; give the kind (orders or trades)",
        "无法从表头判断是委托还是成交；请指定类型（orders 或 trades）",
    ),
    "required": (
        "required column missing (accepted headers: {headers})",
        "缺少必需列（可用表头：{headers}）",
    ),
    "blank": ("empty value", "值为空"),
    "number": ("not a number: {value!r}", "不是数字：{value!r}"),
    "negative": ("must not be negative: {value!r}", "不能为负数：{value!r}"),
    "whole": ("not a whole number of shares: {value!r}", "股数不是整数：{value!r}"),
    "date": ("not a date: {value!r}", "不是日期：{value!r}"),
    "time": ("not a time: {value!r}", "不是时间：{value!r}"),
    "code": ("not a security code: {value!r}", "不是证券代码：{value!r}"),
    "side": (
        "not a side (买入/卖出, buy/sell, 1/2): {value!r}",
        "不是买卖方向（买入/卖出、buy/sell、1/2）：{value!r}",
    ),
    "status": ("not an order status: {value!r}", "不是委托状态：{value!r}"),
    "columns": (
        "row has {found} cells, the header {expected}",
        "该行有 {found} 个单元格，表头有 {expected} 个",
    ),
}


def _t(key: str, **values: object) -> str:
    return translate(TEXT, key, **values)


class StatementError(QuantlibError, ValueError):
    """A statement file or one of its rows cannot be read; names file, row and column."""

    def __init__(self, file: Path, problem: str, row: int | None = None, column: str = "") -> None:
        self.file, self.row, self.column, self.problem = file, row, column, problem
        if row is None:
            message = _t("at_file", file=file, problem=problem)
        else:
            message = _t("at", file=file, row=row, column=column or "-", problem=problem)
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class StatementOrder:
    """One order row of a PTrade orders export."""

    row: int
    time: dt.datetime
    symbol: str
    side: Side
    quantity: int
    price: Decimal | None
    filled_quantity: int
    filled_price: Decimal | None
    status: BrokerOrderStatus | None
    order_id: str
    name: str


@dataclass(frozen=True, slots=True)
class StatementTrade:
    """One trade row of a PTrade trades export. ``fees`` is the sum of the fee columns."""

    row: int
    time: dt.datetime
    symbol: str
    side: Side
    quantity: int
    price: Decimal
    amount: Decimal
    fees: Decimal
    trade_id: str
    order_id: str
    name: str


class _Row:
    """One CSV row with the parsers that name the file, row and header on failure."""

    def __init__(
        self, file: Path, number: int, cells: Mapping[str, str], headers: Mapping[str, str]
    ) -> None:
        self.file, self.number, self.cells, self.headers = file, number, cells, headers

    def fail(self, field: str, problem: str) -> StatementError:
        return StatementError(self.file, problem, self.number, self.headers.get(field, field))

    def text(self, field: str) -> str:
        return (self.cells.get(field) or "").strip().lstrip("'").strip()

    def required(self, field: str) -> str:
        value = self.text(field)
        if not value:
            raise self.fail(field, _t("blank"))
        return value

    def decimal(self, field: str, *, required: bool = True) -> Decimal | None:
        raw = self.required(field) if required else self.text(field)
        if not raw:
            return None
        try:
            value = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            raise self.fail(field, _t("number", value=raw)) from None
        if not value.is_finite():
            raise self.fail(field, _t("number", value=raw))
        if value < 0:
            raise self.fail(field, _t("negative", value=raw))
        return value

    def shares(self, field: str, *, required: bool = True) -> int:
        value = self.decimal(field, required=required)
        if value is None:
            return 0
        if value != value.to_integral_value():
            raise self.fail(field, _t("whole", value=self.text(field)))
        return int(value)

    def symbol(self) -> str:
        raw = self.required("symbol")
        try:
            return from_ptrade_code(raw.zfill(6) if raw.isdigit() else raw)
        except MalformedSymbolError:
            raise self.fail("symbol", _t("code", value=raw)) from None

    def side(self) -> Side:
        raw = self.required("side")
        side = SIDES.get(raw.lower())
        if side is None:
            raise self.fail("side", _t("side", value=raw))
        return side

    def status(self) -> BrokerOrderStatus | None:
        raw = self.text("status")
        if not raw:
            return None
        status = STATUSES.get(raw)
        if status is None:
            raise self.fail("status", _t("status", value=raw))
        return status

    def moment(self) -> dt.datetime:
        raw = self.required("date")
        digits = re.sub(r"[-/.]", "", raw.split(" ")[0])
        try:
            day = dt.datetime.strptime(digits, "%Y%m%d").date()
        except ValueError:
            raise self.fail("date", _t("date", value=raw)) from None
        clock = self.text("time") or (raw.split(" ", 1)[1] if " " in raw else "")
        moment = dt.time()
        if clock:
            parts = clock.split(":") if ":" in clock else _split_clock(clock)
            try:
                numbers = [int(p) for p in parts] + [0] * (3 - len(parts))
                moment = dt.time(numbers[0], numbers[1], int(numbers[2]))
            except (ValueError, IndexError):
                raise self.fail("time", _t("time", value=clock)) from None
        return dt.datetime.combine(day, moment, SHANGHAI)


def _split_clock(clock: str) -> list[str]:
    digits = clock.split(".")[0].zfill(6)
    return [digits[:-4], digits[-4:-2], digits[-2:]]


def _decode(file: Path) -> str:
    if not file.is_file():
        raise StatementError(file, _t("missing_file"))
    raw = file.read_bytes()
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementError(file, _t("encoding"))


def _columns(header: list[str], names: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    position = {h.strip().lstrip("\ufeff").lower(): i for i, h in enumerate(header)}
    found: dict[str, int] = {}
    for field, aliases in names.items():
        for alias in aliases:
            if alias.lower() in position:
                found[field] = position[alias.lower()]
                break
    return found


def read_statement(
    path: str | Path, kind: Literal["orders", "trades"] | None = None
) -> list[StatementOrder] | list[StatementTrade]:
    """Records of a PTrade orders or trades CSV; ``kind`` is told from the headers when
    omitted (a trade-number or trade-date column means trades)."""
    file = Path(path)
    rows = list(csv.reader(io.StringIO(_decode(file))))
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        raise StatementError(file, _t("empty"))
    header = rows[0]
    if kind is None:
        trade_like = _columns(header, {"k": TRADE_HEADERS["trade_id"] + ("成交日期", "成交金额")})
        order_like = _columns(header, {"k": ("委托日期", "委托数量", "entrust_amount", "委托价格")})
        if trade_like and not order_like:
            kind = "trades"
        elif order_like and not trade_like:
            kind = "orders"
        else:
            raise StatementError(file, _t("kind"))
    names = ORDER_HEADERS if kind == "orders" else TRADE_HEADERS
    columns = _columns(header, names)
    for field in _REQUIRED[kind]:
        if field not in columns:
            raise StatementError(file, _t("required", headers=" / ".join(names[field])), 1, field)
    labels = {field: header[i].strip().lstrip("\ufeff") for field, i in columns.items()}
    out: list[Any] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < len(header) and len(cells) <= max(columns.values()):
            raise StatementError(
                file, _t("columns", found=len(cells), expected=len(header)), number
            )
        values = {field: cells[i] if i < len(cells) else "" for field, i in columns.items()}
        row = _Row(file, number, values, labels)
        out.append(_order(row) if kind == "orders" else _trade(row))
    return out


def _order(row: _Row) -> StatementOrder:
    return StatementOrder(
        row=row.number,
        time=row.moment(),
        symbol=row.symbol(),
        side=row.side(),
        quantity=row.shares("quantity"),
        price=row.decimal("price", required=False),
        filled_quantity=row.shares("filled_quantity", required=False),
        filled_price=row.decimal("filled_price", required=False),
        status=row.status(),
        order_id=row.text("order_id"),
        name=row.text("name"),
    )


def _trade(row: _Row) -> StatementTrade:
    price = row.decimal("price") or Decimal(0)
    quantity = row.shares("quantity")
    amount = row.decimal("amount", required=False)
    fees = sum(
        (row.decimal(f, required=False) or Decimal(0))
        for f in ("commission", "stamp_duty", "transfer_fee", "other_fees")
    )
    return StatementTrade(
        row=row.number,
        time=row.moment(),
        symbol=row.symbol(),
        side=row.side(),
        quantity=quantity,
        price=price,
        amount=amount if amount is not None else price * quantity,
        fees=Decimal(fees),
        trade_id=row.text("trade_id"),
        order_id=row.text("order_id"),
        name=row.text("name"),
    )


@dataclass(frozen=True)
class Reconciliation:
    """Broker trades against ours, one row per (day, symbol, side): quantities, average
    prices and a ``status`` of ``matched``, ``quantity_break``, ``price_break``,
    ``missing_in_ours`` or ``missing_at_broker``."""

    table: pd.DataFrame

    @property
    def ok(self) -> bool:
        """True when every row matched."""
        return bool((self.table["status"] == "matched").all())

    @property
    def breaks(self) -> pd.DataFrame:
        """The rows that did not match."""
        return self.table[self.table["status"] != "matched"]

    def _repr_html_(self) -> str:
        return str(self.table.to_html(index=False))


def _ours_frame(ours: Any) -> pd.DataFrame:
    if isinstance(ours, pd.DataFrame):
        frame = ours.copy()
    else:
        records = []
        for item in ours:
            get = item.get if isinstance(item, Mapping) else lambda k, i=item: getattr(i, k, None)
            records.append({k: get(k) for k in ("time", "symbol", "side", "quantity", "price")})
        frame = pd.DataFrame(records, columns=["time", "symbol", "side", "quantity", "price"])
    frame["symbol"] = [from_ptrade_code(str(s)) for s in frame["symbol"]]
    frame["side"] = [str(getattr(s, "value", s)).lower() for s in frame["side"]]
    frame["quantity"] = pd.to_numeric(frame["quantity"]).astype("int64")
    pairs = zip(frame["price"], frame["quantity"], strict=True)
    values = [Decimal(str(p)) * int(q) for p, q in pairs]
    frame["value"] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def _aggregate(frame: pd.DataFrame, by_day: bool) -> dict[tuple[Any, ...], tuple[int, Decimal]]:
    totals: dict[tuple[Any, ...], list[Any]] = {}
    for time, symbol, side, quantity, value in zip(
        frame["time"],
        frame["symbol"],
        frame["side"],
        frame["quantity"],
        frame["value"],
        strict=True,
    ):
        day = pd.Timestamp(time).date() if by_day else None
        entry = totals.setdefault((day, symbol, side), [0, Decimal(0)])
        entry[0] += int(quantity)
        entry[1] += value
    return {key: (q, (v / q) if q else Decimal(0)) for key, (q, v) in totals.items()}


def reconcile(
    broker: Iterable[StatementTrade],
    ours: Any,
    *,
    price_tolerance: Decimal | float = Decimal("0.001"),
    by_day: bool = True,
) -> Reconciliation:
    """Compare broker trades with our fills by (day, symbol, side).

    ``ours`` is a backtest result's ``trades`` frame or any iterable of fills (objects
    or dicts with ``time``, ``symbol``, ``side``, ``quantity``, ``price``). Quantities
    must agree exactly and average prices within ``price_tolerance`` yuan.
    """
    tolerance = Decimal(str(price_tolerance))
    broker_rows = [
        {
            "time": t.time,
            "symbol": t.symbol,
            "side": t.side.value,
            "quantity": t.quantity,
            "value": t.price * t.quantity,
        }
        for t in broker
    ]
    broker_frame = pd.DataFrame(
        broker_rows, columns=["time", "symbol", "side", "quantity", "value"]
    )
    theirs = _aggregate(broker_frame, by_day)
    mine = _aggregate(_ours_frame(ours), by_day)
    rows = []
    for key in sorted(set(theirs) | set(mine), key=lambda k: (str(k[0]), k[1], k[2])):
        b, o = theirs.get(key), mine.get(key)
        if b is None:
            status = "missing_at_broker"
        elif o is None:
            status = "missing_in_ours"
        elif b[0] != o[0]:
            status = "quantity_break"
        elif abs(b[1] - o[1]) > tolerance:
            status = "price_break"
        else:
            status = "matched"
        rows.append(
            {
                "date": key[0],
                "symbol": key[1],
                "side": key[2],
                "broker_quantity": None if b is None else b[0],
                "our_quantity": None if o is None else o[0],
                "broker_price": None if b is None else b[1],
                "our_price": None if o is None else o[1],
                "status": status,
            }
        )
    columns = [
        "date",
        "symbol",
        "side",
        "broker_quantity",
        "our_quantity",
        "broker_price",
        "our_price",
        "status",
    ]
    return Reconciliation(pd.DataFrame(rows, columns=columns))


__all__ = [
    "ENCODINGS",
    "ORDER_HEADERS",
    "SIDES",
    "STATUSES",
    "TRADE_HEADERS",
    "Reconciliation",
    "StatementError",
    "StatementOrder",
    "StatementTrade",
    "read_statement",
    "reconcile",
]
