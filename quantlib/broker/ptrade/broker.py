"""The ``ptrade`` broker: the Broker interface over PTrade's order API.

PTrade runs strategies on the broker's servers and offers no network API, so this
adapter speaks PTrade's in-strategy function set — ``order``/``order_market`` returning
PTrade's order id (None when refused), ``cancel_order``, ``get_orders``,
``get_trades``, ``get_positions`` and the ``on_order_response``/``on_trade_response``
pushes — as :class:`~quantlib.broker.ptrade.venue.PTradeVenue` provides it here.

PTrade assigns its own order ids and carries no field of ours, so the broker keeps the
map from our client order ids to PTrade's, saved to ``state_path`` as each id arrives:
a restarted broker matches PTrade's pushes and query answers to our orders through it.
Pushes that arrive while an order call is still running (PTrade pushes may beat the
returned id) are held until the id is known. An order call that returns None is
matched to the refused order PTrade pushed for it (same code, amount and price), whose
``error_info`` gives the reason.

Positions come from PTrade's position sync, which lags about 6 s
(``position_lag``): right after a fill, :meth:`PTradeBroker.query_positions` may not
show it yet; orders and fills arrive as pushes without that lag.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

from pydantic import Field

from quantlib.broker.base import BrokerBase
from quantlib.broker.errors import BrokerStateError
from quantlib.broker.events import (
    AccountEvent,
    BrokerNotice,
    ConnectionState,
    EventSink,
    NoticeKind,
    PositionEvent,
    notice,
)
from quantlib.broker.ids import check_client_order_id
from quantlib.broker.paper.engine import PaperConfig
from quantlib.broker.ptrade.codes import to_ptrade_code
from quantlib.broker.ptrade.venue import (
    MARKET_TYPES,
    PTRADE_POSITION_LAG,
    PTradeVenue,
    VenueOrder,
    VenueTrade,
    reason_of,
)
from quantlib.core.i18n import Catalog, translate
from quantlib.market.symbols import normalize_symbol
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus
from quantlib.model.trading import (
    ZERO,
    Account,
    BrokerOrder,
    Fill,
    InvalidOrderError,
    OrderRequest,
    Position,
    PriceType,
    Quote,
    as_money,
)

S = BrokerOrderStatus

TEXT: Catalog = {
    "connected": ("PTrade account {account} ready", "PTrade 账户 {account} 已就绪"),
    "disconnected": ("PTrade account {account} closed", "PTrade 账户 {account} 已断开"),
    "not_connected": (
        "ptrade broker is not connected: call connect() first",
        "PTrade 券商未连接：请先调用 connect()",
    ),
    "refused": (
        "PTrade refused the order (the order function returned None)",
        "PTrade 拒绝了委托（下单函数返回 None）",
    ),
    "foreign_order": (
        "PTrade order {order_id} ({symbol}) was not placed through this broker",
        "PTrade 委托 {order_id}（{symbol}）并非由本券商接口下达",
    ),
}

_MAP_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS order_ids (
    client_order_id TEXT PRIMARY KEY, ptrade_order_id TEXT NOT NULL UNIQUE,
    strategy TEXT NOT NULL);
"""


class PTradeConfig(PaperConfig):
    """Settings of the ``ptrade`` broker and the simulated PTrade account behind it.

    The paper account's settings (:class:`~quantlib.broker.paper.engine.PaperConfig`:
    cash, fees, participation, session and cage rules) describe the simulated counter;
    here ``state_path`` is the SQLite file of the client-order-id to PTrade-order-id
    map, and the simulated account is saved beside it (``<stem>.venue.sqlite``).

    Attributes
    ----------
    position_lag
        Seconds PTrade's position answers may be old (PTrade syncs about every 6 s).
    """

    account_id: str = Field(default="ptrade", min_length=1, max_length=64)
    position_lag: float = Field(default=PTRADE_POSITION_LAG, ge=0, le=600)

    @property
    def venue_state_path(self) -> Path | None:
        """Where the simulated PTrade account is saved."""
        if self.state_path is None:
            return None
        return self.state_path.with_name(f"{self.state_path.stem}.venue.sqlite")

    def venue_config(self) -> PaperConfig:
        """The simulated account's settings."""
        settings = self.model_dump(exclude={"position_lag"})
        return PaperConfig(**{**settings, "state_path": self.venue_state_path})


