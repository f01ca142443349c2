"""Numba kernels of the backtester: one fill routine shared by every path.

Every path (the per-bar order book of the ``handle_data`` engine, the day-major
vectorised kernel with shared cash, and the per-symbol sleeve kernels) prices, sizes,
charges and books a fill through :func:`execute`, so they make the same fills (equity
curves may differ in the last bits where paths sum a bar's fills in another order).

Conventions
-----------
* Market fields are ``(bar, symbol)`` float64 arrays; a NaN open means no trading.
* Cash lives in ``cash[sleeve]``: one sleeve (shared cash) or one per symbol.
* ``state`` is ``(4, N)``: shares, sellable shares (T+1), last traded price, cost basis.
* Events (fills, refusals, corporate actions) go to ``events[E_*, k]``.
* Fee rates per bar and symbol group come from ``rates[bar, group, R_*]``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, prange, types

from quantlib.model.orders import OrderKind, OrderStatus, Reason

# -- configuration vector ------------------------------------------------------------------
C_FILL, C_LIMIT_MODE, C_TICKS, C_BPS, C_PART, C_COMM, C_MINCOMM, C_ROUND, C_TICK = range(9)
N_CFG = 9
FILL_NEXT_OPEN, FILL_CLOSE, FILL_VWAP = 0, 1, 2
LIMIT_BLOCK, LIMIT_TRADED_AWAY = 0, 1

# -- fee-rate table columns ------------------------------------------------------------------
R_STAMP_SELL, R_TRANSFER, R_EXCHANGE, R_STAMP_BUY = range(4)
N_RATES = 4

# -- state rows --------------------------------------------------------------------------------
S_SHARES, S_SELLABLE, S_LAST, S_COST = range(4)
N_STATE = 4

# -- event columns ------------------------------------------------------------------------------
(
    E_BAR,
    E_SYM,
    E_ORDER,
    E_TYPE,
    E_SIDE,
    E_QTY,
    E_PRICE,
    E_VALUE,
    E_COMM,
    E_STAMP,
    E_TRANSFER,
    E_EXCH,
    E_REASON,
    E_CASH,
) = range(14)
N_EVENT_COLS = 14
EV_FILL, EV_REFUSED, EV_CORPORATE = 1, 2, 3

# -- order-book columns ---------------------------------------------------------------------------
(
    B_SYM,
    B_KIND,
    B_AMOUNT,
    B_LIMIT,
    B_BAR,
    B_STATUS,
    B_SIDE,
    B_FILLED,
    B_VALUE,
    B_COMM,
    B_FEES,
    B_REASON,
    B_DONE_BAR,
) = range(13)
N_BOOK_COLS = 13

K_SHARES = int(OrderKind.SHARES)
K_VALUE = int(OrderKind.VALUE)
K_TARGET_SHARES = int(OrderKind.TARGET_SHARES)
K_TARGET_VALUE = int(OrderKind.TARGET_VALUE)
K_TARGET_PERCENT = int(OrderKind.TARGET_PERCENT)

ST_OPEN = int(OrderStatus.OPEN)
ST_PARTIAL = int(OrderStatus.PARTIALLY_FILLED)
ST_FILLED = int(OrderStatus.FILLED)
ST_CANCELLED = int(OrderStatus.CANCELLED)
ST_REJECTED = int(OrderStatus.REJECTED)
ST_EXPIRED = int(OrderStatus.EXPIRED)

R_NONE = int(Reason.NONE)
R_SUSPENDED = int(Reason.SUSPENDED)
R_LIMIT_UP = int(Reason.LIMIT_UP)
R_LIMIT_DOWN = int(Reason.LIMIT_DOWN)
R_CASH = int(Reason.INSUFFICIENT_CASH)
R_T1 = int(Reason.T_PLUS_ONE)
R_NO_POSITION = int(Reason.NO_POSITION)
R_BELOW_LOT = int(Reason.BELOW_ONE_LOT)
R_VOLUME_CAP = int(Reason.VOLUME_CAP)
R_LIMIT_NOT_REACHED = int(Reason.LIMIT_NOT_REACHED)
R_DAY_ENDED = int(Reason.DAY_ENDED)
R_EXCEEDS = int(Reason.EXCEEDS_POSITION)
R_SIZE_CAP = int(Reason.ORDER_SIZE_CAP)
R_NO_PRICE = int(Reason.NO_PRICE)
#: Fraction of a fen treated as float noise when fees are rounded to the fen.
FEN_TOLERANCE = 1e-6


@njit(cache=True, nogil=True, inline="always")
def _round_fen(x: float, on: float) -> float:
    """Half up to the fen. The fee is a float product (rate x value) that can land a hair
    below a true half fen (0.00025 x 35,620 = 8.904999..); a millionth of a fen of
    tolerance rounds such halves up as a broker's exact arithmetic does."""
    if on > 0.0:
        return np.floor(x * 100.0 + 0.5 + FEN_TOLERANCE) / 100.0
    return x


