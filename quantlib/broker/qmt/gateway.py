"""The ``qmt`` broker: xtquant's ``XtQuantTrader`` in this process, talking to MiniQMT.

Threads. xtquant delivers every push and every query answer on ONE executor thread of
the trader; a synchronous query made there waits for an answer queued behind itself and
deadlocks. So the callbacks here only map, track and emit; queries use the ``*_async``
forms and wait on the caller's thread with ``request_timeout`` (asked from the callback
thread they answer None at once, with a notice); reconnecting runs on a thread of its
own. Events are emitted on the thread that learned them (mostly the trader's).

Orders. Orders go out with ``order_stock_async``; the answer is matched to the order by
``seq`` and by the ``order_remark``, which carries our client order id, as every push of
the order does (``XtOrder``, ``XtTrade``, ``XtOrderError``). On every connect the day's
orders and trades are queried and ours (remark a client order id, ``strategy_name``
ours) adopted: fills missed while away are counted once, as the
:class:`~quantlib.broker.tracker.OrderTracker` counts each trade id once.

Links. ``connect()`` of xtquant is one attempt and nothing reconnects by itself: after
``on_disconnected`` a new trader is built with a NEW session id every
``reconnect_interval`` seconds until one connects. ``run_forever`` is never used (it
never returns).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from quantlib.broker.errors import BrokerUnavailableError
from quantlib.broker.events import (
    AccountEvent,
    ConnectionEvent,
    ConnectionState,
    EventSink,
    NoticeKind,
    PositionEvent,
    QuoteEvent,
    discard,
    notice,
)
from quantlib.broker.qmt import mapping
from quantlib.broker.qmt.config import MAX_SESSION_ID, QmtConfig
from quantlib.broker.qmt.messages import TEXT
from quantlib.broker.tracker import OrderTracker
from quantlib.core.dates import now_shanghai
from quantlib.core.i18n import translate
from quantlib.core.vendor import import_submodule
from quantlib.market.symbols import normalize_symbol
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus, InvalidTransitionError
from quantlib.model.trading import Account, BrokerOrder, Fill, OrderRequest, Position

log = logging.getLogger(__name__)

_sessions = itertools.count(1)


def new_session_id() -> int:
    """A session id unique to this process and call: the process id and a counter."""
    return (os.getpid() % 20_000) * 100_000 + next(_sessions) % 100_000


def _trader_class(xttrader: Any) -> Any:
    """``XtQuantTrader`` with a ``__del__`` that works off the main thread.

    The wheel's ``__del__`` restores the main thread's event loop from ``oldloop``,
    which only exists when the trader was built on the main thread; traders here are
    built on other threads, so it would raise. This one closes the trader's own loop.
    """

    class Trader(xttrader.XtQuantTrader):
        def __del__(self) -> None:
            loop = getattr(self, "loop", None)
            if loop is not None and not loop.is_running() and not loop.is_closed():
                loop.close()

    return Trader


class _Callbacks:
    """What xtquant calls (duck-typed ``XtQuantTraderCallback``; the wheel's class is
    only a base of empty methods). One instance per trader; stale ones are ignored."""

    def __init__(self, broker: QmtBroker, generation: int) -> None:
        self._broker = broker
        self._generation = generation

    def _live(self) -> QmtBroker | None:
        broker = self._broker
        broker._callback_threads.add(threading.get_ident())
        return broker if broker._generation == self._generation else None

    def on_disconnected(self) -> None:
        """The link dropped."""
        if broker := self._live():
            broker._on_disconnected()

    def on_account_status(self, status: Any) -> None:
        """The account's status changed."""
        if broker := self._live():
            broker._guard(broker._on_account_status, status)

    def on_stock_asset(self, asset: Any) -> None:
        """Cash changed."""
        if broker := self._live():
            broker._guard(lambda a: broker._sink(AccountEvent(mapping.account_from_xt(a))), asset)

    def on_stock_order(self, order: Any) -> None:
        """An order changed."""
        if broker := self._live():
            broker._guard(broker._on_order, order)

    def on_stock_trade(self, trade: Any) -> None:
        """A trade happened."""
        if broker := self._live():
            broker._guard(broker._on_trade, trade)

    def on_stock_position(self, position: Any) -> None:
        """A position changed."""
        if broker := self._live():
            broker._guard(
                lambda p: broker._sink(PositionEvent(mapping.position_from_xt(p))), position
            )

    def on_order_error(self, error: Any) -> None:
        """An order was refused."""
        if broker := self._live():
            broker._guard(broker._on_order_error, error)

    def on_cancel_error(self, error: Any) -> None:
        """A cancel was refused."""
        if broker := self._live():
            broker._guard(broker._on_cancel_error, error)

    def on_order_stock_async_response(self, response: Any) -> None:
        """The answer to ``order_stock_async``."""
        if broker := self._live():
            broker._guard(broker._on_order_response, response)

    def on_cancel_order_stock_async_response(self, response: Any) -> None:
        """The answer to ``cancel_order_stock_async``."""
        if broker := self._live():
            broker._guard(broker._on_cancel_response, response)


