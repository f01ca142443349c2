"""The exchanges' entry rules for an order, checked before it may rest or fill.

:func:`entry_refusal` answers why an order would be refused (a
:class:`~quantlib.model.orders.Reason` and a message naming the numbers) or None. The
board tables of :mod:`quantlib.market.boards` decide lots, per-order caps and price
limits; the session phases come from :mod:`quantlib.market.calendar`. The paper broker
and the MiniQMT simulator refuse with these, and pre-trade risk checks can reuse them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from quantlib.core.errors import UnknownSymbolError
from quantlib.market.boards import (
    LOT_RULES,
    Board,
    board_of,
    buy_quantity_error,
    sell_quantity_error,
)
from quantlib.market.calendar import SessionPhase, default_calendar
from quantlib.market.symbols import Exchange, split_symbol
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.trading import OrderRequest, PriceType, Quote

TICK = Decimal("0.01")

#: Market-order types each exchange offers (Beijing follows Shanghai's set).
MARKET_TYPES: dict[Exchange, frozenset[PriceType]] = {
    Exchange.SH: frozenset(
        {
            PriceType.BEST5_CANCEL,
            PriceType.BEST5_LIMIT,
            PriceType.COUNTERPARTY_BEST,
            PriceType.OWN_BEST,
        }
    ),
    Exchange.SZ: frozenset(
        {
            PriceType.BEST5_CANCEL,
            PriceType.COUNTERPARTY_BEST,
            PriceType.OWN_BEST,
            PriceType.IMMEDIATE_OR_CANCEL,
            PriceType.FILL_OR_KILL,
        }
    ),
}
MARKET_TYPES[Exchange.BJ] = MARKET_TYPES[Exchange.SH]

#: Exchanges whose market orders must carry a protective price.
PROTECTIVE_PRICE_EXCHANGES = frozenset({Exchange.SH, Exchange.BJ})

#: Phases in which the exchange takes new limit orders / cancels.
ORDER_PHASES = frozenset(
    {
        SessionPhase.OPENING_AUCTION,
        SessionPhase.OPENING_AUCTION_NO_CANCEL,
        SessionPhase.CONTINUOUS,
        SessionPhase.CLOSING_AUCTION,
    }
)
#: Cancels in the lunch break are held by the counter until 13:00 and then go through.
CANCEL_PHASES = frozenset(
    {SessionPhase.OPENING_AUCTION, SessionPhase.CONTINUOUS, SessionPhase.LUNCH_BREAK}
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an order or cancel is refused."""

    reason: Reason
    message: str


def phase_of(symbol: str, moment: dt.datetime) -> SessionPhase:
    """The session phase of ``symbol``'s exchange at ``moment``."""
    _, exchange = split_symbol(symbol)
    return default_calendar().phase_at(moment, exchange)


def cage_bounds(board: Board, quote: Quote) -> tuple[Decimal, Decimal]:
    """The lowest sell and highest buy limit price the price cage lets in.

    Buys are based on the best ask (else best bid, last, reference close), sells on the
    best bid (else best ask, last, reference close). Main board and ChiNext: 2% or ten
    ticks, whichever is wider; STAR 2%; Beijing 5% or ten ticks.
    """
    buy_base = quote.best_ask or quote.best_bid or quote.last or quote.pre_close
    sell_base = quote.best_bid or quote.best_ask or quote.last or quote.pre_close
    pct = Decimal("0.05") if board is Board.BSE else Decimal("0.02")
    ticks = Decimal(0) if board is Board.STAR else 10 * TICK
    highest = max((buy_base * (1 + pct)).quantize(TICK), buy_base + ticks)
    lowest = min((sell_base * (1 - pct)).quantize(TICK), sell_base - ticks)
    return lowest, highest


def entry_refusal(
    request: OrderRequest,
    quote: Quote | None,
    *,
    moment: dt.datetime,
    sellable: int,
    held: int,
    enforce_session: bool = True,
    price_cage: bool = True,
) -> Refusal | None:
    """Why the exchange would refuse ``request`` now, or None when it may enter.

    ``sellable`` and ``held`` are the account's shares of the symbol that may be sold
    today (T+1) and in all. Cash is the counter's business, checked by the caller.
    """
    try:
        board = board_of(request.symbol)
    except UnknownSymbolError as error:
        return Refusal(Reason.UNKNOWN_SYMBOL, str(error))
    _, exchange = split_symbol(request.symbol)
    phase = phase_of(request.symbol, moment)
    if enforce_session and phase not in ORDER_PHASES:
        return Refusal(
            Reason.MARKET_CLOSED,
            f"{exchange.value} takes no orders at {moment:%H:%M:%S} ({phase.value})",
        )
    if quote is None:
        return Refusal(Reason.NO_PRICE, f"no quote for {request.symbol} yet")
    if quote.suspended:
        return Refusal(Reason.SUSPENDED, f"{request.symbol} is suspended")
    refusal = _price_refusal(request, quote, board, exchange, phase, enforce_session)
    if refusal is None and price_cage and phase is SessionPhase.CONTINUOUS:
        refusal = _cage_refusal(request, quote, board)
    if refusal is not None:
        return refusal
    return _quantity_refusal(request, board, sellable, held)


