"""xtquant objects to and from our broker records.

xtquant reports money and prices as floats; they become exact Decimals through their
shortest repr (:func:`~quantlib.model.trading.as_price`, ``as_money``). Order states are
the Hundsun codes 48-57 (:class:`~quantlib.model.status.BrokerOrderStatus`). Our client
order id travels in ``order_remark``; an order is ours when its remark is a valid client
order id and its ``strategy_name`` is the gateway's.

Price types: a limit order is ``FIX_PRICE``; market orders use the exchange's own codes
(Shanghai and Beijing 42-45, Shenzhen 44-48), and a type the symbol's exchange does not
offer has no code (:func:`xt_price_type` answers None).

Counter messages carry no reason code; :func:`reason_from_message` reads the reason
from the message's words (the common Hundsun phrases), else ``BROKER_REJECTED``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from quantlib.broker.ids import check_client_order_id
from quantlib.core.dates import SHANGHAI
from quantlib.market.symbols import split_symbol
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus
from quantlib.model.trading import (
    ZERO,
    Account,
    BrokerOrder,
    Fill,
    InvalidOrderError,
    Position,
    PriceType,
    Quote,
    as_money,
    as_price,
)

#: ``xtconstant`` values used here (checked against the wheel by the unit tests).
SECURITY_ACCOUNT = 2
STOCK_BUY = 23
STOCK_SELL = 24
FIX_PRICE = 11
LATEST_PRICE = 5
ACCOUNT_STATUS_OK = 0
SH_MARKET = 0
SZ_MARKET = 1

DIRECTION_FLAG_LONG = 48
OFFSET_FLAG_OPEN = 48
OFFSET_FLAG_CLOSE = 49

ORDER_TYPES = {Side.BUY: STOCK_BUY, Side.SELL: STOCK_SELL}
#: Stock buys open, sells close (``offset_flag``).
OFFSET_FLAGS = {Side.BUY: OFFSET_FLAG_OPEN, Side.SELL: OFFSET_FLAG_CLOSE}
SIDES = {code: side for side, code in ORDER_TYPES.items()}

_SHANGHAI_MARKET_TYPES = {
    PriceType.BEST5_CANCEL: 42,  # MARKET_SH_CONVERT_5_CANCEL
    PriceType.BEST5_LIMIT: 43,  # MARKET_SH_CONVERT_5_LIMIT
    PriceType.COUNTERPARTY_BEST: 44,  # MARKET_PEER_PRICE_FIRST
    PriceType.OWN_BEST: 45,  # MARKET_MINE_PRICE_FIRST
}
_SHENZHEN_MARKET_TYPES = {
    PriceType.COUNTERPARTY_BEST: 44,  # MARKET_PEER_PRICE_FIRST
    PriceType.OWN_BEST: 45,  # MARKET_MINE_PRICE_FIRST
    PriceType.IMMEDIATE_OR_CANCEL: 46,  # MARKET_SZ_INSTBUSI_RESTCANCEL
    PriceType.BEST5_CANCEL: 47,  # MARKET_SZ_CONVERT_5_CANCEL
    PriceType.FILL_OR_KILL: 48,  # MARKET_SZ_FULL_OR_CANCEL
}
#: Exchange suffix -> our price type -> xtquant ``price_type``.
PRICE_TYPES: dict[str, dict[PriceType, int]] = {
    "SH": {PriceType.LIMIT: FIX_PRICE, **_SHANGHAI_MARKET_TYPES},
    "BJ": {PriceType.LIMIT: FIX_PRICE, **_SHANGHAI_MARKET_TYPES},
    "SZ": {PriceType.LIMIT: FIX_PRICE, **_SHENZHEN_MARKET_TYPES},
}

#: Account status codes (``xtconstant.ACCOUNT_STATUS_*``) and their names.
ACCOUNT_STATUS_NAMES = {
    -1: "INVALID",
    0: "OK",
    1: "WAITING_LOGIN",
    2: "LOGGING_IN",
    3: "FAIL",
    4: "INITING",
    5: "CORRECTING",
    6: "CLOSED",
    7: "ASSIS_FAIL",
    8: "DISABLEBYSYS",
    9: "DISABLEBYUSER",
}

#: Words of counter messages and the reason they give, most specific first.
COUNTER_PHRASES: tuple[tuple[str, Reason], ...] = (
    ("资金不足", Reason.INSUFFICIENT_CASH),
    ("T+1", Reason.T_PLUS_ONE),
    ("涨跌停", Reason.PRICE_OUTSIDE_LIMITS),
    ("价格笼子", Reason.PRICE_CAGE),
    ("最小变动价位", Reason.PRICE_OFF_TICK),
    ("保护限价", Reason.PROTECTIVE_PRICE_REQUIRED),
    ("报价类型", Reason.PRICE_TYPE_NOT_ON_EXCHANGE),
    ("无持仓", Reason.NO_POSITION),
    ("可用数量不足", Reason.EXCEEDS_POSITION),
    ("交易单位", Reason.NOT_ON_LOT_GRID),
    ("数量上限", Reason.ORDER_SIZE_CAP),
    ("停牌", Reason.SUSPENDED),
    ("不允许撤单", Reason.CANCEL_NOT_ALLOWED),
    ("不可撤", Reason.ORDER_NOT_OPEN),
    ("不接受委托", Reason.MARKET_CLOSED),
    ("尚无价格", Reason.NO_PRICE),
    ("未知证券", Reason.UNKNOWN_SYMBOL),
    ("未上市", Reason.NOT_TRADING),
    ("委托编号", Reason.UNKNOWN_ORDER),
    ("即时成交剩余撤销", Reason.IMMEDIATE_OR_CANCEL),
    ("全额成交或撤销", Reason.FILL_OR_KILL),
    ("参与上限", Reason.VOLUME_CAP),
    ("收盘失效", Reason.DAY_ENDED),
    ("策略撤单", Reason.CANCELLED_BY_USER),
    ("委托参数", Reason.INVALID_ARGUMENT),
)


def reason_from_message(message: str, default: Reason = Reason.BROKER_REJECTED) -> Reason:
    """The reason a counter message gives, or ``default`` when no phrase matches.

    Examples
    --------
    >>> reason_from_message("[COUNTER] [-150906130][可用资金不足]").name
    'INSUFFICIENT_CASH'
    """
    for phrase, reason in COUNTER_PHRASES:
        if phrase in (message or ""):
            return reason
    return default


def xt_price_type(price_type: PriceType, symbol: str) -> int | None:
    """xtquant's ``price_type`` for ``price_type`` on ``symbol``'s exchange, or None
    when that exchange does not offer it."""
    _, exchange = split_symbol(symbol)
    return PRICE_TYPES.get(str(exchange), {}).get(PriceType(price_type))


def price_type_of(code: int, symbol: str) -> PriceType | None:
    """Our price type for xtquant's ``code`` on ``symbol``'s exchange (None: not one of
    the stock types, e.g. ``LATEST_PRICE``)."""
    _, exchange = split_symbol(symbol)
    for ours, theirs in PRICE_TYPES.get(str(exchange), {}).items():
        if theirs == code:
            return ours
    return None


def xt_price(price: Decimal | None) -> float:
    """The float xtquant takes for a price (0 for none: market orders without one)."""
    return float(price) if price is not None else 0.0


def market_code(symbol: str) -> int:
    """xtquant's market number of a symbol (``SH_MARKET``, ``SZ_MARKET`` …)."""
    _, exchange = split_symbol(symbol)
    return {"SH": SH_MARKET, "SZ": SZ_MARKET}.get(str(exchange), 70)