@njit(cache=True, nogil=True, inline="always")
def fees_of(
    value: float,
    prior_value: float,
    prior_comm: float,
    cfg: np.ndarray,
    stamp: float,
    transfer: float,
    exchange: float,
) -> tuple[float, float, float, float]:
    """Commission, stamp duty, transfer fee and exchange fees of a fill of ``value``.

    The minimum commission applies per order: ``prior_*`` are the order's earlier fills.
    """
    rnd = cfg[C_ROUND]
    comm = max(cfg[C_COMM] * (prior_value + value), cfg[C_MINCOMM])
    comm = _round_fen(comm, rnd) - prior_comm
    duty = _round_fen(value * stamp, rnd) if stamp != 0.0 else 0.0
    return comm, duty, _round_fen(value * transfer, rnd), _round_fen(value * exchange, rnd)


@njit(cache=True, nogil=True, inline="always")
def _to_tick(price: float, tick: float, up: bool) -> float:
    steps = price / tick
    return (np.ceil(steps - 1e-9) if up else np.floor(steps + 1e-9)) * tick


@njit(cache=True, nogil=True)
def exec_price(
    side: int,
    base: float,
    low: float,
    high: float,
    up: float,
    dn: float,
    limit: float,
    cfg: np.ndarray,
) -> tuple[float, int]:
    """The fill price of a buy (side 1) or sell (-1) at a bar, or NaN and a reason.

    ``base`` is the bar's reference price for the fill mode (open, close or VWAP).
    Slippage moves the price against the order, never past the limit band.
    """
    if base != base:
        return np.nan, R_SUSPENDED
    traded_away = cfg[C_LIMIT_MODE] == LIMIT_TRADED_AWAY
    price = base
    if side > 0:
        if up == up and price >= up:
            if traded_away and low < up:
                price = up
            else:
                return np.nan, R_LIMIT_UP
    else:
        if dn == dn and price <= dn:
            if traded_away and high > dn:
                price = dn
            else:
                return np.nan, R_LIMIT_DOWN
    ticks, bps = cfg[C_TICKS], cfg[C_BPS]
    if ticks != 0.0 or bps != 0.0:
        tick = cfg[C_TICK]
        if side > 0:
            price = _to_tick((price + ticks * tick) * (1.0 + bps * 1e-4), tick, True)
            if up == up and price > up:
                price = up
        else:
            price = _to_tick((price - ticks * tick) * (1.0 - bps * 1e-4), tick, False)
            if dn == dn and price < dn:
                price = dn
    if limit == limit:
        if side > 0 and price > limit:
            if low <= limit:
                price = limit
            else:
                return np.nan, R_LIMIT_NOT_REACHED
        elif side < 0 and price < limit:
            if high >= limit:
                price = limit
            else:
                return np.nan, R_LIMIT_NOT_REACHED
    return price, R_NONE


@njit(cache=True, nogil=True, inline="always")
def _grid_floor(q: float, lot_min: float, lot_step: float) -> float:
    """Largest quantity on the buy grid (lot_min, then lot_step) not above ``q``."""
    if q < lot_min:
        return 0.0
    return lot_min + np.floor((q - lot_min) / lot_step) * lot_step


@njit(cache=True, nogil=True)
def buy_quantity(
    wanted: float,
    value_budget: float,
    price: float,
    cash: float,
    lot_min: float,
    lot_step: float,
    lot_max: float,
    cap: float,
    prior_value: float,
    prior_comm: float,
    cfg: np.ndarray,
    stamp: float,
    transfer: float,
    exchange: float,
) -> tuple[float, int]:
    """Shares to buy: ``wanted`` shares, or (``wanted`` < 0) as many as ``value_budget``
    buys, on the lot grid, within the per-order and volume caps and the cash (fees
    included). Returns (quantity, reason); quantity 0 with a reason when none."""
    if wanted < 0.0:
        if lot_min == lot_step:
            q = float(int(value_budget / (price * lot_step))) * lot_step
        else:
            q = _grid_floor(np.floor(value_budget / price), lot_min, lot_step)
    else:
        q = wanted
    reason = R_NONE
    if q > lot_max:
        q = _grid_floor(lot_max, lot_min, lot_step)
        reason = R_SIZE_CAP
    if q > cap:
        q = _grid_floor(cap, lot_min, lot_step)
        reason = R_VOLUME_CAP
    if q < lot_min:
        return 0.0, R_VOLUME_CAP if reason == R_VOLUME_CAP else R_BELOW_LOT
    if wanted >= 0.0 and reason != R_VOLUME_CAP:
        value = q * price
        comm, st, tr, ex = fees_of(value, prior_value, prior_comm, cfg, stamp, transfer, exchange)
        if value + comm + st + tr + ex > cash:
            return 0.0, R_CASH
        return q, reason
    if lot_min == lot_step:
        cash_q = float(int(cash / (price * lot_step))) * lot_step
    else:
        cash_q = _grid_floor(np.floor(cash / price), lot_min, lot_step)
    if cash_q < q:
        q = cash_q
    while q >= lot_min:
        value = q * price
        comm, st, tr, ex = fees_of(value, prior_value, prior_comm, cfg, stamp, transfer, exchange)
        if value + comm + st + tr + ex <= cash:
            return q, reason
        q -= lot_step
    return 0.0, R_CASH


