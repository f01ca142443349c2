"""The runtime an exported file carries: quantlib's strategy API on top of PTrade's.

:data:`RUNTIME_SOURCE` is Python source, not imported here: it is pasted into every
file ``quantlib ptrade export`` writes, between the compiled-in settings and the
strategy. It uses only the standard library, numpy, pandas and PTrade's own globals
(``order_target``, ``get_history``, ``log``, ``g`` ...), which it looks up when called,
never rebinds. It is written for old interpreters too (PTrade builds still run Python
3.5): no f-strings, no annotations.

The strategy's own references to quantlib's API names are renamed to the runtime's
``_ql_*`` functions by the exporter, so PTrade's functions stay untouched.
"""

from __future__ import annotations

#: quantlib API name -> the runtime function the exported strategy calls instead.
RENAMED = {
    "order": "_ql_order",
    "order_target": "_ql_order_target",
    "order_value": "_ql_order_value",
    "order_target_value": "_ql_order_target_value",
    "order_target_percent": "_ql_order_target_percent",
    "cancel_order": "_ql_cancel_order",
    "get_open_orders": "_ql_get_open_orders",
    "get_order": "_ql_get_order",
    "get_orders": "_ql_get_orders",
    "get_position": "_ql_get_position",
    "get_positions": "_ql_get_positions",
    "get_history": "_ql_get_history",
    "set_universe": "_ql_set_universe",
    "set_benchmark": "_ql_set_benchmark",
    "set_commission": "_ql_set_commission",
    "set_slippage": "_ql_set_slippage",
    "run_daily": "_ql_run_daily",
}

#: Modules the runtime itself imports.
RUNTIME_MODULES = ("math", "numpy", "pandas")

