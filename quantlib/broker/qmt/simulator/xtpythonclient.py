# ruff: noqa: N802, N815 - the native client's camelCase names are the interface
"""A stand-in for xtquant's native ``xtpythonclient`` extension (Windows-only ``.pyd``).

:func:`~quantlib.broker.qmt.simulator.install` registers this module as
``xtquant.xtpythonclient``, so the real ``xttrader.py`` runs on it unchanged. It offers
what ``XtQuantTrader`` uses: :class:`XtQuantAsyncClient` (``init``/``start``/``stop``/
``connect``/``nextSeq``/``setTimeout``, every ``bind*Callback``, the ``*WithSeq``
requests of stock trading) and the request classes, plain attribute bags as the native
ones are.

Each client owns ONE native push thread: request answers and pushes are delivered from
it into the bound callbacks, in order, as the native client does (``xttrader`` then
hands them to its own single executor thread). Requests go to the
:class:`~quantlib.broker.qmt.simulator.process.MiniQmtSimulator` registered for the
client's ``userdata`` path, looked up at ``connect()``.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quantlib.broker.qmt.simulator.process import MiniQmtSimulator

log = logging.getLogger(__name__)

_STOP = object()


class _Request:
    """Base of the request classes: ``xttrader`` sets ``m_*`` attributes on them."""

    m_nAccountType: int = 2
    m_strAccountID: str = ""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in sorted(vars(self).items()))
        return f"{type(self).__name__}({fields})"


class SubscribeReq(_Request):
    """Subscribe an account's pushes."""


class UnsubscribeReq(_Request):
    """Stop an account's pushes."""


class OrderStockReq(_Request):
    """Place a stock order."""

    m_strStockCode: str = ""
    m_nOrderType: int = 0
    m_nOrderVolume: int = 0
    m_nPriceType: int = 0
    m_dPrice: float = 0.0
    m_strStrategyName: str = ""
    m_strOrderRemark: str = ""


class CancelOrderStockReq(_Request):
    """Cancel by ``m_nOrderID``, or by ``m_strOrderSysID`` with ``m_nMarket``."""

    m_nOrderID: int = -1
    m_strOrderSysID: str = ""
    m_nMarket: int = -1
    m_strMarket: str = ""


class QueryStockAssetReq(_Request):
    """Query the account's cash."""


class QueryStockOrdersReq(_Request):
    """Query today's orders (one when ``m_nOrderID`` is set)."""

    m_nOrderID: int = -1
    m_bCanCancel: bool = False


class QueryStockTradesReq(_Request):
    """Query today's trades."""


class QueryStockPositionsReq(_Request):
    """Query positions (one when ``m_strStockCode`` is set)."""

    m_strStockCode: str = ""


class QueryAccountInfosReq(_Request):
    """Query the accounts logged in."""


class QueryAccountStatusReq(_Request):
    """Query the accounts' states."""