@njit(cache=True, nogil=True)
def sell_quantity(
    wanted: float, sellable: float, held: float, lot_min: float, lot_step: float, cap: float
) -> tuple[float, int]:
    """Shares to sell of ``wanted``: all of ``sellable`` when that is what is asked, else
    a grid quantity (an odd-lot remainder only as a whole), within the volume cap."""
    if held <= 0.0:
        return 0.0, R_NO_POSITION
    if sellable <= 0.0:
        return 0.0, R_T1
    q = min(wanted, sellable)
    reason = R_NONE
    if wanted > sellable + 0.5:  # shares are whole: half a share absorbs float noise
        reason = R_EXCEEDS if sellable == held else R_T1
    if q > cap:
        q = cap
        reason = R_VOLUME_CAP
    if q < sellable:
        odd = (
            sellable - _grid_floor(sellable, lot_min, lot_step) if sellable >= lot_min else sellable
        )
        if q != odd:
            q = _grid_floor(q, lot_min, lot_step)
    if q <= 0.0:
        return 0.0, reason if reason != R_NONE else R_BELOW_LOT
    return q, reason


@njit(cache=True, nogil=True)
def record(
    events: np.ndarray,
    k: int,
    bar: int,
    sym: int,
    order: int,
    etype: int,
    side: int,
    qty: float,
    price: float,
    comm: float,
    stamp: float,
    transfer: float,
    exch: float,
    reason: int,
    cash: float,
) -> int:
    """Write one event at ``k`` (when the buffer has room) and return ``k + 1``."""
    if k < events.shape[1]:
        events[E_BAR, k] = bar
        events[E_SYM, k] = sym
        events[E_ORDER, k] = order
        events[E_TYPE, k] = etype
        events[E_SIDE, k] = side
        events[E_QTY, k] = qty
        events[E_PRICE, k] = price
        events[E_VALUE, k] = qty * price
        events[E_COMM, k] = comm
        events[E_STAMP, k] = stamp
        events[E_TRANSFER, k] = transfer
        events[E_EXCH, k] = exch
        events[E_REASON, k] = reason
        events[E_CASH, k] = cash
    return k + 1


@njit(cache=True, nogil=True, inline="always")
def refuse(
    events: np.ndarray, k: int, bar: int, sym: int, order: int, side: int, reason: int
) -> int:
    """Record a refusal (nothing filled, with its reason) and return the new event count."""
    return record(
        events, k, bar, sym, order, EV_REFUSED, side, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, reason, 0.0
    )


@njit(cache=True, nogil=True, inline="always")
def record_fill(
    events: np.ndarray,
    k: int,
    bar: int,
    sym: int,
    order: int,
    side: int,
    qty: float,
    price: float,
    fees: tuple[float, float, float, float],
    reason: int,
) -> int:
    """Record a fill (fees: commission, stamp duty, transfer, exchange) and return the new
    event count."""
    comm, stamp, transfer, exch = fees
    return record(
        events,
        k,
        bar,
        sym,
        order,
        EV_FILL,
        side,
        qty,
        price,
        comm,
        stamp,
        transfer,
        exch,
        reason,
        0.0,
    )


@njit(cache=True, nogil=True, inline="always")
def split_holding(held: float, ratio: float, last: float) -> tuple[float, float]:
    """A holding after an adjustment-factor step ``ratio``: the whole shares it becomes
    and the cash paid in lieu of the fraction at the ex-rights price ``last``."""
    scaled = held * ratio
    whole = np.floor(scaled + 1e-9)
    return whole, ((scaled - whole) * last if last == last else 0.0)


@njit(cache=True, nogil=True, inline="always")
def record_corporate(
    events: np.ndarray, k: int, bar: int, sym: int, added: float, in_lieu: float
) -> int:
    """Record a corporate action (shares added, cash in lieu) and return the new count."""
    return record(
        events, k, bar, sym, -1, EV_CORPORATE, 0, added, 0.0, 0.0, 0.0, 0.0, 0.0, 0, in_lieu
    )


