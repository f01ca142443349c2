"""Boards of the A-share market and the rules that depend on them.

Every rule is data: price-limit percentages are dated rows of :data:`PRICE_LIMIT_RULES`,
IPO no-limit periods are rows of :data:`IPO_NO_LIMIT_RULES`, lot rules are
:data:`LOT_RULES`. The backtest matcher, the paper broker and the pre-trade risk checks
read the same tables.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from quantlib.core.errors import UnknownSymbolError
from quantlib.market.symbols import Exchange, split_symbol


class Board(StrEnum):
    """Listing board; decides price limits, lot sizes and the price cage."""

    MAIN = "main"
    CHINEXT = "chinext"
    STAR = "star"
    BSE = "bse"


@functools.lru_cache(maxsize=65536)
def board_of(symbol: str) -> Board:
    """Board of an A-share stock code (any vendor form).

    Raises :class:`UnknownSymbolError` for codes that are not A-share stocks (indices,
    funds, bonds have no board).

    Examples
    --------
    >>> board_of("688981.SH")
    <Board.STAR: 'star'>
    """
    digits, exchange = split_symbol(symbol)
    if exchange is Exchange.SH:
        if digits.startswith(("688", "689")):
            return Board.STAR
        if digits.startswith(("600", "601", "603", "605")):
            return Board.MAIN
    elif exchange is Exchange.SZ:
        if digits.startswith(("300", "301", "302")):
            return Board.CHINEXT
        if digits.startswith(("000", "001", "002", "003")):
            return Board.MAIN
    elif digits.startswith("920"):
        return Board.BSE
    raise UnknownSymbolError(f"{digits}.{exchange.value} is not an A-share stock: it has no board")


@dataclass(frozen=True, slots=True)
class PriceLimitRule:
    """Daily price-limit percentage for a board and ST status, valid from a date on.

    ``pct`` is a whole percentage (10 means +/-10%). The latest rule whose ``start`` is
    on or before a date applies.
    """

    board: Board
    st: bool
    start: dt.date
    pct: int


#: Dated price-limit rules. Sources: SSE/SZSE/BSE trading rules; ChiNext registration
#: reform 2020-08-24; main-board ST change to +/-10% effective 2026-07-06 (see DOMAIN.md §4).
PRICE_LIMIT_RULES: tuple[PriceLimitRule, ...] = (
    PriceLimitRule(Board.MAIN, False, dt.date(1996, 12, 16), 10),
    PriceLimitRule(Board.MAIN, True, dt.date(1998, 4, 22), 5),
    PriceLimitRule(Board.MAIN, True, dt.date(2026, 7, 6), 10),
    PriceLimitRule(Board.CHINEXT, False, dt.date(2009, 10, 30), 10),
    PriceLimitRule(Board.CHINEXT, True, dt.date(2009, 10, 30), 5),
    PriceLimitRule(Board.CHINEXT, False, dt.date(2020, 8, 24), 20),
    PriceLimitRule(Board.CHINEXT, True, dt.date(2020, 8, 24), 20),
    PriceLimitRule(Board.STAR, False, dt.date(2019, 7, 22), 20),
    PriceLimitRule(Board.STAR, True, dt.date(2019, 7, 22), 20),
    PriceLimitRule(Board.BSE, False, dt.date(2021, 11, 15), 30),
    PriceLimitRule(Board.BSE, True, dt.date(2021, 11, 15), 30),
)


@dataclass(frozen=True, slots=True)
class IpoNoLimitRule:
    """For stocks listed on a board from ``listed_from`` on: the first ``days`` trading
    days have no price limit. ``first_day_cap`` (percent up, percent down, against the
    issue price) replaces the limit on day one where the rules set such a cap instead."""

    board: Board
    listed_from: dt.date
    days: int
    first_day_cap: tuple[int, int] | None = None


#: IPO rules. Main board: first-day cap +44%/-36% until the registration system
#: (2023-04-10), then five days without limit; ChiNext the same switch on 2020-08-24;
#: STAR five days from launch; BSE the first day only.
IPO_NO_LIMIT_RULES: tuple[IpoNoLimitRule, ...] = (
    IpoNoLimitRule(Board.MAIN, dt.date(2014, 1, 1), 1, (44, 36)),
    IpoNoLimitRule(Board.MAIN, dt.date(2023, 4, 10), 5),
    IpoNoLimitRule(Board.CHINEXT, dt.date(2014, 1, 1), 1, (44, 36)),
    IpoNoLimitRule(Board.CHINEXT, dt.date(2020, 8, 24), 5),
    IpoNoLimitRule(Board.STAR, dt.date(2019, 7, 22), 5),
    IpoNoLimitRule(Board.BSE, dt.date(2021, 11, 15), 1),
)


def _latest[T](rows: list[T], key: str, date: dt.date) -> T | None:
    eligible = [r for r in rows if getattr(r, key) <= date]
    return max(eligible, key=lambda r: getattr(r, key)) if eligible else None


def limit_pct(board: Board, st: bool, date: dt.date) -> int:
    """Price-limit percentage for a board and ST status on a date.

    Examples
    --------
    >>> before, after = dt.date(2026, 7, 3), dt.date(2026, 7, 6)
    >>> limit_pct(Board.MAIN, True, before), limit_pct(Board.MAIN, True, after)
    (5, 10)
    """
    rows = [r for r in PRICE_LIMIT_RULES if r.board is board and r.st is st]
    rule = _latest(rows, "start", date)
    if rule is None:
        raise UnknownSymbolError(f"no price-limit rule for {board.value} board on {date}")
    return rule.pct


def ipo_rule(board: Board, list_date: dt.date) -> IpoNoLimitRule | None:
    """The IPO rule that applied to a stock listed on ``list_date``, if any."""
    rows = [r for r in IPO_NO_LIMIT_RULES if r.board is board]
    return _latest(rows, "listed_from", list_date)


def round_half_up_fen(fen_times_100: np.ndarray | int) -> np.ndarray | int:
    """Divide integer (fen x 100) by 100 rounding half up: exact, no float error."""
    return (fen_times_100 + 50) // 100


def limit_prices_fen(preclose_fen: np.ndarray, pct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Limit-up and limit-down prices in fen from the reference price in fen.

    Computed exactly on integers: ``round_half_up(preclose x (100 +/- pct) / 100)``,
    never below one fen.
    """
    preclose_fen = np.asarray(preclose_fen, dtype=np.int64)
    pct = np.asarray(pct, dtype=np.int64)
    up = round_half_up_fen(preclose_fen * (100 + pct))
    down = np.maximum(round_half_up_fen(preclose_fen * (100 - pct)), 1)
    return np.asarray(up), np.asarray(down)


