"""What brokers and the order path exchange: requests, orders, fills, positions, accounts,
quotes.

Money and prices are exact :class:`~decimal.Decimal` yuan (cash to the fen, prices to
the tick), quantities are whole shares, times are timezone-aware (Asia/Shanghai). The
records are immutable snapshots: a broker reports a new one when something changes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from quantlib.core.errors import QuantlibError
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus

FEN = Decimal("0.01")
#: Prices carry at most three decimals (0.001 is the tick of funds and bonds).
PRICE_QUANTUM = Decimal("0.001")
ZERO = Decimal(0)


class InvalidOrderError(QuantlibError, ValueError):
    """An order request that no broker could take (bad quantity, price or symbol)."""


def as_money(value: Decimal | int | float | str) -> Decimal:
    """A yuan amount as a Decimal rounded half up to the fen.

    Floats are read through their shortest repr, so ``0.1`` is ``Decimal('0.10')``.
    """
    return _decimal(value, "amount").quantize(FEN, rounding=ROUND_HALF_UP)


def as_price(value: Decimal | int | float | str) -> Decimal:
    """A price as a Decimal of at most three decimals, trailing zeros dropped to the fen."""
    price = _decimal(value, "price").quantize(PRICE_QUANTUM, rounding=ROUND_HALF_UP)
    return price.quantize(FEN) if price == price.quantize(FEN) else price


def _decimal(value: Decimal | int | float | str, what: str) -> Decimal:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidOrderError(f"{what} must be a finite number, got {value}")
        value = repr(value)
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidOrderError(f"{what} must be a number, got {value!r}") from None
    if not result.is_finite():
        raise InvalidOrderError(f"{what} must be a finite number, got {value}")
    return result


class PriceType(StrEnum):
    """How an order is priced: a limit, or one of the exchanges' market-order types.

    Shanghai offers best-5-then-cancel, best-5-then-limit, counter-party best and own
    best, each with a mandatory protective price; Shenzhen offers counter-party best,
    own best, immediate-or-cancel, best-5-then-cancel and fill-or-kill.
    """

    LIMIT = "limit"
    BEST5_CANCEL = "best5_cancel"
    BEST5_LIMIT = "best5_limit"
    COUNTERPARTY_BEST = "counterparty_best"
    OWN_BEST = "own_best"
    IMMEDIATE_OR_CANCEL = "immediate_or_cancel"
    FILL_OR_KILL = "fill_or_kill"

    @property
    def is_market(self) -> bool:
        """True for the market-order types."""
        return self is not PriceType.LIMIT


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order to send. ``limit_price`` is the limit, or a market order's protective
    price (required on Shanghai). ``client_order_id`` is ours, carried through the
    broker; one is assigned when left empty."""

    symbol: str
    side: Side
    quantity: int
    price_type: PriceType = PriceType.LIMIT
    limit_price: Decimal | None = None
    client_order_id: str = ""
    strategy: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "price_type", PriceType(self.price_type))
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise InvalidOrderError(
                f"quantity must be a whole number of shares, got {self.quantity!r}"
            )
        if self.quantity <= 0:
            raise InvalidOrderError(f"quantity must be positive, got {self.quantity}")
        if self.limit_price is not None:
            price = as_price(self.limit_price)
            if price <= 0:
                raise InvalidOrderError(f"price must be positive, got {self.limit_price}")
            object.__setattr__(self, "limit_price", price)
        elif self.price_type is PriceType.LIMIT:
            raise InvalidOrderError(f"a limit order for {self.symbol} needs a limit price")


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """An order as the broker last reported it.

    ``filled`` and ``avg_price`` sum the fills; ``fees`` is what the fills cost;
    ``reason`` and ``message`` say why it was rejected or ended unfilled (the broker's
    own text in ``message``).
    """

    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    price_type: PriceType
    limit_price: Decimal | None
    status: BrokerOrderStatus
    created: dt.datetime
    updated: dt.datetime
    filled: int = 0
    avg_price: Decimal = ZERO
    fees: Decimal = ZERO
    broker_order_id: str = ""
    reason: Reason = Reason.NONE
    message: str = ""
    strategy: str = ""

    @property
    def remaining(self) -> int:
        """Shares still to fill (0 once the order has ended)."""
        return 0 if self.status.is_terminal else self.quantity - self.filled

    @property
    def is_active(self) -> bool:
        """True while the order can still fill (pending-cancel orders included)."""
        return not self.status.is_terminal

    def evolve(self, **changes: object) -> BrokerOrder:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Fill:
    """One trade (成交) of an order. ``trade_id`` is unique per broker and account."""

    trade_id: str
    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    price: Decimal
    time: dt.datetime
    fees: Decimal = ZERO
    broker_order_id: str = ""

    @property
    def amount(self) -> Decimal:
        """Traded value in yuan, exact."""
        return self.price * self.quantity


@dataclass(frozen=True, slots=True)
class Position:
    """Holdings of one symbol. ``sellable`` is what may be sold today (T+1); ``frozen``
    is held by open sell orders; ``last_price``/``market_value`` are None when unknown."""

    symbol: str
    quantity: int
    sellable: int
    avg_cost: Decimal
    frozen: int = 0
    last_price: Decimal | None = None
    market_value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """Cash and totals of one account: ``cash`` is available, ``frozen_cash`` held by
    open buy orders."""

    account_id: str
    cash: Decimal
    frozen_cash: Decimal
    market_value: Decimal
    total_asset: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    """A level-1 snapshot. ``volume`` and ``amount`` are the day's totals so far;
    ``bids``/``asks`` are up to five ``(price, shares)`` levels, best first."""

    symbol: str
    time: dt.datetime
    last: Decimal
    pre_close: Decimal
    volume: int = 0
    amount: Decimal = ZERO
    bids: tuple[tuple[Decimal, int], ...] = field(default=())
    asks: tuple[tuple[Decimal, int], ...] = field(default=())
    up_limit: Decimal | None = None
    down_limit: Decimal | None = None
    suspended: bool = False

    @property
    def best_bid(self) -> Decimal | None:
        """Best bid price, None with no bids."""
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        """Best ask price, None with no asks."""
        return self.asks[0][0] if self.asks else None


__all__ = [
    "FEN",
    "Account",
    "BrokerOrder",
    "Fill",
    "InvalidOrderError",
    "OrderRequest",
    "Position",
    "PriceType",
    "Quote",
    "as_money",
    "as_price",
]