def _price_refusal(
    request: OrderRequest,
    quote: Quote,
    board: Board,
    exchange: Exchange,
    phase: SessionPhase,
    enforce_session: bool,
) -> Refusal | None:
    price = request.limit_price
    if request.price_type.is_market:
        if request.price_type not in MARKET_TYPES[exchange]:
            return Refusal(
                Reason.PRICE_TYPE_NOT_ON_EXCHANGE,
                f"{request.price_type.value} orders are not offered on {exchange.value}",
            )
        if enforce_session and phase is not SessionPhase.CONTINUOUS:
            return Refusal(
                Reason.MARKET_CLOSED,
                f"market orders are taken in the continuous session only, not {phase.value}",
            )
        if price is None and exchange in PROTECTIVE_PRICE_EXCHANGES:
            return Refusal(
                Reason.PROTECTIVE_PRICE_REQUIRED,
                f"{request.symbol}: {exchange.value} market orders need a protective price",
            )
    if price is None:
        return None
    if price % TICK:
        return Refusal(Reason.PRICE_OFF_TICK, f"price {price} is not a multiple of {TICK}")
    if quote.up_limit is not None and price > quote.up_limit:
        return Refusal(
            Reason.PRICE_OUTSIDE_LIMITS,
            f"price {price} is above {request.symbol}'s limit-up {quote.up_limit}",
        )
    if quote.down_limit is not None and price < quote.down_limit:
        return Refusal(
            Reason.PRICE_OUTSIDE_LIMITS,
            f"price {price} is below {request.symbol}'s limit-down {quote.down_limit}",
        )
    return None


def _cage_refusal(request: OrderRequest, quote: Quote, board: Board) -> Refusal | None:
    price = request.limit_price
    if request.price_type.is_market or price is None:
        return None
    lowest, highest = cage_bounds(board, quote)
    if request.side is Side.BUY and price > highest:
        return Refusal(Reason.PRICE_CAGE, f"buy at {price} is above the price cage's {highest}")
    if request.side is Side.SELL and price < lowest:
        return Refusal(Reason.PRICE_CAGE, f"sell at {price} is below the price cage's {lowest}")
    return None


def _quantity_refusal(
    request: OrderRequest, board: Board, sellable: int, held: int
) -> Refusal | None:
    if request.side is Side.BUY:
        problem = buy_quantity_error(board, request.quantity)
        return None if problem is None else Refusal(_quantity_reason(board, request), problem)
    if held <= 0:
        return Refusal(Reason.NO_POSITION, f"no {request.symbol} held to sell")
    if request.quantity > sellable:
        reason = Reason.T_PLUS_ONE if request.quantity <= held else Reason.EXCEEDS_POSITION
        return Refusal(
            reason,
            f"sell of {request.quantity} {request.symbol} exceeds the {sellable} sellable "
            f"today ({held} held; shares bought today settle T+1)",
        )
    problem = sell_quantity_error(board, request.quantity, sellable)
    return None if problem is None else Refusal(_quantity_reason(board, request), problem)


def _quantity_reason(board: Board, request: OrderRequest) -> Reason:
    """Why a quantity the board refuses is wrong: above the per-order cap, else off-grid."""
    if request.quantity > LOT_RULES[board].max_limit_order:
        return Reason.ORDER_SIZE_CAP
    return Reason.NOT_ON_LOT_GRID


def cancel_refusal(
    symbol: str, moment: dt.datetime, enforce_session: bool = True
) -> Refusal | None:
    """Why a cancel is refused now (the no-cancel auction minutes), or None."""
    if not enforce_session:
        return None
    phase = phase_of(symbol, moment)
    if phase in CANCEL_PHASES:
        return None
    return Refusal(
        Reason.CANCEL_NOT_ALLOWED,
        f"cancels are not taken at {moment:%H:%M:%S} ({phase.value})",
    )


__all__ = [
    "MARKET_TYPES",
    "PROTECTIVE_PRICE_EXCHANGES",
    "Refusal",
    "cage_bounds",
    "cancel_refusal",
    "entry_refusal",
    "phase_of",
]
