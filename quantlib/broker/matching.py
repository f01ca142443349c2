"""Matching an order against a level-1 quote, as the paper broker and the MiniQMT
simulator do.

A quote offers two kinds of liquidity. *Taking*: an order that crosses the book takes
the opposite levels at their prices, up to their sizes. *Passive*: a resting order
whose price the market traded through (last strictly better than its limit) fills at
its own price, up to ``participation`` x the volume traded since the previous quote.
Trading *at* the limit gives nothing (the queue ahead is unknown). With no book at all
(bars replayed) the last price stands in for both sides, except at limit-up for buys
and limit-down for sells. Liquidity is consumed as orders fill, so two orders never
take the same shares. Market-order types follow the exchanges: best-5 and IOC cancel
what they cannot fill at once, fill-or-kill fills in full or not at all, best-5-then-
limit and counter-party best rest the remainder at their last price, own-best rests
at the own side's best price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from quantlib.market.boards import LOT_RULES, Board
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.trading import PriceType, Quote

_LEVELS = {
    PriceType.BEST5_CANCEL: 5,
    PriceType.BEST5_LIMIT: 5,
    PriceType.COUNTERPARTY_BEST: 1,
    PriceType.IMMEDIATE_OR_CANCEL: 5,
    PriceType.FILL_OR_KILL: 5,
}


@dataclass
class Level:
    """One price level of a quote and the shares left on it."""

    price: Decimal
    size: int


@dataclass
class Liquidity:
    """What one quote offers; :func:`match` consumes it."""

    quote: Quote
    asks: list[Level]
    bids: list[Level]
    passive: int

    @classmethod
    def of(cls, quote: Quote, previous_volume: int | None, participation: Decimal) -> Liquidity:
        """The liquidity of ``quote``; ``previous_volume`` is the day's volume at the
        symbol's previous quote (None: unknown, so nothing trades passively)."""
        traded = 0 if previous_volume is None else max(0, quote.volume - previous_volume)
        passive = int(participation * traded)
        book = bool(quote.asks or quote.bids)
        asks = [Level(price, size) for price, size in quote.asks]
        bids = [Level(price, size) for price, size in quote.bids]
        if not book and passive:
            if quote.up_limit is None or quote.last < quote.up_limit:
                asks = [Level(quote.last, passive)]
            if quote.down_limit is None or quote.last > quote.down_limit:
                bids = [Level(quote.last, passive)]
        return cls(quote, asks, bids, passive if book else 0)


@dataclass
class Match:
    """The outcome for one order: fills ``(price, shares)``, and either the reason the
    rest is cancelled or the price it rests at from now on."""

    fills: list[tuple[Decimal, int]] = field(default_factory=list)
    cancel_rest: Reason | None = None
    rest_price: Decimal | None = None

    @property
    def quantity(self) -> int:
        """Shares filled."""
        return sum(quantity for _, quantity in self.fills)


def _round(quantity: int, remaining: int, side: Side, board: Board) -> int:
    if quantity >= remaining or side is Side.SELL:
        return min(quantity, remaining)
    step = LOT_RULES[board].buy_step
    return quantity - quantity % step


def _take(
    levels: list[Level],
    side: Side,
    bound: Decimal | None,
    depth: int,
    remaining: int,
    board: Board,
) -> list[tuple[Decimal, int]]:
    fills: list[tuple[Decimal, int]] = []
    for level in levels[:depth]:
        price, size = level.price, level.size
        if bound is not None and (price > bound if side is Side.BUY else price < bound):
            break
        quantity = _round(min(size, remaining), remaining, side, board)
        if quantity <= 0:
            continue
        level.size = size - quantity
        fills.append((price, quantity))
        remaining -= quantity
        if not remaining:
            break
    return fills


def _available(levels: list[Level], side: Side, bound: Decimal | None, depth: int) -> int:
    total = 0
    for level in levels[:depth]:
        if bound is not None and (level.price > bound if side is Side.BUY else level.price < bound):
            break
        total += level.size
    return total


def match(
    side: Side,
    price_type: PriceType,
    price: Decimal | None,
    remaining: int,
    liquidity: Liquidity,
    board: Board,
    *,
    arriving: bool,
) -> Match:
    """Match one order's ``remaining`` shares against ``liquidity``.

    ``price`` is the limit (or the market order's protective price, or None);
    ``arriving`` is True on the order's first pass, when market orders execute.
    Resting orders are passed as :attr:`PriceType.LIMIT` at their resting price.
    """
    contra = liquidity.asks if side is Side.BUY else liquidity.bids
    if price_type is PriceType.LIMIT or not arriving:
        assert price is not None, "a resting order has a price"
        fills = _take(contra, side, price, len(contra), remaining, board)
        left = remaining - sum(q for _, q in fills)
        last = liquidity.quote.last
        crossed = last < price if side is Side.BUY else last > price
        if left and crossed and liquidity.passive:
            quantity = _round(min(left, liquidity.passive), left, side, board)
            if quantity > 0:
                liquidity.passive -= quantity
                fills.append((price, quantity))
        return Match(fills)
    if price_type is PriceType.OWN_BEST:
        own = liquidity.bids if side is Side.BUY else liquidity.asks
        if not own:
            return Match(cancel_rest=Reason.NO_PRICE)
        return Match(rest_price=own[0].price)
    depth = _LEVELS[price_type]
    if price_type is PriceType.FILL_OR_KILL and _available(contra, side, price, depth) < remaining:
        return Match(cancel_rest=Reason.FILL_OR_KILL)
    if not contra:
        return Match(cancel_rest=Reason.NO_PRICE)
    fills = _take(contra, side, price, depth, remaining, board)
    if remaining == sum(q for _, q in fills):
        return Match(fills)
    if price_type in (PriceType.BEST5_LIMIT, PriceType.COUNTERPARTY_BEST):
        rest = fills[-1][0] if fills else contra[0].price
        return Match(fills, rest_price=rest)
    return Match(fills, cancel_rest=Reason.IMMEDIATE_OR_CANCEL)


__all__ = ["Level", "Liquidity", "Match", "match"]
