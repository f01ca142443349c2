"""The simulated MiniQMT process: one account, its sessions, its pushes and its faults.

A :class:`MiniQmtSimulator` stands for a MiniQMT logged in to one stock account. It is
found by its ``userdata_mini`` path (:func:`lookup`), keeps the account across client
sessions, and matches orders with the paper broker's
:class:`~quantlib.broker.paper.engine.PaperEngine`. What the engine reports becomes
xtquant pushes built from the real ``xttype`` classes with real ``xtconstant`` values:
``XtOrder`` (int ``order_id``, str ``order_sysid``, status 48-57, the request's
``order_remark`` and ``strategy_name`` echoed), ``XtTrade`` (with ``commission``),
``XtPosition`` (with ``can_use_volume``), ``XtAsset``, ``XtOrderError`` (carrying the
request ``seq``) and ``XtCancelError``. A request's answer is queued before the pushes it
causes, on the requesting client's one push thread.

Fault switches for tests: :meth:`~MiniQmtSimulator.drop_link`,
:meth:`~MiniQmtSimulator.duplicate_next_pushes`,
:meth:`~MiniQmtSimulator.delay_next_pushes`,
:meth:`~MiniQmtSimulator.answer_none_to_next_queries`,
:meth:`~MiniQmtSimulator.set_account_status`, :meth:`~MiniQmtSimulator.shut_down`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PureWindowsPath
from typing import Any

from quantlib.broker.events import (
    AccountEvent,
    BrokerEvent,
    CancelRejectedEvent,
    OrderEvent,
    PositionEvent,
    TradeEvent,
)
from quantlib.broker.paper.engine import PaperConfig, PaperEngine
from quantlib.broker.qmt import mapping
from quantlib.broker.qmt.simulator.xtpythonclient import (
    ANSWERS,
    NativeResponse,
    XtQuantAsyncClient,
    failed_answer,
)
from quantlib.core.vendor import import_submodule
from quantlib.market.symbols import normalize_symbol
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus
from quantlib.model.trading import (
    Account,
    BrokerOrder,
    Fill,
    InvalidOrderError,
    OrderRequest,
    Position,
    PriceType,
    Quote,
    as_price,
)

log = logging.getLogger(__name__)

_registry: dict[str, MiniQmtSimulator] = {}
_registry_lock = threading.Lock()

#: Push callbacks the fault switches act on (answers to requests are never touched).
PUSHES = frozenset({"OnStockOrder", "OnStockTrade", "OnStockPosition", "OnStockAsset"})
_STOP = object()


def _key(path: str) -> str:
    return str(PureWindowsPath(path)).lower()


def lookup(path: str) -> MiniQmtSimulator | None:
    """The simulator registered for a ``userdata_mini`` path, or None."""
    with _registry_lock:
        return _registry.get(_key(path))


def register(simulator: MiniQmtSimulator) -> None:
    """Make ``simulator`` the MiniQMT of its path (the newest is also the quote server)."""
    with _registry_lock:
        _registry.pop(_key(simulator.userdata_path), None)
        _registry[_key(simulator.userdata_path)] = simulator


def unregister(simulator: MiniQmtSimulator) -> bool:
    """Forget ``simulator``; True when no simulator is left."""
    with _registry_lock:
        if _registry.get(_key(simulator.userdata_path)) is simulator:
            del _registry[_key(simulator.userdata_path)]
        return not _registry


def quote_server() -> MiniQmtSimulator | None:
    """The simulator the fake ``xtdata`` talks to: the newest registered and running."""
    with _registry_lock:
        running = [sim for sim in _registry.values() if sim.running]
    return running[-1] if running else None


@dataclass
class _Meta:
    """What MiniQMT keeps of an order beyond the engine's record."""

    order_id: int
    sysid: str
    remark: str
    strategy_name: str
    price_type: int
    price: float
    seq: int


