"""The PTrade dialect: PTrade strategy files backtest unchanged on quantlib's engine.

A PTrade script gets its own namespace with PTrade's API: ``.SS`` codes in and out,
PTrade-shaped positions, orders and trades, status characters ``'0'`` to ``'9'``,
``get_history``/``get_price`` in PTrade's shapes, ``get_snapshot``, ``order_market``,
``on_order_response``/``on_trade_response`` callbacks. Underneath it is the ordinary
run: the same :class:`~quantlib.backtest.engine.Engine`, :class:`Context` and simulated
exchange as every other strategy, so fills, fees and the A-share rules are the same.

Load a script with :func:`load_ptrade_strategy` and run it with
:func:`~quantlib.backtest.run_backtest`, or call :func:`run_ptrade_backtest`. PTrade
functions that make no sense in a backtest here (``run_interval``, ``tick_data``
ordering, IPO, ETF and margin calls, fundamentals ...) raise
:class:`UnsupportedPTradeApiError` naming the function.

Examples
--------
>>> strategy = load_ptrade_strategy('''
... def initialize(context):
...     set_universe(['600570.SS'])
... def handle_data(context, data):
...     order('600570.SS', 100)
... ''')
>>> strategy.universe
['600570.SH']
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from quantlib.backtest import kernels as kn
from quantlib.backtest.context import BarData, Context, StrategyError
from quantlib.backtest.strategy import Hooks, LoadedStrategy
from quantlib.broker.ptrade.codes import from_ptrade_code, to_ptrade_code
from quantlib.broker.ptrade.context import (
    PTradeBlotter,
    PTradeContext,
    PTradeData,
    PTradeGlobal,
    PTradePortfolio,
)
from quantlib.broker.ptrade.messages import text as _t
from quantlib.broker.ptrade.objects import (
    PTradeOrder,
    PTradePosition,
    PTradeTrade,
    SecurityUnitData,
)
from quantlib.core.errors import ConfigError, MalformedSymbolError, UnknownFieldError
from quantlib.market.symbols import Exchange, split_symbol

if TYPE_CHECKING:
    from quantlib.backtest.gateway import SimulatedExchange
    from quantlib.backtest.market_data import MarketData
    from quantlib.backtest.result import BacktestResult


class UnsupportedPTradeApiError(StrategyError, NotImplementedError):
    """A PTrade function the dialect cannot run in a backtest; the message names it."""


#: PTrade names the dialect refuses, with the reason's catalog key.
UNSUPPORTED: Mapping[str, str] = {
    "run_interval": "live_only",
    "order_tick": "live_only",
    "get_snapshot_l2": "live_only",
    "get_tick_direction": "live_only",
    "get_transaction": "live_only",
    "get_gear_price": "live_only",
    "get_individual_entrust": "live_only",
    "get_individual_transaction": "live_only",
    "after_trading_order": "no_product",
    "after_trading_cancel_order": "no_product",
    "ipo_stocks_order": "no_product",
    "etf_basket_order": "no_product",
    "etf_purchase_redemption": "no_product",
    "debt_to_stock_order": "no_product",
    "margin_trade": "no_product",
    "margincash_open": "no_product",
    "margincash_close": "no_product",
    "marginsec_open": "no_product",
    "marginsec_close": "no_product",
    "get_fundamentals": "no_data",
    "get_index_stocks": "no_data",
    "get_industry_stocks": "no_data",
    "get_stock_blocks": "no_data",
    "get_stock_info": "no_data",
    "get_stock_status": "no_data",
    "get_stock_exrights": "no_data",
    "get_etf_list": "no_data",
    "get_ipo_stocks": "no_data",
    "get_research_path": "no_service",
    "get_user_name": "no_service",
    "send_email": "no_service",
    "send_qywx": "no_service",
    "permission_test": "no_service",
    "set_parameters": "no_setting",
    "set_yesterday_position": "no_setting",
    "set_fixed_slippage": "no_setting",
    "set_volume_ratio": "no_setting",
    "set_limit_mode": "no_setting",
    "order_target_percent": "no_percent",
}

#: ``order_market`` types each exchange accepts (0 counter-party best, 1 best-5 then
#: limit, 2 own-side best, 3 IOC, 4 best-5 IOC, 5 FOK).
MARKET_TYPES: Mapping[Exchange, frozenset[int]] = {
    Exchange.SH: frozenset({0, 1, 2, 4}),
    Exchange.SZ: frozenset({0, 2, 3, 4, 5}),
    Exchange.BJ: frozenset({0, 2, 3, 4, 5}),
}

#: Bar fields of ``get_history``/``get_price`` and the market array each reads.
FIELDS: Mapping[str, str] = {
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "price": "close",
    "volume": "volume",
    "money": "money",
    "preclose": "preclose",
    "high_limit": "up_limit",
    "low_limit": "down_limit",
}
_PRICE_FIELDS = frozenset(
    {"open", "high", "low", "close", "price", "preclose", "high_limit", "low_limit"}
)
_FREQUENCIES = {"1d": "1d", "daily": "1d", "1m": "1m", "minute": "1m"}
#: Hooks PTrade calls, besides the push callbacks.
PTRADE_HOOKS = ("initialize", "before_trading_start", "handle_data", "after_trading_end")
_CODE = re.compile(r"^\d{6}\.(SS|SZ|SH|BJ|XSHG|XSHE)$")


def _refuser(name: str, reason: str) -> Callable[..., Any]:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise UnsupportedPTradeApiError(_t("unsupported", name=name, why=_t(reason)))

    refuse.__name__ = name
    return refuse


class PTradeApi:
    """PTrade's functions for one run, on the run's :class:`Context`."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.g = PTradeGlobal()
        self.ptrade_context = PTradeContext(self)
        self.callbacks: dict[str, Callable[..., Any]] = {}
        self._trades: list[PTradeTrade] = []
        self._events_read = 0
        self._orders_read = 0
        self._reported: dict[int, str] = {}

    # -- the engine's arrays (read only) -----------------------------------------------------
    @property
    def _data(self) -> MarketData:
        data: MarketData = self.context._data
        return data

    @property
    def _exchange(self) -> SimulatedExchange:
        exchange: SimulatedExchange = self.context._x
        return exchange

    # -- codes --------------------------------------------------------------------------------
    def column_of(self, code: str) -> int | None:
        """Market-data column of a code in any form (None when unknown)."""
        try:
            return self._data.index.get(from_ptrade_code(code))
        except MalformedSymbolError:
            return None

    def _symbol(self, name: str, security: Any) -> str:
        if not isinstance(security, str):
            raise StrategyError(_t("one_code", name=name, value=security))
        try:
            return from_ptrade_code(security)
        except MalformedSymbolError:
            return security

    def _codes(self, security_list: Any) -> list[str]:
        if security_list is None:
            return [to_ptrade_code(s) for s in self.context.universe]
        if isinstance(security_list, str):
            return [security_list]
        return [str(s) for s in security_list]

    # -- objects ------------------------------------------------------------------------------
    def position_of(self, symbol: str) -> PTradePosition:
        """The PTrade position of a canonical symbol."""
        held = self.context.get_position(symbol)
        return PTradePosition(
            sid=to_ptrade_code(held.security),
            amount=held.amount,
            enable_amount=held.enable_amount,
            cost_basis=held.cost_basis,
            last_sale_price=held.last_sale_price,
        )

    def unit(self, code: str, t: int) -> SecurityUnitData:
        """``data[code]`` at bar ``t``: the last close on suspended bars, volume 0."""
        column = self.column_of(code)
        if column is None:
            raise KeyError(f"{code} is not in the backtest's market data")
        d = self._data
        close = float(d.close[t, column])
        volume = float(d.volume[t, column])
        if close != close:
            last = float(self._exchange.state[kn.S_LAST, column])
            bars = np.flatnonzero(~np.isnan(d.close[:t, column]))
            close = float(d.close[bars[-1], column]) if bars.size else last
            return SecurityUnitData(
                d.times[t].to_pydatetime(), close, close, close, close, 0.0, 0.0, np.nan, np.nan
            )
        return SecurityUnitData(
            dt=d.times[t].to_pydatetime(),
            open=float(d.open[t, column]),
            high=float(d.high[t, column]),
            low=float(d.low[t, column]),
            close=close,
            volume=volume,
            money=float(d.bar_vwap[t, column]) * volume,
            high_limit=float(d.up_limit[t, column]),
            low_limit=float(d.down_limit[t, column]),
        )

    # -- setup --------------------------------------------------------------------------------
    def set_universe(self, security_list: str | Iterable[str]) -> None:
        """The codes the strategy trades (PTrade requires it in ``initialize``)."""
        items = [security_list] if isinstance(security_list, str) else list(security_list)
        self.context.set_universe([self._symbol("set_universe", s) for s in items])

    def set_benchmark(self, security: str) -> None:
        """The benchmark index of the report."""
        self.context.set_benchmark(self._symbol("set_benchmark", security))

    def set_commission(
        self,
        commission_ratio: float | None = None,
        min_commission: float | None = None,
        type: str = "STOCK",
    ) -> None:
        """Commission rate and minimum per order (backtest only, as in PTrade)."""
        self.context.set_commission(commission_ratio, min_commission, type)

    def set_slippage(self, slippage: float = 0.0) -> None:
        """Slippage as a fraction of the price (backtest only, as in PTrade)."""
        self.context.set_slippage(slippage)

    def run_daily(self, context: Any, func: Callable[..., Any], time: str = "9:31") -> None:
        """Call ``func(context)`` every trading day; daily backtests call it at 15:00."""
        ptrade_context = self.ptrade_context
        self.context.run_daily(lambda _context: func(ptrade_context), time=str(time))

    def get_frequency(self) -> str:
        """The backtest's bar frequency: ``'1d'`` or ``'1m'``."""
        return self._data.freq

    def is_trade(self) -> bool:
        """False: this is a backtest, not PTrade's trading module."""
        return False

    # -- orders -------------------------------------------------------------------------------
    def order(self, security: str, amount: int, limit_price: float | None = None) -> str | None:
        """Buy (amount > 0) or sell (< 0) shares; the order id, or None when refused."""
        result = self.context.order(self._symbol("order", security), amount, limit_price)
        return None if result is None else str(result)

    def order_target(
        self, security: str, amount: int, limit_price: float | None = None
    ) -> str | None:
        """Trade to hold ``amount`` shares."""
        symbol = self._symbol("order_target", security)
        result = self.context.order_target(symbol, amount, limit_price)
        return None if result is None else str(result)

    def order_value(
        self, security: str, value: float, limit_price: float | None = None
    ) -> str | None:
        """Buy (value > 0) or sell (< 0) about ``value`` yuan."""
        result = self.context.order_value(self._symbol("order_value", security), value, limit_price)
        return None if result is None else str(result)

    def order_target_value(
        self, security: str, value: float, limit_price: float | None = None
    ) -> str | None:
        """Trade to hold about ``value`` yuan of the security."""
        symbol = self._symbol("order_target_value", security)
        result = self.context.order_target_value(symbol, value, limit_price)
        return None if result is None else str(result)

    def order_market(
        self,
        security: str,
        amount: int,
        market_type: int,
        limit_price: float | None = None,
    ) -> str | None:
        """A market order of a PTrade market type. Shanghai needs a protective
        ``limit_price``; the backtest fills it like a limit order at that price."""
        symbol = self._symbol("order_market", security)
        exchange = split_symbol(symbol)[1]
        allowed = MARKET_TYPES[exchange]
        if market_type not in allowed:
            raise StrategyError(
                _t(
                    "market_type",
                    market_type=market_type,
                    exchange=exchange.value,
                    allowed=", ".join(map(str, sorted(allowed))),
                )
            )
        if exchange is Exchange.SH and limit_price is None:
            raise StrategyError(_t("protect_price", code=security))
        return self.order(security, amount, limit_price)

    def cancel_order(self, order_param: str | PTradeOrder) -> None:
        """Cancel an open order (by id or :class:`PTradeOrder`)."""
        number = order_param.id if isinstance(order_param, PTradeOrder) else order_param
        self.context.cancel_order(str(number))

    # -- queries ------------------------------------------------------------------------------
    def _today(self, orders: Iterable[PTradeOrder]) -> list[PTradeOrder]:
        today = self.context.current_dt.date()
        return [o for o in orders if o.created.date() == today]

    def _of(self, orders: list[PTradeOrder], security: str | None) -> list[PTradeOrder]:
        if security is None:
            return orders
        code = to_ptrade_code(self._symbol("security", security))
        return [o for o in orders if o.symbol == code]

    def get_open_orders(self, security: str | None = None) -> list[PTradeOrder]:
        """Orders that can still fill."""
        orders = [PTradeOrder.from_order(o) for o in self.context.get_open_orders()]
        return self._of(orders, security)

    def get_orders(self, security: str | None = None) -> list[PTradeOrder]:
        """Today's orders."""
        orders = self._today(PTradeOrder.from_order(o) for o in self.context.get_orders())
        return self._of(orders, security)

    def get_order(self, order_id: str) -> PTradeOrder | None:
        """One order by id (None when there is none)."""
        try:
            return PTradeOrder.from_order(self.context.get_order(str(order_id)))
        except StrategyError:
            return None

    def get_all_orders(self, security: str | None = None) -> list[dict[str, Any]]:
        """Today's orders as the counter's dicts (no manual orders in a backtest)."""
        return [o.response() for o in self.get_orders(security)]

    def get_trades(self) -> list[PTradeTrade]:
        """Today's fills."""
        self.sync(push=False)
        today = self.context.current_dt.date()
        return [t for t in self._trades if t.business_time.date() == today]

    def get_position(self, security: str) -> PTradePosition:
        """The position of one code (zero amounts when none)."""
        return self.position_of(self._symbol("get_position", security))

    def get_positions(self, security_list: Any = None) -> dict[str, PTradePosition]:
        """Positions by PTrade code: of the codes given, else all held."""
        if security_list is None:
            return self.ptrade_context.portfolio.positions
        return {
            to_ptrade_code(self._symbol("get_positions", c)): self.get_position(c)
            for c in self._codes(security_list)
        }

    # -- market data --------------------------------------------------------------------------
    def _check_frequency(self, frequency: str) -> None:
        if _FREQUENCIES.get(frequency) != self._data.freq:
            raise UnknownFieldError(_t("frequency", frequency=frequency, freq=self._data.freq))

    def _field_arrays(
        self, columns: list[int], start: int, stop: int, fields: list[str], fq: str | None
    ) -> dict[str, np.ndarray]:
        d = self._data
        for name in fields:
            if name not in FIELDS:
                raise UnknownFieldError(_t("field", field=name, known=", ".join(FIELDS)))
        if fq not in (None, "pre", "dypre", "post"):
            raise UnknownFieldError(_t("field", field=f"fq={fq}", known="None, pre, dypre, post"))
        index = np.asarray(columns, dtype=np.int64)
        scale = np.ones((stop - start, len(index)))
        if fq is not None and d.adj.size:
            cumulative = np.cumprod(d.adj[: max(stop, self.context.bar + 1)][:, index], axis=0)
            scale = cumulative[start:stop]
            if fq != "post":
                scale = scale / cumulative[self.context.bar]
        out: dict[str, np.ndarray] = {}
        for name in fields:
            source = FIELDS[name]
            if source == "money":
                values = (d.bar_vwap * d.volume)[start:stop][:, index]
            elif source == "preclose":
                values = np.full((stop - start, len(index)), np.nan)
                lo = max(start - 1, 0)
                previous = d.close[lo : stop - 1][:, index]
                values[len(values) - len(previous) :] = previous
            else:
                values = np.asarray(getattr(d, source)[start:stop][:, index], dtype=np.float64)
            if name in _PRICE_FIELDS:
                values = values * scale
            out[name] = values
        return out

    def _shape(
        self,
        codes: list[str],
        single: bool,
        start: int,
        stop: int,
        field: str | list[str],
        fq: str | None,
        fill: str,
        is_dict: bool,
    ) -> Any:
        columns = []
        for code in codes:
            column = self.column_of(code)
            if column is None:
                raise UnknownFieldError(f"{code} is not in the backtest's market data")
            columns.append(column)
        fields = [field] if isinstance(field, str) else list(field)
        arrays = self._field_arrays(columns, start, stop, fields, fq)
        times = self._data.times[start:stop]
        if fill == "pre":
            for name, values in arrays.items():
                if name != "volume":
                    arrays[name] = pd.DataFrame(values).ffill().to_numpy()
        if is_dict:
            out: dict[str, np.ndarray] = {}
            dtype = [("datetime", "datetime64[ns]")] + [(n, "f8") for n in fields]
            for j, code in enumerate(codes):
                record = np.empty(len(times), dtype=dtype)
                record["datetime"] = times.tz_localize(None) if times.tz else times
                for name in fields:
                    record[name] = arrays[name][:, j]
                out[code] = record
            return out
        if single:
            return pd.DataFrame({n: arrays[n][:, 0] for n in fields}, index=times)
        if isinstance(field, str):
            return pd.DataFrame(arrays[field], index=times, columns=codes)
        parts = [
            pd.DataFrame({"code": code, **{n: arrays[n][:, j] for n in fields}}, index=times)
            for j, code in enumerate(codes)
        ]
        return pd.concat(parts)

    def get_history(
        self,
        count: int,
        frequency: str = "1d",
        field: str | list[str] = "close",
        security_list: Any = None,
        fq: str | None = None,
        include: bool = False,
        fill: str = "nan",
        is_dict: bool = False,
    ) -> Any:
        """The last ``count`` bars (the current one only with ``include=True``).

        One code: a DataFrame with a column per field. Several codes and one field: a
        DataFrame with a column per code. Several codes and fields: a long DataFrame with
        a ``code`` column. ``is_dict=True``: ``{code: structured array}`` with a
        ``datetime`` column and one per field.
        """
        self._check_frequency(frequency)
        if count < 1:
            raise StrategyError(f"get_history count must be at least 1, got {count}")
        stop = self.context.bar + (1 if include else 0)
        start = max(0, stop - count)
        codes = self._codes(security_list)
        single = isinstance(security_list, str)
        return self._shape(codes, single, start, stop, field, fq, fill, is_dict)

    def get_price(
        self,
        security: Any,
        start_date: Any = None,
        end_date: Any = None,
        frequency: str = "1d",
        fields: str | list[str] | None = None,
        fq: str | None = None,
        count: int | None = None,
    ) -> Any:
        """Bars between two dates, or the ``count`` bars up to ``end_date``; never the
        current day (as PTrade). Shapes as :meth:`get_history`."""
        self._check_frequency(frequency)
        if (start_date is None) == (count is None):
            raise StrategyError(_t("price_args"))
        times = self._data.times
        today = self.context.current_dt
        now = self.context.bar
        if end_date is None:
            stop = now
        else:
            end = _timestamp(end_date, times, end=True)
            if end.normalize() > today.normalize():
                raise StrategyError(
                    _t("future_date", name="end_date", date=end.date(), today=today.date())
                )
            stop = min(int(times.searchsorted(end, side="right")), now)
        if count is not None:
            start = max(0, stop - int(count))
        else:
            start = int(times.searchsorted(_timestamp(start_date, times, end=False)))
        chosen = (
            fields if fields is not None else ["open", "high", "low", "close", "volume", "money"]
        )
        codes = self._codes(security)
        return self._shape(
            codes, isinstance(security, str), start, max(start, stop), chosen, fq, "nan", False
        )

    def get_snapshot(self, security: Any) -> dict[str, dict[str, Any]]:
        """The current bar as PTrade's snapshot: ``last_px``, ``open_px``, ``high_px``,
        ``low_px``, ``preclose_px``, ``up_px``, ``down_px``, ``business_amount``,
        ``business_balance``, ``px_change_rate`` and ``trade_status`` (``'TRADE'``,
        or ``'SUSP'`` when suspended). There is no order book (``bid_grp``/``offer_grp``)."""
        t = self.context.bar
        out: dict[str, dict[str, Any]] = {}
        for code in self._codes(security):
            column = self.column_of(code)
            if column is None:
                continue
            unit = self.unit(code, t)
            previous = self._data.close[:t, column]
            seen = previous[~np.isnan(previous)]
            preclose = float(seen[-1]) if seen.size else np.nan
            suspended = self._data.close[t, column] != self._data.close[t, column]
            out[code] = {
                "last_px": unit.close,
                "open_px": unit.open,
                "high_px": unit.high,
                "low_px": unit.low,
                "preclose_px": preclose,
                "up_px": float(self._data.up_limit[t, column]),
                "down_px": float(self._data.down_limit[t, column]),
                "business_amount": unit.volume,
                "business_balance": unit.money,
                "px_change_rate": (unit.close / preclose - 1.0) * 100.0 if preclose else np.nan,
                "trade_status": "SUSP" if suspended else "TRADE",
            }
        return out

    def get_trade_days(
        self, start_date: Any = None, end_date: Any = None, count: int | None = None
    ) -> np.ndarray:
        """Trading days as ``datetime.date`` (up to ``end_date``, default the current
        day): from ``start_date``, or the last ``count``."""
        from quantlib.market.calendar import default_calendar

        calendar = default_calendar()
        end = (
            pd.Timestamp(end_date).date()
            if end_date is not None
            else self.context.current_dt.date()
        )
        if count is not None:
            days = calendar.trading_days(calendar.first, end)[-int(count) :]
        else:
            start = pd.Timestamp(start_date).date() if start_date is not None else calendar.first
            days = calendar.trading_days(start, end)
        return np.array([dt.date.fromisoformat(str(d)) for d in days], dtype=object)

    def get_Ashares(self, date: Any = None) -> list[str]:  # noqa: N802 - PTrade's name
        """The A-shares of the backtest's market data listed on ``date`` (default today)."""
        d = self._data
        t = self.context.bar
        if date is not None:
            t = max(0, int(d.times.searchsorted(_timestamp(date, d.times, end=True), "right")) - 1)
        listed = np.ones(len(d.symbols), dtype=bool) if d.listed is None else d.listed[t]
        return [to_ptrade_code(s) for s, on in zip(d.symbols, listed, strict=True) if on]

    def check_limit(self, security: Any, query_date: Any = None) -> dict[str, int]:
        """Per code: 1 closed limit-up, -1 closed limit-down, 2 touched the up limit,
        -2 touched the down limit, 0 neither."""
        d = self._data
        t = self.context.bar
        if query_date is not None:
            end = _timestamp(query_date, d.times, end=True)
            t = max(0, int(d.times.searchsorted(end, "right")) - 1)
        out: dict[str, int] = {}
        for code in self._codes(security):
            column = self.column_of(code)
            if column is None:
                continue
            close, high, low = d.close[t, column], d.high[t, column], d.low[t, column]
            up, down = d.up_limit[t, column], d.down_limit[t, column]
            state = 0
            if close >= up:
                state = 1
            elif close <= down:
                state = -1
            elif high >= up:
                state = 2
            elif low <= down:
                state = -2
            out[code] = state
        return out

    # -- push callbacks -----------------------------------------------------------------------
    def sync(self, *, push: bool = True) -> None:
        """Read new fills and order changes; with ``push``, call the strategy's
        ``on_trade_response``/``on_order_response`` with them."""
        x = self._exchange
        events = x.events
        new: list[PTradeTrade] = []
        for k in range(self._events_read, x.n_events):
            if events[kn.E_TYPE, k] != kn.EV_FILL:
                continue
            side = events[kn.E_SIDE, k]
            new.append(
                PTradeTrade(
                    business_id=f"T{k}",
                    order_id=str(int(events[kn.E_ORDER, k])),
                    security=to_ptrade_code(self._data.symbols[int(events[kn.E_SYM, k])]),
                    entrust_bs="1" if side > 0 else "2",
                    business_amount=int(events[kn.E_QTY, k]),
                    business_price=float(events[kn.E_PRICE, k]),
                    business_balance=float(events[kn.E_VALUE, k]),
                    business_time=self._data.times[int(events[kn.E_BAR, k])].to_pydatetime(),
                    fees=float(
                        events[kn.E_COMM, k]
                        + events[kn.E_STAMP, k]
                        + events[kn.E_TRANSFER, k]
                        + events[kn.E_EXCH, k]
                    ),
                )
            )
        self._events_read = x.n_events
        self._trades.extend(new)
        if not push:
            return
        on_order = self.callbacks.get("on_order_response")
        if on_order is not None:
            changed = []
            for number in [*self._reported, *range(self._orders_read, x.n_orders)]:
                order = PTradeOrder.from_order(x.order(number))
                if self._reported.get(number) != order.status:
                    changed.append(order.response())
                self._reported[number] = order.status
                if order.status in ("5", "6", "8", "9"):
                    del self._reported[number]
            self._orders_read = x.n_orders
            if changed:
                on_order(self.ptrade_context, changed)
        on_trade = self.callbacks.get("on_trade_response")
        if on_trade is not None and new:
            on_trade(self.ptrade_context, [t.response() for t in new])

    # -- the namespace ----------------------------------------------------------------------
    def namespace(self) -> dict[str, Any]:
        """The globals a PTrade script sees."""
        names: dict[str, Any] = {name: _refuser(name, why) for name, why in UNSUPPORTED.items()}
        for name in (
            "set_universe",
            "set_benchmark",
            "set_commission",
            "set_slippage",
            "run_daily",
            "get_frequency",
            "is_trade",
            "order",
            "order_target",
            "order_value",
            "order_target_value",
            "order_market",
            "cancel_order",
            "get_open_orders",
            "get_orders",
            "get_order",
            "get_all_orders",
            "get_trades",
            "get_position",
            "get_positions",
            "get_history",
            "get_price",
            "get_snapshot",
            "get_trade_days",
            "get_Ashares",
            "check_limit",
        ):
            names[name] = getattr(self, name)
        names["g"] = self.g
        names["log"] = self.context.log
        return names


