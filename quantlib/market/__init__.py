"""A-share market structure as data: symbols, boards and their rules, fees, calendar.

Used alike by the data store, the backtest matcher, the paper broker and the
pre-trade risk checks.
"""

from quantlib.market.boards import Board, board_of
from quantlib.market.calendar import SessionPhase, TradingCalendar, default_calendar
from quantlib.market.fees import FeeBreakdown, FeeConfig, FeeSchedule
from quantlib.market.symbols import Exchange, SecurityKind, normalize_symbol, to_vendor_symbol

__all__ = [
    "Board",
    "Exchange",
    "FeeBreakdown",
    "FeeConfig",
    "FeeSchedule",
    "SecurityKind",
    "SessionPhase",
    "TradingCalendar",
    "board_of",
    "default_calendar",
    "normalize_symbol",
    "to_vendor_symbol",
]