class MiniQmtSimulator:
    """A simulated MiniQMT logged in to one stock account.

    Parameters
    ----------
    userdata_path
        The ``userdata_mini`` path clients pass to ``XtQuantTrader``.
    config
        The paper account behind it (cash, fees, session rules).

    Examples
    --------
    >>> from quantlib.broker.qmt.simulator import install, uninstall
    >>> simulator = install(MiniQmtSimulator("C:/qmt/userdata_mini"))
    >>> simulator.running
    True
    >>> uninstall(simulator)
    """

    def __init__(self, userdata_path: str, config: PaperConfig | None = None) -> None:
        self.userdata_path = userdata_path
        self.config = config or PaperConfig(account_id="8800000001")
        self.account_id = self.config.account_id
        self._lock = threading.RLock()
        self._outbox: list[BrokerEvent] = []
        self.engine = PaperEngine(self.config, emit=self._outbox.append)
        self.running = True
        self.account_status = mapping.ACCOUNT_STATUS_OK
        self._clients: dict[int, XtQuantAsyncClient] = {}
        self._subscribed: set[int] = set()
        self._meta: dict[str, _Meta] = {}
        self._by_order_id: dict[int, str] = {}
        self._by_sysid: dict[str, str] = {}
        self._order_ids = itertools.count(1)
        self._duplicate = 0
        self._delay = 0
        self._held: dict[int, list[tuple[str, tuple[Any, ...]]]] = {}
        self._none_queries = 0
        self._quote_seqs = itertools.count(1)
        self._quote_subscribers: dict[int, tuple[str, Callable[[Any], None]]] = {}
        self._ticks: dict[str, dict[str, Any]] = {}
        self._quote_queue: queue.Queue[Any] = queue.Queue()
        self._quote_thread = threading.Thread(
            target=self._run_quotes, name="xtdata-sim", daemon=True
        )
        self._quote_thread.start()

    @property
    def xttype(self) -> Any:
        """The wheel's ``xtquant.xttype`` (imported once :func:`install` has run)."""
        return import_submodule("xtquant", "xttype")

    # ---- sessions ------------------------------------------------------------------
    def attach(self, client: XtQuantAsyncClient) -> int:
        """A client connects: 0, or -1 when MiniQMT is down or the session is in use."""
        with self._lock:
            if not self.running:
                return -1
            if client.session in self._clients:
                log.warning("session %s is already connected to MiniQMT", client.session)
                return -1
            self._clients[client.session] = client
            return 0

    def detach(self, client: XtQuantAsyncClient) -> None:
        """A client leaves (``stop()``)."""
        with self._lock:
            if self._clients.get(client.session) is client:
                del self._clients[client.session]
                self._subscribed.discard(client.session)
                self._held.pop(client.session, None)

    @property
    def sessions(self) -> list[int]:
        """Session ids connected now."""
        with self._lock:
            return sorted(self._clients)

    # ---- the market and the day ----------------------------------------------------
    def feed(self, quote: Quote) -> None:
        """The market moves: match resting orders, push the results, publish the tick."""
        with self._lock:
            self.engine.on_quote(quote)
            self._flush()
            symbol = normalize_symbol(quote.symbol)
            tick = mapping.tick_from_quote(quote)
            self._ticks[symbol] = tick
            for seq, (code, callback) in self._quote_subscribers.items():
                if code == symbol:
                    self._quote_queue.put((seq, callback, {symbol: [tick]}))

    def start_day(self, day: dt.date) -> None:
        """A new trading day: open orders expire, yesterday's buys become sellable."""
        with self._lock:
            self.engine.start_day(day)
            self._flush()

    def set_position(self, symbol: str, quantity: int, avg_cost: Decimal) -> None:
        """Seed a sellable position."""
        with self._lock:
            self.engine.set_position(symbol, quantity, avg_cost)
            self._flush()

    # ---- fault switches ------------------------------------------------------------
    def drop_link(self, session: int | None = None) -> list[int]:
        """Cut the link of one session (all when None): ``on_disconnected`` is pushed to
        it and its further requests fail until a new session connects. Returns the
        sessions dropped."""
        with self._lock:
            dropped = [s for s in self._clients if session is None or s == session]
            for number in dropped:
                client = self._clients.pop(number)
                self._subscribed.discard(number)
                self._held.pop(number, None)
                client.link_up = False
                client.deliver("OnDisconnected")
            return dropped

    def shut_down(self) -> None:
        """MiniQMT exits: every session is dropped and ``connect()`` fails until
        :meth:`start_up`."""
        with self._lock:
            self.running = False
            self.drop_link()

    def start_up(self) -> None:
        """MiniQMT is running again."""
        with self._lock:
            self.running = True

    def duplicate_next_pushes(self, count: int = 1) -> None:
        """Deliver each of the next ``count`` pushes twice."""
        with self._lock:
            self._duplicate += count

    def delay_next_pushes(self, count: int = 1) -> None:
        """Hold the next ``count`` pushes back until after the push that follows them
        (so they arrive out of order)."""
        with self._lock:
            self._delay += count

    def release_delayed_pushes(self) -> None:
        """Deliver pushes still held back."""
        with self._lock:
            for number, held in self._held.items():
                client = self._clients.get(number)
                for name, args in held if client else []:
                    client.deliver(name, *args)  # type: ignore[union-attr]
            self._held.clear()

    def answer_none_to_next_queries(self, count: int = 1) -> None:
        """The next ``count`` queries answer None (xtquant's failure-or-empty)."""
        with self._lock:
            self._none_queries += count

    def set_account_status(self, status: int) -> None:
        """The account's status changes (``xtconstant.ACCOUNT_STATUS_*``); pushed as
        ``on_account_status``. Orders are refused while it is not OK."""
        with self._lock:
            self.account_status = status
            response = NativeResponse(
                m_strAccountID=self.account_id,
                m_nAccountType=mapping.SECURITY_ACCOUNT,
                m_nStatus=status,
            )
            for number in self._subscribed:
                self._clients[number].deliver("OnUpdateAccountStatus", response)

    def close(self) -> None:
        """Drop every session and stop the quote thread."""
        with self._lock:
            self.running = False
            self.drop_link()
        self._quote_queue.put(_STOP)
        self._quote_thread.join(timeout=5)

    # ---- the fake xtdata -----------------------------------------------------------
    def subscribe_quote(self, code: str, callback: Callable[[Any], None] | None) -> int:
        """``xtdata.subscribe_quote``: a subscription id (>0)."""
        with self._lock:
            seq = next(self._quote_seqs)
            if callback is not None:
                self._quote_subscribers[seq] = (normalize_symbol(code), callback)
            return seq

    def unsubscribe_quote(self, seq: int) -> None:
        """``xtdata.unsubscribe_quote``."""
        with self._lock:
            self._quote_subscribers.pop(seq, None)

    def full_tick(self, codes: list[str]) -> dict[str, dict[str, Any]]:
        """``xtdata.get_full_tick``: the latest tick of each code seen."""
        with self._lock:
            found = {
                normalize_symbol(code): self._ticks.get(normalize_symbol(code)) for code in codes
            }
            return {code: dict(tick) for code, tick in found.items() if tick is not None}

    def _run_quotes(self) -> None:
        while True:
            item = self._quote_queue.get()
            if item is _STOP:
                return
            seq, callback, data = item
            if seq not in self._quote_subscribers:
                continue
            try:
                callback(data)
            except Exception:
                log.exception("xtdata subscriber %s failed", seq)

    # ---- requests ------------------------------------------------------------------
    def handle(self, client: XtQuantAsyncClient, kind: str, seq: int, req: Any) -> None:
        """Answer one request of a connected client (on the caller's thread; the answer
        and the pushes it causes go to the push threads)."""
        with self._lock:
            if self._clients.get(client.session) is not client:
                client.deliver(*failed_answer(kind, seq, "MiniQMT 连接已断开"))
                return
            if kind == "order":
                self._order(client, seq, req)
            elif kind == "cancel":
                self._cancel(client, seq, req)
            elif kind in ("subscribe", "unsubscribe"):
                ok = req.m_strAccountID == self.account_id
                if ok and kind == "subscribe":
                    self._subscribed.add(client.session)
                elif ok:
                    self._subscribed.discard(client.session)
                client.deliver(ANSWERS[kind], seq, 0 if ok else -1)
            else:
                client.deliver(ANSWERS[kind], seq, self._query(kind, req))
            self._flush()

    def _query(self, kind: str, req: Any) -> Any:
        if self._none_queries:
            self._none_queries -= 1
            return None
        xt = self.xttype
        if kind == "account_status":
            account_type = mapping.SECURITY_ACCOUNT
            return [xt.XtAccountStatus(self.account_id, account_type, self.account_status)]
        if kind == "account_infos":
            return []
        if req.m_strAccountID != self.account_id:
            return []
        if kind == "asset":
            return [self._xt_asset(self.engine.account())]
        if kind == "orders":
            orders = [o for o in self.engine.orders() if o.client_order_id in self._meta]
            if req.m_nOrderID > 0:
                orders = [
                    o for o in orders if self._meta[o.client_order_id].order_id == req.m_nOrderID
                ]
            if req.m_bCanCancel:
                orders = [o for o in orders if o.is_active]
            return [self._xt_order(o) for o in orders]
        if kind == "trades":
            return [
                self._xt_trade(f) for f in self.engine.trades() if f.client_order_id in self._meta
            ]
        positions = self.engine.positions()
        if req.m_strStockCode:
            positions = [p for p in positions if p.symbol == req.m_strStockCode]
        return [self._xt_position(p) for p in positions]

    def _order(self, client: XtQuantAsyncClient, seq: int, req: Any) -> None:
        order_id = next(self._order_ids)
        engine_id = f"Q{order_id:08d}"
        remark = str(req.m_strOrderRemark or "")
        strategy = str(req.m_strStrategyName or "")
        response = NativeResponse(
            m_strAccountID=req.m_strAccountID,
            m_nOrderID=order_id,
            m_strStrategyName=strategy,
            m_strOrderRemark=remark,
            m_strErrorMsg="",
        )
        client.deliver(ANSWERS["order"], seq, response)
        try:
            request = self._order_request(req, engine_id)
        except _RefusedError as refused:
            self._order_error(order_id, seq, refused.reason, refused.message, strategy, remark)
            return
        self._meta[engine_id] = _Meta(
            order_id=order_id,
            sysid=str(700000 + order_id),
            remark=remark,
            strategy_name=strategy,
            price_type=int(req.m_nPriceType),
            price=float(req.m_dPrice),
            seq=seq,
        )
        self._by_order_id[order_id] = engine_id
        self._by_sysid[self._meta[engine_id].sysid] = engine_id
        placed = self.engine.place(request)
        if placed.status is BrokerOrderStatus.JUNK:
            self._order_error(order_id, seq, placed.reason, placed.message, strategy, remark)

    def _order_request(self, req: Any, engine_id: str) -> OrderRequest:
        if req.m_strAccountID != self.account_id:
            raise _RefusedError(
                Reason.INVALID_ARGUMENT, f"account {req.m_strAccountID!r} not logged in"
            )
        if self.account_status != mapping.ACCOUNT_STATUS_OK:
            raise _RefusedError(
                Reason.BROKER_REJECTED, f"account status {self.account_status}: 账号状态异常"
            )
        side = mapping.SIDES.get(int(req.m_nOrderType))
        if side is None:
            raise _RefusedError(
                Reason.INVALID_ARGUMENT, f"order type {req.m_nOrderType} not supported"
            )
        try:
            symbol = normalize_symbol(str(req.m_strStockCode))
            price_type = mapping.price_type_of(int(req.m_nPriceType), symbol)
            if price_type is None:
                raise _RefusedError(
                    Reason.PRICE_TYPE_NOT_ON_EXCHANGE,
                    f"price type {req.m_nPriceType} not offered for {symbol}",
                )
            price = as_price(req.m_dPrice) if req.m_dPrice and req.m_dPrice > 0 else None
            if price_type is PriceType.LIMIT and price is None:
                raise _RefusedError(Reason.INVALID_ARGUMENT, f"limit price {req.m_dPrice} invalid")
            return OrderRequest(symbol, side, int(req.m_nOrderVolume), price_type, price, engine_id)
        except InvalidOrderError as error:
            raise _RefusedError(Reason.INVALID_ARGUMENT, str(error)) from None

    def _order_error(
        self, order_id: int, seq: int, reason: Reason, message: str, strategy: str, remark: str
    ) -> None:
        error = self.xttype.XtOrderError(
            self.account_id,
            order_id,
            -int(reason),
            counter_message(reason, message),
            strategy,
            remark,
        )
        error.seq = seq
        self._broadcast("OnOrderError", error, faults=False)

    def _cancel(self, client: XtQuantAsyncClient, seq: int, req: Any) -> None:
        if req.m_strOrderSysID:
            engine_id = self._by_sysid.get(str(req.m_strOrderSysID))
        else:
            engine_id = self._by_order_id.get(int(req.m_nOrderID))
        meta = self._meta.get(engine_id) if engine_id else None
        response = NativeResponse(
            m_strAccountID=req.m_strAccountID,
            m_nCancelResult=0 if meta else -1,
            m_nOrderID=meta.order_id if meta else int(req.m_nOrderID),
            m_strOrderSysID=str(req.m_strOrderSysID or ""),
            m_strErrorMsg="" if meta else "委托编号不存在 (no such order)",
        )
        client.deliver(ANSWERS["cancel"], seq, response)
        if meta is None or engine_id is None:
            return
        self.engine.cancel(engine_id)

    # ---- engine reports to pushes --------------------------------------------------
    def _flush(self) -> None:
        events, self._outbox[:] = list(self._outbox), []
        for event in events:
            if isinstance(event, OrderEvent) and event.order.client_order_id in self._meta:
                self._broadcast("OnStockOrder", self._xt_order(event.order))
            elif isinstance(event, TradeEvent) and event.fill.client_order_id in self._meta:
                self._broadcast("OnStockTrade", self._xt_trade(event.fill))
            elif isinstance(event, PositionEvent):
                self._broadcast("OnStockPosition", self._xt_position(event.position))
            elif isinstance(event, AccountEvent):
                self._broadcast("OnStockAsset", self._xt_asset(event.account))
            elif isinstance(event, CancelRejectedEvent) and event.client_order_id in self._meta:
                meta = self._meta[event.client_order_id]
                order = self.engine.order(event.client_order_id)
                error = self.xttype.XtCancelError(
                    self.account_id,
                    meta.order_id,
                    mapping.market_code(order.symbol) if order else -1,
                    meta.sysid,
                    -int(event.reason),
                    counter_message(event.reason, event.message),
                )
                self._broadcast("OnCancelError", error, faults=False)

    def _broadcast(self, name: str, push: Any, *, faults: bool = True) -> None:
        for number in sorted(self._subscribed):
            client = self._clients[number]
            if not faults or name not in PUSHES:
                client.deliver(name, push)
                continue
            if self._delay:
                self._delay -= 1
                self._held.setdefault(number, []).append((name, (push,)))
                continue
            copies = 2 if self._duplicate else 1
            self._duplicate = max(0, self._duplicate - 1)
            for _ in range(copies):
                client.deliver(name, push)
            for held_name, args in self._held.pop(number, []):
                client.deliver(held_name, *args)

    def _xt_order(self, order: BrokerOrder) -> Any:
        meta = self._meta[order.client_order_id]
        message = ""
        if order.status is BrokerOrderStatus.JUNK or (
            order.status.is_terminal and order.reason is not Reason.NONE
        ):
            message = counter_message(order.reason, order.message)
        return self.xttype.XtOrder(
            self.account_id,
            order.symbol,
            meta.order_id,
            meta.sysid,
            mapping.to_epoch_seconds(order.created),
            mapping.ORDER_TYPES[order.side],
            order.quantity,
            meta.price_type,
            meta.price,
            order.filled,
            float(order.avg_price),
            order.status.xtquant_code,
            message,
            meta.strategy_name,
            meta.remark,
            mapping.DIRECTION_FLAG_LONG,
            mapping.OFFSET_FLAGS[order.side],
            "",
            "",
        )

    def _xt_trade(self, fill: Fill) -> Any:
        meta = self._meta[fill.client_order_id]
        return self.xttype.XtTrade(
            self.account_id,
            fill.symbol,
            mapping.ORDER_TYPES[fill.side],
            fill.trade_id,
            mapping.to_epoch_seconds(fill.time),
            float(fill.price),
            fill.quantity,
            float(fill.amount),
            meta.order_id,
            meta.sysid,
            meta.strategy_name,
            meta.remark,
            mapping.DIRECTION_FLAG_LONG,
            mapping.OFFSET_FLAGS[fill.side],
            float(fill.fees),
            "",
            "",
        )

    def _xt_position(self, position: Position) -> Any:
        return self.xttype.XtPosition(
            self.account_id,
            position.symbol,
            position.quantity,
            position.sellable,
            float(position.avg_cost),
            float(position.market_value or 0),
            position.frozen,
            0,
            position.sellable + position.frozen,
            float(position.avg_cost),
            mapping.DIRECTION_FLAG_LONG,
            float(position.last_price or 0),
            0.0,
            "",
            "",
        )

    def _xt_asset(self, account: Account) -> Any:
        return self.xttype.XtAsset(
            self.account_id,
            float(account.cash),
            float(account.frozen_cash),
            float(account.market_value),
            float(account.total_asset),
            float(account.cash),
        )


class _RefusedError(Exception):
    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def counter_message(reason: Reason, detail: str) -> str:
    """A counter-style message: ``[SIM][-code][中文短语] detail`` (the phrase is one
    :func:`~quantlib.broker.qmt.mapping.reason_from_message` reads back)."""
    phrase = next((words for words, known in mapping.COUNTER_PHRASES if known is reason), "")
    return f"[SIM][{-int(reason)}][{phrase or reason.name}] {detail}".rstrip()


__all__ = [
    "PUSHES",
    "MiniQmtSimulator",
    "counter_message",
    "lookup",
    "quote_server",
    "register",
    "unregister",
]
