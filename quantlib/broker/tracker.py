"""The orders of one broker connection: their states, fills and the events they raise.

Every broker adapter keeps its orders in an :class:`OrderTracker`. It applies status
reports through the state machine of :mod:`quantlib.model.status` (duplicates and stale
reports are dropped silently, impossible ones become a
:class:`~quantlib.broker.events.BrokerNotice`), counts each trade id once, and keeps
the map from the broker's order ids to our client order ids, so a push is matched to its
order whichever id it carries. It is thread-safe; events are emitted outside its lock.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from quantlib.broker.errors import UnknownOrderError
from quantlib.broker.events import (
    BrokerEvent,
    CancelRejectedEvent,
    EventSink,
    NoticeKind,
    OrderEvent,
    TradeEvent,
    notice,
)
from quantlib.broker.ids import check_client_order_id, new_client_order_id
from quantlib.core.dates import now_shanghai
from quantlib.model.orders import Reason
from quantlib.model.status import (
    BrokerOrderStatus,
    InvalidTransitionError,
    Verdict,
    advance,
    after_fill,
)
from quantlib.model.trading import (
    PRICE_QUANTUM,
    ZERO,
    BrokerOrder,
    Fill,
    InvalidOrderError,
    OrderRequest,
)

S = BrokerOrderStatus


class OrderTracker:
    """Orders by client order id, with the broker-id map and the trades seen."""

    def __init__(self, emit: EventSink, clock: Callable[[], dt.datetime] = now_shanghai) -> None:
        self._emit = emit
        self._clock = clock
        self._lock = threading.RLock()
        self._orders: dict[str, BrokerOrder] = {}
        self._by_broker_id: dict[str, str] = {}
        self._trades: dict[str, Fill] = {}
        self._filled_value: dict[str, Decimal] = {}
        self._traded: dict[str, int] = {}

    # ---- reading -------------------------------------------------------------------
    def get(self, client_order_id: str) -> BrokerOrder:
        """The order, or :class:`UnknownOrderError`."""
        with self._lock:
            order = self._orders.get(client_order_id)
        if order is None:
            raise UnknownOrderError(f"no order with client order id {client_order_id!r}")
        return order

    def find(self, client_order_id: str = "", broker_order_id: str = "") -> BrokerOrder | None:
        """The order known by either id, or None."""
        with self._lock:
            if not client_order_id and broker_order_id:
                client_order_id = self._by_broker_id.get(broker_order_id, "")
            return self._orders.get(client_order_id)

    def orders(self) -> list[BrokerOrder]:
        """All orders, oldest first."""
        with self._lock:
            return list(self._orders.values())

    def active(self) -> list[BrokerOrder]:
        """Orders that can still fill."""
        return [order for order in self.orders() if order.is_active]

    def trades(self) -> list[Fill]:
        """All fills seen, in arrival order."""
        with self._lock:
            return list(self._trades.values())

    def has_trade(self, trade_id: str) -> bool:
        """Whether a fill with this trade id was counted."""
        with self._lock:
            return trade_id in self._trades

    # ---- changing ------------------------------------------------------------------
    def add(
        self,
        request: OrderRequest,
        status: BrokerOrderStatus = S.UNREPORTED,
        *,
        emit: bool = True,
    ) -> BrokerOrder:
        """Start tracking a new order; assigns the client order id if it has none."""
        client_id = check_client_order_id(request.client_order_id or new_client_order_id())
        now = self._clock()
        order = BrokerOrder(
            client_order_id=client_id,
            symbol=request.symbol,
            side=request.side,
            quantity=request.quantity,
            price_type=request.price_type,
            limit_price=request.limit_price,
            status=status,
            created=now,
            updated=now,
            strategy=request.strategy,
        )
        with self._lock:
            if client_id in self._orders:
                raise InvalidOrderError(f"client order id {client_id!r} is already in use")
            self._orders[client_id] = order
        if emit:
            self._emit(OrderEvent(order))
        return order

    def adopt(self, order: BrokerOrder, fills: list[Fill] | None = None) -> None:
        """Take an order (and its fills) as the broker reports them, e.g. after a restart.

        An order already tracked is brought forward through the state machine instead.
        """
        with self._lock:
            known = order.client_order_id in self._orders
            if not known:
                self._orders[order.client_order_id] = order
                if order.broker_order_id:
                    self._by_broker_id[order.broker_order_id] = order.client_order_id
                own = [fill for fill in fills or [] if fill.trade_id not in self._trades]
                for fill in own:
                    self._trades[fill.trade_id] = fill
                if own:
                    self._traded[order.client_order_id] = sum(f.quantity for f in own)
                    self._filled_value[order.client_order_id] = sum((f.amount for f in own), ZERO)
        if known:
            if order.broker_order_id:
                self.link(order.client_order_id, order.broker_order_id)
            self.report(order.client_order_id, order.status, order.filled, message=order.message)

    def link(self, client_order_id: str, broker_order_id: str) -> BrokerOrder | None:
        """Record the broker's id for an order (its acknowledgement)."""
        with self._lock:
            order = self._orders.get(client_order_id)
            if order is None or not broker_order_id:
                return order
            self._by_broker_id[broker_order_id] = client_order_id
            if order.broker_order_id == broker_order_id:
                return order
            order = order.evolve(broker_order_id=broker_order_id)
            self._orders[client_order_id] = order
            return order

    def report(
        self,
        client_order_id: str,
        status: BrokerOrderStatus,
        filled: int | None = None,
        *,
        reason: Reason | None = None,
        message: str = "",
    ) -> BrokerOrder | None:
        """Apply a status report; returns the order when it changed, else None.

        ``filled`` defaults to what is known (a report that says nothing of fills).
        """
        events: list[BrokerEvent] = []
        with self._lock:
            order = self._orders.get(client_order_id)
            if order is None:
                events.append(
                    notice(
                        NoticeKind.UNKNOWN_ORDER,
                        f"status {S(status).name} reported for unknown order {client_order_id!r}",
                        client_order_id,
                    )
                )
                changed = None
            else:
                changed = self._apply(order, S(status), filled, reason, message, events)
        self._send(events)
        return changed

    def _apply(
        self,
        order: BrokerOrder,
        status: BrokerOrderStatus,
        filled: int | None,
        reason: Reason | None,
        message: str,
        events: list[BrokerEvent],
    ) -> BrokerOrder | None:
        reported_filled = order.filled if filled is None else filled
        try:
            step = advance(order.status, order.filled, order.quantity, status, reported_filled)
        except InvalidTransitionError as error:
            events.append(
                notice(
                    NoticeKind.INVALID_REPORT,
                    f"order {order.client_order_id} ({order.symbol}): {error}",
                    order.client_order_id,
                )
            )
            return None
        if step.verdict is not Verdict.APPLY:
            return None
        if reason is None:
            reason = order.reason
            if step.status is S.JUNK and reason is Reason.NONE:
                reason = Reason.BROKER_REJECTED
            cancelled = step.status in (S.CANCELED, S.PART_CANCEL)
            if cancelled and order.status.is_pending_cancel and reason is Reason.NONE:
                reason = Reason.CANCELLED_BY_USER
        changed = order.evolve(
            status=step.status,
            filled=step.filled,
            updated=self._clock(),
            reason=reason,
            message=message or order.message,
        )
        self._orders[order.client_order_id] = changed
        events.append(OrderEvent(changed))
        return changed

    def reject(self, client_order_id: str, reason: Reason, message: str = "") -> BrokerOrder | None:
        """Mark an order rejected (废单) with its reason."""
        return self.report(client_order_id, S.JUNK, 0, reason=reason, message=message)

    def cancel_requested(self, client_order_id: str) -> BrokerOrder | None:
        """Move an open order to its pending-cancel state."""
        order = self.get(client_order_id)
        pending = S.PARTSUCC_CANCEL if order.filled else S.REPORTED_CANCEL
        return self.report(client_order_id, pending)

    def cancel_rejected(
        self, client_order_id: str, reason: Reason, message: str = ""
    ) -> BrokerOrder | None:
        """A cancel was refused: the order returns from pending cancel to where it was."""
        events: list[BrokerEvent] = [CancelRejectedEvent(client_order_id, reason, message)]
        changed = None
        with self._lock:
            order = self._orders.get(client_order_id)
            if order is not None and order.status.is_pending_cancel:
                back = S.PART_SUCC if order.filled else S.REPORTED
                changed = order.evolve(status=back, updated=self._clock())
                self._orders[client_order_id] = changed
                events.append(OrderEvent(changed))
        self._send(events)
        return changed

    def fill(self, fill: Fill) -> bool:
        """Count a fill once per trade id; returns False for a duplicate or a refused one.

        The order's filled quantity, average price and fees follow, and its state moves
        to partly filled or filled.
        """
        events: list[BrokerEvent] = []
        with self._lock:
            if fill.trade_id in self._trades:
                return False
            order = self._orders.get(fill.client_order_id)
            if order is None:
                order = self.find(broker_order_id=fill.broker_order_id)
            if order is not None:
                traded = self._traded.get(order.client_order_id, 0) + fill.quantity
                if traded > order.quantity or order.status is S.JUNK:
                    events.append(
                        notice(
                            NoticeKind.INVALID_REPORT,
                            f"trade {fill.trade_id} of {fill.quantity} would overfill order "
                            f"{order.client_order_id} ({traded - fill.quantity} of "
                            f"{order.quantity} traded, {order.status.name}); not counted",
                            order.client_order_id,
                        )
                    )
                    self._send(events)
                    return False
                if fill.client_order_id != order.client_order_id:
                    fill = replace(fill, client_order_id=order.client_order_id)
            self._trades[fill.trade_id] = fill
            events.append(TradeEvent(fill))
            if order is None:
                events.append(
                    notice(
                        NoticeKind.UNKNOWN_ORDER,
                        f"trade {fill.trade_id} ({fill.symbol} {fill.side} {fill.quantity}) "
                        "for an order placed elsewhere",
                        fill.client_order_id,
                    )
                )
            else:
                value = self._filled_value.get(order.client_order_id, ZERO) + fill.amount
                self._filled_value[order.client_order_id] = value
                self._traded[order.client_order_id] = traded
                filled = max(order.filled, traded)
                status = order.status
                if filled > order.filled:
                    status = after_fill(order.status, filled, order.quantity)
                    if order.status is S.CANCELED:
                        status = S.PART_CANCEL
                changed = order.evolve(
                    filled=filled,
                    status=status,
                    avg_price=(value / traded).quantize(PRICE_QUANTUM),
                    fees=order.fees + fill.fees,
                    updated=self._clock(),
                )
                self._orders[order.client_order_id] = changed
                events.append(OrderEvent(changed))
        self._send(events)
        return True

    def _send(self, events: list[BrokerEvent]) -> None:
        for event in events:
            self._emit(event)


__all__ = ["OrderTracker"]
