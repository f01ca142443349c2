"""The paper venue: a simulated counter and exchange for one account.

:class:`PaperEngine` holds the account's cash, positions, orders and trades, takes
orders under the exchanges' rules (:mod:`quantlib.broker.rules`), freezes cash for buys
and shares for sells, matches resting orders against each quote
(:mod:`quantlib.broker.matching`), books fills with the fees of
:mod:`quantlib.market.fees` (per order: the minimum commission applies to the order's
whole traded value), settles T+1 at the start of each day and expires yesterday's
orders. Everything it decides it reports as broker events; with a
:class:`~quantlib.broker.paper.store.PaperStore` every change is saved in the same step,
so a restarted engine carries on where it stopped.

Market time is the time of the latest quote (the session rules are checked against
it); before any quote it is the wall clock.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import Field

from quantlib.broker.events import (
    AccountEvent,
    BrokerEvent,
    CancelRejectedEvent,
    EventSink,
    OrderEvent,
    PositionEvent,
    TradeEvent,
)
from quantlib.broker.ids import check_client_order_id, new_client_order_id
from quantlib.broker.matching import Liquidity, Match, match
from quantlib.broker.paper.store import PaperStore
from quantlib.broker.rules import Refusal, cancel_refusal, entry_refusal
from quantlib.core.config import BaseConfig
from quantlib.core.dates import now_shanghai
from quantlib.market.boards import board_of
from quantlib.market.fees import FeeConfig, FeeSchedule
from quantlib.market.symbols import normalize_symbol, split_symbol
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus
from quantlib.model.trading import (
    ZERO,
    Account,
    BrokerOrder,
    Fill,
    InvalidOrderError,
    OrderRequest,
    Position,
    PriceType,
    Quote,
    as_money,
)

S = BrokerOrderStatus


class PaperConfig(BaseConfig):
    """Settings of a paper account.

    Attributes
    ----------
    cash
        Starting cash in yuan (used when the account is new; a saved one keeps its own).
    account_id
        The account's name in reports.
    fees
        Commission terms; the public rates are dated data.
    participation
        Largest share of the volume traded between two quotes that a resting order may
        fill (0.25: a quarter).
    enforce_session
        Refuse orders and cancels outside the exchanges' phases (off for replays whose
        quotes carry no intraday times).
    price_cage
        Refuse continuous-session limit orders outside the price cage.
    state_path
        SQLite file keeping the account across restarts (none: in memory only).
    """

    cash: Decimal = Field(default=Decimal("1000000"), ge=0, le=Decimal("1e13"))
    account_id: str = Field(default="paper", min_length=1, max_length=64)
    fees: FeeConfig = FeeConfig()
    participation: Decimal = Field(default=Decimal("0.25"), gt=0, le=1)
    enforce_session: bool = True
    price_cage: bool = True
    state_path: Path | None = None


@dataclass
class Working:
    """An order on the venue: its reported state plus what the venue keeps."""

    order: BrokerOrder
    price: Decimal | None
    frozen: Decimal = ZERO
    value: Decimal = ZERO


@dataclass
class Holding:
    """Shares of one symbol: ``settled`` may be sold today, ``frozen`` is held by open
    sells, ``cost`` is the total paid (fees included) for the shares held."""

    quantity: int = 0
    settled: int = 0
    frozen: int = 0
    cost: Decimal = ZERO


class PaperEngine:
    """Cash, positions, orders and matching of one paper account."""

    def __init__(
        self,
        config: PaperConfig,
        *,
        emit: EventSink,
        clock: Callable[[], dt.datetime] = now_shanghai,
    ) -> None:
        self.config = config
        self._emit_to = emit
        self._clock = clock
        self._fees = FeeSchedule(config.fees)
        self._lock = threading.RLock()
        self._pending: list[BrokerEvent] = []
        self.cash = as_money(config.cash)
        self.day: dt.date | None = None
        self.market_time: dt.datetime | None = None
        self.orders_by_id: dict[str, Working] = {}
        self._resting: dict[str, dict[str, Working]] = {}
        self.trades_by_id: dict[str, Fill] = {}
        self.holdings: dict[str, Holding] = {}
        self.quotes: dict[str, Quote] = {}
        self.previous_volume: dict[str, int] = {}
        self.next_order = 1
        self.next_trade = 1
        self._dirty_orders: set[str] = set()
        self._dirty_holdings: set[str] = set()
        self._new_trades: list[str] = []
        self._dirty_quotes: set[str] = set()
        self.store = PaperStore(config.state_path) if config.state_path else None
        if self.store is not None:
            self.store.load_into(self)

    # ---- reading -------------------------------------------------------------------
    @property
    def now(self) -> dt.datetime:
        """Market time: the latest quote's time, else the clock."""
        return self.market_time or self._clock()

    def account(self) -> Account:
        """Cash (available and frozen) and totals."""
        with self._lock:
            frozen = self._frozen()
            value = sum((self._value_of(symbol, h) for symbol, h in self.holdings.items()), ZERO)
            return Account(
                self.config.account_id,
                cash=as_money(self.cash - frozen),
                frozen_cash=as_money(frozen),
                market_value=as_money(value),
                total_asset=as_money(self.cash + value),
            )

    def positions(self) -> list[Position]:
        """Positions held (sold-out symbols are left out)."""
        with self._lock:
            return [
                self._position(symbol) for symbol, h in sorted(self.holdings.items()) if h.quantity
            ]

    def position(self, symbol: str) -> Position:
        """The position in ``symbol`` (zero when none)."""
        with self._lock:
            return self._position(normalize_symbol(symbol))

    def orders(self) -> list[BrokerOrder]:
        """Orders in the order they were placed."""
        with self._lock:
            return [w.order for w in self.orders_by_id.values()]

    def order(self, client_order_id: str) -> BrokerOrder | None:
        """One order, or None."""
        with self._lock:
            working = self.orders_by_id.get(client_order_id)
            return working.order if working else None

    def trades(self) -> list[Fill]:
        """Fills in the order they happened."""
        with self._lock:
            return list(self.trades_by_id.values())

    # ---- market --------------------------------------------------------------------
    def on_quote(self, quote: Quote) -> None:
        """A new quote: the day may roll, then resting orders of the symbol match."""
        symbol = normalize_symbol(quote.symbol)
        with self._lock:
            if self.day is not None and quote.time.date() > self.day:
                self._roll(quote.time.date())
            if self.day is None:
                self.day = quote.time.date()
            if self.market_time is None or quote.time > self.market_time:
                self.market_time = quote.time
            previous = self.quotes.get(symbol)
            same_day = previous is not None and previous.time.date() == quote.time.date()
            self.previous_volume[symbol] = previous.volume if previous and same_day else 0
            self.quotes[symbol] = quote
            self._dirty_quotes.add(symbol)
            if not quote.suspended:
                liquidity = Liquidity.of(
                    quote, self.previous_volume[symbol], self.config.participation
                )
                for working in list(self._resting.get(symbol, {}).values()):
                    self._match(working, liquidity, arriving=False)
            self._commit()

    def start_day(self, day: dt.date) -> None:
        """Begin trading day ``day``: expire open orders, settle yesterday's buys."""
        with self._lock:
            if self.day is None or day > self.day:
                self._roll(day)
                self._commit()

    def set_position(
        self, symbol: str, quantity: int, avg_cost: Decimal, *, sellable: int | None = None
    ) -> None:
        """Seed a position (e.g. carried over from a real account)."""
        symbol = normalize_symbol(symbol)
        if quantity < 0 or (sellable is not None and not 0 <= sellable <= quantity):
            raise InvalidOrderError(
                f"position of {quantity} with {sellable} sellable is not possible"
            )
        with self._lock:
            holding = self.holdings.setdefault(symbol, Holding())
            holding.quantity = quantity
            holding.settled = quantity if sellable is None else sellable
            holding.cost = as_money(Decimal(avg_cost) * quantity)
            self._dirty_holdings.add(symbol)
            self._pending.append(PositionEvent(self._position(symbol)))
            self._commit()

    # ---- orders --------------------------------------------------------------------
    def place(self, request: OrderRequest) -> BrokerOrder:
        """Take an order: it is accepted (and may fill at once) or rejected with a reason.

        Raises :class:`InvalidOrderError` for a malformed symbol or a client order id
        already used; nothing is stored then.
        """
        symbol = normalize_symbol(request.symbol)
        client_id = check_client_order_id(request.client_order_id or new_client_order_id())
        with self._lock:
            if client_id in self.orders_by_id:
                raise InvalidOrderError(f"client order id {client_id!r} is already in use")
            now = self.now
            order = BrokerOrder(
                client_order_id=client_id,
                symbol=symbol,
                side=request.side,
                quantity=request.quantity,
                price_type=request.price_type,
                limit_price=request.limit_price,
                status=S.REPORTED,
                created=now,
                updated=now,
                broker_order_id=str(self.next_order),
                strategy=request.strategy,
            )
            self.next_order += 1
            working = Working(order, request.limit_price)
            self.orders_by_id[client_id] = working
            self._dirty_orders.add(client_id)
            holding = self.holdings.get(symbol, Holding())
            refusal = entry_refusal(
                OrderRequest(
                    symbol,
                    request.side,
                    request.quantity,
                    request.price_type,
                    request.limit_price,
                    client_id,
                ),
                self.quotes.get(symbol),
                moment=now,
                sellable=holding.settled - holding.frozen,
                held=holding.quantity,
                enforce_session=self.config.enforce_session,
                price_cage=self.config.price_cage,
            )
            if refusal is None:
                refusal = self._freeze(working)
            if refusal is not None:
                working.order = order.evolve(
                    status=S.JUNK, reason=refusal.reason, message=refusal.message
                )
                self._pending.append(OrderEvent(working.order))
            else:
                self._pending.append(OrderEvent(working.order))
                self._pending.append(AccountEvent(self.account()))
                quote = self.quotes[symbol]
                liquidity = Liquidity.of(quote, None, self.config.participation)
                self._match(working, liquidity, arriving=True)
            self.index_order(working)
            self._commit()
            return working.order

    def cancel(self, client_order_id: str) -> None:
        """Cancel an open order: reports pending cancel then cancelled, or a refusal."""
        with self._lock:
            working = self.orders_by_id.get(client_order_id)
            refusal = self._cancel_refusal(client_order_id, working)
            if refusal is not None:
                self._pending.append(
                    CancelRejectedEvent(client_order_id, refusal.reason, refusal.message)
                )
            elif working is not None:
                order = working.order
                pending = S.PARTSUCC_CANCEL if order.filled else S.REPORTED_CANCEL
                working.order = order.evolve(status=pending, updated=self.now)
                self._pending.append(OrderEvent(working.order))
                self._end(working, Reason.CANCELLED_BY_USER, "")
            self._commit()

    def _cancel_refusal(self, client_order_id: str, working: Working | None) -> Refusal | None:
        if working is None:
            return Refusal(Reason.UNKNOWN_ORDER, f"no order {client_order_id!r}")
        if not working.order.is_active:
            return Refusal(
                Reason.ORDER_NOT_OPEN,
                f"order {client_order_id} is already {working.order.status.name}",
            )
        return cancel_refusal(working.order.symbol, self.now, self.config.enforce_session)

    # ---- inside --------------------------------------------------------------------
    def _position(self, symbol: str) -> Position:
        holding = self.holdings.get(symbol, Holding())
        quote = self.quotes.get(symbol)
        average = (
            (holding.cost / holding.quantity).quantize(Decimal("0.001"))
            if (holding.quantity)
            else ZERO
        )
        return Position(
            symbol=symbol,
            quantity=holding.quantity,
            sellable=max(0, holding.settled - holding.frozen),
            avg_cost=average,
            frozen=holding.frozen,
            last_price=quote.last if quote else None,
            market_value=as_money(quote.last * holding.quantity) if quote else None,
        )

    def _value_of(self, symbol: str, holding: Holding) -> Decimal:
        quote = self.quotes.get(symbol)
        if quote is not None:
            return as_money(quote.last * holding.quantity)
        return holding.cost

    def _fees_for(self, side: Side, symbol: str, value: Decimal) -> Decimal:
        _, exchange = split_symbol(symbol)
        day = self.day or self.now.date()
        return self._fees.compute(side, value, exchange, day).total

    def _freeze(self, working: Working) -> Refusal | None:
        order = working.order
        if order.side is Side.SELL:
            holding = self.holdings.setdefault(order.symbol, Holding())
            holding.frozen += order.quantity
            self._dirty_holdings.add(order.symbol)
            return None
        needed = self._buy_reserve(working)
        available = self.cash - self._frozen()
        if needed > available:
            return Refusal(
                Reason.INSUFFICIENT_CASH,
                f"buy of {order.quantity} {order.symbol} needs {needed} yuan with fees; "
                f"{available} available",
            )
        working.frozen = needed
        return None

    def _buy_reserve(self, working: Working) -> Decimal:
        """Cash held for a buy's unfilled part: price x shares plus its fees."""
        order = working.order
        left = order.quantity - order.filled
        if not left:
            return ZERO
        quote = self.quotes.get(order.symbol)
        price = working.price or order.limit_price
        if price is None and quote is not None:
            price = quote.up_limit or quote.last
        price = price or ZERO
        whole = working.value + price * left
        fees = self._fees_for(Side.BUY, order.symbol, whole) - self._fees_for(
            Side.BUY, order.symbol, working.value
        )
        return as_money(price * left + fees)

    def _match(self, working: Working, liquidity: Liquidity, *, arriving: bool) -> None:
        order = working.order
        board = board_of(order.symbol)
        left = order.quantity - order.filled
        price_type = order.price_type if arriving else PriceType.LIMIT
        result: Match = match(
            order.side,
            price_type,
            working.price,
            left,
            liquidity,
            board,
            arriving=arriving,
        )
        for price, quantity in result.fills:
            self._book_fill(working, price, quantity)
        if result.rest_price is not None:
            working.price = result.rest_price
            if order.side is Side.BUY:
                working.frozen = self._buy_reserve(working)
            self._dirty_orders.add(order.client_order_id)
        if result.cancel_rest is not None and working.order.is_active:
            self._end(working, result.cancel_rest, result.cancel_rest.message())

    def _book_fill(self, working: Working, price: Decimal, quantity: int) -> None:
        order = working.order
        before = self._fees_for(order.side, order.symbol, working.value)
        working.value += price * quantity
        fee = self._fees_for(order.side, order.symbol, working.value) - before
        amount = price * quantity
        holding = self.holdings.setdefault(order.symbol, Holding())
        if order.side is Side.BUY:
            self.cash -= amount + fee
            holding.quantity += quantity
            holding.cost += amount + fee
        else:
            self.cash += amount - fee
            if holding.quantity:
                holding.cost -= (holding.cost * quantity / holding.quantity).quantize(
                    Decimal("0.01")
                )
            holding.quantity -= quantity
            holding.settled -= quantity
            holding.frozen -= quantity
            if not holding.quantity:
                holding.cost = ZERO
        day = self.day or self.now.date()
        fill = Fill(
            trade_id=f"P{day:%Y%m%d}{self.next_trade:06d}",
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            time=self.now,
            fees=fee,
            broker_order_id=order.broker_order_id,
        )
        self.next_trade += 1
        filled = order.filled + quantity
        status = S.SUCCEEDED if filled == order.quantity else S.PART_SUCC
        if order.status.is_pending_cancel and status is S.PART_SUCC:
            status = S.PARTSUCC_CANCEL
        working.order = order.evolve(
            status=status,
            filled=filled,
            avg_price=(working.value / filled).quantize(Decimal("0.001")),
            fees=order.fees + fee,
            updated=self.now,
        )
        if order.side is Side.BUY:
            working.frozen = self._buy_reserve(working)
        self.index_order(working)
        self.trades_by_id[fill.trade_id] = fill
        self._new_trades.append(fill.trade_id)
        self._dirty_orders.add(order.client_order_id)
        self._dirty_holdings.add(order.symbol)
        self._pending += [
            TradeEvent(fill),
            OrderEvent(working.order),
            PositionEvent(self._position(order.symbol)),
            AccountEvent(self.account()),
        ]

    def _end(self, working: Working, reason: Reason, message: str) -> None:
        """Cancel what is left of an order (user cancel, IOC remainder, day end)."""
        order = working.order
        left = order.quantity - order.filled
        status = S.PART_CANCEL if order.filled else S.CANCELED
        working.order = order.evolve(
            status=status, reason=reason, message=message, updated=self.now
        )
        working.frozen = ZERO
        self.index_order(working)
        if order.side is Side.SELL and left:
            holding = self.holdings.setdefault(order.symbol, Holding())
            holding.frozen -= left
            self._dirty_holdings.add(order.symbol)
            self._pending.append(PositionEvent(self._position(order.symbol)))
        self._dirty_orders.add(order.client_order_id)
        self._pending += [OrderEvent(working.order), AccountEvent(self.account())]

    def index_order(self, working: Working) -> None:
        """Keep the per-symbol index of open orders (the ones quotes match) in step."""
        book = self._resting.setdefault(working.order.symbol, {})
        if working.order.is_active:
            book[working.order.client_order_id] = working
        else:
            book.pop(working.order.client_order_id, None)

    def _frozen(self) -> Decimal:
        """Cash held by open buys."""
        return sum((w.frozen for book in self._resting.values() for w in book.values()), ZERO)

    def _roll(self, day: dt.date) -> None:
        for book in list(self._resting.values()):
            for working in list(book.values()):
                self._end(working, Reason.DAY_ENDED, Reason.DAY_ENDED.message())
        for symbol, holding in self.holdings.items():
            holding.settled = holding.quantity
            holding.frozen = 0
            self._dirty_holdings.add(symbol)
        self.day = day

    def _commit(self) -> None:
        """Save what changed, then report it (the saved state never lags the events)."""
        if self.store is not None:
            self.store.save(self)
        self._dirty_orders.clear()
        self._dirty_holdings.clear()
        self._new_trades.clear()
        self._dirty_quotes.clear()
        events, self._pending = self._pending, []
        for event in events:
            self._emit_to(event)

    def dirty(self) -> tuple[set[str], set[str], list[str], set[str]]:
        """What changed since the last save: order ids, holdings, new trades, quotes."""
        return self._dirty_orders, self._dirty_holdings, self._new_trades, self._dirty_quotes


__all__ = ["Holding", "PaperConfig", "PaperEngine", "Working"]