def _timestamp(value: Any, times: pd.DatetimeIndex, *, end: bool) -> pd.Timestamp:
    """A PTrade date argument (``'20240102'``, ``'2024-01-02 10:00'`` ...) on the
    market's time axis; a bare date at the end of a range covers the whole day."""
    stamp = pd.Timestamp(str(value) if not isinstance(value, dt.date) else value)
    if times.tz is not None and stamp.tz is None:
        stamp = stamp.tz_localize(times.tz)
    if end and stamp == stamp.normalize():
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return stamp


def _hooks(api: PTradeApi, namespace: Mapping[str, Any]) -> Hooks:
    ptrade_context = api.ptrade_context
    user = {name: namespace.get(name) for name in PTRADE_HOOKS}
    for name in ("on_order_response", "on_trade_response"):
        if callable(namespace.get(name)):
            api.callbacks[name] = namespace[name]
    views: dict[int, PTradeData] = {}

    def data_of(bar: BarData) -> PTradeData:
        view = views.get(id(bar))
        if view is None:
            view = views[id(bar)] = PTradeData(api, bar)
        return view

    user_initialize: Callable[[Any], Any] = namespace["initialize"]

    def initialize(context: Context) -> None:
        user_initialize(ptrade_context)

    def before_trading_start(context: Context, bar: BarData) -> None:
        fn = user["before_trading_start"]
        if fn is not None:
            fn(ptrade_context, data_of(bar))

    def handle_data(context: Context, bar: BarData) -> None:
        api.sync()
        fn = user["handle_data"]
        if fn is not None:
            fn(ptrade_context, data_of(bar))

    def after_trading_end(context: Context, bar: BarData) -> None:
        api.sync()
        fn = user["after_trading_end"]
        if fn is not None:
            fn(ptrade_context, data_of(bar))
        api.g.check_persistable()

    return Hooks(
        {
            "initialize": initialize,
            "before_trading_start": before_trading_start if user["before_trading_start"] else None,
            "handle_data": handle_data,
            "after_trading_end": after_trading_end,
        }
    )