class OrderIdMap:
    """Our client order ids and PTrade's order ids, both ways, saved as they arrive."""

    def __init__(self, path: Path | None, account_id: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._ptrade_of: dict[str, str] = {}
        self._client_of: dict[str, str] = {}
        self._strategy: dict[str, str] = {}
        self._db = self._open(path, account_id) if path is not None else None

    def _open(self, path: Path, account_id: str) -> sqlite3.Connection:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_MAP_SCHEMA)
            saved = db.execute("SELECT value FROM meta WHERE key = 'account_id'").fetchone()
            if saved is None:
                db.execute("INSERT INTO meta VALUES ('account_id', ?)", (account_id,))
            elif saved[0] != account_id:
                raise BrokerStateError(
                    f"{path} holds the order ids of PTrade account {saved[0]!r}, not {account_id!r}"
                )
            for client, ptrade, strategy in db.execute(
                "SELECT client_order_id, ptrade_order_id, strategy FROM order_ids"
            ):
                self._remember(client, ptrade, strategy)
        except sqlite3.Error as error:
            raise BrokerStateError(f"PTrade order id file {path}: {error}") from None
        return db

    def _remember(self, client: str, ptrade: str, strategy: str) -> None:
        self._ptrade_of[client] = ptrade
        self._client_of[ptrade] = client
        self._strategy[client] = strategy

    def put(self, client_order_id: str, ptrade_order_id: str, strategy: str = "") -> None:
        """Record (and save) that PTrade knows our order as ``ptrade_order_id``."""
        with self._lock:
            if self._db is not None:
                try:
                    self._db.execute(
                        "INSERT OR REPLACE INTO order_ids VALUES (?, ?, ?)",
                        (client_order_id, ptrade_order_id, strategy),
                    )
                except sqlite3.Error as error:
                    raise BrokerStateError(
                        f"cannot save PTrade order id to {self.path}: {error}"
                    ) from None
            self._remember(client_order_id, ptrade_order_id, strategy)

    def client_of(self, ptrade_order_id: str) -> str | None:
        """Our id of a PTrade order, or None when it is not ours."""
        with self._lock:
            return self._client_of.get(ptrade_order_id)

    def ptrade_of(self, client_order_id: str) -> str | None:
        """PTrade's id of our order, or None when PTrade gave none."""
        with self._lock:
            return self._ptrade_of.get(client_order_id)

    def strategy_of(self, client_order_id: str) -> str:
        """The strategy that placed our order ("" when none was named)."""
        with self._lock:
            return self._strategy.get(client_order_id, "")

    def close(self) -> None:
        """Close the file."""
        if self._db is not None:
            self._db.close()
            self._db = None