@njit(cache=True, nogil=True)
def execute(
    side: int,
    wanted: float,
    value_budget: float,
    price: float,
    cash: np.ndarray,
    sleeve: int,
    state: np.ndarray,
    i: int,
    lot_min: float,
    lot_max: float,
    lot_step: float,
    cap: float,
    prior_value: float,
    prior_comm: float,
    cfg: np.ndarray,
    rates: np.ndarray,
) -> tuple[float, float, float, float, float, int]:
    """Size, charge and book one fill at ``price``; returns (qty, commission, stamp,
    transfer, exchange fees, reason). Quantity 0 means nothing was booked."""
    transfer, exchange = rates[R_TRANSFER], rates[R_EXCHANGE]
    stamp_rate = rates[R_STAMP_BUY] if side > 0 else rates[R_STAMP_SELL]
    if side > 0:
        q, reason = buy_quantity(
            wanted,
            value_budget,
            price,
            cash[sleeve],
            lot_min,
            lot_step,
            lot_max,
            cap,
            prior_value,
            prior_comm,
            cfg,
            stamp_rate,
            transfer,
            exchange,
        )
    else:
        q, reason = sell_quantity(
            wanted, state[S_SELLABLE, i], state[S_SHARES, i], lot_min, lot_step, cap
        )
    if q <= 0.0:
        return 0.0, 0.0, 0.0, 0.0, 0.0, reason
    value = q * price
    comm, stamp, tr, ex = fees_of(
        value, prior_value, prior_comm, cfg, stamp_rate, transfer, exchange
    )
    if side > 0:
        cash[sleeve] -= value + comm + stamp + tr + ex
        state[S_SHARES, i] += q
        state[S_COST, i] += value + comm + stamp + tr + ex
    else:
        cash[sleeve] += value - comm - stamp - tr - ex
        before = state[S_SHARES, i]
        state[S_SHARES, i] -= q
        state[S_SELLABLE, i] -= q
        state[S_COST, i] *= state[S_SHARES, i] / before
    return q, comm, stamp, tr, ex, reason


@njit(cache=True, nogil=True, inline="always")
def base_price(mode: float, o: float, c: float, vwap: float) -> float:
    """The bar's reference price for the fill mode."""
    if mode == FILL_CLOSE:
        return c
    if mode == FILL_VWAP:
        return vwap
    return o


@njit(cache=True, nogil=True)
def start_of_day(
    t: int,
    adj: np.ndarray,
    state: np.ndarray,
    cash: np.ndarray,
    sleeves: bool,
    events: np.ndarray,
    k: int,
) -> int:
    """Release T+1 shares and apply corporate actions (adjustment-factor steps) at bar t.

    A factor step ``r`` scales a holding to ``shares * r`` (bonus shares, splits, and
    dividends as reinvested shares); the fraction of a share is paid in cash at the
    ex-rights price. Returns the new event count."""
    n = state.shape[1]
    has_adj = adj.shape[0] > 0
    for i in range(n):
        held = state[S_SHARES, i]
        r = adj[t, i] if has_adj else 1.0
        if held > 0.0 and r == r and r != 1.0:
            last = state[S_LAST, i] / r
            state[S_LAST, i] = last
            whole, in_lieu = split_holding(held, r, last)
            cash[i if sleeves else 0] += in_lieu
            state[S_SHARES, i] = whole
            k = record_corporate(events, k, t, i, whole - held, in_lieu)
        elif r == r and r != 1.0:
            state[S_LAST, i] = state[S_LAST, i] / r
        state[S_SELLABLE, i] = state[S_SHARES, i]
    return k


@njit(cache=True, nogil=True)
def mark(t: int, close: np.ndarray, state: np.ndarray) -> float:
    """Take the bar's closes as last prices; returns the market value of all holdings."""
    value = 0.0
    for i in range(state.shape[1]):
        c = close[t, i]
        if c == c:
            state[S_LAST, i] = c
        held = state[S_SHARES, i]
        if held != 0.0:
            value += held * state[S_LAST, i]
    return value