def to_fen(prices: np.ndarray) -> np.ndarray:
    """Yuan prices (float) to integer fen, rounding to the nearest fen."""
    return np.rint(np.asarray(prices, dtype=np.float64) * 100.0).astype(np.int64)


def limit_prices(preclose: float, board: Board, st: bool, date: dt.date) -> tuple[float, float]:
    """Limit-up and limit-down prices in yuan for one stock on one day.

    Examples
    --------
    >>> limit_prices(10.05, Board.MAIN, False, dt.date(2024, 1, 2))
    (11.06, 9.05)
    """
    up, down = limit_prices_fen(
        to_fen(np.array([preclose])), np.array([limit_pct(board, st, date)])
    )
    return float(up[0]) / 100.0, float(down[0]) / 100.0


@dataclass(frozen=True, slots=True)
class LotRule:
    """Order-size rules of a board.

    Buys are at least ``min_buy`` shares and then in steps of ``buy_step``. Sells follow
    the same grid, except that a remainder below ``min_buy`` must go in one order.
    """

    min_buy: int
    buy_step: int
    max_limit_order: int


LOT_RULES: dict[Board, LotRule] = {
    Board.MAIN: LotRule(100, 100, 1_000_000),
    Board.CHINEXT: LotRule(100, 100, 300_000),
    Board.STAR: LotRule(200, 1, 100_000),
    Board.BSE: LotRule(100, 1, 1_000_000),
}

#: Stocks bought on day T become sellable on T+1; cash from sales is usable at once.
SETTLEMENT_LAG_DAYS = 1

#: Price tick of A-share stocks, in yuan.
STOCK_TICK = 0.01


def buy_quantity_error(board: Board, quantity: int) -> str | None:
    """Why ``quantity`` is not a valid buy on ``board``, or None when it is valid."""
    rule = LOT_RULES[board]
    if quantity < rule.min_buy:
        return f"buy of {quantity} shares is below the {board.value} minimum of {rule.min_buy}"
    if (quantity - rule.min_buy) % rule.buy_step:
        return (
            f"buy of {quantity} shares is not on the {board.value} lot grid "
            f"(at least {rule.min_buy}, then steps of {rule.buy_step})"
        )
    if quantity > rule.max_limit_order:
        return f"buy of {quantity} shares exceeds the per-order maximum {rule.max_limit_order}"
    return None


def sell_quantity_error(board: Board, quantity: int, sellable: int) -> str | None:
    """Why selling ``quantity`` with ``sellable`` shares available is invalid, or None."""
    rule = LOT_RULES[board]
    if quantity <= 0:
        return f"sell quantity must be positive, got {quantity}"
    if quantity > sellable:
        return f"sell of {quantity} shares exceeds the {sellable} sellable today (T+1)"
    if quantity == sellable:
        return None
    if quantity > rule.max_limit_order:
        return f"sell of {quantity} shares exceeds the per-order maximum {rule.max_limit_order}"
    if quantity < rule.min_buy:
        if quantity == sellable % rule.buy_step and rule.buy_step > 1:
            return None
        return (
            f"odd-lot sell of {quantity} shares must sell the whole remainder "
            f"({sellable} sellable) in one order"
        )
    if (quantity - rule.min_buy) % rule.buy_step:
        return f"sell of {quantity} shares is not on the {board.value} lot grid"
    return None


def round_buy_quantity(board: Board, quantity: float) -> int:
    """Largest valid buy quantity not above ``quantity`` (0 if none)."""
    rule = LOT_RULES[board]
    if quantity < rule.min_buy:
        return 0
    steps = int((quantity - rule.min_buy) // rule.buy_step)
    return min(rule.min_buy + steps * rule.buy_step, rule.max_limit_order)


def board_codes() -> dict[Board, int]:
    """Stable small integers for boards, for arrays and numba kernels."""
    return {board: index for index, board in enumerate(Board)}


__all__ = [
    "IPO_NO_LIMIT_RULES",
    "LOT_RULES",
    "PRICE_LIMIT_RULES",
    "SETTLEMENT_LAG_DAYS",
    "STOCK_TICK",
    "Board",
    "IpoNoLimitRule",
    "LotRule",
    "PriceLimitRule",
    "board_codes",
    "board_of",
    "buy_quantity_error",
    "ipo_rule",
    "limit_pct",
    "limit_prices",
    "limit_prices_fen",
    "round_buy_quantity",
    "sell_quantity_error",
    "to_fen",
]