def _binder(source: str, filename: str) -> Callable[[Context], Hooks]:
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as error:
        raise StrategyError(
            _t("no_compile", file=filename, msg=error.msg, line=error.lineno)
        ) from None

    def bind(context: Context) -> Hooks:
        api = PTradeApi(context)
        namespace: dict[str, Any] = {"__name__": "__strategy__", "__file__": filename}
        namespace.update(api.namespace())
        try:
            exec(code, namespace)
        except Exception as error:
            raise StrategyError(_t("load_failed", file=filename, error=repr(error))) from error
        if not callable(namespace.get("initialize")):
            raise StrategyError(_t("no_initialize", file=filename))
        if not callable(namespace.get("handle_data")):
            raise StrategyError(_t("no_handle_data", file=filename))
        return _hooks(api, namespace)

    return bind


def script_codes(source: str, filename: str = "<ptrade>") -> list[str] | None:
    """The canonical symbols of the code literals (``'600570.SS'`` ...) in a script, in
    order of appearance; None when it names none."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as error:
        raise StrategyError(
            _t("no_compile", file=filename, msg=error.msg, line=error.lineno)
        ) from None
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip().upper()
            if _CODE.match(text):
                symbol = from_ptrade_code(text)
                if symbol not in found:
                    found.append(symbol)
    return found or None


def load_ptrade_strategy(strategy: str | Path, *, name: str | None = None) -> LoadedStrategy:
    """A PTrade script (a ``.py`` path or source text) ready for
    :func:`~quantlib.backtest.run_backtest`.

    Its universe, used when the run loads data from a store without ``symbols``, is the
    codes the script names literally.
    """
    if isinstance(strategy, Path) or (
        isinstance(strategy, str) and "\n" not in strategy and strategy.endswith(".py")
    ):
        path = Path(strategy)
        if not path.is_file():
            raise ConfigError(_t("not_found", file=path))
        source, label, filename = path.read_text(encoding="utf-8"), path.stem, str(path)
    else:
        source, label, filename = str(strategy), "ptrade", "<ptrade>"
    label = name or label
    binder = _binder(source, filename)
    return LoadedStrategy(label, source, {}, binder, script_codes(source, filename))


def run_ptrade_backtest(
    strategy: str | Path, data: MarketData | None = None, **options: Any
) -> BacktestResult:
    """Backtest a PTrade script: :func:`load_ptrade_strategy`, then
    :func:`~quantlib.backtest.run_backtest` with ``data`` and ``options``."""
    from quantlib.backtest.engine import run_backtest

    loaded = load_ptrade_strategy(strategy, name=options.pop("name", None))
    return run_backtest(loaded, data, **options)


__all__ = [
    "FIELDS",
    "MARKET_TYPES",
    "PTRADE_HOOKS",
    "UNSUPPORTED",
    "PTradeApi",
    "PTradeBlotter",
    "PTradeContext",
    "PTradeData",
    "PTradeGlobal",
    "PTradePortfolio",
    "UnsupportedPTradeApiError",
    "load_ptrade_strategy",
    "run_ptrade_backtest",
    "script_codes",
]