class PTradeBroker(BrokerBase):
    """An A-share account behind PTrade's order API, as a Broker.

    Examples
    --------
    >>> from quantlib.broker.events import EventQueue
    >>> broker = PTradeBroker(PTradeConfig(position_lag=0), events=EventQueue())
    >>> broker.connect()
    >>> broker.query_orders()
    []
    """

    name = "ptrade"
    config_class = PTradeConfig
    TEXT = TEXT

    def __init__(
        self,
        config: PTradeConfig,
        *,
        events: EventSink | None = None,
        venue: PTradeVenue | None = None,
    ) -> None:
        super().__init__(events)
        self.config = config
        self._lock = threading.RLock()
        self._order_lock = threading.Lock()
        self._placing = False
        self._held_orders: list[VenueOrder] = []
        self._held_trades: list[VenueTrade] = []
        self._cancelling: set[str] = set()
        self.ids = OrderIdMap(config.state_path, config.account_id)
        self.venue = venue or PTradeVenue(config.venue_config(), position_lag=config.position_lag)

    # ---- link ----------------------------------------------------------------------
    def connect(self) -> None:
        """Receive PTrade's pushes, take over today's orders and fills, report the
        account."""
        self.set_state(ConnectionState.CONNECTING, "")
        self.venue.attach(self._on_order_response, self._on_trade_response)
        fills = [fill for trade in self.venue.get_trades() if (fill := self._fill(trade))]
        venue_orders: list[BrokerOrder] = []
        for venue_order in self.venue.get_orders():
            order = self._broker_order(venue_order, fills)
            if order is None:
                self._sink(self._foreign(venue_order))
            else:
                venue_orders.append(order)
        self.take_over(venue_orders, fills)
        self.set_state(
            ConnectionState.CONNECTED,
            translate(TEXT, "connected", account=self.config.account_id),
        )
        account = self.query_account()
        if account is not None:
            self._sink(AccountEvent(account))
        for position in self.query_positions() or []:
            self._sink(PositionEvent(position))

    def disconnect(self) -> None:
        """Stop receiving pushes; PTrade keeps the orders."""
        self.venue.detach()
        self.set_state(
            ConnectionState.DISCONNECTED,
            translate(TEXT, "disconnected", account=self.config.account_id),
        )

    def close(self) -> None:
        """Disconnect and close the saved state."""
        self.disconnect()
        self.ids.close()
        self.venue.close()

    def feed(self, quote: Quote) -> None:
        """A quote from the market: PTrade matches against it."""
        self.venue.on_quote(quote)
        self.report_quote(quote)

    # ---- orders --------------------------------------------------------------------
    def place_order(self, request: OrderRequest) -> BrokerOrder:
        """Send an order through ``order``/``order_market``; returns its state once
        PTrade has answered (rejected when the order function returned None)."""
        self.require_connected()
        symbol = normalize_symbol(request.symbol)
        if request.client_order_id and self.ids.ptrade_of(
            check_client_order_id(request.client_order_id)
        ):
            raise InvalidOrderError(
                f"client order id {request.client_order_id!r} is already in use"
            )
        order = self.tracker.add(replace(request, symbol=symbol))
        client_id = order.client_order_id
        with self._order_lock:
            with self._lock:
                self._placing = True
            try:
                ptrade_id = self._send(order)
            finally:
                with self._lock:
                    self._placing = False
                    held_orders, self._held_orders = self._held_orders, []
                    held_trades, self._held_trades = self._held_trades, []
            if ptrade_id is not None:
                self.ids.put(client_id, ptrade_id, order.strategy)
                self.tracker.link(client_id, ptrade_id)
            else:
                self._refused(order, held_orders)
        self._on_trade_response(None, held_trades)
        self._on_order_response(None, held_orders)
        return self.tracker.get(client_id)

    def _send(self, order: BrokerOrder) -> str | None:
        code = to_ptrade_code(order.symbol)
        amount = order.quantity if order.side is Side.BUY else -order.quantity
        if order.price_type is PriceType.LIMIT:
            return self.venue.order(code, amount, order.limit_price)
        market_type = next(k for k, v in MARKET_TYPES.items() if v is order.price_type)
        return self.venue.order_market(code, amount, market_type, order.limit_price)

    def _refused(self, order: BrokerOrder, held: list[VenueOrder]) -> None:
        """The order function returned None: find PTrade's refused order for it."""
        code = to_ptrade_code(order.symbol)
        amount = order.quantity if order.side is Side.BUY else -order.quantity
        for pushed in held:
            if (
                pushed.status == S.JUNK.value
                and (pushed.symbol, pushed.amount, pushed.limit)
                == (code, amount, order.limit_price)
                and self.ids.client_of(pushed.id) is None
            ):
                self.ids.put(order.client_order_id, pushed.id, order.strategy)
                self.tracker.link(order.client_order_id, pushed.id)
                return
        self.tracker.reject(
            order.client_order_id, Reason.BROKER_REJECTED, translate(TEXT, "refused")
        )

    def cancel_order(self, client_order_id: str) -> None:
        """Ask PTrade to cancel; the outcome arrives as events."""
        self.require_connected()
        order = self.tracker.get(client_order_id)
        ptrade_id = self.ids.ptrade_of(client_order_id)
        if ptrade_id is None or not order.is_active:
            self.tracker.cancel_rejected(
                client_order_id,
                Reason.ORDER_NOT_OPEN,
                f"order {client_order_id} is already {order.status.name}",
            )
            return
        with self._lock:
            self._cancelling.add(client_order_id)
        self.venue.cancel_order(ptrade_id)

    # ---- queries -------------------------------------------------------------------
    def query_account(self) -> Account | None:
        """Cash and totals from PTrade's portfolio."""
        self.require_connected()
        portfolio = self.venue.get_portfolio()
        return Account(
            self.config.account_id,
            cash=portfolio.cash,
            frozen_cash=portfolio.total_value - portfolio.cash - portfolio.positions_value,
            market_value=portfolio.positions_value,
            total_asset=portfolio.total_value,
        )

    def query_positions(self) -> list[Position] | None:
        """Positions as PTrade last synced them (up to ``position_lag`` seconds old)."""
        self.require_connected()
        positions = []
        for position in self.venue.get_positions().values():
            last = position.last_sale_price
            positions.append(
                Position(
                    symbol=normalize_symbol(position.sid),
                    quantity=position.amount,
                    sellable=position.enable_amount,
                    avg_cost=position.cost_basis,
                    last_price=last,
                    market_value=None if last is None else as_money(last * position.amount),
                )
            )
        return positions

    def query_orders(self) -> list[BrokerOrder] | None:
        """Today's orders as tracked (kept in step with PTrade's pushes)."""
        self.require_connected()
        return self.tracker.orders()

    def query_trades(self) -> list[Fill] | None:
        """Today's fills as PTrade reports them (fills of orders placed elsewhere carry
        an empty client order id)."""
        self.require_connected()
        return [fill for trade in self.venue.get_trades() if (fill := self._fill(trade, True))]

    # ---- pushes --------------------------------------------------------------------
    def _on_order_response(self, context: object, order_list: list[VenueOrder]) -> None:
        """PTrade's ``on_order_response``: apply each order's new state."""
        for pushed in order_list:
            client_id = self.ids.client_of(pushed.id)
            if client_id is None:
                with self._lock:
                    if self._placing:
                        self._held_orders.append(pushed)
                        continue
                self._sink(self._foreign(pushed))
                continue
            self.tracker.link(client_id, pushed.id)
            self._apply(client_id, pushed)

    def _apply(self, client_id: str, pushed: VenueOrder) -> None:
        """Apply one pushed order state; a push answering our cancel with the order
        still open and an ``error_info`` is the cancel's refusal."""
        status = S(pushed.status)
        reason, message = reason_of(pushed.error_info)
        with self._lock:
            asked = client_id in self._cancelling
            refused = asked and bool(pushed.error_info) and not status.is_pending_cancel
            refused = refused and status not in (S.PART_CANCEL, S.CANCELED)
            if asked and (refused or status.is_terminal):
                self._cancelling.discard(client_id)
        if refused:
            self.tracker.cancel_rejected(client_id, reason, message)
            return
        if asked and status in (S.PART_CANCEL, S.CANCELED) and reason is Reason.NONE:
            reason = Reason.CANCELLED_BY_USER
        self.tracker.report(
            client_id,
            status,
            abs(pushed.filled),
            reason=None if reason is Reason.NONE else reason,
            message=message,
        )

    def _on_trade_response(self, context: object, trade_list: list[VenueTrade]) -> None:
        """PTrade's ``on_trade_response``: count each fill once."""
        for trade in trade_list:
            fill = self._fill(trade)
            if fill is None:
                with self._lock:
                    if self._placing:
                        self._held_trades.append(trade)
                        continue
                fill = self._fill(trade, True)
            if fill is not None:
                self.tracker.fill(fill)

    # ---- PTrade objects to ours ----------------------------------------------------
    def _fill(self, trade: VenueTrade, foreign: bool = False) -> Fill | None:
        """Our fill of a PTrade trade; None when the order is not ours (unless
        ``foreign``: then with an empty client order id)."""
        client_id = self.ids.client_of(trade.order_id)
        if client_id is None and not foreign:
            return None
        return Fill(
            trade_id=trade.business_id,
            client_order_id=client_id or "",
            symbol=normalize_symbol(trade.security),
            side=Side.BUY if trade.entrust_bs == "1" else Side.SELL,
            quantity=trade.business_amount,
            price=trade.business_price,
            time=trade.business_time,
            fees=trade.fees,
            broker_order_id=trade.order_id,
        )

    def _broker_order(self, pushed: VenueOrder, fills: list[Fill]) -> BrokerOrder | None:
        """Our view of a PTrade order, or None when it is not ours."""
        client_id = self.ids.client_of(pushed.id)
        if client_id is None:
            return None
        reason, message = reason_of(pushed.error_info)
        return BrokerOrder(
            client_order_id=client_id,
            symbol=normalize_symbol(pushed.symbol),
            side=Side.BUY if pushed.amount > 0 else Side.SELL,
            quantity=abs(pushed.amount),
            price_type=(
                PriceType.LIMIT if pushed.market_type is None else MARKET_TYPES[pushed.market_type]
            ),
            limit_price=pushed.limit,
            status=S(pushed.status),
            created=pushed.created,
            updated=pushed.created,
            filled=abs(pushed.filled),
            avg_price=pushed.avg_price,
            fees=sum((f.fees for f in fills if f.client_order_id == client_id), ZERO),
            broker_order_id=pushed.id,
            reason=reason,
            message=message,
            strategy=self.ids.strategy_of(client_id),
        )

    def _foreign(self, pushed: VenueOrder) -> BrokerNotice:
        return notice(
            NoticeKind.UNKNOWN_ORDER,
            translate(TEXT, "foreign_order", order_id=pushed.id, symbol=pushed.symbol),
        )


__all__ = ["OrderIdMap", "PTradeBroker", "PTradeConfig"]
