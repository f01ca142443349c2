"""What a strategy sees: the context, its portfolio, the bar data and the order calls.

One :class:`Context` per run; nothing is global, so runs can share a process, threads
or a Dask worker. Order calls validate what they can (phase, symbol, lot grid,
arguments), record refusals with a reason, and pass the rest to the run's gateway.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from quantlib.backtest import kernels as kn
from quantlib.core.errors import ConfigError, QuantlibError, UnknownFieldError
from quantlib.market.symbols import try_normalize_symbol
from quantlib.model.orders import Order, OrderKind, Reason

if TYPE_CHECKING:
    from quantlib.backtest.gateway import SimulatedExchange
    from quantlib.backtest.market_data import MarketData

PHASES = ("initialize", "before_trading_start", "handle_data", "after_trading_end", "done")
ORDER_PHASES = frozenset({"handle_data"})
SETUP_PHASES = frozenset({"initialize"})


_TARGETS = frozenset({OrderKind.TARGET_SHARES, OrderKind.TARGET_VALUE, OrderKind.TARGET_PERCENT})


def _scalar_ok(kind: OrderKind, amount: float) -> bool:
    """Whether one amount is valid for the order kind (the fast path's check)."""
    if not math.isfinite(amount):
        return False
    if kind in _TARGETS:
        return amount >= 0 and (kind is not OrderKind.TARGET_PERCENT or amount <= 1.0 + 1e-12)
    return amount != 0


class StrategyError(QuantlibError, RuntimeError):
    """A strategy called the API wrongly (wrong phase, bad argument) or raised."""


class GlobalState:
    """``g``: the strategy's own state, one object per run."""

    def __repr__(self) -> str:
        return f"g({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


@dataclass(frozen=True, slots=True)
class Position:
    """One holding (JoinQuant and PTrade attribute names both work)."""

    security: str
    amount: int
    enable_amount: int
    cost_basis: float
    last_sale_price: float

    @property
    def total_amount(self) -> int:
        """Shares held (JoinQuant name)."""
        return self.amount

    @property
    def closeable_amount(self) -> int:
        """Shares sellable today under T+1 (JoinQuant name)."""
        return self.enable_amount

    @property
    def sid(self) -> str:
        """The symbol (PTrade name)."""
        return self.security

    @property
    def avg_cost(self) -> float:
        """Average cost per share, fees included."""
        return self.cost_basis

    @property
    def price(self) -> float:
        """Last traded price."""
        return self.last_sale_price

    @property
    def value(self) -> float:
        """Market value at the last price."""
        return self.amount * self.last_sale_price


class Portfolio:
    """Cash, value and positions of the run at the current bar (read from the gateway)."""

    def __init__(self, exchange: SimulatedExchange) -> None:
        self._x = exchange
        self._shares = exchange.state[kn.S_SHARES].view()
        self._shares.flags.writeable = False

    @property
    def cash(self) -> float:
        """Available cash (over all sleeves)."""
        return self._x.total_cash

    @property
    def positions_value(self) -> float:
        """Market value of all holdings."""
        return self._x.value

    @property
    def total_value(self) -> float:
        """Cash plus holdings."""
        return self._x.total_cash + self._x.value

    portfolio_value = total_value

    @property
    def starting_cash(self) -> float:
        """Cash at the start of the run."""
        return self._x.config.cash

    @property
    def shares(self) -> np.ndarray:
        """Shares held per symbol column (read-only array; the fast path)."""
        return self._shares

    @property
    def sellable(self) -> np.ndarray:
        """Shares sellable today per symbol column (read-only)."""
        view = self._x.state[kn.S_SELLABLE].view()
        view.flags.writeable = False
        return view

    @property
    def positions(self) -> dict[str, Position]:
        """Holdings by symbol."""
        state = self._x.state
        symbols = self._x.data.symbols
        out = {}
        for i in np.flatnonzero(state[kn.S_SHARES]):
            amount = int(state[kn.S_SHARES, i])
            out[symbols[i]] = Position(
                symbols[i],
                amount,
                int(state[kn.S_SELLABLE, i]),
                float(state[kn.S_COST, i] / amount),
                float(state[kn.S_LAST, i]),
            )
        return out


class SecurityBar:
    """One symbol's current bar: ``bar.close`` or ``bar["close"]``."""

    __slots__ = ("_data", "_i", "_t")

    def __init__(self, data: MarketData, t: int, i: int) -> None:
        self._data, self._t, self._i = data, t, i

    def __getattr__(self, name: str) -> float:
        if name == "price":
            name = "close"
        if name not in BarData.FIELDS:
            raise AttributeError(name)
        return float(getattr(self._data, name)[self._t, self._i])

    def __getitem__(self, name: str) -> float:
        return self.__getattr__(name)


class BarData:
    """The bar data passed to ``handle_data``: ``data[symbol]`` for one symbol's bar,
    ``data.current(field)`` and ``data.history(field, count)`` as arrays over all symbol
    columns (the fast path), ``data.symbols`` for the column order."""

    FIELDS = ("open", "high", "low", "close", "volume", "up_limit", "down_limit")

    def __init__(self, data: MarketData) -> None:
        self._data = data
        self.t = 0

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbol of each column."""
        return self._data.symbols

    @property
    def time(self) -> pd.Timestamp:
        """Time of the current bar."""
        return self._data.times[self.t]

    def _field(self, name: str) -> np.ndarray:
        if name not in self.FIELDS:
            raise UnknownFieldError(f"unknown bar field {name!r}; known: {', '.join(self.FIELDS)}")
        array: np.ndarray = getattr(self._data, name)
        return array

    def current(self, field: str = "close") -> np.ndarray:
        """One field of the current bar for every symbol column."""
        return self._field(field)[self.t]

    def history(self, field: str = "close", count: int = 1) -> np.ndarray:
        """The last ``count`` bars (current included) of a field, ``(count, symbols)``."""
        if count < 1:
            raise ConfigError(f"history count must be at least 1, got {count}")
        return self._field(field)[max(0, self.t + 1 - count) : self.t + 1]

    def __getitem__(self, symbol: str) -> SecurityBar:
        return SecurityBar(self._data, self.t, self._data.column(symbol))

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and symbol in self._data.index


class Context:
    """The run's context: portfolio, clock, universe, parameters and the order calls."""

    def __init__(
        self,
        data: MarketData,
        exchange: SimulatedExchange,
        *,
        params: Mapping[str, Any] | None = None,
        mode: str = "backtest",
        logger: logging.Logger | None = None,
    ) -> None:
        self._data = data
        self._x = exchange
        self.portfolio = Portfolio(exchange)
        self.params = dict(params or {})
        self.mode = mode
        self.g = GlobalState()
        self.phase = "initialize"
        self.bar = 0
        self.universe: list[str] = list(data.symbols)
        self.benchmark: str | None = exchange.config.benchmark
        self.config = exchange.config
        self.scheduled: list[tuple[Callable[..., Any], str]] = []
        self.refused: list[dict[str, Any]] = []
        self.logs: list[str] = []
        self.log = logger or logging.getLogger("quantlib.strategy")

    # -- clock -----------------------------------------------------------------------------
    @property
    def current_dt(self) -> pd.Timestamp:
        """Time of the current bar."""
        return self._data.times[self.bar]

    @property
    def previous_date(self) -> pd.Timestamp | None:
        """The previous bar's date (None on the first bar)."""
        return self._data.times[self.bar - 1] if self.bar else None

    @property
    def blotter(self) -> Context:
        """PTrade's ``context.blotter.current_dt``."""
        return self

    # -- setup -------------------------------------------------------------------------------
    def _require_phase(self, name: str, allowed: frozenset[str]) -> None:
        if self.phase not in allowed:
            raise StrategyError(
                f"{name}() is allowed in {', '.join(sorted(allowed))}, not in {self.phase}"
            )

    def set_universe(self, symbols: str | Iterable[str]) -> None:
        """The symbols the strategy trades (must be in the run's market data)."""
        self._require_phase("set_universe", frozenset({"initialize", "before_trading_start"}))
        items = [symbols] if isinstance(symbols, str) else list(symbols)
        self.universe = [self._data.symbols[self._data.column(s)] for s in items]

    def set_benchmark(self, symbol: str) -> None:
        """The benchmark index of the run's report."""
        self._require_phase("set_benchmark", SETUP_PHASES)
        self.benchmark = try_normalize_symbol(symbol) or symbol

    def set_commission(
        self,
        commission_ratio: float | None = None,
        min_commission: float | None = None,
        type: str = "STOCK",
    ) -> None:
        """Commission rate and minimum per order (PTrade's signature; backtest only)."""
        self._require_phase("set_commission", SETUP_PHASES)
        update: dict[str, Any] = {}
        if commission_ratio is not None:
            update["commission_rate"] = commission_ratio
        if min_commission is not None:
            update["min_commission"] = min_commission
        self._reconfigure(update)

    def set_slippage(self, slippage: float = 0.0, ticks: int | None = None) -> None:
        """Slippage as a fraction of the price (PTrade) and/or in ticks."""
        self._require_phase("set_slippage", SETUP_PHASES)
        update: dict[str, Any] = {"slippage_bps": slippage * 1e4}
        if ticks is not None:
            update["slippage_ticks"] = ticks
        self._reconfigure(update)

    def _reconfigure(self, update: dict[str, Any]) -> None:
        try:
            config = self.config.model_validate({**self.config.model_dump(), **update})
        except ValueError as error:
            raise StrategyError(f"invalid setting: {error}") from None
        self.config = config
        self._x.config = config
        self._x.cfg = config.vector()

    def run_daily(self, *args: Any, time: str = "15:00") -> None:
        """Run ``func(context)`` every trading day (at the bar's close in daily backtests).

        Accepts PTrade's ``run_daily(context, func, time)`` and JoinQuant's
        ``run_daily(func, time)``."""
        self._require_phase("run_daily", SETUP_PHASES)
        items = [a for a in args if not isinstance(a, Context)]
        if not items or not callable(items[0]):
            raise StrategyError("run_daily needs a function to call")
        when = items[1] if len(items) > 1 else time
        self.scheduled.append((items[0], str(when)))

    # -- orders -------------------------------------------------------------------------------
    def _refuse(
        self, symbol: str, kind: OrderKind, amount: Any, reason: Reason, detail: str
    ) -> None:
        when = f"{self.current_dt:%Y-%m-%d %H:%M}"
        message = f"{when} {symbol} {kind.name.lower()} {amount}: {reason.message()}"
        if detail:
            message += f" ({detail})"
        self.refused.append(
            {
                "time": self.current_dt,
                "symbol": symbol,
                "kind": kind.name.lower(),
                "amount": amount,
                "reason": int(reason),
                "detail": detail,
            }
        )
        self.logs.append(message)
        self.log.warning(message)

    def _columns(self, security: Any, kind: OrderKind, amount: Any) -> tuple[np.ndarray, list[str]]:
        """Symbol columns of ``security`` (str, list of str, or int column array)."""
        if isinstance(security, np.ndarray) and security.dtype.kind in "iu":
            if security.size and (security.min() < 0 or security.max() >= len(self._data.symbols)):
                raise StrategyError("order symbol columns out of range")
            return security.astype(np.int64), []
        items = [security] if isinstance(security, str) else list(security)
        columns: list[int] = []
        bad: list[str] = []
        for item in items:
            symbol = try_normalize_symbol(item) if isinstance(item, str) else None
            column = self._data.index.get(symbol) if symbol else None
            if column is None:
                bad.append(str(item))
                self._refuse(str(item), kind, amount, Reason.UNKNOWN_SYMBOL, "")
            else:
                columns.append(column)
        return np.asarray(columns, dtype=np.int64), bad

    def _amount_error(self, kind: OrderKind, amounts: np.ndarray) -> np.ndarray:
        """True where an amount is invalid for the order kind."""
        bad = ~np.isfinite(amounts)
        if kind in (OrderKind.TARGET_SHARES, OrderKind.TARGET_VALUE, OrderKind.TARGET_PERCENT):
            bad |= amounts < 0
        else:
            bad |= amounts == 0
        if kind is OrderKind.TARGET_PERCENT:
            bad |= amounts > 1.0 + 1e-12
        return bad

    def _submit(
        self, kind: OrderKind, security: Any, amount: Any, limit_price: float | None
    ) -> str | np.ndarray | None:
        if (  # the fast path first: columns, one valid amount, a market order
            type(security) is np.ndarray
            and limit_price is None
            and kind is not OrderKind.SHARES
            and self.phase in ORDER_PHASES
            and security.dtype.kind in "iu"
            and isinstance(amount, float | int)
            and _scalar_ok(kind, float(amount))
        ):
            accepted = self._x.submit_columns(self.bar, security, kind, float(amount))
            if accepted is not None:
                return accepted
        single = isinstance(security, str)
        if isinstance(security, pd.Series) and amount is None:
            security, amount = list(security.index), security.to_numpy(dtype=np.float64)
        elif isinstance(security, Mapping) and amount is None:
            security, amount = list(security.keys()), np.asarray(list(security.values()), float)
        none: str | np.ndarray | None = None if single else np.empty(0, dtype=np.int64)
        if self.phase not in ORDER_PHASES:
            self._refuse(str(security), kind, amount, Reason.WRONG_PHASE, f"called in {self.phase}")
            return none
        columns, _bad = self._columns(security, kind, amount)
        if not columns.size:
            return none
        symbols = self._data.symbols
        limit = np.nan
        if limit_price is not None:
            try:
                limit = float(limit_price)
            except (TypeError, ValueError):
                limit = np.nan
            if not np.isfinite(limit) or limit <= 0:
                for c in columns:
                    self._refuse(
                        symbols[c],
                        kind,
                        amount,
                        Reason.INVALID_ARGUMENT,
                        f"limit price {limit_price!r}",
                    )
                return none
        try:
            amounts = np.asarray(amount, dtype=np.float64)
            if amounts.ndim:
                amounts = np.broadcast_to(amounts, columns.shape)
        except (TypeError, ValueError):
            for c in columns:
                self._refuse(symbols[c], kind, amount, Reason.INVALID_ARGUMENT, "amount")
            return none
        reject = np.broadcast_to(self._amount_error(kind, amounts), columns.shape)
        grid = np.zeros(columns.shape, dtype=bool)
        if kind is OrderKind.SHARES:
            lots = self._data.lots[:, columns]
            grid = (amounts > 0) & ((amounts < lots[0]) | (np.mod(amounts - lots[0], lots[1]) != 0))
        unlisted = np.zeros(columns.shape, dtype=bool)
        if self._data.listed is not None:
            unlisted = ~self._data.listed[self.bar, columns]
        drop = reject | grid | unlisted
        if drop.any():
            each = np.broadcast_to(amounts, columns.shape)
            for j in np.flatnonzero(drop):
                reason = (
                    Reason.INVALID_ARGUMENT
                    if reject[j]
                    else Reason.NOT_ON_LOT_GRID
                    if grid[j]
                    else Reason.NOT_TRADING
                )
                detail = "amount" if reject[j] else ""
                self._refuse(symbols[columns[j]], kind, float(each[j]), reason, detail)
            keep = ~drop
            columns = columns[keep]
            amounts = amounts[keep] if amounts.ndim else amounts
        numbers = self._x.submit(self.bar, columns, kind, amounts, limit)
        if single:
            return str(numbers[0]) if len(numbers) else None
        return numbers

    def order(self, security: Any, amount: Any = None, limit_price: float | None = None) -> Any:
        """Buy (amount > 0) or sell (< 0) shares; returns the order id (None if refused).

        Every order call also takes a list of symbols, an int array of symbol columns
        (``data.symbols`` order; the fast path) or a Series/dict of amounts, and then
        returns an int array of the accepted orders' numbers (their ids as text)."""
        return self._submit(OrderKind.SHARES, security, amount, limit_price)

    def order_target(
        self, security: Any, amount: Any = None, limit_price: float | None = None
    ) -> Any:
        """Trade to hold ``amount`` shares."""
        return self._submit(OrderKind.TARGET_SHARES, security, amount, limit_price)

    def order_value(
        self, security: Any, value: Any = None, limit_price: float | None = None
    ) -> Any:
        """Buy (value > 0) or sell (< 0) about ``value`` yuan, sized at the fill price."""
        return self._submit(OrderKind.VALUE, security, value, limit_price)

    def order_target_value(
        self, security: Any, value: Any = None, limit_price: float | None = None
    ) -> Any:
        """Trade to hold about ``value`` yuan of the symbol."""
        return self._submit(OrderKind.TARGET_VALUE, security, value, limit_price)

    def order_target_percent(
        self, security: Any, percent: Any = None, limit_price: float | None = None
    ) -> Any:
        """Trade to hold ``percent`` (0..1) of total equity (of the sleeve, without shared cash)."""
        return self._submit(OrderKind.TARGET_PERCENT, security, percent, limit_price)

    def cancel_order(self, order: str | Order) -> bool:
        """Cancel an open order by id; False when it is no longer open."""
        number = order.id if isinstance(order, Order) else order
        try:
            index = int(number)
        except (TypeError, ValueError):
            raise StrategyError(f"not an order id: {number!r}") from None
        return self._x.cancel(index, self.bar)

    # -- queries ------------------------------------------------------------------------------
    def get_open_orders(self, security: str | None = None) -> list[Order]:
        """Orders that can still fill (optionally of one symbol)."""
        orders = self._x.open_orders()
        if security is not None:
            symbol = try_normalize_symbol(security)
            orders = [o for o in orders if o.symbol == symbol]
        return orders

    def get_order(self, order_id: str) -> Order:
        """One order by id."""
        try:
            index = int(order_id)
        except (TypeError, ValueError):
            raise StrategyError(f"not an order id: {order_id!r}") from None
        if not 0 <= index < self._x.n_orders:
            raise StrategyError(f"no order with id {order_id!r}")
        return self._x.order(index)

    def get_orders(self) -> list[Order]:
        """Every order of the run so far."""
        return [self._x.order(j) for j in range(self._x.n_orders)]

    def get_position(self, security: str) -> Position:
        """The holding of one symbol (zero amounts when none)."""
        column = self._data.column(security)
        state = self._x.state
        amount = int(state[kn.S_SHARES, column])
        return Position(
            self._data.symbols[column],
            amount,
            int(state[kn.S_SELLABLE, column]),
            float(state[kn.S_COST, column] / amount) if amount else 0.0,
            float(state[kn.S_LAST, column]),
        )

    def get_positions(self, securities: Iterable[str] | None = None) -> dict[str, Position]:
        """Holdings (of some symbols, or all held)."""
        if securities is None:
            return self.portfolio.positions
        return {p.security: p for p in (self.get_position(s) for s in securities)}

    def get_history(
        self,
        count: int,
        frequency: str = "1d",
        field: str | list[str] = "close",
        security_list: str | list[str] | None = None,
        fq: str | None = None,
        include: bool = False,
        fill: str = "nan",
        is_dict: bool = False,
    ) -> Any:
        """PTrade's ``get_history``: the last ``count`` bars up to the current one
        (``include=False`` leaves the current bar out), as a DataFrame (dates x symbols,
        labelled with the codes as given, e.g. ``600570.SS``)
        for one field, or a dict/column-MultiIndex frame for several. ``fq`` is None,
        ``"pre"``/``"dypre"`` (forward-adjusted to the current bar) or ``"post"``."""
        if frequency not in ("1d", "daily", "1m", "minute"):
            raise UnknownFieldError(f"unknown frequency {frequency!r}")
        if fq not in (None, "pre", "dypre", "post"):
            raise UnknownFieldError(f"unknown adjustment fq={fq!r}; use None, 'pre' or 'post'")
        if count < 1:
            raise StrategyError(f"count must be at least 1, got {count}")
        stop = self.bar + (1 if include else 0)
        start = max(0, stop - count)
        symbols = (
            self.universe
            if security_list is None
            else ([security_list] if isinstance(security_list, str) else list(security_list))
        )
        columns = np.array([self._data.column(s) for s in symbols], dtype=np.int64)
        names = [field] if isinstance(field, str) else list(field)
        frames: dict[str, pd.DataFrame] = {}
        for name in names:
            values = BarData(self._data)._field(name)[start:stop][:, columns].copy()
            if fq is not None and name in (
                "open",
                "high",
                "low",
                "close",
                "up_limit",
                "down_limit",
            ):
                values = values * self._adjustment(start, stop, columns, fq)
            frame = pd.DataFrame(
                values,
                index=self._data.times[start:stop],
                columns=[str(s) for s in symbols],
            )
            if fill == "pre" and name != "volume":
                frame = frame.ffill()
            frames[name] = frame
        if is_dict:
            return {s: pd.DataFrame({n: f[s] for n, f in frames.items()}) for s in frames[names[0]]}
        if isinstance(field, str):
            return frames[field]
        return pd.concat(frames, axis=1)

    def _adjustment(self, start: int, stop: int, columns: np.ndarray, fq: str) -> np.ndarray:
        adj = self._data.adj
        if not adj.size:
            return np.ones((stop - start, len(columns)))
        cumulative = np.cumprod(adj[: max(stop, self.bar + 1)][:, columns], axis=0)
        window = cumulative[start:stop]
        if fq == "post":
            return window
        return window / cumulative[self.bar]


__all__ = [
    "BarData",
    "Context",
    "GlobalState",
    "Portfolio",
    "Position",
    "SecurityBar",
    "StrategyError",
]