def client_id_of(remark: object) -> str | None:
    """Our client order id carried in an ``order_remark``, or None when it is not one."""
    if not isinstance(remark, str) or not remark:
        return None
    try:
        return check_client_order_id(remark)
    except InvalidOrderError:
        return None


def epoch_seconds(value: object) -> dt.datetime | None:
    """An xtquant ``order_time``/``traded_time`` (epoch seconds) as Shanghai time."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return dt.datetime.fromtimestamp(value, tz=SHANGHAI)


def to_epoch_seconds(moment: dt.datetime) -> int:
    """Shanghai time as xtquant's epoch seconds."""
    return int(moment.timestamp())


def _price_or_zero(value: object) -> Decimal:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        return ZERO
    return as_price(value)


def order_from_xt(xt: Any, client_order_id: str, *, now: dt.datetime) -> BrokerOrder:
    """A :class:`BrokerOrder` from an ``XtOrder`` of ours.

    Raises
    ------
    InvalidTransitionError
        The order status is not a Hundsun state (255, unknown).
    """
    symbol = str(xt.stock_code)
    status = BrokerOrderStatus.from_xtquant(int(xt.order_status))
    price_type = price_type_of(int(xt.price_type), symbol) or PriceType.LIMIT
    price = _price_or_zero(xt.price)
    created = epoch_seconds(xt.order_time) or now
    message = str(xt.status_msg or "")
    return BrokerOrder(
        client_order_id=client_order_id,
        symbol=symbol,
        side=SIDES.get(int(xt.order_type), Side.BUY),
        quantity=int(xt.order_volume),
        price_type=price_type,
        limit_price=price if price else None,
        status=status,
        created=created,
        updated=now,
        filled=int(xt.traded_volume),
        avg_price=_price_or_zero(xt.traded_price),
        broker_order_id=str(xt.order_id),
        reason=reason_from_message(message) if status is BrokerOrderStatus.JUNK else Reason.NONE,
        message=message,
        strategy=str(xt.strategy_name or ""),
    )


