"""The objects PTrade hands a strategy: positions, orders, trades and bar units.

Attribute names are PTrade's (``amount``, ``enable_amount``, ``cost_basis``, ``sid`` ...)
and codes are PTrade codes (``600570.SS``). Order statuses are the Hundsun counter
characters ``'0'`` to ``'9'`` of :class:`~quantlib.model.status.BrokerOrderStatus`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from quantlib.broker.ptrade.codes import to_ptrade_code
from quantlib.model.orders import Order, OrderKind, OrderStatus
from quantlib.model.status import BrokerOrderStatus


def ptrade_status(status: OrderStatus, filled: int) -> str:
    """The PTrade status character of a backtest order state.

    Open orders are ``'2'`` (accepted), partly filled ones ``'7'``; cancelled and
    expired ones (PTrade's backtest cancels what is unfilled at the close) are ``'6'``,
    or ``'5'`` (partly cancelled) when some shares filled.
    """
    match status:
        case OrderStatus.OPEN:
            code = BrokerOrderStatus.REPORTED
        case OrderStatus.PARTIALLY_FILLED:
            code = BrokerOrderStatus.PART_SUCC
        case OrderStatus.FILLED:
            code = BrokerOrderStatus.SUCCEEDED
        case OrderStatus.REJECTED:
            code = BrokerOrderStatus.JUNK
        case _:
            code = BrokerOrderStatus.PART_CANCEL if filled else BrokerOrderStatus.CANCELED
    return code.value


@dataclass(frozen=True, slots=True)
class PTradePosition:
    """A holding as PTrade's ``get_position`` returns it.

    ``amount`` is held, ``enable_amount`` sellable today (T+1), ``cost_basis`` the
    average cost per share with fees, ``last_sale_price`` the last price.
    """

    sid: str
    amount: int
    enable_amount: int
    cost_basis: float
    last_sale_price: float
    business_type: str = "stock"

    @property
    def today_amount(self) -> int:
        """Shares bought today (not yet sellable)."""
        return self.amount - self.enable_amount


@dataclass(frozen=True, slots=True)
class PTradeOrder:
    """An order as PTrade's ``get_order``/``get_orders`` return it.

    ``amount`` is signed (buys positive, sells negative). Value and target orders are
    sized when they fill in a backtest here, so until then their ``amount`` is 0.
    """

    id: str
    symbol: str
    amount: int
    filled: int
    limit: float | None
    status: str
    created: dt.datetime
    avg_price: float

    @property
    def dt(self) -> dt.datetime:
        """When the order was placed (PTrade's name)."""
        return self.created

    @property
    def entrust_no(self) -> str:
        """The counter's order number (the order id in a backtest)."""
        return self.id

    @property
    def price(self) -> float | None:
        """The limit price (None for market orders)."""
        return self.limit

    @classmethod
    def from_order(cls, order: Order) -> PTradeOrder:
        """The PTrade view of a backtest order."""
        sign = 1 if order.side == "buy" else -1
        amount = int(order.amount) if order.kind is OrderKind.SHARES else sign * order.filled
        return cls(
            id=order.id,
            symbol=to_ptrade_code(order.symbol),
            amount=amount,
            filled=sign * order.filled,
            limit=order.limit_price,
            status=ptrade_status(order.status, order.filled),
            created=order.created,
            avg_price=order.avg_price,
        )

    def response(self) -> dict[str, Any]:
        """The dict ``on_order_response`` receives for this order."""
        return {
            "entrust_no": self.id,
            "order_id": self.id,
            "stock_code": self.symbol,
            "amount": abs(self.amount),
            "entrust_bs": "1" if self.amount > 0 or self.filled > 0 else "2",
            "entrust_price": self.limit,
            "business_amount": abs(self.filled),
            "status": self.status,
            "order_time": self.created.strftime("%Y-%m-%d %H:%M:%S"),
            "error_info": "",
        }


@dataclass(frozen=True, slots=True)
class PTradeTrade:
    """One fill, with the field names of PTrade's trade responses."""

    business_id: str
    order_id: str
    security: str
    entrust_bs: str
    business_amount: int
    business_price: float
    business_balance: float
    business_time: dt.datetime
    fees: float

    @property
    def entrust_no(self) -> str:
        """The counter's order number (the order id in a backtest)."""
        return self.order_id

    def response(self) -> dict[str, Any]:
        """The dict ``on_trade_response`` receives for this fill."""
        return {
            "business_id": self.business_id,
            "entrust_no": self.order_id,
            "order_id": self.order_id,
            "stock_code": self.security,
            "entrust_bs": self.entrust_bs,
            "business_amount": self.business_amount,
            "business_price": self.business_price,
            "business_balance": self.business_balance,
            "business_time": self.business_time.strftime("%Y-%m-%d %H:%M:%S"),
            "status": BrokerOrderStatus.SUCCEEDED.value,
        }


@dataclass(frozen=True, slots=True)
class SecurityUnitData:
    """One security's current bar, as ``data[code]`` gives it in ``handle_data``.

    On a suspended bar the prices are the last close and ``volume`` is 0, as PTrade
    fills suspended days.
    """

    dt: dt.datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    money: float
    high_limit: float
    low_limit: float

    @property
    def price(self) -> float:
        """The latest price (the bar's close)."""
        return self.close


__all__ = [
    "PTradeOrder",
    "PTradePosition",
    "PTradeTrade",
    "SecurityUnitData",
    "ptrade_status",
]