class QmtBroker:
    """The Broker interface over xtquant's ``XtQuantTrader`` (MiniQMT on this host).

    Examples
    --------
    >>> from quantlib.broker.events import EventQueue
    >>> config = QmtConfig(userdata_path="D:/qmt/userdata_mini", account_id="8881234567")
    >>> broker = QmtBroker(config, events=EventQueue())
    >>> broker.state
    <ConnectionState.DISCONNECTED: 'disconnected'>
    """

    name = "qmt"
    config_class = QmtConfig

    def __init__(self, config: QmtConfig, *, events: EventSink | None = None) -> None:
        self.config = config
        self._sink = events or discard
        self.tracker = OrderTracker(self._sink)
        self._lock = threading.RLock()
        self._state = ConnectionState.DISCONNECTED
        self._xttrader: Any = None
        self._trader_class: Any = None
        self._xtdata: Any = None
        self._account: Any = None
        self._trader: Any = None
        self._generation = 0
        self._session: int | None = None
        self._sessions_opened = 0
        self._callback_threads: set[int] = set()
        self._account_status: int | None = None
        self._order_seqs: dict[int, str] = {}
        self._early_answers: dict[int, Any] = {}
        self._cancel_seqs: dict[int, str] = {}
        self._cancels_open: set[str] = set()
        self._cancel_after_ack: set[str] = set()
        self._orphan_fills: dict[str, list[Fill]] = {}
        self._quote_seqs: dict[str, int] = {}
        self._stopping = threading.Event()
        self._link_lost = threading.Event()
        self._worker: threading.Thread | None = None

    # ---- state ---------------------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        """Where the link stands now."""
        return self._state

    @property
    def session_id(self) -> int | None:
        """The session id of the current (or last) connection."""
        return self._session

    def _set_state(self, state: ConnectionState, message: str) -> None:
        with self._lock:
            if state is self._state:
                return
            self._state = state
        log.info("qmt %s: %s", state.value, message)
        self._sink(ConnectionEvent(state, message, now_shanghai()))

    # ---- connecting ----------------------------------------------------------------
    def connect(self) -> None:
        """Connect to MiniQMT once, subscribe the account and take over today's orders.

        Raises :class:`BrokerUnavailableError` when xtquant cannot load or MiniQMT
        refuses (not running, not logged in); it is not retried.
        """
        if self._state in (
            ConnectionState.CONNECTED,
            ConnectionState.CONNECTING,
            ConnectionState.RECONNECTING,
        ):
            return
        self._stopping.clear()
        self._link_lost.clear()
        self._set_state(
            ConnectionState.CONNECTING,
            translate(TEXT, "connecting", path=self.config.userdata_path),
        )
        try:
            self._load_xtquant()
        except BrokerUnavailableError as error:
            self._set_state(ConnectionState.FAILED, str(error))
            raise
        failure = self._open_session_off_thread()
        if failure is not None:
            self._set_state(ConnectionState.FAILED, failure)
            raise BrokerUnavailableError(failure)
        self._worker = threading.Thread(
            target=self._reconnect_loop, name=f"qmt-reconnect-{self.config.account_id}", daemon=True
        )
        self._worker.start()
        self._after_connect()

    def _load_xtquant(self) -> None:
        if self._xttrader is not None:
            return
        try:
            xttrader = import_submodule("xtquant", "xttrader")
            xttype = import_submodule("xtquant", "xttype")
        except Exception as error:
            raise BrokerUnavailableError(
                translate(TEXT, "no_xtquant", error=f"{type(error).__name__}: {error}")
            ) from error
        account = xttype.StockAccount(self.config.account_id, self.config.account_type)
        if not isinstance(account, xttype.StockAccount):
            raise BrokerUnavailableError(f"xtquant refused account {self.config.account_id!r}")
        self._account = account
        self._xttrader = xttrader
        self._trader_class = _trader_class(xttrader)

    def _next_session(self) -> int:
        self._sessions_opened += 1
        if self.config.session_id is None:
            return new_session_id()
        return (self.config.session_id + self._sessions_opened - 2) % MAX_SESSION_ID + 1

    def _open_session_off_thread(self) -> str | None:
        """:meth:`_open_session` on a thread of its own, so the trader's event loop is
        never set on the caller's thread (``XtQuantTrader.__init__`` sets one)."""
        outcome: list[str | None] = []

        def run() -> None:
            try:
                outcome.append(self._open_session())
            except Exception as error:
                outcome.append(f"{type(error).__name__}: {error}")

        opener = threading.Thread(target=run, name="qmt-connect", daemon=True)
        opener.start()
        opener.join(timeout=self.config.request_timeout * 3)
        if not outcome:
            return translate(TEXT, "timed_out", timeout=self.config.request_timeout * 3)
        return outcome[0]

    def _open_session(self) -> str | None:
        """Build, start and connect a trader with a new session; None when it worked,
        else why not. Never called on xtquant's callback thread."""
        session = self._next_session()
        with self._lock:
            self._generation += 1
            generation = self._generation
        trader = self._trader_class(
            self.config.userdata_path, session, _Callbacks(self, generation)
        )
        trader.start()
        result = trader.connect()
        if result != 0:
            self._stop_trader(trader)
            return translate(
                TEXT,
                "connect_failed",
                path=self.config.userdata_path,
                session=session,
                result=result,
            )
        subscribed = trader.subscribe(self._account)
        if subscribed != 0:
            self._stop_trader(trader)
            return translate(
                TEXT, "subscribe_failed", account=self.config.account_id, result=subscribed
            )
        with self._lock:
            self._trader = trader
            self._session = session
        return None

    def _after_connect(self) -> None:
        self._set_state(
            ConnectionState.CONNECTED,
            translate(TEXT, "connected", account=self.config.account_id, session=self._session),
        )
        self._reconcile()

    def _stop_trader(self, trader: Any) -> None:
        """Stop a trader; off its own callback thread (stop joins that thread)."""
        if threading.get_ident() in self._callback_threads:
            threading.Thread(target=trader.stop, name="qmt-stop", daemon=True).start()
        else:
            trader.stop()

    def _on_disconnected(self) -> None:
        if self._stopping.is_set():
            return
        self._set_state(
            ConnectionState.RECONNECTING,
            translate(TEXT, "lost", session=self._session, interval=self.config.reconnect_interval),
        )
        self._link_lost.set()

    def _reconnect_loop(self) -> None:
        while not self._stopping.is_set():
            self._link_lost.wait()
            if self._stopping.is_set():
                return
            self._link_lost.clear()
            with self._lock:
                old, self._trader = self._trader, None
            if old is not None:
                self._stop_trader(old)
            while not self._stopping.wait(self.config.reconnect_interval):
                failure = self._open_session_off_thread()
                if self._stopping.is_set():
                    return
                if failure is None:
                    self._after_connect()
                    break
                log.warning(
                    translate(
                        TEXT,
                        "retry_failed",
                        reason=failure,
                        interval=self.config.reconnect_interval,
                    )
                )

    def disconnect(self) -> None:
        """Close the link (no reconnecting); orders stay with MiniQMT."""
        self._stopping.set()
        self._link_lost.set()
        worker, self._worker = self._worker, None
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=self.config.reconnect_interval + 4 * self.config.request_timeout)
        with self._lock:
            trader, self._trader = self._trader, None
            self._generation += 1
            quotes, self._quote_seqs = self._quote_seqs, {}
        for seq in quotes.values():
            try:
                self._xtdata.unsubscribe_quote(seq)
            except Exception as error:
                log.debug("unsubscribe_quote(%s) failed: %s", seq, error)
        if trader is not None:
            self._stop_trader(trader)
        self._set_state(ConnectionState.DISCONNECTED, translate(TEXT, "disconnected"))

    # ---- reconciling ---------------------------------------------------------------
    def _reconcile(self) -> None:
        """Adopt today's orders and fills of ours from MiniQMT (missed ones once)."""
        with self._lock:
            trader = self._trader
        if trader is None:
            return
        statuses = self._ask("account status", trader.query_account_status_async)
        for status in statuses or []:
            self._guard(self._on_account_status, status)
        orders = self._ask("orders", lambda cb: trader.query_stock_orders_async(self._account, cb))
        trades = self._ask("trades", lambda cb: trader.query_stock_trades_async(self._account, cb))
        if orders is None or trades is None:
            self._sink(notice(NoticeKind.QUERY_UNKNOWN, translate(TEXT, "reconcile_unknown")))
            return
        fills: dict[str, list[Fill]] = {}
        for trade in trades:
            owner = self._owner(trade.order_remark, trade.strategy_name, trade.order_id)
            if owner:
                fills.setdefault(owner, []).append(mapping.fill_from_xt(trade, owner))
        known = {order.client_order_id for order in self.tracker.orders()}
        for xt in orders:
            owner = self._owner(xt.order_remark, xt.strategy_name, xt.order_id)
            if owner is None or owner in known:
                continue
            try:
                order = mapping.order_from_xt(xt, owner, now=now_shanghai())
            except InvalidTransitionError as error:
                self._sink(notice(NoticeKind.INVALID_REPORT, str(error), owner))
                continue
            self.tracker.adopt(order, fills.get(owner, []))
            self._replay_orphans(owner)
        for owned in fills.values():
            for fill in owned:
                self.tracker.fill(fill)
        for xt in orders:
            owner = self._owner(xt.order_remark, xt.strategy_name, xt.order_id)
            if owner in known:
                self._guard(self._on_order, xt)

    def _owner(self, remark: object, strategy_name: object, order_id: object) -> str | None:
        """Our client order id for an xtquant record, or None when it is not ours."""
        client_id = mapping.client_id_of(remark)
        if client_id is not None and (
            self.tracker.find(client_id) is not None or strategy_name == self.config.strategy_name
        ):
            return client_id
        order = self.tracker.find(broker_order_id=str(order_id))
        return order.client_order_id if order else None

    def _replay_orphans(self, client_id: str) -> None:
        with self._lock:
            orphans = self._orphan_fills.pop(client_id, [])
        for fill in orphans:
            self.tracker.fill(fill)

    # ---- callbacks (xtquant's thread) ----------------------------------------------
    def _guard(self, handler: Callable[[Any], None], item: Any) -> None:
        """Run a push handler; a push that cannot be read becomes a notice, never a crash."""
        try:
            handler(item)
        except Exception as error:
            log.exception("qmt push %r could not be applied", item)
            self._sink(
                notice(
                    NoticeKind.INVALID_REPORT,
                    f"push {type(item).__name__} could not be applied: "
                    f"{type(error).__name__}: {error}",
                )
            )

    def _on_account_status(self, status: Any) -> None:
        if str(status.account_id) != self.config.account_id:
            return
        code = int(status.status)
        with self._lock:
            before, self._account_status = self._account_status, code
        if code != mapping.ACCOUNT_STATUS_OK:
            if before != code:
                self._sink(notice(NoticeKind.ACCOUNT_STATUS, self._status_message(code)))
        elif before is not None and before != code:
            self._sink(
                notice(
                    NoticeKind.ACCOUNT_STATUS,
                    translate(TEXT, "account_ok", account=self.config.account_id),
                )
            )

    def _status_message(self, code: int) -> str:
        return translate(
            TEXT,
            "account_not_ok",
            account=self.config.account_id,
            status=code,
            name=mapping.ACCOUNT_STATUS_NAMES.get(code, "UNKNOWN"),
        )

    def _on_order_response(self, response: Any) -> None:
        with self._lock:
            client_id = self._order_seqs.pop(response.seq, None)
            if client_id is None:
                remarked = mapping.client_id_of(response.order_remark)
                if remarked is not None and self.tracker.find(remarked) is not None:
                    client_id = remarked
            if client_id is None:
                self._early_answers[response.seq] = response
                return
        self._apply_order_response(client_id, response)

    def _apply_order_response(self, client_id: str, response: Any) -> None:
        order_id = int(response.order_id)
        if order_id <= 0:
            message = str(response.error_msg or "")
            self.tracker.reject(client_id, mapping.reason_from_message(message), message)
            return
        self.tracker.link(client_id, str(order_id))
        self.tracker.report(client_id, BrokerOrderStatus.WAIT_REPORTING)
        with self._lock:
            wanted = client_id in self._cancel_after_ack
            self._cancel_after_ack.discard(client_id)
        if wanted:
            self._send_cancel(client_id, str(order_id))

    def _on_order(self, xt: Any) -> None:
        client_id = self._owner(xt.order_remark, xt.strategy_name, xt.order_id)
        if client_id is None:
            log.debug("order %s is not ours (remark %r)", xt.order_id, xt.order_remark)
            return
        order = mapping.order_from_xt(xt, client_id, now=now_shanghai())
        if self.tracker.find(client_id) is None:
            self.tracker.adopt(order)
            self._replay_orphans(client_id)
            return
        self.tracker.link(client_id, order.broker_order_id)
        self.tracker.report(
            client_id,
            order.status,
            order.filled,
            reason=order.reason if order.status is BrokerOrderStatus.JUNK else None,
            message=order.message,
        )
        if order.status.is_terminal:
            with self._lock:
                self._cancels_open.discard(client_id)

    def _on_trade(self, xt: Any) -> None:
        client_id = self._owner(xt.order_remark, xt.strategy_name, xt.order_id)
        if client_id is None:
            log.debug("trade %s is not ours (remark %r)", xt.traded_id, xt.order_remark)
            return
        fill = mapping.fill_from_xt(xt, client_id)
        if self.tracker.find(client_id) is None:
            with self._lock:
                self._orphan_fills.setdefault(client_id, []).append(fill)
            return
        self.tracker.fill(fill)

    def _on_order_error(self, error: Any) -> None:
        client_id = self._owner(error.order_remark, error.strategy_name, error.order_id)
        if client_id is None:
            with self._lock:
                client_id = self._order_seqs.get(getattr(error, "seq", -1))
        if client_id is None or self.tracker.find(client_id) is None:
            log.debug("order error for an order not ours: %s", error.error_msg)
            return
        message = str(error.error_msg or "")
        self.tracker.reject(client_id, mapping.reason_from_message(message), message)

    def _on_cancel_error(self, error: Any) -> None:
        order = self.tracker.find(broker_order_id=str(error.order_id))
        if order is None:
            return
        self._cancel_refused(order.client_order_id, str(error.error_msg or ""))

    def _on_cancel_response(self, response: Any) -> None:
        with self._lock:
            client_id = self._cancel_seqs.pop(response.seq, None)
        if client_id is None or int(response.cancel_result) == 0:
            return
        self._cancel_refused(client_id, str(response.error_msg or ""))

    def _cancel_refused(self, client_id: str, message: str) -> None:
        with self._lock:
            if client_id not in self._cancels_open:
                return
            self._cancels_open.discard(client_id)
        reason = mapping.reason_from_message(message)
        self.tracker.cancel_rejected(client_id, reason, message)

    def _on_tick(self, data: Any) -> None:
        for code, ticks in dict(data).items():
            try:
                tick = ticks[-1] if isinstance(ticks, list | tuple) else ticks
                quote = mapping.quote_from_tick(normalize_symbol(code), tick)
            except Exception as error:
                self._sink(notice(NoticeKind.INVALID_REPORT, f"tick of {code} unreadable: {error}"))
                continue
            self._sink(QuoteEvent(quote))

    # ---- requests ------------------------------------------------------------------
    def _require_connected(self) -> Any:
        with self._lock:
            trader = self._trader
            state = self._state
        if state is not ConnectionState.CONNECTED or trader is None:
            raise BrokerUnavailableError(translate(TEXT, "not_connected", state=state.value))
        return trader

    def subscribe_quotes(self, symbols: Iterable[str]) -> None:
        """Report ticks of ``symbols`` (xtdata ``subscribe_quote``, period ``tick``)."""
        self._require_connected()
        if self._xtdata is None:
            try:
                self._xtdata = import_submodule("xtquant", "xtdata")
            except Exception as error:
                raise BrokerUnavailableError(
                    translate(TEXT, "no_xtquant", error=f"{type(error).__name__}: {error}")
                ) from error
        for symbol in symbols:
            code = normalize_symbol(symbol)
            if code in self._quote_seqs:
                continue
            try:
                seq = self._xtdata.subscribe_quote(
                    code, period="tick", count=0, callback=self._on_tick
                )
            except Exception as error:
                raise BrokerUnavailableError(
                    f"xtdata.subscribe_quote({code}) failed: {error}"
                ) from error
            if not isinstance(seq, int) or seq <= 0:
                raise BrokerUnavailableError(f"xtdata.subscribe_quote({code}) returned {seq!r}")
            with self._lock:
                self._quote_seqs[code] = seq

    def place_order(self, request: OrderRequest) -> BrokerOrder:
        """Send an order with ``order_stock_async``; returns its state now (usually
        not yet acknowledged). Refused with :class:`BrokerUnavailableError` while not
        connected or while the account status is not OK."""
        trader = self._require_connected()
        with self._lock:
            status = self._account_status
        if status is not None and status != mapping.ACCOUNT_STATUS_OK:
            raise BrokerUnavailableError(self._status_message(status))
        symbol = normalize_symbol(request.symbol)
        order = self.tracker.add(replace(request, symbol=symbol))
        client_id = order.client_order_id
        code = mapping.xt_price_type(order.price_type, symbol)
        if code is None:
            message = translate(
                TEXT, "price_type", price_type=order.price_type.value, symbol=symbol
            )
            self.tracker.reject(client_id, Reason.PRICE_TYPE_NOT_ON_EXCHANGE, message)
            return self.tracker.get(client_id)
        seq = trader.order_stock_async(
            self._account,
            symbol,
            mapping.ORDER_TYPES[order.side],
            order.quantity,
            code,
            mapping.xt_price(order.limit_price),
            self.config.strategy_name,
            client_id,
        )
        if not isinstance(seq, int) or seq <= 0:
            self.tracker.reject(
                client_id, Reason.BROKER_REJECTED, translate(TEXT, "send_failed", seq=seq)
            )
            return self.tracker.get(client_id)
        with self._lock:
            early = self._early_answers.pop(seq, None)
            if early is None:
                self._order_seqs[seq] = client_id
        if early is not None:
            self._apply_order_response(client_id, early)
        return self.tracker.get(client_id)

    def cancel_order(self, client_order_id: str) -> None:
        """Ask MiniQMT to cancel (``cancel_order_stock_async``); pending-cancel, then
        cancelled or refused, arrive as events."""
        order = self.tracker.get(client_order_id)
        self._require_connected()
        if not order.is_active:
            self.tracker.cancel_rejected(
                client_order_id,
                Reason.ORDER_NOT_OPEN,
                translate(
                    TEXT, "order_not_open", order=client_order_id, status=order.status.label()
                ),
            )
            return
        if not order.broker_order_id:
            with self._lock:
                self._cancel_after_ack.add(client_order_id)
            return
        self._send_cancel(client_order_id, order.broker_order_id)

    def _send_cancel(self, client_id: str, broker_order_id: str) -> None:
        with self._lock:
            trader = self._trader
            self._cancels_open.add(client_id)
        if trader is None:
            return
        seq = trader.cancel_order_stock_async(self._account, int(broker_order_id))
        if not isinstance(seq, int) or seq <= 0:
            self._cancel_refused(client_id, translate(TEXT, "cancel_failed", seq=seq))
            return
        with self._lock:
            self._cancel_seqs[seq] = client_id

    # ---- queries -------------------------------------------------------------------
    def _ask(self, what: str, start: Callable[[Callable[[Any], None]], Any]) -> Any:
        """Run an ``*_async`` query and wait for its answer; None (with a notice) when
        it is None, late, or asked from xtquant's callback thread."""
        if threading.get_ident() in self._callback_threads:
            return self._unknown(what, translate(TEXT, "in_callback"))
        answered = threading.Event()
        box: list[Any] = []

        def answer(result: Any) -> None:
            box.append(result)
            answered.set()

        start(answer)
        if not answered.wait(self.config.request_timeout):
            return self._unknown(
                what, translate(TEXT, "timed_out", timeout=self.config.request_timeout)
            )
        if box[0] is None:
            return self._unknown(what, translate(TEXT, "answered_none"))
        return box[0]

    def _unknown(self, what: str, why: str) -> None:
        self._sink(
            notice(NoticeKind.QUERY_UNKNOWN, translate(TEXT, "query_unknown", what=what, why=why))
        )
        return None

    def query_account(self) -> Account | None:
        """Cash and totals (``query_stock_asset_async``), or None when unknown."""
        trader = self._require_connected()
        asset = self._ask("asset", lambda cb: trader.query_stock_asset_async(self._account, cb))
        return mapping.account_from_xt(asset) if asset is not None else None

    def query_positions(self) -> list[Position] | None:
        """All positions, or None when unknown (never read None as flat)."""
        trader = self._require_connected()
        positions = self._ask(
            "positions", lambda cb: trader.query_stock_positions_async(self._account, cb)
        )
        return [mapping.position_from_xt(p) for p in positions] if positions is not None else None

    def query_orders(self) -> list[BrokerOrder] | None:
        """Today's orders of ours as MiniQMT reports them, or None when unknown."""
        trader = self._require_connected()
        orders = self._ask("orders", lambda cb: trader.query_stock_orders_async(self._account, cb))
        if orders is None:
            return None
        result = []
        now = now_shanghai()
        for xt in orders:
            owner = self._owner(xt.order_remark, xt.strategy_name, xt.order_id)
            if owner is None:
                continue
            order = mapping.order_from_xt(xt, owner, now=now)
            tracked = self.tracker.find(owner)
            if tracked is not None:
                order = order.evolve(
                    created=tracked.created, fees=tracked.fees, strategy=tracked.strategy
                )
            result.append(order)
        return result

    def query_trades(self) -> list[Fill] | None:
        """Today's fills of the account (ours carry our client order id; others an
        empty one), or None when unknown."""
        trader = self._require_connected()
        trades = self._ask("trades", lambda cb: trader.query_stock_trades_async(self._account, cb))
        if trades is None:
            return None
        return [
            mapping.fill_from_xt(
                xt, self._owner(xt.order_remark, xt.strategy_name, xt.order_id) or ""
            )
            for xt in trades
        ]


__all__ = ["QmtBroker", "QmtConfig", "new_session_id"]
