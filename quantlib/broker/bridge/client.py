"""The ``qmt-bridge`` broker: a broker served by a bridge server on another host.

:class:`BridgeBroker` offers the ordinary synchronous Broker interface. Its requests
and the server's event stream run on a background asyncio thread (aiohttp). It reports
the served broker's events to its own sink, each once and in order (by the server's
sequence numbers), and holds every call until the events the call caused have been
reported, as the in-process broker does.

When the link drops it says so (``RECONNECTING``), reconnects by itself, asks for the
events after the last one it reported, and says ``CONNECTED`` once they are replayed.
When the server no longer has them (or was restarted) it reports a
:class:`~quantlib.broker.events.BrokerNotice` ``REPLAY_GAP`` and catches up by queries:
fills not yet reported are reported (each trade id once), orders whose state moved are
reported, then positions and the account.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import ssl
import threading
from collections.abc import Iterable
from typing import Any, NoReturn

import aiohttp

from quantlib.broker.bridge import wire
from quantlib.broker.bridge.config import BridgeConfig
from quantlib.broker.codec import CodecError, decode, encode
from quantlib.broker.errors import BrokerError, BrokerUnavailableError
from quantlib.broker.events import (
    AccountEvent,
    BrokerEvent,
    ConnectionEvent,
    ConnectionState,
    EventSink,
    NoticeKind,
    OrderEvent,
    PositionEvent,
    TradeEvent,
    discard,
    notice,
)
from quantlib.core.dates import now_shanghai
from quantlib.core.i18n import Catalog, translate
from quantlib.model.trading import Account, BrokerOrder, Fill, OrderRequest, Position

log = logging.getLogger(__name__)

State = ConnectionState

TEXT: Catalog = {
    "connecting": ("connecting to the bridge at {url}", "正在连接桥接服务 {url}"),
    "connected": ("connected to the bridge at {url}", "已连接桥接服务 {url}"),
    "disconnected": ("disconnected from the bridge at {url}", "已断开桥接服务 {url}"),
    "dropped": (
        "link to the bridge at {url} dropped; reconnecting",
        "与桥接服务 {url} 的连接中断，正在重连",
    ),
    "unreachable": (
        "cannot reach the bridge at {url}: {detail}",
        "无法连接桥接服务 {url}：{detail}",
    ),
    "refused_token": (
        "the bridge at {url} refused the token ({detail}); check the token file and the "
        "'token' setting",
        "桥接服务 {url} 拒绝了令牌（{detail}）；请检查令牌文件和 token 设置",
    ),
    "not_connected": (
        "qmt-bridge is not connected to {url}: call connect() first",
        "qmt-bridge 未连接 {url}：请先调用 connect()",
    ),
    "link_down": (
        "the link to the bridge at {url} is down ({state}); try again once reconnected",
        "与桥接服务 {url} 的连接不可用（{state}），请在重连后重试",
    ),
    "no_answer": (
        "the bridge at {url} did not answer within {seconds} s",
        "桥接服务 {url} 在 {seconds} 秒内未应答",
    ),
    "bad_answer": (
        "the bridge at {url} sent something that is not the bridge protocol: {detail}",
        "桥接服务 {url} 的应答不符合桥接协议：{detail}",
    ),
    "from_sink": (
        "qmt-bridge requests cannot be made from inside its event sink",
        "不能在 qmt-bridge 的事件回调中发起请求",
    ),
    "gap": (
        "events {since} to {first} are no longer kept by the bridge; catching up by queries",
        "桥接服务已不再保留第 {since} 至 {first} 号事件，改用查询补齐",
    ),
    "restarted": (
        "the bridge server was restarted; catching up by queries",
        "桥接服务已重启，改用查询补齐",
    ),
}


class BridgeBroker:
    """The Broker interface over a bridge server (``qmt-bridge``).

    Examples
    --------
    >>> from quantlib.broker.events import EventQueue
    >>> config = BridgeConfig(url="http://127.0.0.1:1", token="t" * 32)
    >>> broker = BridgeBroker(config, events=EventQueue())
    >>> broker.name, broker.state
    ('qmt-bridge', <ConnectionState.DISCONNECTED: 'disconnected'>)
    """

    name = "qmt-bridge"
    config_class = BridgeConfig

    def __init__(self, config: BridgeConfig, *, events: EventSink | None = None) -> None:
        self.config = config
        self._sink = events or discard
        self._lock = threading.RLock()
        self._link = State.DISCONNECTED
        self._reported = State.DISCONNECTED
        self._remote = State.DISCONNECTED
        self._ssl_context: ssl.SSLContext | bool = True
        self._server_id: str | None = None
        self._last_seq: int | None = None
        self._trades: set[str] = set()
        self._baseline_trades: set[str] = set()
        self._orders: dict[str, BrokerOrder] = {}
        self._resynced: dict[str, BrokerOrder] = {}
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session: aiohttp.ClientSession | None = None
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._stream: asyncio.Task[None] | None = None

    # ---- the Broker interface ------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        """The link's state, or the served broker's once the link is up."""
        return self._reported

    def connect(self) -> None:
        """Reach the server, connect the broker it serves, and follow its events.

        Raises
        ------
        BridgeAuthError
            The server refused the token.
        BrokerUnavailableError
            The server cannot be reached, or the broker it serves cannot connect.
        """
        if self._link is State.CONNECTED:
            return
        self._closing = False
        self._set_link(State.CONNECTING, self._text("connecting"))
        try:
            self._ssl_context = self._ssl()
        except OSError as error:
            self._fail(BrokerUnavailableError(self._text("unreachable", detail=error)))
        loop = self._start_loop()
        future = asyncio.run_coroutine_threadsafe(self._open(), loop)
        try:
            future.result(self.config.request_timeout * 4)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self._fail(BrokerUnavailableError(self._no_answer()))
        except BrokerError as error:
            self._fail(error)

    def disconnect(self) -> None:
        """Close the link; the served broker and its orders stay as they are."""
        self._closing = True
        loop = self._loop
        if loop is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(
                self.config.request_timeout
            )
            self._stop_loop()
        self._set_link(State.DISCONNECTED, self._text("disconnected"))

    def close(self) -> None:
        """The same as :meth:`disconnect`."""
        self.disconnect()

    def subscribe_quotes(self, symbols: Iterable[str]) -> None:
        """Have the served broker report quotes of ``symbols``."""
        self._call("POST", wire.SUBSCRIBE, {"symbols": list(symbols)})

    def place_order(self, request: OrderRequest) -> BrokerOrder:
        """Send an order; returns its first state once its events are reported."""
        answer = self._call("POST", wire.ORDERS, encode(request))
        return self._decoded(answer.get("order"), BrokerOrder)

    def cancel_order(self, client_order_id: str) -> None:
        """Ask for a cancel; the outcome arrives as events."""
        self._call("POST", wire.CANCEL, {"client_order_id": client_order_id})

    def query_account(self) -> Account | None:
        """Cash and totals, or None when the served broker does not know."""
        record = self._call("GET", wire.ACCOUNT).get("account")
        return None if record is None else self._decoded(record, Account)

    def query_positions(self) -> list[Position] | None:
        """All positions, or None when unknown."""
        return self._decoded_list(self._call("GET", wire.POSITIONS), "positions", Position)

    def query_orders(self) -> list[BrokerOrder] | None:
        """Today's orders, or None when unknown."""
        return self._decoded_list(self._call("GET", wire.ORDERS), "orders", BrokerOrder)

    def query_trades(self) -> list[Fill] | None:
        """Today's fills, or None when unknown."""
        return self._decoded_list(self._call("GET", wire.TRADES), "trades", Fill)

    # ---- calls from the caller's thread --------------------------------------------
    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        loop = self._loop
        if loop is not None and threading.current_thread() is self._thread:
            raise BrokerError(translate(TEXT, "from_sink"))
        if loop is None or self._link is not State.CONNECTED:
            if self._link in (State.DISCONNECTED, State.CONNECTING):
                raise BrokerUnavailableError(self._text("not_connected"))
            raise BrokerUnavailableError(self._text("link_down", state=self._link.value))
        future = asyncio.run_coroutine_threadsafe(self._request_and_wait(method, path, body), loop)
        try:
            return future.result(self.config.request_timeout * 2)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise BrokerUnavailableError(self._no_answer()) from None

    def _decoded[T](self, record: Any, cls: type[T]) -> T:
        try:
            value: T = decode(record, cls)
        except CodecError as error:
            raise wire.BridgeProtocolError(self._text("bad_answer", detail=error)) from None
        return value

    def _decoded_list[T](self, answer: dict[str, Any], key: str, cls: type[T]) -> list[T] | None:
        records = answer.get(key)
        if records is None:
            return None
        if not isinstance(records, list):
            detail = f"{key} is not a list"
            raise wire.BridgeProtocolError(self._text("bad_answer", detail=detail))
        return [self._decoded(record, cls) for record in records]

    def _start_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="qmt-bridge", daemon=True
            )
            self._thread.start()
        return self._loop

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(self.config.request_timeout)
        if not thread.is_alive():
            loop.close()

    def _fail(self, error: BrokerError) -> NoReturn:
        loop = self._loop
        if loop is not None:
            self._closing = True
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(
                self.config.request_timeout
            )
            self._stop_loop()
        self._set_link(State.FAILED, str(error))
        raise error

    # ---- on the loop: requests -----------------------------------------------------
    async def _open(self) -> None:
        token = self.config.token.get_secret_value()
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=self.config.request_timeout),
        )
        await self._request("GET", wire.HEALTH)
        fresh = self._last_seq is None
        socket, hello = await self._open_stream()
        answer = await self._request("POST", wire.CONNECT)
        if fresh:
            trades = await self._request("GET", wire.TRADES)
            orders = await self._request("GET", wire.ORDERS)
            self._baseline_trades = {
                fill.trade_id for fill in self._decoded_list(trades, "trades", Fill) or []
            }
            self._orders.update(
                (order.client_order_id, order)
                for order in self._decoded_list(orders, "orders", BrokerOrder) or []
            )
        live = asyncio.get_running_loop().create_future()
        self._stream = asyncio.create_task(self._follow(socket, hello, live))
        await asyncio.wait_for(asyncio.shield(live), self.config.request_timeout)
        await self._delivered(int(answer.get("seq", 0)))

    async def _request_and_wait(self, method: str, path: str, body: Any) -> dict[str, Any]:
        answer = await self._request(method, path, body)
        seq = answer.get("seq")
        if isinstance(seq, int):
            await self._delivered(seq)
        return answer

    async def _request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        if self._session is None:
            raise BrokerUnavailableError(self._text("not_connected"))
        try:
            async with self._session.request(
                method, self.config.url + path, json=body, ssl=self._ssl_context
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            detail = str(error) or type(error).__name__
            raise BrokerUnavailableError(self._text("unreachable", detail=detail)) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            detail = f"HTTP {status}: {text[:200]!r}"
            raise wire.BridgeProtocolError(self._text("bad_answer", detail=detail)) from None
        if not isinstance(data, dict):
            detail = f"HTTP {status}: not an object"
            raise wire.BridgeProtocolError(self._text("bad_answer", detail=detail))
        if status >= 400:
            raise self._server_error(status, data)
        return data

    def _server_error(self, status: int, data: dict[str, Any]) -> Exception:
        code = str(data.get("error", ""))
        message = str(data.get("message", f"HTTP {status}"))
        if code == wire.UNAUTHORIZED or status == 401:
            return wire.BridgeAuthError(self._text("refused_token", detail=message))
        return wire.ERRORS.get(code, BrokerError)(message)

    def _ssl(self) -> ssl.SSLContext | bool:
        if not self.config.url.startswith("https://"):
            return True
        if not self.config.verify:
            return False
        return ssl.create_default_context(
            cafile=str(self.config.ca_file) if self.config.ca_file else None
        )

    async def _open_stream(self) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
        if self._session is None:
            raise BrokerUnavailableError(self._text("not_connected"))
        params: dict[str, str] = {}
        if self._last_seq is not None:
            params["since"] = str(self._last_seq)
            if self._server_id:
                params["server"] = self._server_id
        url = self.config.url.replace("http", "ws", 1) + wire.EVENTS
        try:
            socket = await self._session.ws_connect(
                url, params=params, heartbeat=self.config.heartbeat, ssl=self._ssl_context
            )
        except aiohttp.WSServerHandshakeError as error:
            if error.status == 401:
                raise wire.BridgeAuthError(
                    self._text("refused_token", detail=error.message)
                ) from None
            detail = f"HTTP {error.status}: {error.message}"
            raise BrokerUnavailableError(self._text("unreachable", detail=detail)) from None
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            detail = str(error) or type(error).__name__
            raise BrokerUnavailableError(self._text("unreachable", detail=detail)) from None
        try:
            hello = await socket.receive_json(timeout=self.config.request_timeout)
        except (TypeError, ValueError, TimeoutError) as error:
            await socket.close()
            raise wire.BridgeProtocolError(self._text("bad_answer", detail=error)) from None
        if not isinstance(hello, dict) or hello.get("kind") != wire.HELLO:
            await socket.close()
            raise wire.BridgeProtocolError(self._text("bad_answer", detail="no hello"))
        self._socket = socket
        self._remote = State(hello.get("state", State.DISCONNECTED))
        if self._last_seq is None:
            self._last_seq = int(hello["seq"])
            self._server_id = str(hello["server"])
        return socket, hello

    async def _shutdown(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
            self._stream = None
        if self._socket is not None:
            await self._socket.close()
            self._socket = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._release_waiters()

    # ---- on the loop: the event stream ---------------------------------------------
    async def _follow(
        self,
        socket: aiohttp.ClientWebSocketResponse,
        hello: dict[str, Any],
        live: asyncio.Future[None],
    ) -> None:
        while not self._closing:
            try:
                await self._consume(socket, hello, live)
            except (aiohttp.ClientError, OSError, TimeoutError, BrokerError, ValueError) as error:
                log.warning("qmt-bridge: event stream from %s failed: %s", self.config.url, error)
            if self._closing:
                return
            self._release_waiters()
            self._set_link(State.RECONNECTING, self._text("dropped"))
            reopened = await self._reopen()
            if reopened is None:
                return
            socket, hello = reopened

    async def _reopen(
        self,
    ) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]] | None:
        while not self._closing:
            await asyncio.sleep(self.config.reconnect_interval)
            try:
                return await self._open_stream()
            except wire.BridgeAuthError as error:
                log.error("qmt-bridge: %s", error)
                self._set_link(State.FAILED, str(error))
                return None
            except BrokerError as error:
                log.info("qmt-bridge: reconnect failed: %s", error)
        return None

    async def _consume(
        self,
        socket: aiohttp.ClientWebSocketResponse,
        hello: dict[str, Any],
        live: asyncio.Future[None],
    ) -> None:
        if hello.get("gap"):
            await self._resync(hello)
        async for message in socket:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            kind = data.get("kind") if isinstance(data, dict) else None
            if kind == wire.EVENT:
                self._deliver(int(data["seq"]), decode(data["event"]))
            elif kind == wire.LIVE:
                self._set_link(State.CONNECTED, self._text("connected"))
                if not live.done():
                    live.set_result(None)
            else:
                raise wire.BridgeProtocolError(self._text("bad_answer", detail=kind))

    def _deliver(self, seq: int, event: BrokerEvent) -> None:
        if self._last_seq is not None and seq <= self._last_seq:
            return
        self._last_seq = seq
        if isinstance(event, ConnectionEvent):
            self._remote = event.state
            if self._link in (State.CONNECTING, State.CONNECTED):
                self._report(event)
        elif isinstance(event, TradeEvent):
            if event.fill.trade_id not in self._trades:
                self._trades.add(event.fill.trade_id)
                self._emit(event)
        elif isinstance(event, OrderEvent):
            order = event.order
            caught_up = self._resynced.pop(order.client_order_id, None)
            if caught_up is None or not _not_newer(order, caught_up):
                self._orders[order.client_order_id] = order
                self._emit(event)
            else:
                self._resynced[order.client_order_id] = caught_up
        else:
            self._emit(event)
        self._release_waiters(seq)

    async def _resync(self, hello: dict[str, Any]) -> None:
        since, first = self._last_seq, int(hello["first"])
        restarted = hello.get("server") != self._server_id
        self._server_id = str(hello["server"])
        self._last_seq = int(hello["seq"])
        message = (
            self._text("restarted")
            if restarted
            else translate(TEXT, "gap", since=(since or 0) + 1, first=first - 1)
        )
        log.warning("qmt-bridge: %s", message)
        self._emit(notice(NoticeKind.REPLAY_GAP, message))
        trades = self._decoded_list(await self._request("GET", wire.TRADES), "trades", Fill)
        for fill in trades or []:
            if fill.trade_id not in self._trades and fill.trade_id not in self._baseline_trades:
                self._trades.add(fill.trade_id)
                self._emit(TradeEvent(fill))
        orders = await self._request("GET", wire.ORDERS)
        for order in self._decoded_list(orders, "orders", BrokerOrder) or []:
            known = self._orders.get(order.client_order_id)
            if known is None or not _not_newer(order, known):
                self._orders[order.client_order_id] = order
                self._resynced[order.client_order_id] = order
                self._emit(OrderEvent(order))
        positions = await self._request("GET", wire.POSITIONS)
        for position in self._decoded_list(positions, "positions", Position) or []:
            self._emit(PositionEvent(position))
        account = (await self._request("GET", wire.ACCOUNT)).get("account")
        if account is not None:
            self._emit(AccountEvent(self._decoded(account, Account)))

    async def _delivered(self, seq: int) -> None:
        if self._last_seq is not None and self._last_seq >= seq:
            return
        if self._link not in (State.CONNECTING, State.CONNECTED):
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((seq, waiter))
        try:
            await asyncio.wait_for(waiter, self.config.request_timeout)
        except TimeoutError:
            log.warning("qmt-bridge: events up to %d not received in time", seq)

    def _release_waiters(self, seq: int | None = None) -> None:
        keep = []
        for target, waiter in self._waiters:
            if seq is None or target <= seq:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                keep.append((target, waiter))
        self._waiters = keep

    # ---- reporting -----------------------------------------------------------------
    def _set_link(self, link: ConnectionState, message: str) -> None:
        with self._lock:
            self._link = link
            state = self._remote if link is State.CONNECTED else link
            if state is self._reported:
                return
            self._reported = state
        self._emit(ConnectionEvent(state, message, now_shanghai()))

    def _report(self, event: ConnectionEvent) -> None:
        with self._lock:
            if event.state is self._reported:
                return
            self._reported = event.state
        self._emit(event)

    def _emit(self, event: BrokerEvent) -> None:
        try:
            self._sink(event)
        except Exception:
            log.exception("qmt-bridge: the event sink failed on %r", event)

    def _text(self, key: str, **values: object) -> str:
        return translate(TEXT, key, url=self.config.url, **values)

    def _no_answer(self) -> str:
        return self._text("no_answer", seconds=self.config.request_timeout)


def _not_newer(order: BrokerOrder, known: BrokerOrder) -> bool:
    """True when ``order`` says nothing ``known`` does not (the same, or older)."""
    return order == known or order.filled < known.filled or order.updated < known.updated


__all__ = ["BridgeBroker", "BridgeConfig"]