@njit(cache=True, nogil=True)
def match_book(
    t: int,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    vwap: np.ndarray,
    volume: np.ndarray,
    up: np.ndarray,
    dn: np.ndarray,
    lots: np.ndarray,
    groups: np.ndarray,
    rates: np.ndarray,
    cfg: np.ndarray,
    day_end: bool,
    cash: np.ndarray,
    sleeves: bool,
    state: np.ndarray,
    book: np.ndarray,
    first: int,
    n_orders: int,
    events: np.ndarray,
    k: int,
) -> tuple[int, int]:
    """Match the open orders ``book[:, first:n_orders]`` at bar t (sells, then buys).

    Orders left unfilled at the day's end expire; market orders never rest. Returns the
    new event count and the index of the first order still open.
    """
    mode = cfg[C_FILL]
    part = cfg[C_PART]
    equity_ref = 0.0
    if not sleeves:
        equity_ref = cash[0]
        for i in range(state.shape[1]):
            held = state[S_SHARES, i]
            if held != 0.0:
                p = base_price(mode, open_[t, i], close[t, i], vwap[t, i])
                equity_ref += held * (p if p == p else state[S_LAST, i])
    for phase in (-1, 1):
        for j in range(first, n_orders):
            status = book[B_STATUS, j]
            if status != ST_OPEN and status != ST_PARTIAL:
                continue
            if book[B_BAR, j] > t or (book[B_BAR, j] == t and mode != FILL_CLOSE):
                continue
            i = int(book[B_SYM, j])
            kind = int(book[B_KIND, j])
            amount = book[B_AMOUNT, j]
            held = state[S_SHARES, i]
            base = base_price(mode, open_[t, i], close[t, i], vwap[t, i])
            mark_px = base if base == base else state[S_LAST, i]
            s = i if sleeves else 0
            ref = cash[s] + held * mark_px if sleeves else equity_ref
            filled = book[B_FILLED, j]
            # signed shares still wanted, and the value budget of value-sized buys
            budget = 0.0
            if kind == K_SHARES:
                delta = amount - book[B_SIDE, j] * filled
            elif kind == K_TARGET_SHARES:
                delta = amount - held
            elif kind == K_VALUE:
                delta = amount / mark_px - book[B_SIDE, j] * filled if mark_px == mark_px else 0.0
                budget = amount - book[B_VALUE, j]
            elif kind == K_TARGET_VALUE:
                budget = amount - held * mark_px
                delta = budget / mark_px if mark_px == mark_px else 0.0
            else:
                budget = amount * ref - held * mark_px
                delta = budget / mark_px if mark_px == mark_px else 0.0
            side = 1 if delta > 0 else -1
            if side != phase:
                continue
            if book[B_SIDE, j] == 0.0:
                book[B_SIDE, j] = side
            if mark_px != mark_px or delta == 0.0:
                reason = R_BELOW_LOT if mark_px == mark_px else R_SUSPENDED
                book[B_STATUS, j] = ST_REJECTED if filled == 0.0 else ST_EXPIRED
                book[B_REASON, j] = reason
                book[B_DONE_BAR, j] = t
                k = refuse(events, k, t, i, j, side, reason)
                continue
            limit = book[B_LIMIT, j]
            price, reason = exec_price(
                side, base, low[t, i], high[t, i], up[t, i], dn[t, i], limit, cfg
            )
            q = 0.0
            if price == price:
                cap = np.inf if part <= 0.0 else np.floor(part * volume[t, i])
                wanted = (
                    -1.0
                    if (side > 0 and kind != K_SHARES and kind != K_TARGET_SHARES)
                    else abs(delta)
                )
                g = groups[i]
                q, comm, stamp, tr, ex, reason = execute(
                    side,
                    wanted,
                    budget,
                    price,
                    cash,
                    s,
                    state,
                    i,
                    lots[0, i],
                    lots[2, i],
                    lots[1, i],
                    cap,
                    book[B_VALUE, j],
                    book[B_COMM, j],
                    cfg,
                    rates[t, g],
                )
                if q > 0.0:
                    book[B_FILLED, j] += q
                    book[B_VALUE, j] += q * price
                    book[B_COMM, j] += comm
                    book[B_FEES, j] += stamp + tr + ex
                    k = record_fill(events, k, t, i, j, side, q, price, (comm, stamp, tr, ex), 0)
            done = reason == R_NONE and q > 0.0 and kind != K_SHARES
            if kind == K_SHARES and book[B_FILLED, j] >= abs(amount):
                done = True
            if done:
                book[B_STATUS, j] = ST_FILLED
                book[B_REASON, j] = R_NONE
                book[B_DONE_BAR, j] = t
                continue
            resting = (
                limit == limit
                and (reason == R_LIMIT_NOT_REACHED or reason == R_VOLUME_CAP)  # noqa: SIM109
                and not day_end
            )
            if resting:
                book[B_STATUS, j] = ST_PARTIAL if book[B_FILLED, j] > 0 else ST_OPEN
                book[B_REASON, j] = reason
                continue
            if book[B_FILLED, j] > 0.0:
                book[B_STATUS, j] = ST_FILLED if reason == R_NONE else ST_EXPIRED
            else:
                book[B_STATUS, j] = ST_REJECTED
            book[B_REASON, j] = reason if reason != R_NONE else R_DAY_ENDED
            book[B_DONE_BAR, j] = t
            if q <= 0.0:
                k = refuse(events, k, t, i, j, side, int(book[B_REASON, j]))
    while (
        first < n_orders
        and book[B_STATUS, first] != ST_OPEN
        and book[B_STATUS, first] != ST_PARTIAL
    ):
        first += 1
    return k, first