def fill_from_xt(xt: Any, client_order_id: str) -> Fill:
    """A :class:`Fill` from an ``XtTrade`` (``commission`` is its fees)."""
    time = epoch_seconds(xt.traded_time) or dt.datetime.now(SHANGHAI)
    commission = getattr(xt, "commission", 0.0) or 0.0
    return Fill(
        trade_id=str(xt.traded_id),
        client_order_id=client_order_id,
        symbol=str(xt.stock_code),
        side=SIDES.get(int(xt.order_type), Side.BUY),
        quantity=int(xt.traded_volume),
        price=as_price(xt.traded_price),
        time=time,
        fees=as_money(commission),
        broker_order_id=str(xt.order_id),
    )


def position_from_xt(xt: Any) -> Position:
    """A :class:`Position` from an ``XtPosition`` (``can_use_volume`` is sellable)."""
    last = _price_or_zero(getattr(xt, "last_price", 0.0))
    return Position(
        symbol=str(xt.stock_code),
        quantity=int(xt.volume),
        sellable=int(xt.can_use_volume),
        avg_cost=_price_or_zero(xt.avg_price),
        frozen=int(xt.frozen_volume or 0),
        last_price=last or None,
        market_value=as_money(xt.market_value) if last else None,
    )


def account_from_xt(xt: Any) -> Account:
    """An :class:`Account` from an ``XtAsset`` (``cash`` is the available cash)."""
    return Account(
        account_id=str(xt.account_id),
        cash=as_money(xt.cash),
        frozen_cash=as_money(xt.frozen_cash),
        market_value=as_money(xt.market_value),
        total_asset=as_money(xt.total_asset),
    )


def _levels(prices: object, volumes: object, lot: int) -> tuple[tuple[Decimal, int], ...]:
    if not isinstance(prices, list | tuple) or not isinstance(volumes, list | tuple):
        return ()
    return tuple(
        (as_price(price), int(volume) * lot)
        for price, volume in zip(prices, volumes, strict=False)
        if price and volume
    )


def quote_from_tick(symbol: str, tick: Mapping[str, Any], lot: int = 100) -> Quote:
    """A :class:`Quote` from an xtdata tick (``time`` epoch ms; volumes in lots of
    ``lot`` shares: 手 for stocks)."""
    time = dt.datetime.fromtimestamp(int(tick["time"]) / 1000, tz=SHANGHAI)
    return Quote(
        symbol=symbol,
        time=time,
        last=as_price(tick.get("lastPrice", 0.0)),
        pre_close=as_price(tick.get("lastClose", 0.0)),
        volume=int(tick.get("volume", 0)) * lot,
        amount=as_money(tick.get("amount", 0.0)),
        bids=_levels(tick.get("bidPrice"), tick.get("bidVol"), lot),
        asks=_levels(tick.get("askPrice"), tick.get("askVol"), lot),
    )


def tick_from_quote(quote: Quote, lot: int = 100) -> dict[str, Any]:
    """An xtdata tick dict from a :class:`Quote` (the simulator's feed)."""

    def side(levels: tuple[tuple[Decimal, int], ...]) -> tuple[list[float], list[int]]:
        padded = list(levels[:5]) + [(ZERO, 0)] * (5 - min(5, len(levels)))
        return [float(p) for p, _ in padded], [v // lot for _, v in padded]

    bid_prices, bid_volumes = side(quote.bids)
    ask_prices, ask_volumes = side(quote.asks)
    return {
        "time": int(quote.time.timestamp() * 1000),
        "lastPrice": float(quote.last),
        "lastClose": float(quote.pre_close),
        "open": float(quote.last),
        "high": float(quote.last),
        "low": float(quote.last),
        "volume": quote.volume // lot,
        "pvolume": quote.volume,
        "amount": float(quote.amount),
        "stockStatus": 1 if quote.suspended else 0,
        "bidPrice": bid_prices,
        "bidVol": bid_volumes,
        "askPrice": ask_prices,
        "askVol": ask_volumes,
    }


__all__ = [
    "ACCOUNT_STATUS_NAMES",
    "ACCOUNT_STATUS_OK",
    "COUNTER_PHRASES",
    "DIRECTION_FLAG_LONG",
    "FIX_PRICE",
    "OFFSET_FLAGS",
    "ORDER_TYPES",
    "PRICE_TYPES",
    "SECURITY_ACCOUNT",
    "SIDES",
    "account_from_xt",
    "client_id_of",
    "epoch_seconds",
    "fill_from_xt",
    "market_code",
    "order_from_xt",
    "position_from_xt",
    "price_type_of",
    "quote_from_tick",
    "reason_from_message",
    "tick_from_quote",
    "to_epoch_seconds",
    "xt_price",
    "xt_price_type",
]
