"""A simulated PTrade counter: PTrade's order API, run here over the paper engine.

PTrade has no network trading API: a strategy runs on the broker's intranet servers and
sees a set of functions (``order``, ``order_market``, ``cancel_order``, ``get_orders``,
``get_order``, ``get_trades``, ``get_positions`` …) plus two push callbacks,
``on_order_response(context, order_list)`` and ``on_trade_response(context,
trade_list)``. :class:`PTradeVenue` offers that function set with the same shapes, so
the ``ptrade`` broker (:mod:`quantlib.broker.ptrade.broker`) can be written and tested
against PTrade's semantics. Orders are matched by
:class:`~quantlib.broker.paper.engine.PaperEngine` under the exchanges' rules, so a
fill here is a fill in the paper broker.

The quirks an adapter has to live with are kept:

* order ids are the venue's own (``order`` returns them); our client order ids never
  reach PTrade, so the caller keeps the map;
* ``order``/``order_market`` return None when the order is refused; the refused order
  still exists, in status ``'9'`` with the reason in ``error_info``, and is pushed;
* pushes are lists, delivered synchronously while the call that caused them runs, i.e.
  usually *before* ``order`` has returned the id they carry;
* positions sync with a lag: PTrade refreshes them about every 6 s, so
  ``get_positions`` answers from a snapshot up to ``position_lag`` seconds old;
* codes are PTrade's (``600570.SS``, ``000001.SZ``); anything else
  :func:`~quantlib.market.symbols.normalize_symbol` reads is accepted coming in.

Items marked [V] are PTrade shapes not confirmed against a live PTrade.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from quantlib.broker.events import (
    BrokerEvent,
    CancelRejectedEvent,
    OrderEvent,
    TradeEvent,
)
from quantlib.broker.paper.engine import PaperConfig, PaperEngine
from quantlib.broker.ptrade.codes import to_ptrade_code
from quantlib.core.dates import now_shanghai
from quantlib.market.symbols import normalize_symbol
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus
from quantlib.model.trading import (
    ZERO,
    BrokerOrder,
    Fill,
    InvalidOrderError,
    OrderRequest,
    PriceType,
    Quote,
    as_price,
)

#: PTrade's live position sync interval, roughly (PTrade docs: positions lag ~6 s).
PTRADE_POSITION_LAG = 6.0

#: ``order_market``'s ``market_type`` values and the order types they stand for.
MARKET_TYPES: dict[int, PriceType] = {
    0: PriceType.COUNTERPARTY_BEST,
    1: PriceType.BEST5_LIMIT,
    2: PriceType.OWN_BEST,
    3: PriceType.IMMEDIATE_OR_CANCEL,
    4: PriceType.BEST5_CANCEL,
    5: PriceType.FILL_OR_KILL,
}
_MARKET_TYPE_OF = {price_type: code for code, price_type in MARKET_TYPES.items()}

_ERROR_INFO = re.compile(r"^\[QL(\d{3})\]\s?(.*)$", re.DOTALL)

OrderResponse = Callable[[object, list["VenueOrder"]], None]
TradeResponse = Callable[[object, list["VenueTrade"]], None]


def error_info(reason: Reason, message: str) -> str:
    """The venue's ``error_info`` text: ``[QLnnn] message`` (empty for no reason).

    [V] A live Hundsun counter writes its own error numbers and Chinese texts; this
    venue numbers its refusals by :class:`~quantlib.model.orders.Reason` so an adapter
    can tell them apart. A live adapter needs the counter's table instead.
    """
    if reason is Reason.NONE:
        return message
    return f"[QL{int(reason):03d}] {message}"


def reason_of(info: str) -> tuple[Reason, str]:
    """The reason and the plain message of an ``error_info`` text.

    Text without the venue's ``[QLnnn]`` prefix (or with an unknown number) is a
    broker rejection of no known kind.

    Examples
    --------
    >>> reason_of("[QL004] insufficient cash")
    (<Reason.INSUFFICIENT_CASH: 4>, 'insufficient cash')
    """
    found = _ERROR_INFO.match(info)
    if found is None:
        return (Reason.BROKER_REJECTED if info else Reason.NONE), info
    try:
        return Reason(int(found.group(1))), found.group(2)
    except ValueError:
        return Reason.BROKER_REJECTED, found.group(2)


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """An order as PTrade's ``get_order``/``get_orders`` and ``on_order_response``
    give it.

    ``amount`` and ``filled`` are signed (buys positive, sells negative); ``status`` is
    the Hundsun character ``'0'``..``'9'``; ``entrust_no`` the counter's contract
    number; ``limit`` the limit (a market order's protective price, or None);
    ``market_type`` the ``order_market`` type, None for limit orders [V];
    ``avg_price`` the average fill price [V]; ``error_info`` why it was rejected or
    ended.
    """

    id: str
    entrust_no: str
    symbol: str
    amount: int
    filled: int
    limit: Decimal | None
    status: str
    created: dt.datetime
    market_type: int | None = None
    avg_price: Decimal = ZERO
    error_info: str = ""

    @property
    def dt(self) -> dt.datetime:
        """When the order was placed (PTrade's name)."""
        return self.created

    @property
    def price(self) -> Decimal | None:
        """The order price (PTrade's name for the limit)."""
        return self.limit


@dataclass(frozen=True, slots=True)
class VenueTrade:
    """One fill as ``get_trades`` and ``on_trade_response`` give it.

    ``entrust_bs`` is ``'1'`` for a buy and ``'2'`` for a sell; ``business_amount``
    is unsigned; ``business_balance`` the traded value; ``fees`` what the fill cost
    [V: PTrade's trade push may carry no fee].
    """

    business_id: str
    order_id: str
    entrust_no: str
    security: str
    entrust_bs: str
    business_amount: int
    business_price: Decimal
    business_balance: Decimal
    business_time: dt.datetime
    fees: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class VenuePosition:
    """A holding as ``get_positions`` gives it: ``amount`` held, ``enable_amount``
    sellable now (T+1, less shares held by open sells), ``cost_basis`` per share with
    fees, ``last_sale_price`` (None before any quote)."""

    sid: str
    amount: int
    enable_amount: int
    cost_basis: Decimal
    last_sale_price: Decimal | None = None

    @property
    def today_amount(self) -> int:
        """Shares not sellable now."""
        return self.amount - self.enable_amount


@dataclass(frozen=True, slots=True)
class VenuePortfolio:
    """``context.portfolio``: available ``cash``, ``positions_value`` and
    ``total_value`` (cash held by open buys is in the total, not in ``cash``) [V]."""

    cash: Decimal
    positions_value: Decimal
    total_value: Decimal


class PTradeVenue:
    """PTrade's order API for one account, simulated over a paper engine.

    Parameters
    ----------
    config
        The account behind the counter (cash, fees, session rules, saved state).
    position_lag
        Seconds a ``get_positions`` answer may be old (PTrade: about
        :data:`PTRADE_POSITION_LAG`; 0 answers from the current state).
    monotonic
        The clock the lag is measured on (tests step it).

    Examples
    --------
    >>> venue = PTradeVenue(PaperConfig(cash=Decimal("100000")), position_lag=0)
    >>> venue.order("600000.SS", 100, Decimal("10.00")) is None  # no quote yet
    True
    >>> venue.get_orders()[0].status
    '9'
    """

    def __init__(
        self,
        config: PaperConfig,
        *,
        position_lag: float = PTRADE_POSITION_LAG,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], dt.datetime] = now_shanghai,
    ) -> None:
        self.config = config
        self.position_lag = position_lag
        self._monotonic = monotonic
        self._lock = threading.RLock()
        self._orders_out: list[VenueOrder] = []
        self._trades_out: list[VenueTrade] = []
        self._context: object = None
        self._on_order: OrderResponse | None = None
        self._on_trade: TradeResponse | None = None
        self._snapshot: dict[str, VenuePosition] | None = None
        self._snapshot_at = 0.0
        self._unpriced: list[VenueOrder] = []
        self.engine = PaperEngine(config, emit=self._from_engine, clock=clock)

    # ---- the strategy's callbacks --------------------------------------------------
    def attach(
        self,
        on_order_response: OrderResponse,
        on_trade_response: TradeResponse,
        context: object = None,
    ) -> None:
        """Start delivering pushes to a running strategy's two callbacks."""
        with self._lock:
            self._on_order = on_order_response
            self._on_trade = on_trade_response
            self._context = context

    def detach(self) -> None:
        """Stop delivering pushes (the strategy stopped); later pushes are lost."""
        with self._lock:
            self._on_order = None
            self._on_trade = None

    # ---- orders --------------------------------------------------------------------
    def order(self, security: str, amount: int, limit_price: Decimal | None = None) -> str | None:
        """A limit order for ``amount`` shares (negative sells); returns its id, or None
        when refused (the reason is in the order's ``error_info``, status ``'9'``).

        Without ``limit_price`` the limit is the latest price, as in PTrade (this is
        not a market order).
        """
        symbol = normalize_symbol(security)
        if limit_price is None:
            quote = self.engine.quotes.get(symbol)
            limit_price = quote.last if quote is not None else None
        return self._send(symbol, amount, PriceType.LIMIT, limit_price)

    def order_market(
        self,
        security: str,
        amount: int,
        market_type: int,
        limit_price: Decimal | None = None,
    ) -> str | None:
        """A market order of ``market_type`` (see :data:`MARKET_TYPES`); Shanghai needs
        the protective ``limit_price``. Returns the id, or None when refused."""
        if market_type not in MARKET_TYPES:
            raise InvalidOrderError(
                f"market_type {market_type!r} is not one of {sorted(MARKET_TYPES)}"
            )
        symbol = normalize_symbol(security)
        return self._send(symbol, amount, MARKET_TYPES[market_type], limit_price)

    def cancel_order(self, order_id: str) -> None:
        """Ask to cancel; the outcome is pushed (cancelled, or the order unchanged with
        the refusal in ``error_info``) [V: how PTrade reports a refused cancel]."""
        with self._lock:
            self.engine.cancel(order_id)
        self._flush()

    def _send(
        self, symbol: str, amount: int, price_type: PriceType, limit_price: Decimal | None
    ) -> str | None:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
            raise InvalidOrderError(f"amount must be a non-zero whole number, got {amount!r}")
        order_id = uuid.uuid4().hex[:24]
        side = Side.BUY if amount > 0 else Side.SELL
        if limit_price is None and not price_type.is_market:
            self._refuse_unpriced(symbol, amount, order_id)
            return None
        request = OrderRequest(
            symbol,
            side,
            abs(amount),
            price_type,
            None if limit_price is None else as_price(limit_price),
            order_id,
        )
        with self._lock:
            placed = self.engine.place(request)
        self._flush()
        return None if placed.status is BrokerOrderStatus.JUNK else order_id

    def _refuse_unpriced(self, symbol: str, amount: int, order_id: str) -> None:
        """A limit order with no price given and no quote to take one from.

        The counter never sees it, so it is kept here (in memory) and pushed as
        refused.
        """
        with self._lock:
            refused = VenueOrder(
                id=order_id,
                entrust_no="",
                symbol=to_ptrade_code(symbol),
                amount=amount,
                filled=0,
                limit=None,
                status=BrokerOrderStatus.JUNK.value,
                created=self.engine.now,
                error_info=error_info(
                    Reason.NO_PRICE, f"no price for {to_ptrade_code(symbol)}: pass limit_price"
                ),
            )
            self._unpriced.append(refused)
            self._orders_out.append(refused)
        self._flush()

    # ---- queries -------------------------------------------------------------------
    def get_orders(self) -> list[VenueOrder]:
        """Today's orders, oldest first."""
        with self._lock:
            day = self._today()
            placed = [
                self._venue_order(order)
                for order in self.engine.orders()
                if order.created.date() == day
            ]
            return placed + [order for order in self._unpriced if order.created.date() == day]

    def get_order(self, order_id: str) -> VenueOrder | None:
        """One order by id, or None [V: PTrade returns it in a one-item list]."""
        with self._lock:
            order = self.engine.order(order_id)
            if order is not None:
                return self._venue_order(order)
            return next((o for o in self._unpriced if o.id == order_id), None)

    def get_trades(self) -> list[VenueTrade]:
        """Today's fills in the order they happened [V: PTrade groups them by order]."""
        with self._lock:
            day = self._today()
            return [
                self._venue_trade(fill) for fill in self.engine.trades() if fill.time.date() == day
            ]

    def get_positions(self) -> dict[str, VenuePosition]:
        """Positions held, by PTrade code, as of the last sync (at most
        :attr:`position_lag` seconds ago)."""
        with self._lock:
            now = self._monotonic()
            if self._snapshot is None or now - self._snapshot_at >= self.position_lag:
                self._snapshot = {
                    to_ptrade_code(p.symbol): VenuePosition(
                        sid=to_ptrade_code(p.symbol),
                        amount=p.quantity,
                        enable_amount=p.sellable,
                        cost_basis=p.avg_cost,
                        last_sale_price=p.last_price,
                    )
                    for p in self.engine.positions()
                }
                self._snapshot_at = now
            return dict(self._snapshot)

    def get_portfolio(self) -> VenuePortfolio:
        """Cash and totals now (``context.portfolio``)."""
        with self._lock:
            account = self.engine.account()
        return VenuePortfolio(account.cash, account.market_value, account.total_asset)

    # ---- the market and the counter ------------------------------------------------
    def on_quote(self, quote: Quote) -> None:
        """A market quote: resting orders of its symbol match against it."""
        with self._lock:
            self.engine.on_quote(quote)
        self._flush()

    def start_day(self, day: dt.date) -> None:
        """Begin trading day ``day``: yesterday's open orders expire, buys settle."""
        with self._lock:
            self.engine.start_day(day)
        self._flush()

    def set_position(self, security: str, amount: int, cost_basis: Decimal) -> None:
        """Seed a sellable holding (PTrade's ``set_yesterday_position``)."""
        with self._lock:
            self.engine.set_position(security, amount, cost_basis)
            self._snapshot = None
        self._flush()

    def close(self) -> None:
        """Stop pushing and close the saved state."""
        self.detach()
        if self.engine.store is not None:
            self.engine.store.close()

    # ---- inside --------------------------------------------------------------------
    def _today(self) -> dt.date:
        return self.engine.day or self.engine.now.date()

    def _from_engine(self, event: BrokerEvent) -> None:
        """Collect the engine's reports as pushes (under the venue's lock)."""
        if isinstance(event, OrderEvent):
            self._orders_out.append(self._venue_order(event.order))
        elif isinstance(event, TradeEvent):
            self._trades_out.append(self._venue_trade(event.fill))
        elif isinstance(event, CancelRejectedEvent):
            order = self.engine.order(event.client_order_id)
            if order is not None:
                self._orders_out.append(
                    self._venue_order(order, error_info(event.reason, event.message))
                )

    def _flush(self) -> None:
        """Deliver what was collected: trades first, then orders, each as one list."""
        with self._lock:
            orders, self._orders_out = self._orders_out, []
            trades, self._trades_out = self._trades_out, []
            on_order, on_trade, context = self._on_order, self._on_trade, self._context
        if trades and on_trade is not None:
            on_trade(context, trades)
        if orders and on_order is not None:
            on_order(context, orders)

    @staticmethod
    def _venue_order(order: BrokerOrder, info: str | None = None) -> VenueOrder:
        sign = 1 if order.side is Side.BUY else -1
        return VenueOrder(
            id=order.client_order_id,
            entrust_no=order.broker_order_id,
            symbol=to_ptrade_code(order.symbol),
            amount=sign * order.quantity,
            filled=sign * order.filled,
            limit=order.limit_price,
            status=order.status.value,
            created=order.created,
            market_type=_MARKET_TYPE_OF.get(order.price_type),
            avg_price=order.avg_price,
            error_info=error_info(order.reason, order.message) if info is None else info,
        )

    def _venue_trade(self, fill: Fill) -> VenueTrade:
        order = self.engine.order(fill.client_order_id)
        return VenueTrade(
            business_id=fill.trade_id,
            order_id=fill.client_order_id,
            entrust_no=order.broker_order_id if order is not None else fill.broker_order_id,
            security=to_ptrade_code(fill.symbol),
            entrust_bs="1" if fill.side is Side.BUY else "2",
            business_amount=fill.quantity,
            business_price=fill.price,
            business_balance=fill.amount,
            business_time=fill.time,
            fees=fill.fees,
        )


__all__ = [
    "MARKET_TYPES",
    "PTRADE_POSITION_LAG",
    "PTradeVenue",
    "VenueOrder",
    "VenuePortfolio",
    "VenuePosition",
    "VenueTrade",
    "error_info",
    "reason_of",
]