@njit(cache=True, nogil=True)
def _signal_column(
    i: int,
    signal: np.ndarray,
    size: float,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    vwap: np.ndarray,
    volume: np.ndarray,
    up: np.ndarray,
    dn: np.ndarray,
    adj: np.ndarray,
    day_start: np.ndarray,
    lots: np.ndarray,
    groups: np.ndarray,
    rates: np.ndarray,
    cfg: np.ndarray,
    cash0: float,
    equity: np.ndarray,
    events: np.ndarray,
    k: int,
) -> tuple[float, int, int, int]:
    """One symbol as its own cash sleeve, driven by a long/flat signal column.

    Returns (final equity, fills, refusals, events written)."""
    n_bars = close.shape[0]
    mode = cfg[C_FILL]
    lag = 0 if mode == FILL_CLOSE else 1
    cash_box = np.empty(1)
    state = np.zeros((N_STATE, 1))
    cash = cash0
    held = 0.0
    sellable = 0.0
    last = np.nan
    lot_min, lot_step, lot_max = lots[0, i], lots[1, i], lots[2, i]
    g = groups[i]
    part = cfg[C_PART]
    has_adj = adj.shape[0] > 0
    fills = 0
    refused = 0
    for t in range(n_bars):
        if has_adj:
            r = adj[t, i]
            if r != 1.0 and r == r:
                last = last / r
                if held > 0.0:
                    whole, in_lieu = split_holding(held, r, last)
                    cash += in_lieu
                    k = record_corporate(events, k, t, i, whole - held, in_lieu)
                    held = whole
        if day_start[t]:
            sellable = held
        ts = t - lag
        if ts >= 0:
            want = signal[ts]
            side = 0
            if want > 0 and held == 0.0:
                side = 1
            elif want <= 0 and held > 0.0:
                side = -1
            if side != 0:
                base = base_price(mode, open_[t, i], close[t, i], vwap[t, i])
                price, reason = exec_price(
                    side, base, low[t, i], high[t, i], up[t, i], dn[t, i], np.nan, cfg
                )
                q = 0.0
                if price == price:
                    cap = np.inf if part <= 0.0 else np.floor(part * volume[t, i])
                    cash_box[0] = cash
                    state[S_SHARES, 0] = held
                    state[S_SELLABLE, 0] = sellable
                    q, comm, stamp, tr, ex, reason = execute(
                        side,
                        -1.0 if side > 0 else held,
                        size * cash,
                        price,
                        cash_box,
                        0,
                        state,
                        0,
                        lot_min,
                        lot_max,
                        lot_step,
                        cap,
                        0.0,
                        0.0,
                        cfg,
                        rates[t, g],
                    )
                    if q > 0.0:
                        cash = cash_box[0]
                        held = state[S_SHARES, 0]
                        sellable = state[S_SELLABLE, 0]
                        fills += 1
                        k = record_fill(
                            events, k, t, i, -1, side, q, price, (comm, stamp, tr, ex), reason
                        )
                if q <= 0.0:
                    refused += 1
                    k = refuse(events, k, t, i, -1, side, reason)
        c = close[t, i]
        if c == c:
            last = c
        equity[t] += cash + (held * last if held != 0.0 else 0.0)
    return cash + (held * last if held != 0.0 else 0.0), fills, refused, k


