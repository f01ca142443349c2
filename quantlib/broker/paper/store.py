"""The paper account on disk: one SQLite file, written in one transaction per change.

Tables hold the account's settings and counters (``meta``), orders with what the
venue keeps for them, trades, holdings and the last quote of each symbol. Records are
stored as the JSON of :mod:`quantlib.broker.codec`, money as exact decimal strings.
A file made for another account id is refused rather than mixed up.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from quantlib.broker.codec import CodecError, decode, encode
from quantlib.broker.errors import BrokerStateError
from quantlib.model.trading import BrokerOrder, Fill, Quote

if TYPE_CHECKING:
    from quantlib.broker.paper.engine import PaperEngine

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    client_order_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, record TEXT NOT NULL,
    price TEXT, frozen TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trades (
    trade_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS holdings (
    symbol TEXT PRIMARY KEY, quantity INTEGER NOT NULL, settled INTEGER NOT NULL,
    frozen INTEGER NOT NULL, cost TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quotes (
    symbol TEXT PRIMARY KEY, record TEXT NOT NULL, previous_volume INTEGER NOT NULL);
"""


class PaperStore:
    """Saves and loads a :class:`~quantlib.broker.paper.engine.PaperEngine`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as error:
            raise BrokerStateError(f"paper account file {self.path}: {error}") from None

    def load_into(self, engine: PaperEngine) -> None:
        """Fill a new engine from the file (a new file takes the engine's settings)."""
        from quantlib.broker.paper.engine import Holding, Working

        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            if not meta:
                self._write_meta(engine)
                return
            if meta["account_id"] != engine.config.account_id:
                raise BrokerStateError(
                    f"{self.path} holds paper account {meta['account_id']!r}, "
                    f"not {engine.config.account_id!r}"
                )
            engine.cash = Decimal(meta["cash"])
            engine.next_order = int(meta["next_order"])
            engine.next_trade = int(meta["next_trade"])
            if meta.get("day"):
                engine.day = dt.date.fromisoformat(meta["day"])
            for _, record, price, frozen, value in self._db.execute(
                "SELECT client_order_id, record, price, frozen, value FROM orders ORDER BY seq"
            ):
                order = decode(json.loads(record), BrokerOrder)
                working = Working(
                    order, Decimal(price) if price else None, Decimal(frozen), Decimal(value)
                )
                engine.orders_by_id[order.client_order_id] = working
                engine.index_order(working)
            for (record,) in self._db.execute("SELECT record FROM trades ORDER BY seq"):
                fill = decode(json.loads(record), Fill)
                engine.trades_by_id[fill.trade_id] = fill
            for symbol, quantity, settled, frozen, cost in self._db.execute(
                "SELECT symbol, quantity, settled, frozen, cost FROM holdings"
            ):
                engine.holdings[symbol] = Holding(quantity, settled, frozen, Decimal(cost))
            for symbol, record, previous in self._db.execute(
                "SELECT symbol, record, previous_volume FROM quotes"
            ):
                quote = decode(json.loads(record), Quote)
                engine.quotes[symbol] = quote
                engine.previous_volume[symbol] = previous
                if engine.market_time is None or quote.time > engine.market_time:
                    engine.market_time = quote.time
        except (sqlite3.Error, CodecError, KeyError, ValueError, ArithmeticError) as error:
            raise BrokerStateError(
                f"paper account file {self.path} is unreadable: {error}"
            ) from None

    def _write_meta(self, engine: PaperEngine) -> None:
        values = {
            "account_id": engine.config.account_id,
            "cash": str(engine.cash),
            "next_order": str(engine.next_order),
            "next_trade": str(engine.next_trade),
            "day": engine.day.isoformat() if engine.day else "",
        }
        self._db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    def save(self, engine: PaperEngine) -> None:
        """Write what changed in one transaction."""
        orders, holdings, trades, quotes = engine.dirty()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._write_meta(engine)
            for client_id in orders:
                working = engine.orders_by_id[client_id]
                self._db.execute(
                    "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(client_order_id) "
                    "DO UPDATE SET record = excluded.record, price = excluded.price, "
                    "frozen = excluded.frozen, value = excluded.value",
                    (
                        client_id,
                        int(working.order.broker_order_id),
                        json.dumps(encode(working.order)),
                        str(working.price) if working.price is not None else None,
                        str(working.frozen),
                        str(working.value),
                    ),
                )
            first = len(engine.trades_by_id) - len(trades)
            for offset, trade_id in enumerate(trades):
                self._db.execute(
                    "INSERT INTO trades VALUES (?, ?, ?)",
                    (trade_id, first + offset, json.dumps(encode(engine.trades_by_id[trade_id]))),
                )
            for symbol in holdings:
                h = engine.holdings[symbol]
                self._db.execute(
                    "INSERT OR REPLACE INTO holdings VALUES (?, ?, ?, ?, ?)",
                    (symbol, h.quantity, h.settled, h.frozen, str(h.cost)),
                )
            for symbol in quotes:
                self._db.execute(
                    "INSERT OR REPLACE INTO quotes VALUES (?, ?, ?)",
                    (
                        symbol,
                        json.dumps(encode(engine.quotes[symbol])),
                        engine.previous_volume.get(symbol, 0),
                    ),
                )
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            self._db.execute("ROLLBACK")
            raise BrokerStateError(f"cannot save paper account to {self.path}: {error}") from None

    def close(self) -> None:
        """Close the file."""
        self._db.close()


__all__ = ["PaperStore"]