RUNTIME_SOURCE = r'''
import math as _ql_math

import numpy as _ql_np
import pandas as _ql_pd

_QL_FIELDS = ("open", "high", "low", "close", "volume", "up_limit", "down_limit")
_QL_HISTORY_FIELD = {"up_limit": "high_limit", "down_limit": "low_limit", "price": "close"}


def _ql_ptrade_code(symbol):
    """600000.SH -> 600000.SS (PTrade's code)."""
    digits, _, suffix = str(symbol).strip().upper().partition(".")
    return digits + "." + {"SH": "SS", "XSHG": "SS", "XSHE": "SZ"}.get(suffix, suffix)


def _ql_symbol(code):
    """600000.SS -> 600000.SH (quantlib's code)."""
    digits, _, suffix = str(code).strip().upper().partition(".")
    return digits + "." + {"SS": "SH", "XSHG": "SH", "XSHE": "SZ"}.get(suffix, suffix)


class _QLState(object):
    def __init__(self):
        self.context = None
        self.data = None
        self.wrapped = None
        self.universe = [_ql_symbol(s) for s in _QL_UNIVERSE]
        self.bars = -1
        self.day = None
        self.orders_today = 0


_ql = _QLState()


def _ql_refuse(symbol, kind, english, chinese):
    log.warning(
        "quantlib risk guard refused %s %s: %s / quantlib 风控拒绝 %s %s：%s"
        % (kind, symbol, english, kind, symbol, chinese)
    )
    return None


def _ql_new_day():
    day = _ql.context.blotter.current_dt.date()
    if day != _ql.day:
        _ql.day = day
        _ql.orders_today = 0


def _ql_price(symbol):
    code = _ql_ptrade_code(symbol)
    price = float("nan")
    if _ql.data is not None:
        try:
            price = float(_ql.data[code].price)
        except Exception:
            price = float("nan")
    if not price == price or price <= 0:
        position = get_position(code)
        price = float(getattr(position, "last_sale_price", float("nan")) or float("nan"))
    return price


def _ql_held(symbol):
    return int(getattr(get_position(_ql_ptrade_code(symbol)), "amount", 0) or 0)


def _ql_guard(kind, symbol, amount):
    """None when the order passes the compiled-in limits, else (english, chinese)."""
    if not _QL_LIMITS and not _QL_RESTRICTED:
        return None
    _ql_new_day()
    limit = _QL_LIMITS.get("max_orders_per_day")
    if limit is not None and _ql.orders_today >= limit:
        return (
            "%d orders sent today reach max_orders_per_day %d" % (_ql.orders_today, limit),
            "今日已报 %d 笔，达到每日委托上限 max_orders_per_day %d" % (_ql.orders_today, limit),
        )
    held = _ql_held(symbol)
    price = _ql_price(symbol)
    total = float(_ql.context.portfolio.total_value)
    if kind == "order":
        delta = float(amount)
    elif kind == "order_target":
        delta = float(amount) - held
    elif not price == price or price <= 0:
        delta = float("nan")
    elif kind == "order_value":
        delta = float(amount) / price
    elif kind == "order_target_value":
        delta = float(amount) / price - held
    else:
        delta = float(amount) * total / price - held
    if not delta == delta or not price == price or price <= 0:
        if "max_order_value" in _QL_LIMITS or "max_position_pct" in _QL_LIMITS:
            return ("no price to check the limits against", "没有价格，无法检查风控限额")
        delta = 0.0 if not delta == delta else delta
    if delta > 0 and symbol in _QL_RESTRICTED:
        return ("the symbol is on the restricted list", "该证券在禁买名单中")
    limit = _QL_LIMITS.get("max_order_value")
    if limit is not None and abs(delta) * price > limit:
        return (
            "order value %.2f yuan is above max_order_value %.2f" % (abs(delta) * price, limit),
            "委托金额 %.2f 元超过单笔上限 max_order_value %.2f" % (abs(delta) * price, limit),
        )
    limit = _QL_LIMITS.get("max_position_pct")
    if limit is not None and delta > 0 and total > 0:
        after = (held + delta) * price / total * 100.0
        if after > limit + 1e-9:
            return (
                "position would be %.2f%% of total value, above max_position_pct %.2f%%"
                % (after, limit),
                "持仓将占总资产 %.2f%%，超过单票上限 max_position_pct %.2f%%" % (after, limit),
            )
    return None


def _ql_send(kind, symbol, amount, limit_price):
    refused = _ql_guard(kind, symbol, amount)
    if refused is not None:
        return _ql_refuse(symbol, kind, refused[0], refused[1])
    code = _ql_ptrade_code(symbol)
    if kind == "order_target_percent":
        total = float(_ql.context.portfolio.total_value)
        kind, amount = "order_target_value", float(amount) * total
    function = {
        "order": order,
        "order_target": order_target,
        "order_value": order_value,
        "order_target_value": order_target_value,
    }[kind]
    if kind in ("order", "order_target"):
        amount = int(round(float(amount)))
    if limit_price is None:
        result = function(code, amount)
    else:
        result = function(code, amount, limit_price=float(limit_price))
    if result is not None:
        _ql.orders_today += 1
    return result


def _ql_items(security, amount):
    if amount is None and isinstance(security, _ql_pd.Series):
        return [_ql_symbol(s) for s in security.index], [float(v) for v in security.values]
    if amount is None and isinstance(security, dict):
        keys = list(security.keys())
        return [_ql_symbol(s) for s in keys], [float(security[k]) for k in keys]
    if isinstance(security, str):
        return [_ql_symbol(security)], [amount]
    if isinstance(security, _ql_np.ndarray) and security.dtype.kind in "iu":
        symbols = [_ql.universe[int(i)] for i in security]
    else:
        symbols = [_ql_symbol(s) for s in security]
    amounts = _ql_np.broadcast_to(_ql_np.asarray(amount, dtype=float), (len(symbols),))
    return symbols, [float(a) for a in amounts]


def _ql_submit(kind, security, amount, limit_price):
    symbols, amounts = _ql_items(security, amount)
    ids = [_ql_send(kind, s, a, limit_price) for s, a in zip(symbols, amounts)]
    if isinstance(security, str):
        return ids[0]
    return _ql_np.array([i for i in ids if i is not None], dtype=object)


def _ql_order(security, amount=None, limit_price=None):
    return _ql_submit("order", security, amount, limit_price)


def _ql_order_target(security, amount=None, limit_price=None):
    return _ql_submit("order_target", security, amount, limit_price)


def _ql_order_value(security, value=None, limit_price=None):
    return _ql_submit("order_value", security, value, limit_price)


def _ql_order_target_value(security, value=None, limit_price=None):
    return _ql_submit("order_target_value", security, value, limit_price)


def _ql_order_target_percent(security, percent=None, limit_price=None):
    return _ql_submit("order_target_percent", security, percent, limit_price)


def _ql_cancel_order(order_id):
    return cancel_order(getattr(order_id, "id", order_id))


def _ql_get_open_orders(security=None):
    if security is None:
        return get_open_orders()
    return get_open_orders(_ql_ptrade_code(security))


def _ql_get_order(order_id):
    return get_order(order_id)


def _ql_get_orders():
    return get_orders()


def _ql_get_position(security):
    return get_position(_ql_ptrade_code(security))


def _ql_get_positions(securities=None):
    if securities is None:
        held = _ql.context.portfolio.positions
        return dict((_ql_symbol(c), p) for c, p in held.items() if getattr(p, "amount", 0))
    return dict((s, _ql_get_position(s)) for s in securities)


def _ql_history_frame(count, frequency, field, code, fq, include, fill):
    frame = get_history(count, frequency, field, code, fq=fq, include=include, fill=fill)
    if isinstance(frame, dict):
        frame = _ql_pd.DataFrame(frame)
    return frame


def _ql_get_history(count, frequency="1d", field="close", security_list=None, fq=None,
                    include=False, fill="nan", is_dict=False):
    given = _ql.universe if security_list is None else (
        [security_list] if isinstance(security_list, str) else list(security_list))
    names = [field] if isinstance(field, str) else list(field)
    wanted = [_QL_HISTORY_FIELD.get(n, n) for n in names]
    frames = {}
    for label in given:
        frame = _ql_history_frame(
            count, frequency, wanted, _ql_ptrade_code(label), fq, include, fill)
        frame = frame[wanted]
        frame.columns = names
        frames[str(label)] = frame
    if is_dict:
        return frames
    by_field = {}
    for name in names:
        by_field[name] = _ql_pd.DataFrame(dict((k, f[name]) for k, f in frames.items()),
                                          columns=[str(s) for s in given])
    if isinstance(field, str):
        return by_field[field]
    return _ql_pd.concat(by_field, axis=1)


def _ql_set_universe(symbols):
    items = [symbols] if isinstance(symbols, str) else list(symbols)
    _ql.universe = [_ql_symbol(s) for s in items]
    set_universe([_ql_ptrade_code(s) for s in _ql.universe])


def _ql_set_benchmark(symbol):
    set_benchmark(_ql_ptrade_code(symbol))


def _ql_set_commission(commission_ratio=None, min_commission=None, type="STOCK"):
    options = {"type": type}
    if commission_ratio is not None:
        options["commission_ratio"] = commission_ratio
    if min_commission is not None:
        options["min_commission"] = min_commission
    set_commission(**options)


def _ql_set_slippage(slippage=0.0, ticks=None):
    if ticks is not None:
        raise ValueError(
            "set_slippage(ticks=...) has no PTrade counterpart; give slippage as a fraction"
            " / PTrade 没有按价位的滑点设置，请用比例 slippage")
    set_slippage(slippage=slippage)


def _ql_run_daily(*args, **kwargs):
    items = [a for a in args if not isinstance(a, _QLContext) and a is not _ql.context]
    function = items[0]
    when = items[1] if len(items) > 1 else kwargs.get("time", "15:00")

    def scheduled(context):
        _ql.context = context
        function(_ql.wrapped)

    run_daily(_ql.context, scheduled, time=str(when))


class _QLPortfolio(object):
    """quantlib's context.portfolio on PTrade's."""

    @property
    def cash(self):
        return float(_ql.context.portfolio.cash)

    @property
    def total_value(self):
        return float(_ql.context.portfolio.total_value)

    portfolio_value = total_value

    @property
    def positions_value(self):
        return float(_ql.context.portfolio.positions_value)

    @property
    def starting_cash(self):
        return float(getattr(_ql.context, "capital_base", float("nan")))

    def _column(self, attribute):
        held = _ql.context.portfolio.positions
        out = _ql_np.zeros(len(_ql.universe))
        for i, symbol in enumerate(_ql.universe):
            position = held.get(_ql_ptrade_code(symbol))
            if position is not None:
                out[i] = float(getattr(position, attribute, 0) or 0)
        out.flags.writeable = False
        return out

    @property
    def shares(self):
        return self._column("amount")

    @property
    def sellable(self):
        return self._column("enable_amount")

    @property
    def positions(self):
        return _ql_get_positions()


class _QLContext(object):
    """quantlib's context on PTrade's."""

    def __init__(self):
        self.params = dict(_QL_PARAMS)
        self.portfolio = _QLPortfolio()
        self.mode = "ptrade"
        self.order = _ql_order
        self.order_target = _ql_order_target
        self.order_value = _ql_order_value
        self.order_target_value = _ql_order_target_value
        self.order_target_percent = _ql_order_target_percent
        self.cancel_order = _ql_cancel_order
        self.get_open_orders = _ql_get_open_orders
        self.get_order = _ql_get_order
        self.get_orders = _ql_get_orders
        self.get_position = _ql_get_position
        self.get_positions = _ql_get_positions
        self.get_history = _ql_get_history
        self.set_universe = _ql_set_universe
        self.set_benchmark = _ql_set_benchmark
        self.set_commission = _ql_set_commission
        self.set_slippage = _ql_set_slippage
        self.run_daily = _ql_run_daily

    @property
    def universe(self):
        return list(_ql.universe)

    @property
    def g(self):
        return g

    @property
    def log(self):
        return log

    @property
    def bar(self):
        return _ql.bars

    @property
    def current_dt(self):
        return _ql.context.blotter.current_dt

    @property
    def previous_date(self):
        return getattr(_ql.context, "previous_date", None)

    @property
    def blotter(self):
        return _ql.context.blotter


class _QLBar(object):
    """One symbol's current bar: bar.close or bar["close"]."""

    def __init__(self, symbol):
        self._symbol = symbol

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _ql_current(self._symbol, "close" if name == "price" else name)

    def __getitem__(self, name):
        return self.__getattr__(name)


def _ql_current(symbol, field):
    if field not in _QL_FIELDS:
        raise KeyError("unknown bar field %r / 未知行情字段 %r" % (field, field))
    code = _ql_ptrade_code(symbol)
    if field in ("up_limit", "down_limit"):
        frame = _ql_history_frame(1, _QL_FREQUENCY, [_QL_HISTORY_FIELD[field]], code, None,
                                  True, "nan")
        values = frame[_QL_HISTORY_FIELD[field]].values
        return float(values[-1]) if len(values) else float("nan")
    try:
        value = getattr(_ql.data[code], field)
    except Exception:
        return float("nan")
    return float("nan") if value is None else float(value)


class _QLData(object):
    """quantlib's bar data on PTrade's: data.current(field), data.history(field, count)."""

    FIELDS = _QL_FIELDS

    @property
    def symbols(self):
        return tuple(_ql.universe)

    @property
    def time(self):
        return _ql.context.blotter.current_dt

    def current(self, field="close"):
        return _ql_np.array([_ql_current(s, field) for s in _ql.universe], dtype=float)

    def history(self, field="close", count=1):
        name = _QL_HISTORY_FIELD.get(field, field)
        out = _ql_np.full((count, len(_ql.universe)), _ql_np.nan)
        for j, symbol in enumerate(_ql.universe):
            frame = _ql_history_frame(count, _QL_FREQUENCY, [name], _ql_ptrade_code(symbol),
                                      None, True, "nan")
            values = _ql_np.asarray(frame[name].values, dtype=float)[-count:]
            if len(values):
                out[count - len(values):, j] = values
        rows = min(count, _ql.bars + 1)
        return out[count - rows:]

    def __getitem__(self, symbol):
        return _QLBar(_ql_symbol(symbol))

    def __contains__(self, symbol):
        return isinstance(symbol, str) and _ql_symbol(symbol) in _ql.universe


_ql_data = _QLData()


def _ql_initialize(context, user):
    _ql.context = context
    _ql.wrapped = _QLContext()
    set_universe([_ql_ptrade_code(s) for s in _ql.universe])
    user(_ql.wrapped)


def _ql_before_trading_start(context, data, user):
    _ql.context = context
    _ql_new_day()
    if user is not None:
        user(_ql.wrapped, _ql_data)


def _ql_handle_data(context, data, user):
    _ql.context = context
    _ql.data = data
    _ql.bars += 1
    _ql_new_day()
    user(_ql.wrapped, _ql_data)


def _ql_after_trading_end(context, data, user):
    _ql.context = context
    if user is not None:
        user(_ql.wrapped, _ql_data)
'''

#: The entry points PTrade calls, appended after the strategy's source.
ENTRY_POINTS = """
_ql_user_initialize = initialize
_ql_user_handle_data = handle_data
_ql_user_before_trading_start = globals().get("before_trading_start")
_ql_user_after_trading_end = globals().get("after_trading_end")


def initialize(context):
    _ql_initialize(context, _ql_user_initialize)


def before_trading_start(context, data):
    _ql_before_trading_start(context, data, _ql_user_before_trading_start)


def handle_data(context, data):
    _ql_handle_data(context, data, _ql_user_handle_data)


def after_trading_end(context, data):
    _ql_after_trading_end(context, data, _ql_user_after_trading_end)
"""

__all__ = ["ENTRY_POINTS", "RENAMED", "RUNTIME_MODULES", "RUNTIME_SOURCE"]
