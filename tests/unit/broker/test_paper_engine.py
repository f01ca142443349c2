"""The paper venue's A-share rules, market-order types, fees and saved state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from quantlib.broker.errors import BrokerStateError
from quantlib.broker.events import EventQueue
from quantlib.broker.paper.broker import PaperBroker
from quantlib.broker.paper.engine import PaperConfig, PaperEngine
from quantlib.broker.paper.replay import replay_bars
from quantlib.data.store import open_store
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus as S
from quantlib.model.trading import OrderRequest, PriceType, Quote
from tests.integration.broker.harness import DAY, at, quote

P = Decimal


def engine(**settings: object) -> PaperEngine:
    venue = PaperEngine(PaperConfig(**settings), emit=EventQueue())  # type: ignore[arg-type]
    venue.set_position("600000.SH", 1050, P("10"))
    venue.set_position("688001.SH", 450, P("50"))
    return venue


def book(
    symbol: str, moment: dt.datetime, asks: list[tuple[str, int]], pre: str = "10.00"
) -> Quote:
    base = quote(symbol, moment, asks[0][0], pre_close=pre)
    return Quote(
        symbol,
        moment,
        base.last,
        base.pre_close,
        bids=((P(asks[0][0]) - P("0.01"), 5000),),
        asks=tuple((P(price), size) for price, size in asks),
        up_limit=base.up_limit,
        down_limit=base.down_limit,
    )


def place(
    venue: PaperEngine,
    symbol: str,
    side: str,
    quantity: int,
    price: str | None,
    price_type: PriceType = PriceType.LIMIT,
) -> tuple[S, Reason, int]:
    order = venue.place(
        OrderRequest(symbol, Side(side), quantity, price_type, P(price) if price else None)
    )
    return order.status, order.reason, order.filled


@pytest.mark.parametrize(
    ("symbol", "side", "quantity", "price", "reason"),
    [
        ("600000.SH", "buy", 150, "10.01", Reason.NOT_ON_LOT_GRID),
        ("600000.SH", "buy", 1_000_100, "10.01", Reason.ORDER_SIZE_CAP),
        ("688001.SH", "buy", 150, "50.00", Reason.NOT_ON_LOT_GRID),  # STAR: 200 minimum
        ("600000.SH", "sell", 30, "9.99", Reason.NOT_ON_LOT_GRID),  # odd lot must go whole
        ("600000.SH", "buy", 100, "10.005", Reason.PRICE_OFF_TICK),
        ("600000.SH", "buy", 100, "11.01", Reason.PRICE_OUTSIDE_LIMITS),
        ("600000.SH", "buy", 100, "10.30", Reason.PRICE_CAGE),  # > max(2%, 10 ticks) of ask
        ("600000.SH", "sell", 100, "9.70", Reason.PRICE_CAGE),
        ("000001.SZ", "sell", 100, "10.00", Reason.NO_POSITION),
        ("000300.SH", "buy", 100, "10.00", Reason.UNKNOWN_SYMBOL),
    ],
)
def test_orders_breaking_a_rule_are_rejected_with_the_rule(
    symbol: str, side: str, quantity: int, price: str, reason: Reason
) -> None:
    venue = engine()
    for code in ("600000.SH", "688001.SH", "000001.SZ", "000300.SH"):
        venue.on_quote(
            quote(
                code,
                at(DAY, 10, 0),
                "50.00" if code.startswith("688") else "10.00",
                pre_close="50.00" if code.startswith("688") else "10.00",
            )
        )
    status, got, _ = place(venue, symbol, side, quantity, price)
    assert (status, got) == (S.JUNK, reason)


def test_the_odd_lot_remainder_sells_in_one_order() -> None:
    venue = engine()
    venue.on_quote(quote("600000.SH", at(DAY, 10, 0), "10.00"))
    assert place(venue, "600000.SH", "sell", 1050, "9.99")[0] is S.SUCCEEDED


@pytest.mark.parametrize(
    ("moment", "reason"),
    [(dt.time(9, 27), Reason.MARKET_CLOSED), (dt.time(15, 2), Reason.MARKET_CLOSED)],
)
def test_orders_outside_the_sessions_are_refused(moment: dt.time, reason: Reason) -> None:
    venue = engine()
    venue.on_quote(
        quote("600000.SH", dt.datetime.combine(DAY, moment, at(DAY, 0, 0).tzinfo), "10.00")
    )
    assert place(venue, "600000.SH", "buy", 100, "10.01")[:2] == (S.JUNK, reason)


def test_cancels_in_the_closing_auction_are_refused() -> None:
    events = EventQueue()
    venue = PaperEngine(PaperConfig(), emit=events)
    venue.on_quote(quote("600000.SH", at(DAY, 14, 0), "10.00"))
    order = venue.place(OrderRequest("600000.SH", Side.BUY, 100, limit_price=P("9.90")))
    venue.on_quote(quote("600000.SH", at(DAY, 14, 58), "10.00"))
    venue.cancel(order.client_order_id)
    assert venue.order(order.client_order_id).status is S.REPORTED  # type: ignore[union-attr]
    assert any(getattr(e, "reason", None) is Reason.CANCEL_NOT_ALLOWED for e in events.drain())


def test_shanghai_market_orders_need_a_protective_price_and_sz_types_stay_in_sz() -> None:
    venue = engine()
    venue.on_quote(quote("600000.SH", at(DAY, 10, 0), "10.00"))
    assert place(venue, "600000.SH", "buy", 100, None, PriceType.BEST5_CANCEL)[1] is (
        Reason.PROTECTIVE_PRICE_REQUIRED
    )
    assert place(venue, "600000.SH", "buy", 100, "10.10", PriceType.FILL_OR_KILL)[1] is (
        Reason.PRICE_TYPE_NOT_ON_EXCHANGE
    )


def test_best_five_fills_across_levels_and_cancels_the_rest() -> None:
    venue = engine()
    venue.on_quote(book("600000.SH", at(DAY, 10, 0), [("10.01", 200), ("10.02", 300)]))
    order = venue.place(
        OrderRequest("600000.SH", Side.BUY, 800, PriceType.BEST5_CANCEL, P("10.05"))
    )
    assert (order.status, order.filled, order.avg_price) == (S.PART_CANCEL, 500, P("10.016"))
    assert order.reason is Reason.IMMEDIATE_OR_CANCEL


def test_fill_or_kill_without_depth_fills_nothing() -> None:
    venue = engine()
    venue.on_quote(book("000001.SZ", at(DAY, 10, 0), [("10.01", 200)]))
    order = venue.place(OrderRequest("000001.SZ", Side.BUY, 300, PriceType.FILL_OR_KILL))
    assert (order.status, order.filled, order.reason) == (S.CANCELED, 0, Reason.FILL_OR_KILL)


def test_counterparty_best_rests_the_remainder_at_its_price() -> None:
    venue = engine()
    venue.on_quote(book("600000.SH", at(DAY, 10, 0), [("10.01", 200), ("10.02", 300)]))
    order = venue.place(
        OrderRequest("600000.SH", Side.BUY, 500, PriceType.COUNTERPARTY_BEST, P("10.10"))
    )
    assert (order.status, order.filled) == (S.PART_SUCC, 200)
    assert venue.orders_by_id[order.client_order_id].price == P("10.01")


def test_fees_charge_the_minimum_commission_once_per_order() -> None:
    venue = engine()
    venue.on_quote(book("600000.SH", at(DAY, 10, 0), [("10.00", 100), ("10.01", 100)]))
    order = venue.place(OrderRequest("600000.SH", Side.BUY, 200, limit_price=P("10.01")))
    fees = [t.fees for t in venue.trades()]
    # 2,001 yuan traded: commission 5.00 (minimum), transfer fee 0.02 in all
    assert order.fees == sum(fees) == P("5.02")


def test_saved_state_is_restored_and_another_account_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite"
    first = PaperEngine(PaperConfig(state_path=path), emit=EventQueue())
    first.on_quote(quote("600000.SH", at(DAY, 10, 0), "10.00"))
    first.place(OrderRequest("600000.SH", Side.BUY, 300, limit_price=P("10.01")))
    first.place(OrderRequest("600000.SH", Side.BUY, 100, limit_price=P("9.80")))
    again = PaperEngine(PaperConfig(state_path=path), emit=EventQueue())
    assert again.account() == first.account()
    assert again.orders() == first.orders() and again.trades() == first.trades()
    assert again.positions() == first.positions()
    with pytest.raises(BrokerStateError, match="holds paper account 'paper'"):
        PaperEngine(PaperConfig(state_path=path, account_id="other"), emit=EventQueue())


def test_paper_trading_over_replayed_bars_fills_within_the_participation_cap(
    demo_store: Path,
) -> None:
    store = open_store(demo_store)
    symbol = str(store.bars(None, "2025-07-01", "2025-07-01", ["close"])["symbol"].values[0])
    events = EventQueue()
    broker = PaperBroker(PaperConfig(participation=P("0.01")), events=events)
    broker.connect()
    quotes = list(replay_bars(store, [symbol], "2025-07-01", "2025-07-10"))
    broker.feed(quotes[0])
    limit = (quotes[0].last * P("1.01")).quantize(P("0.01"))
    order = broker.place_order(OrderRequest(symbol, Side.BUY, 100, limit_price=limit))
    for item in quotes[1:]:
        broker.feed(item)
    done = broker.tracker.get(order.client_order_id)
    assert done.filled == 100 and done.status is S.SUCCEEDED
    assert all(t.price <= limit for t in broker.query_trades() or [])
