"""The execution gateway of backtests: an order book matched by the numba kernels.

The strategy context never touches fills or cash itself: it validates an order and
hands it to a gateway. :class:`SimulatedExchange` is the backtest's gateway; paper and
live trading provide other gateways with the same methods, so the strategy code and the
context stay as they are when the mode changes.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from quantlib.backtest import kernels as kn
from quantlib.backtest.config import BacktestConfig
from quantlib.backtest.market_data import MarketData
from quantlib.backtest.result import reason_text
from quantlib.model.orders import Order, OrderKind, OrderStatus, Reason


class ExecutionGateway(Protocol):
    """What the context needs from wherever orders go (simulator, paper or live)."""

    def submit(
        self, bar: int, symbols: np.ndarray, kind: OrderKind, amounts: np.ndarray, limit: float
    ) -> np.ndarray:
        """Accept validated orders (symbol columns, amounts); return their order numbers."""
        ...

    def cancel(self, order: int, bar: int) -> bool:
        """Cancel an open order; False when it is no longer open."""
        ...

    def order(self, number: int) -> Order:
        """A snapshot of one order."""
        ...

    def open_orders(self) -> list[Order]:
        """Snapshots of the orders that can still fill."""
        ...


class SimulatedExchange:
    """Order book, cash and holdings of one backtest, matched bar by bar in numba."""

    def __init__(self, data: MarketData, config: BacktestConfig) -> None:
        self.data = data
        self.config = config
        n_syms = len(data.symbols)
        self.sleeves = not config.cash_sharing
        self.cash = np.full(
            n_syms if self.sleeves else 1, config.cash / (n_syms if self.sleeves else 1)
        )
        self.state = np.zeros((kn.N_STATE, n_syms))
        self.state[kn.S_LAST] = np.nan
        self.book = np.zeros((kn.N_BOOK_COLS, 64))
        self.n_orders = 0
        self.first_open = 0
        self.events = np.zeros((kn.N_EVENT_COLS, 1024))
        self.n_events = 0
        self.cfg = config.vector()
        self.rates = data.rates_for(config)
        self.vwap = data.fill_vwap(config.fill)
        self.value = 0.0
        self._no_listing = np.ones((0, 0), dtype=np.bool_)
        self._n_symbols = len(data.symbols)
        self._day_end = [bool(x) for x in data.day_end]

    # -- capacity --------------------------------------------------------------------------
    def _reserve_orders(self, extra: int) -> None:
        need = self.n_orders + extra
        if need > self.book.shape[1]:
            grown = np.zeros((kn.N_BOOK_COLS, max(need, 2 * self.book.shape[1])))
            grown[:, : self.n_orders] = self.book[:, : self.n_orders]
            self.book = grown

    def _reserve_events(self) -> None:
        need = self.n_events + 2 * (self.n_orders - self.first_open) + self.state.shape[1] + 16
        if need > self.events.shape[1]:
            grown = np.zeros((kn.N_EVENT_COLS, max(need, 2 * self.events.shape[1])))
            grown[:, : self.n_events] = self.events[:, : self.n_events]
            self.events = grown

    # -- the gateway ------------------------------------------------------------------------
    def submit(
        self,
        bar: int,
        symbols: np.ndarray,
        kind: OrderKind,
        amounts: np.ndarray | float,
        limit: float,
    ) -> np.ndarray:
        """Append orders to the book; they match from the next bar (or this bar's close)."""
        m = len(symbols)
        self._reserve_orders(m)
        lo, hi = self.n_orders, self.n_orders + m
        values = np.ascontiguousarray(np.atleast_1d(amounts), dtype=np.float64)
        columns = np.ascontiguousarray(symbols, dtype=np.int64)
        kn.book_orders(self.book, lo, hi, columns, float(kind), values, limit, float(bar))
        self.n_orders = hi
        return np.arange(lo, hi)

    def submit_columns(
        self, bar: int, columns: np.ndarray, kind: OrderKind, amount: float
    ) -> np.ndarray | None:
        """The fast path of :meth:`submit` for one amount over many symbol columns that
        need no lot-grid check; None when some column is out of range or not listed (the
        caller then takes the checked path)."""
        m = len(columns)
        self._reserve_orders(m)
        listed = self.data.listed
        ok = kn.book_columns(
            self.book,
            self.n_orders,
            columns,
            float(kind),
            amount,
            float(bar),
            listed if listed is not None else self._no_listing,
            bar if listed is not None else 0,
            self._n_symbols,
        )
        if not ok:
            return None
        lo = self.n_orders
        self.n_orders += m
        return np.arange(lo, lo + m)

    def cancel(self, order: int, bar: int) -> bool:
        """Cancel an open order."""
        if not 0 <= order < self.n_orders:
            return False
        status = self.book[kn.B_STATUS, order]
        if status not in (kn.ST_OPEN, kn.ST_PARTIAL):
            return False
        self.book[kn.B_STATUS, order] = kn.ST_CANCELLED
        self.book[kn.B_REASON, order] = int(Reason.CANCELLED_BY_USER)
        self.book[kn.B_DONE_BAR, order] = bar
        return True

    def order(self, number: int) -> Order:
        """Snapshot of order ``number``."""
        row = self.book[:, number]
        filled = int(row[kn.B_FILLED])
        side = row[kn.B_SIDE] if row[kn.B_SIDE] else np.sign(row[kn.B_AMOUNT])
        return Order(
            id=str(number),
            symbol=self.data.symbols[int(row[kn.B_SYM])],
            kind=OrderKind(int(row[kn.B_KIND])),
            amount=float(row[kn.B_AMOUNT]),
            limit_price=None if np.isnan(row[kn.B_LIMIT]) else float(row[kn.B_LIMIT]),
            created=self.data.times[int(row[kn.B_BAR])].to_pydatetime(),
            status=OrderStatus(int(row[kn.B_STATUS])),
            side="buy" if side > 0 else "sell",
            filled=filled,
            avg_price=float(row[kn.B_VALUE] / filled) if filled else 0.0,
            fees=float(row[kn.B_COMM] + row[kn.B_FEES]),
            reason=Reason(int(row[kn.B_REASON])),
        )

    def open_orders(self) -> list[Order]:
        """Orders that can still fill."""
        status = self.book[kn.B_STATUS, self.first_open : self.n_orders]
        rows = np.flatnonzero((status == kn.ST_OPEN) | (status == kn.ST_PARTIAL)) + self.first_open
        return [self.order(int(j)) for j in rows]

    # -- the clock drives these -----------------------------------------------------------
    def advance(self, t: int, new_day: bool) -> float:
        """Start of day, matching of resting orders and marking at bar t."""
        if self.events.shape[1] - self.n_events < self.state.shape[1] + 16 + 2 * (
            self.n_orders - self.first_open
        ):
            self._reserve_events()
        d = self.data
        self.n_events, self.first_open, self.value = kn.advance(
            t,
            new_day,
            d.open,
            d.high,
            d.low,
            d.close,
            self.vwap,
            d.volume,
            d.up_limit,
            d.down_limit,
            d.adj,
            d.lots,
            d.groups,
            self.rates,
            self.cfg,
            self._day_end[t],
            self.cash,
            self.sleeves,
            self.state,
            self.book,
            self.first_open,
            self.n_orders,
            self.events,
            self.n_events,
        )
        return self.value

    def match_at_close(self, t: int) -> float:
        """Fill the orders of bar t at its close (fill mode ``close``) and re-mark."""
        return self.advance(t, False)

    @property
    def total_cash(self) -> float:
        """Cash over all sleeves."""
        return float(self.cash.sum())

    # -- results ------------------------------------------------------------------------------
    def orders_frame(self) -> pd.DataFrame:
        """Every order of the run with its final state."""
        b = self.book[:, : self.n_orders]
        times = self.data.times
        filled = b[kn.B_FILLED]
        side = np.where(b[kn.B_SIDE] != 0, b[kn.B_SIDE], np.sign(b[kn.B_AMOUNT]))
        done = b[kn.B_DONE_BAR].astype(np.int64)
        frame = pd.DataFrame(
            {
                "id": [str(j) for j in range(self.n_orders)],
                "time": times[b[kn.B_BAR].astype(np.int64)],
                "symbol": np.asarray(self.data.symbols, dtype=object)[b[kn.B_SYM].astype(np.int64)],
                "kind": [OrderKind(int(x)).name.lower() for x in b[kn.B_KIND]],
                "side": np.where(side > 0, "buy", "sell"),
                "amount": b[kn.B_AMOUNT],
                "limit_price": b[kn.B_LIMIT],
                "status": [OrderStatus(int(x)).name.lower() for x in b[kn.B_STATUS]],
                "filled": filled,
                "avg_price": np.where(
                    filled > 0, b[kn.B_VALUE] / np.where(filled > 0, filled, 1), 0.0
                ),
                "fees": b[kn.B_COMM] + b[kn.B_FEES],
                "reason": b[kn.B_REASON].astype(np.int64),
                "done": times[np.maximum(done, 0)].where(done >= 0),
            }
        )
        frame["reason_text"] = reason_text(frame["reason"])
        return frame


__all__ = ["ExecutionGateway", "SimulatedExchange"]