class NativeResponse:
    """An answer object with the native ``m_*`` attribute names."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"NativeResponse({self.__dict__!r})"


class XtQuantAsyncClient:
    """The native client: one per ``XtQuantTrader``, one session id."""

    def __init__(self, path: bytes, name: str, session: int) -> None:
        self.path = path.decode("gb18030")
        self.name = name
        self.session = session
        self.link_up = False
        self.timeout_ms = 0
        self._callbacks: dict[str, Callable[..., Any]] = {}
        self._seq = itertools.count(1)
        self._seq_lock = threading.Lock()
        self._pushes: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._simulator: MiniQmtSimulator | None = None

    def __getattr__(self, attribute: str) -> Callable[[Callable[..., Any]], None]:
        if attribute.startswith("bind") and attribute.endswith("Callback"):
            key = attribute[len("bind") : -len("Callback")]

            def bind(callback: Callable[..., Any]) -> None:
                self._callbacks[key] = callback

            return bind
        raise AttributeError(f"the MiniQMT simulator's client has no {attribute!r}")

    # ---- lifecycle -----------------------------------------------------------------
    def init(self) -> int:
        """Prepare the client (nothing to do)."""
        return 0

    def start(self) -> int:
        """Start the native push thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"xtpythonclient-{self.session}", daemon=True
            )
            self._thread.start()
        return 0

    def stop(self) -> int:
        """Leave MiniQMT and stop the push thread (pushes not yet delivered are lost)."""
        simulator, self._simulator = self._simulator, None
        self.link_up = False
        if simulator is not None:
            simulator.detach(self)
        if self._thread is not None:
            self._pushes.put(_STOP)
            if self._thread is not threading.current_thread():
                self._thread.join(timeout=5)
            self._thread = None
        return 0

    def connect(self) -> int:
        """0 when the MiniQMT of this path is up and takes the session, else -1.

        One attempt; the native client never retries by itself.
        """
        from quantlib.broker.qmt.simulator.process import lookup

        simulator = lookup(self.path)
        if simulator is None:
            return -1
        result = simulator.attach(self)
        if result == 0:
            self._simulator = simulator
            self.link_up = True
        return result

    def nextSeq(self) -> int:
        """The next request sequence number."""
        with self._seq_lock:
            return next(self._seq)

    def setTimeout(self, timeout: int = 0) -> None:
        """Native request timeout in ms (recorded; the simulator answers at once)."""
        self.timeout_ms = timeout

    # ---- requests ------------------------------------------------------------------
    def subscribeWithSeq(self, seq: int, req: SubscribeReq) -> None:
        """Subscribe the account's pushes; answered on ``OnSubscribeResp``."""
        self._request("subscribe", seq, req)

    def unsubscribeWithSeq(self, seq: int, req: UnsubscribeReq) -> None:
        """Unsubscribe; answered on ``OnUnsubscribeResp``."""
        self._request("unsubscribe", seq, req)

    def orderStockWithSeq(self, seq: int, req: OrderStockReq) -> None:
        """Place an order; answered on ``OnOrderStockResp``."""
        self._request("order", seq, req)

    def cancelOrderStockWithSeq(self, seq: int, req: CancelOrderStockReq) -> None:
        """Cancel an order; answered on ``OnCancelOrderStockResp``."""
        self._request("cancel", seq, req)

    def queryStockAssetWithSeq(self, seq: int, req: QueryStockAssetReq) -> None:
        """Query cash; answered on ``OnQueryStockAsset``."""
        self._request("asset", seq, req)

    def queryStockOrdersWithSeq(self, seq: int, req: QueryStockOrdersReq) -> None:
        """Query orders; answered on ``OnQueryStockOrders``."""
        self._request("orders", seq, req)

    def queryStockTradesWithSeq(self, seq: int, req: QueryStockTradesReq) -> None:
        """Query trades; answered on ``OnQueryStockTrades``."""
        self._request("trades", seq, req)

    def queryStockPositionsWithSeq(self, seq: int, req: QueryStockPositionsReq) -> None:
        """Query positions; answered on ``OnQueryStockPositions``."""
        self._request("positions", seq, req)

    def queryAccountInfosWithSeq(self, seq: int, req: QueryAccountInfosReq) -> None:
        """Query accounts; answered on ``OnQueryAccountInfos``."""
        self._request("account_infos", seq, req)

    def queryAccountStatusWithSeq(self, seq: int, req: QueryAccountStatusReq) -> None:
        """Query account states; answered on ``OnQueryAccountStatus``."""
        self._request("account_status", seq, req)

    def _request(self, kind: str, seq: int, req: _Request) -> None:
        simulator = self._simulator
        if simulator is None or not self.link_up:
            self.deliver(*failed_answer(kind, seq, "MiniQMT 连接已断开 (link to MiniQMT is down)"))
            return
        simulator.handle(self, kind, seq, req)

    # ---- the push thread -----------------------------------------------------------
    def deliver(self, callback: str, *args: Any) -> None:
        """Queue a call of the bound callback ``callback`` on the push thread."""
        self._pushes.put((callback, args))

    def _run(self) -> None:
        while True:
            item = self._pushes.get()
            if item is _STOP:
                return
            name, args = item
            callback = self._callbacks.get(name)
            if callback is None:
                continue
            try:
                callback(*args)
            except RuntimeError as error:
                log.debug("push %s to a stopped client dropped: %s", name, error)
            except Exception:
                log.exception("bound callback %s failed", name)


#: Request kind -> the callback that answers it.
ANSWERS = {
    "subscribe": "OnSubscribeResp",
    "unsubscribe": "OnUnsubscribeResp",
    "order": "OnOrderStockResp",
    "cancel": "OnCancelOrderStockResp",
    "asset": "OnQueryStockAsset",
    "orders": "OnQueryStockOrders",
    "trades": "OnQueryStockTrades",
    "positions": "OnQueryStockPositions",
    "account_infos": "OnQueryAccountInfos",
    "account_status": "OnQueryAccountStatus",
}


def failed_answer(kind: str, seq: int, message: str) -> tuple[Any, ...]:
    """The answer to a request MiniQMT could not take: -1 results, None for queries."""
    if kind == "order":
        response = NativeResponse(
            m_strAccountID="",
            m_nOrderID=-1,
            m_strStrategyName="",
            m_strOrderRemark="",
            m_strErrorMsg=message,
        )
        return (ANSWERS[kind], seq, response)
    if kind == "cancel":
        response = NativeResponse(
            m_strAccountID="",
            m_nCancelResult=-1,
            m_nOrderID=-1,
            m_strOrderSysID="",
            m_strErrorMsg=message,
        )
        return (ANSWERS[kind], seq, response)
    if kind in ("subscribe", "unsubscribe"):
        return (ANSWERS[kind], seq, -1)
    return (ANSWERS[kind], seq, None)


__all__ = [
    "ANSWERS",
    "CancelOrderStockReq",
    "NativeResponse",
    "OrderStockReq",
    "QueryAccountInfosReq",
    "QueryAccountStatusReq",
    "QueryStockAssetReq",
    "QueryStockOrdersReq",
    "QueryStockPositionsReq",
    "QueryStockTradesReq",
    "SubscribeReq",
    "UnsubscribeReq",
    "XtQuantAsyncClient",
    "failed_answer",
]
