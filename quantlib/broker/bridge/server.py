"""The bridge server: one broker served over HTTP + WebSocket (aiohttp).

:class:`BridgeServer` wraps the broker a factory opens with the server's
:class:`~quantlib.broker.bridge.log.EventLog` as its event sink (normally
``lambda events: open_broker("qmt", settings, events=events)``). Every route needs the
bearer token. Requests are checked in full before the broker sees them: a malformed or
invalid one is answered 400 or 422 naming what is wrong and changes nothing. Broker
calls run one at a time on a worker thread, since broker APIs such as xtquant block.

:class:`BridgeServerThread` runs a server on its own event loop in a background thread
(tests, or embedding in a Windows service); the command line is in
:mod:`quantlib.broker.bridge.cli`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import ssl
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from aiohttp import web

from quantlib.broker.bridge import wire
from quantlib.broker.bridge.log import EventLog, Subscriber
from quantlib.broker.codec import CodecError, decode, encode
from quantlib.broker.errors import BrokerError, BrokerUnavailableError, UnknownOrderError
from quantlib.broker.events import ConnectionState, EventSink
from quantlib.broker.ids import check_client_order_id
from quantlib.broker.protocol import Broker
from quantlib.core.errors import MalformedSymbolError, QuantlibError, UnknownSymbolError
from quantlib.core.i18n import Catalog, translate
from quantlib.market.symbols import normalize_symbol
from quantlib.model.trading import InvalidOrderError, OrderRequest

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TEXT: Catalog = {
    "no_token": (
        "missing bearer token: send 'Authorization: Bearer <token>'",
        "缺少令牌：请发送 'Authorization: Bearer <令牌>'",
    ),
    "bad_token": ("the bridge token is wrong", "桥接令牌错误"),
    "not_json": ("request body is not valid JSON: {detail}", "请求体不是有效的 JSON：{detail}"),
    "not_object": ("request body must be a JSON object", "请求体必须是 JSON 对象"),
    "unknown_fields": ("unknown fields: {names}", "未知字段：{names}"),
    "missing_field": ("missing field {name!r}", "缺少字段 {name!r}"),
    "bad_field": ("field {name!r}: {detail}", "字段 {name!r}：{detail}"),
    "bad_param": (
        "query parameter {name!r} must be a whole number ≥ 0, got {value!r}",
        "查询参数 {name!r} 必须是非负整数，收到 {value!r}",
    ),
    "invalid": ("invalid request: {detail}", "请求无效：{detail}"),
    "internal": (
        "the bridge server failed on this request; see its log",
        "桥接服务处理该请求时出错，请查看其日志",
    ),
}

#: HTTP status of each error code.
STATUS = {
    wire.BAD_REQUEST: 400,
    wire.UNAUTHORIZED: 401,
    wire.UNKNOWN_ORDER: 404,
    wire.BROKER_ERROR: 409,
    wire.INVALID_ORDER: 422,
    wire.INTERNAL: 500,
    wire.BROKER_UNAVAILABLE: 503,
}


class RequestError(QuantlibError, ValueError):
    """A request the server refuses before it reaches the broker."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def error_response(code: str, message: str) -> web.Response:
    """The JSON error body ``{"error": code, "message": message}`` with its status."""
    headers = {"WWW-Authenticate": 'Bearer realm="quantlib-bridge"'}
    return web.json_response(
        {"error": code, "message": message},
        status=STATUS[code],
        headers=headers if code == wire.UNAUTHORIZED else None,
    )