@njit(cache=True, parallel=True)
def run_signal_sleeves(
    signal: np.ndarray,
    size: float,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    vwap: np.ndarray,
    volume: np.ndarray,
    up: np.ndarray,
    dn: np.ndarray,
    adj: np.ndarray,
    day_start: np.ndarray,
    lots: np.ndarray,
    groups: np.ndarray,
    rates: np.ndarray,
    cfg: np.ndarray,
    cash0: float,
    n_chunks: int,
    events: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Every symbol as its own sleeve, chunks of symbols in parallel.

    ``events`` is ``(n_chunks, N_EVENT_COLS, capacity)``. Returns the equity per bar and
    chunk, and the events per chunk (a count above the capacity means the caller must
    run again with more room).
    """
    n_bars, n_syms = close.shape
    equity = np.zeros((n_chunks, n_bars))
    counts = np.zeros(n_chunks, np.int64)
    for c in prange(n_chunks):
        lo = c * n_syms // n_chunks
        hi = (c + 1) * n_syms // n_chunks
        k = 0
        for i in range(lo, hi):
            _, _, _, k = _signal_column(
                i,
                signal[:, i],
                size,
                open_,
                high,
                low,
                close,
                vwap,
                volume,
                up,
                dn,
                adj,
                day_start,
                lots,
                groups,
                rates,
                cfg,
                cash0,
                equity[c],
                events[c],
                k,
            )
        counts[c] = k
    return equity, counts


_F2 = types.Array(types.float64, 2, "A", readonly=True)
#: The type of a vectorised signal function, ``fn(close_column, params_row, out)``: a
#: read-only close column, the parameter row, and the signal array it writes.
SIGNAL_FN_SIGNATURE = types.void(
    types.Array(types.float64, 1, "A", readonly=True),
    types.Array(types.float64, 1, "A"),
    types.float64[:],
)
_SWEEP_SIGNATURE = types.Tuple((types.float64[:, :], types.int64[:], types.int64[:]))(
    types.FunctionType(SIGNAL_FN_SIGNATURE),
    types.Array(types.float64, 2, "A"),
    _F2,
    _F2,
    _F2,
    _F2,
    _F2,
    _F2,
    _F2,
    _F2,
    _F2,
    types.Array(types.boolean, 1, "A", readonly=True),
    _F2,
    types.Array(types.int64, 1, "A", readonly=True),
    types.Array(types.float64, 3, "A", readonly=True),
    types.Array(types.float64, 1, "A", readonly=True),
    types.float64,
)


@functools.cache
def sweep_kernel() -> Any:
    """:func:`sweep_signal_sleeves` compiled, on first use, for its one signature.

    The signal function is typed as a first-class function (a pointer of one
    signature), not as its dispatcher, so the kernel is compiled once for every signal
    function and loaded from numba's cache in later processes."""
    return njit(_SWEEP_SIGNATURE, cache=True, parallel=True)(sweep_signal_sleeves)


def sweep_signal_sleeves(
    signal_fn: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    params: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    vwap: np.ndarray,
    volume: np.ndarray,
    up: np.ndarray,
    dn: np.ndarray,
    adj: np.ndarray,
    day_start: np.ndarray,
    lots: np.ndarray,
    groups: np.ndarray,
    rates: np.ndarray,
    cfg: np.ndarray,
    cash0: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A parameter sweep of a signal function over per-symbol sleeves, inside numba.

    ``signal_fn(close_column, params_row, out)`` writes one symbol's long/flat signal
    for one parameter row. Parameter rows run in parallel; each row's symbols run in
    turn. Returns equity ``(P, bars)``, fills and refusals ``(P,)``.
    """
    n_bars, n_syms = close.shape
    n_params = params.shape[0]
    equity = np.zeros((n_params, n_bars))
    fills = np.zeros(n_params, np.int64)
    refused = np.zeros(n_params, np.int64)
    for p in prange(n_params):
        signal = np.empty(n_bars)
        scratch = np.empty((N_EVENT_COLS, 0))
        f_total = 0
        r_total = 0
        for i in range(n_syms):
            signal_fn(close[:, i], params[p], signal)
            _, f, r, _ = _signal_column(
                i,
                signal,
                1.0,
                open_,
                high,
                low,
                close,
                vwap,
                volume,
                up,
                dn,
                adj,
                day_start,
                lots,
                groups,
                rates,
                cfg,
                cash0,
                equity[p],
                scratch,
                0,
            )
            f_total += f
            r_total += r
        fills[p] = f_total
        refused[p] = r_total
    return equity, fills, refused


@njit(cache=True, nogil=True)
def run_targets_shared(
    targets: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    vwap: np.ndarray,
    volume: np.ndarray,
    up: np.ndarray,
    dn: np.ndarray,
    adj: np.ndarray,
    day_start: np.ndarray,
    lots: np.ndarray,
    groups: np.ndarray,
    rates: np.ndarray,
    cfg: np.ndarray,
    cash0: float,
    entry_only: bool,
    events: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Target weights with one shared cash account, bar by bar (sells before buys).

    ``targets[t, i]`` is the weight of total equity wanted in symbol i, decided at bar t
    (NaN: no instruction). With ``entry_only`` a positive weight only opens a position
    in a flat symbol (a held one is not rebalanced) and zero closes it: long/flat
    signals on shared cash. An entry too small for one lot is refused with its reason;
    a rebalance of less than a lot is not an order. Returns equity and cash per bar and
    the event count.
    """
    n_bars, n_syms = close.shape
    mode = cfg[C_FILL]
    lag = 0 if mode == FILL_CLOSE else 1
    part = cfg[C_PART]
    cash = np.empty(1)
    cash[0] = cash0
    state = np.zeros((N_STATE, n_syms))
    state[S_LAST, :] = np.nan
    equity = np.empty(n_bars)
    cash_curve = np.empty(n_bars)
    k = 0
    for t in range(n_bars):
        if day_start[t]:
            k = start_of_day(t, adj, state, cash, False, events, k)
        ts = t - lag
        if ts >= 0:
            ref = cash[0]
            for i in range(n_syms):
                held = state[S_SHARES, i]
                if held != 0.0:
                    p = base_price(mode, open_[t, i], close[t, i], vwap[t, i])
                    ref += held * (p if p == p else state[S_LAST, i])
            for phase in (-1, 1):
                for i in range(n_syms):
                    w = targets[ts, i]
                    if w != w:
                        continue
                    held = state[S_SHARES, i]
                    if entry_only and w > 0.0 and held > 0.0:
                        continue
                    base = base_price(mode, open_[t, i], close[t, i], vwap[t, i])
                    mark_px = base if base == base else state[S_LAST, i]
                    if mark_px != mark_px:
                        if phase > 0 and w > 0.0:
                            k = refuse(events, k, t, i, -1, 1, R_NO_PRICE)
                        continue
                    budget = w * ref - held * mark_px
                    delta = budget / mark_px
                    side = 1 if delta > 0 else -1
                    if side != phase:
                        continue
                    if side > 0 and _grid_floor(delta, lots[0, i], lots[1, i]) < lots[0, i]:
                        if held == 0.0:
                            k = refuse(events, k, t, i, -1, side, R_BELOW_LOT)
                        continue
                    if side < 0 and held <= 0.0:
                        continue
                    price, reason = exec_price(
                        side, base, low[t, i], high[t, i], up[t, i], dn[t, i], np.nan, cfg
                    )
                    q = 0.0
                    if price == price:
                        cap = np.inf if part <= 0.0 else np.floor(part * volume[t, i])
                        wanted = -1.0 if side > 0 else -delta
                        q, comm, stamp, tr, ex, reason = execute(
                            side,
                            wanted,
                            budget,
                            price,
                            cash,
                            0,
                            state,
                            i,
                            lots[0, i],
                            lots[2, i],
                            lots[1, i],
                            cap,
                            0.0,
                            0.0,
                            cfg,
                            rates[t, groups[i]],
                        )
                        if q > 0.0:
                            k = record_fill(
                                events, k, t, i, -1, side, q, price, (comm, stamp, tr, ex), reason
                            )
                    if q <= 0.0:
                        k = refuse(events, k, t, i, -1, side, reason)
        value = mark(t, close, state)
        equity[t] = cash[0] + value
        cash_curve[t] = cash[0]
    return equity, cash_curve, k


@njit(cache=True, nogil=True)
def advance(
    t: int,
    new_day: bool,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    vwap: np.ndarray,
    volume: np.ndarray,
    up: np.ndarray,
    dn: np.ndarray,
    adj: np.ndarray,
    lots: np.ndarray,
    groups: np.ndarray,
    rates: np.ndarray,
    cfg: np.ndarray,
    day_end: bool,
    cash: np.ndarray,
    sleeves: bool,
    state: np.ndarray,
    book: np.ndarray,
    first: int,
    n_orders: int,
    events: np.ndarray,
    k: int,
) -> tuple[int, int, float]:
    """One bar of the event engine before the strategy runs: the day's start (T+1
    release, corporate actions), matching of the resting orders, marking to the close.
    Returns the event count, the first open order and the holdings' market value."""
    if new_day:
        k = start_of_day(t, adj, state, cash, sleeves, events, k)
    if first < n_orders:
        k, first = match_book(
            t,
            open_,
            high,
            low,
            close,
            vwap,
            volume,
            up,
            dn,
            lots,
            groups,
            rates,
            cfg,
            day_end,
            cash,
            sleeves,
            state,
            book,
            first,
            n_orders,
            events,
            k,
        )
    return k, first, mark(t, close, state)


@njit(cache=True, nogil=True)
def book_orders(
    book: np.ndarray,
    lo: int,
    hi: int,
    symbols: np.ndarray,
    kind: float,
    amounts: np.ndarray,
    limit: float,
    bar: float,
) -> None:
    """Write new open orders into ``book[:, lo:hi]`` (``amounts`` has one value or one
    per order)."""
    single = amounts.size == 1
    for j in range(lo, hi):
        book[:, j] = 0.0
        book[B_SYM, j] = symbols[j - lo]
        book[B_KIND, j] = kind
        book[B_AMOUNT, j] = amounts.flat[0] if single else amounts[j - lo]
        book[B_LIMIT, j] = limit
        book[B_BAR, j] = bar
        book[B_STATUS, j] = ST_OPEN
        book[B_DONE_BAR, j] = -1.0


@njit(cache=True, nogil=True)
def book_columns(
    book: np.ndarray,
    lo: int,
    columns: np.ndarray,
    kind: float,
    amount: float,
    bar: float,
    listed: np.ndarray,
    listed_row: int,
    n_syms: int,
) -> bool:
    """Write one market order per column (same kind and amount) from ``lo`` on; False
    (and nothing written) when a column is out of range or not listed. ``listed`` is
    ``(bars, symbols)``, or empty when every symbol is listed on every bar."""
    check = listed.shape[0] > 0
    for j in range(columns.shape[0]):
        c = columns[j]
        if c < 0 or c >= n_syms or (check and not listed[listed_row, c]):
            return False
    amounts = np.empty(1)
    amounts[0] = amount
    book_orders(book, lo, lo + columns.shape[0], columns, kind, amounts, np.nan, bar)
    return True
