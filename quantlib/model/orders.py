"""Orders, their kinds and states, and the reasons an order is refused or ends unfilled.

Shared by the backtester, the paper broker and live trading. The integer values of
:class:`OrderKind`, :class:`OrderStatus` and :class:`Reason` are the codes the numba
kernels write into their arrays, so they must not be renumbered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum

from quantlib.core.i18n import Catalog, translate


class OrderKind(IntEnum):
    """How an order's quantity is given; value and target kinds are sized at the fill."""

    SHARES = 0
    VALUE = 1
    TARGET_SHARES = 2
    TARGET_VALUE = 3
    TARGET_PERCENT = 4


class OrderStatus(IntEnum):
    """Life-cycle state of an order (the broker issue maps Hundsun codes onto these)."""

    OPEN = 0
    PARTIALLY_FILLED = 1
    FILLED = 2
    CANCELLED = 3
    REJECTED = 4
    EXPIRED = 5

    @property
    def is_final(self) -> bool:
        """True when the order can no longer fill."""
        return self not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


class Reason(IntEnum):
    """Why an order was refused, cut short or left unfilled (0: no reason)."""

    NONE = 0
    SUSPENDED = 1
    LIMIT_UP = 2
    LIMIT_DOWN = 3
    INSUFFICIENT_CASH = 4
    T_PLUS_ONE = 5
    NO_POSITION = 6
    BELOW_ONE_LOT = 7
    VOLUME_CAP = 8
    LIMIT_NOT_REACHED = 9
    NO_PRICE = 10
    CANCELLED_BY_USER = 11
    DAY_ENDED = 12
    UNKNOWN_SYMBOL = 13
    WRONG_PHASE = 14
    NOT_ON_LOT_GRID = 15
    INVALID_ARGUMENT = 16
    NOT_TRADING = 17
    EXCEEDS_POSITION = 18
    ORDER_SIZE_CAP = 19
    PRICE_OUTSIDE_LIMITS = 20
    PRICE_CAGE = 21
    PRICE_OFF_TICK = 22
    PROTECTIVE_PRICE_REQUIRED = 23
    PRICE_TYPE_NOT_ON_EXCHANGE = 24
    MARKET_CLOSED = 25
    CANCEL_NOT_ALLOWED = 26
    BROKER_REJECTED = 27
    DUPLICATE_ORDER_ID = 28
    NOT_CONNECTED = 29
    IMMEDIATE_OR_CANCEL = 30
    FILL_OR_KILL = 31
    ORDER_NOT_OPEN = 32
    RISK_LIMIT = 33
    UNKNOWN_ORDER = 34

    def message(self) -> str:
        """The reason in the user's language."""
        return translate(_REASONS, self.name)


_REASONS: Catalog = {
    "NONE": ("", ""),
    "SUSPENDED": ("suspended: no trading in the bar", "停牌：该时段无成交"),
    "LIMIT_UP": ("limit-up: no buy at the up limit", "涨停：无法在涨停价买入"),
    "LIMIT_DOWN": ("limit-down: no sell at the down limit", "跌停：无法在跌停价卖出"),
    "INSUFFICIENT_CASH": ("insufficient cash for the order and its fees", "可用资金不足"),
    "T_PLUS_ONE": (
        "not sellable today: shares bought today settle T+1",
        "今日不可卖出：当日买入的股票 T+1 交收",
    ),
    "NO_POSITION": ("no position to sell", "无持仓可卖"),
    "BELOW_ONE_LOT": ("the quantity rounds to less than one lot", "数量不足一手"),
    "VOLUME_CAP": (
        "remainder cancelled: volume participation cap reached",
        "剩余部分撤销：超过成交量参与上限",
    ),
    "LIMIT_NOT_REACHED": ("limit price not reached", "未达到限价"),
    "NO_PRICE": ("no price for the symbol yet", "该证券尚无价格"),
    "CANCELLED_BY_USER": ("cancelled by the strategy", "策略撤单"),
    "DAY_ENDED": ("day order expired at the close", "当日委托收盘失效"),
    "UNKNOWN_SYMBOL": ("unknown symbol", "未知证券代码"),
    "WRONG_PHASE": ("not allowed in this phase of the strategy", "当前阶段不允许此操作"),
    "NOT_ON_LOT_GRID": ("quantity is not on the board's lot grid", "数量不符合该板块的交易单位"),
    "INVALID_ARGUMENT": ("invalid order argument", "委托参数无效"),
    "NOT_TRADING": ("the symbol is not listed on this day", "该证券当日未上市交易"),
    "EXCEEDS_POSITION": (
        "sell quantity exceeds the position: the whole position was sold",
        "卖出数量超过持仓：已卖出全部持仓",
    ),
    "ORDER_SIZE_CAP": (
        "quantity above the per-order maximum: the excess was not sent",
        "超过单笔委托数量上限：超出部分未报",
    ),
    "PRICE_OUTSIDE_LIMITS": (
        "price outside today's limit-up/limit-down range",
        "委托价格超出当日涨跌停范围",
    ),
    "PRICE_CAGE": (
        "limit price outside the price cage around the best quote",
        "委托价格超出价格笼子范围",
    ),
    "PRICE_OFF_TICK": (
        "price is not a multiple of the tick size",
        "委托价格不是最小变动价位的整数倍",
    ),
    "PROTECTIVE_PRICE_REQUIRED": (
        "Shanghai market orders need a protective price",
        "上交所市价委托必须填写保护限价",
    ),
    "PRICE_TYPE_NOT_ON_EXCHANGE": (
        "this market-order type is not offered on the symbol's exchange",
        "该交易所不支持此市价委托类型",
    ),
    "MARKET_CLOSED": (
        "the exchange does not take orders at this time",
        "当前时段交易所不接受委托",
    ),
    "CANCEL_NOT_ALLOWED": (
        "cancels are not allowed in this phase of the session",
        "当前交易时段不允许撤单",
    ),
    "BROKER_REJECTED": ("rejected by the broker", "被券商拒绝"),
    "DUPLICATE_ORDER_ID": ("client order id already used", "客户委托编号重复"),
    "NOT_CONNECTED": ("the broker is not connected", "券商未连接"),
    "IMMEDIATE_OR_CANCEL": (
        "remainder cancelled: immediate-or-cancel order",
        "剩余部分撤销：即时成交剩余撤销委托",
    ),
    "FILL_OR_KILL": (
        "cancelled: the fill-or-kill order could not fill in full",
        "已撤销：全额成交或撤销委托未能全部成交",
    ),
    "ORDER_NOT_OPEN": ("the order is no longer open", "委托已结束，不能撤单"),
    "RISK_LIMIT": ("refused by a risk limit", "触发风控限制"),
    "UNKNOWN_ORDER": ("unknown order id", "未知委托编号"),
}


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the strategy sees it (a snapshot; the engine owns the live state)."""

    id: str
    symbol: str
    kind: OrderKind
    amount: float
    limit_price: float | None
    created: dt.datetime
    status: OrderStatus
    side: str
    filled: int
    avg_price: float
    fees: float
    reason: Reason

    @property
    def is_open(self) -> bool:
        """True while the order can still fill."""
        return not self.status.is_final


__all__ = ["Order", "OrderKind", "OrderStatus", "Reason"]
