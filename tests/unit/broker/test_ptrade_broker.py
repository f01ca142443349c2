"""The ptrade broker's own behaviour: its order id map, PTrade codes, refusals, lag."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from quantlib.broker.events import EventQueue, OrderEvent
from quantlib.broker.paper.engine import PaperConfig
from quantlib.broker.ptrade.broker import PTradeBroker, PTradeConfig
from quantlib.broker.ptrade.venue import PTradeVenue, VenueOrder
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus as S
from quantlib.model.trading import OrderRequest
from tests.integration.broker.harness import DAY, at, quote

CASH = Decimal("1000000")


def opened(path: Path | None, events: EventQueue) -> PTradeBroker:
    broker = PTradeBroker(PTradeConfig(cash=CASH, state_path=path, position_lag=0), events=events)
    broker.connect()
    return broker


def test_restarted_broker_matches_pushes_to_orders_through_the_saved_id_map(
    tmp_path: Path,
) -> None:
    first = opened(tmp_path / "ptrade.sqlite", EventQueue())
    first.feed(quote("600000.SH", at(DAY, 10, 0), "10.00"))
    placed = first.place_order(
        OrderRequest("600000.SH", Side.BUY, 300, limit_price=Decimal("9.95"), strategy="ma")
    )
    ptrade_id = placed.broker_order_id
    first.close()

    events = EventQueue()
    restarted = opened(tmp_path / "ptrade.sqlite", events)
    [order] = restarted.query_orders() or []
    restarted.feed(quote("600000.SH", at(DAY, 10, 5), "9.93", ask="9.94"))

    assert (order.client_order_id, order.broker_order_id) == (placed.client_order_id, ptrade_id)
    assert (order.status, order.strategy) == (S.REPORTED, "ma")
    assert ptrade_id != placed.client_order_id
    done = events.wait_for(lambda e: isinstance(e, OrderEvent) and e.order.status is S.SUCCEEDED, 1)
    assert isinstance(done, OrderEvent)
    assert done.order.client_order_id == placed.client_order_id
    restarted.close()


def test_orders_and_positions_use_ptrade_codes_at_the_venue_and_ours_inside() -> None:
    broker = opened(None, EventQueue())
    broker.venue.set_position("600000.SS", 1000, Decimal("10.00"))
    broker.feed(quote("600000.SS", at(DAY, 10, 0), "10.00"))

    placed = broker.place_order(
        OrderRequest("600000.SS", Side.SELL, 200, limit_price=Decimal("10.50"))
    )

    [venue_order] = broker.venue.get_orders()
    assert (venue_order.symbol, venue_order.amount, venue_order.status) == ("600000.SS", -200, "2")
    assert placed.symbol == "600000.SH"
    assert list(broker.venue.get_positions()) == ["600000.SS"]
    [position] = broker.query_positions() or []
    assert (position.symbol, position.quantity, position.sellable) == ("600000.SH", 1000, 800)


def test_refused_order_returns_none_and_the_broker_takes_the_reason_from_status_9() -> None:
    pushed: list[VenueOrder] = []
    venue = PTradeVenue(PaperConfig(cash=CASH), position_lag=0)
    venue.attach(lambda _context, orders: pushed.extend(orders), lambda _context, _trades: None)
    venue.on_quote(quote("600000.SH", at(DAY, 10, 0), "10.00"))

    assert venue.order("600000.SS", 100, Decimal("11.50")) is None
    [refused] = pushed
    assert refused.status == "9" and "11.5" in refused.error_info
    assert venue.get_order(refused.id) == refused

    broker = PTradeBroker(PTradeConfig(cash=CASH, position_lag=0), events=EventQueue())
    broker.connect()
    broker.feed(quote("600000.SH", at(DAY, 10, 0), "10.00"))
    order = broker.place_order(
        OrderRequest("600000.SH", Side.BUY, 100, limit_price=Decimal("11.50"))
    )
    assert (order.status, order.reason) == (S.JUNK, Reason.PRICE_OUTSIDE_LIMITS)
    assert order.broker_order_id and "11.5" in order.message


def test_positions_lag_behind_fills_until_the_next_sync() -> None:
    now = [0.0]
    venue = PTradeVenue(PaperConfig(cash=CASH), position_lag=6.0, monotonic=lambda: now[0])
    venue.on_quote(quote("600000.SH", at(DAY, 10, 0), "10.00"))
    assert venue.get_positions() == {}

    assert venue.order("600000.SS", 200, Decimal("10.02")) is not None
    now[0] = 5.9
    stale = venue.get_positions()
    now[0] = 6.0
    synced = venue.get_positions()

    assert stale == {}
    assert synced["600000.SS"].amount == 200