class BridgeServer:
    """A broker behind HTTP + WebSocket routes, guarded by a bearer token.

    Parameters
    ----------
    open_broker
        Builds the broker to serve from the event sink it must report to.
    token
        The shared secret clients send as ``Authorization: Bearer <token>``.
    capacity
        Events kept for clients that reconnect (older ones are a gap).
    heartbeat
        Seconds between WebSocket pings; a client silent for longer is dropped.

    Examples
    --------
    >>> from quantlib.broker.registry import open_broker
    >>> server = BridgeServer(lambda events: open_broker("paper", {}, events=events), "s" * 32)
    >>> server.broker.name
    'paper'
    """

    def __init__(
        self,
        open_broker: Callable[[EventSink], Broker],
        token: str,
        *,
        capacity: int = 10_000,
        heartbeat: float = 10.0,
    ) -> None:
        if not token:
            raise ValueError("the bridge server needs a non-empty token")
        self.log = EventLog(capacity)
        self.broker = open_broker(self.log)
        self.heartbeat = heartbeat
        self._token = token.encode()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="bridge-broker")
        self._sockets: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._listen: tuple[str, int, ssl.SSLContext | None] = ("127.0.0.1", 0, None)
        self.app = web.Application(middlewares=[self._authenticate, self._errors])
        self.app.add_routes(
            [
                web.get(wire.HEALTH, self._health),
                web.post(wire.CONNECT, self._connect),
                web.post(wire.ORDERS, self._place),
                web.post(wire.CANCEL, self._cancel),
                web.post(wire.SUBSCRIBE, self._subscribe),
                web.get(wire.ACCOUNT, self._account),
                web.get(wire.POSITIONS, self._positions),
                web.get(wire.ORDERS, self._orders),
                web.get(wire.TRADES, self._trades),
                web.get(wire.EVENTS, self._events),
            ]
        )

    # ---- lifecycle -----------------------------------------------------------------
    async def start(
        self, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> int:
        """Listen on ``host:port`` (0: a free port); returns the port."""
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        self._listen = (host, port, ssl_context)
        return await self.resume()

    async def pause(self) -> None:
        """Stop listening and close every event stream; requests in flight finish."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        await self.drop_clients()

    async def resume(self) -> int:
        """Listen again where :meth:`start` did; returns the port."""
        if self._runner is None:
            raise RuntimeError("the bridge server was not started")
        host, port, ssl_context = self._listen
        self._site = web.TCPSite(self._runner, host, port, ssl_context=ssl_context)
        await self._site.start()
        bound = int(self._runner.addresses[0][1])
        self._listen = (host, bound, ssl_context)
        return bound

    async def drop_clients(self) -> None:
        """Close every event stream (clients reconnect and replay)."""
        for socket in list(self._sockets):
            await socket.close(code=wire.CLOSE_GOING_AWAY, message=b"server dropped the stream")

    async def stop(self) -> None:
        """Stop listening and serving (the wrapped broker is left as it is)."""
        await self.pause()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ---- middleware ----------------------------------------------------------------
    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            log.warning(
                "bridge: refused %s %s from %s: no bearer token",
                request.method,
                request.path,
                request.remote,
            )
            return error_response(wire.UNAUTHORIZED, translate(TEXT, "no_token"))
        if not hmac.compare_digest(presented.strip().encode(), self._token):
            log.warning(
                "bridge: refused %s %s from %s: wrong token",
                request.method,
                request.path,
                request.remote,
            )
            return error_response(wire.UNAUTHORIZED, translate(TEXT, "bad_token"))
        return await handler(request)

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except RequestError as error:
            return error_response(error.code, str(error))
        except CodecError as error:
            return error_response(wire.BAD_REQUEST, translate(TEXT, "invalid", detail=error))
        except (InvalidOrderError, MalformedSymbolError, UnknownSymbolError) as error:
            return error_response(wire.INVALID_ORDER, str(error))
        except UnknownOrderError as error:
            return error_response(wire.UNKNOWN_ORDER, str(error))
        except BrokerUnavailableError as error:
            return error_response(wire.BROKER_UNAVAILABLE, str(error))
        except (BrokerError, QuantlibError) as error:
            return error_response(wire.BROKER_ERROR, str(error))
        except Exception:
            log.exception("bridge: %s %s failed", request.method, request.path)
            return error_response(wire.INTERNAL, translate(TEXT, "internal"))

    # ---- routes --------------------------------------------------------------------
    async def _call[T](self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args))

    def _answer(self, **body: Any) -> web.Response:
        return web.json_response({**body, "seq": self.log.last_seq})

    async def _health(self, request: web.Request) -> web.Response:
        return self._answer(
            broker=self.broker.name,
            state=self.broker.state.value,
            server=self.log.server_id,
            first=self.log.first_seq,
        )

    async def _connect(self, request: web.Request) -> web.Response:
        await _body(request, set())
        if self.broker.state is not ConnectionState.CONNECTED:
            await self._call(self.broker.connect)
        return self._answer(state=self.broker.state.value)

    async def _place(self, request: web.Request) -> web.Response:
        order_request = decode(await _body(request, None), OrderRequest)
        order = await self._call(self.broker.place_order, order_request)
        return self._answer(order=encode(order))

    async def _cancel(self, request: web.Request) -> web.Response:
        body = await _body(request, {"client_order_id"})
        client_order_id = _field(body, "client_order_id", str)
        check_client_order_id(client_order_id)
        await self._call(self.broker.cancel_order, client_order_id)
        return self._answer()

    async def _subscribe(self, request: web.Request) -> web.Response:
        body = await _body(request, {"symbols"})
        symbols = _field(body, "symbols", list)
        if not symbols or not all(isinstance(symbol, str) for symbol in symbols):
            raise RequestError(
                wire.BAD_REQUEST,
                translate(TEXT, "bad_field", name="symbols", detail="a non-empty list of codes"),
            )
        canonical = [normalize_symbol(symbol) for symbol in symbols]
        await self._call(self.broker.subscribe_quotes, canonical)
        return self._answer()

    async def _account(self, request: web.Request) -> web.Response:
        account = await self._call(self.broker.query_account)
        return self._answer(account=None if account is None else encode(account))

    async def _positions(self, request: web.Request) -> web.Response:
        return self._answer(positions=_encoded(await self._call(self.broker.query_positions)))

    async def _orders(self, request: web.Request) -> web.Response:
        return self._answer(orders=_encoded(await self._call(self.broker.query_orders)))

    async def _trades(self, request: web.Request) -> web.Response:
        return self._answer(trades=_encoded(await self._call(self.broker.query_trades)))

    async def _events(self, request: web.Request) -> web.StreamResponse:
        since = _count_param(request, "since")
        server_id = request.query.get("server") or None
        socket = web.WebSocketResponse(heartbeat=self.heartbeat)
        await socket.prepare(request)
        subscriber = Subscriber(asyncio.get_running_loop(), self.log.capacity)
        replay = self.log.subscribe(subscriber, since, server_id)
        self._sockets.add(socket)
        reader = asyncio.create_task(_drain(socket))
        reader.add_done_callback(lambda _: subscriber.queue.put_nowait(None))
        try:
            await socket.send_json(
                {
                    "kind": wire.HELLO,
                    "server": self.log.server_id,
                    "seq": replay.last,
                    "first": replay.first,
                    "gap": replay.gap,
                    "state": self.broker.state.value,
                }
            )
            for replayed in replay.messages:
                await socket.send_str(replayed)
            await socket.send_json({"kind": wire.LIVE})
            while (message := await subscriber.queue.get()) is not None:
                await socket.send_str(message)
            if subscriber.overflowed and not socket.closed:
                log.warning("bridge: event client %s too slow; dropped", request.remote)
                await socket.close(code=wire.CLOSE_TOO_SLOW, message=b"client too slow")
        except ConnectionError:
            log.info("bridge: event client %s went away", request.remote)
        finally:
            self.log.unsubscribe(subscriber)
            self._sockets.discard(socket)
            reader.cancel()
        return socket


async def _drain(socket: web.WebSocketResponse) -> None:
    """Read (and ignore) what a stream client sends, until it closes."""
    async for _ in socket:
        pass


async def _body(request: web.Request, allowed: set[str] | None) -> dict[str, Any]:
    """The JSON object of the request; ``allowed`` names the fields it may have."""
    text = await request.text()
    if not text.strip() and allowed is not None:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RequestError(wire.BAD_REQUEST, translate(TEXT, "not_json", detail=error)) from None
    if not isinstance(data, dict):
        raise RequestError(wire.BAD_REQUEST, translate(TEXT, "not_object"))
    if allowed is not None and set(data) - allowed:
        names = ", ".join(sorted(set(data) - allowed))
        raise RequestError(wire.BAD_REQUEST, translate(TEXT, "unknown_fields", names=names))
    return data


def _field[T](body: dict[str, Any], name: str, kind: type[T]) -> T:
    if name not in body:
        raise RequestError(wire.BAD_REQUEST, translate(TEXT, "missing_field", name=name))
    value = body[name]
    if not isinstance(value, kind):
        detail = f"expected {kind.__name__}, got {type(value).__name__}"
        raise RequestError(wire.BAD_REQUEST, translate(TEXT, "bad_field", name=name, detail=detail))
    return value


def _count_param(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise RequestError(wire.BAD_REQUEST, translate(TEXT, "bad_param", name=name, value=value))
    return int(value)


def _encoded(records: list[Any] | None) -> list[dict[str, Any]] | None:
    return None if records is None else [encode(record) for record in records]


class BridgeServerThread:
    """A :class:`BridgeServer` on its own event loop in a background thread.

    Examples
    --------
    >>> from quantlib.broker.registry import open_broker
    >>> server = BridgeServer(lambda events: open_broker("paper", {}, events=events), "s" * 32)
    >>> running = BridgeServerThread(server)
    >>> running.start() > 0
    True
    >>> running.stop()
    """

    def __init__(
        self,
        server: BridgeServer,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.server = server
        self.host = host
        self.port = port
        self._ssl_context = ssl_context
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="bridge-server", daemon=True
        )

    def start(self, timeout: float = 10.0) -> int:
        """Start the thread and listen; returns the port."""
        self._thread.start()
        self.port = self.run(self.server.start(self.host, self.port, self._ssl_context), timeout)
        return self.port

    def run[T](self, work: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run ``work`` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    def drop_clients(self) -> None:
        """Close every event stream."""
        self.run(self.server.drop_clients())

    def pause(self) -> None:
        """Stop listening and close every event stream."""
        self.run(self.server.pause())

    def resume(self) -> None:
        """Listen again on the same port."""
        self.run(self.server.resume())

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server, then the loop and its thread."""
        if self._thread.is_alive():
            self.run(self.server.stop(), timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        self._loop.close()


__all__ = ["BridgeServer", "BridgeServerThread", "RequestError", "error_response"]
