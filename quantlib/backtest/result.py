"""The result of a backtest: equity, orders, trades, positions, and what produced it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from quantlib.backtest import kernels as kn
from quantlib.core.errors import ConfigError, StoreError
from quantlib.model.orders import OrderKind, OrderStatus, Reason

if TYPE_CHECKING:
    from quantlib.backtest.config import BacktestConfig
    from quantlib.backtest.market_data import MarketData

FORMAT_VERSION = 1
_FILES = ("equity.parquet", "trades.parquet", "orders.parquet", "positions.parquet")


def code_hash(source: str) -> str:
    """SHA-256 of a strategy's source text (the version identity of its code)."""
    return hashlib.sha256(source.encode()).hexdigest()


@dataclass(frozen=True)
class RunIdentity:
    """Everything needed to reproduce a run."""

    strategy: str = "anonymous"
    code_hash: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    start: str = ""
    end: str = ""
    n_symbols: int = 0
    symbols_hash: str = ""
    snapshot: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    quantlib_version: str = ""
    created: str = ""

    @classmethod
    def build(
        cls,
        data: MarketData,
        config: BacktestConfig,
        *,
        strategy: str = "anonymous",
        source: str = "",
        params: dict[str, Any] | None = None,
    ) -> RunIdentity:
        """The identity of a run of ``strategy`` on ``data`` under ``config``."""
        from quantlib import __version__

        times = data.times
        return cls(
            strategy=strategy,
            code_hash=code_hash(source) if source else "",
            params=dict(params or {}),
            start=str(times[0].date()) if len(times) else "",
            end=str(times[-1].date()) if len(times) else "",
            n_symbols=len(data.symbols),
            symbols_hash=hashlib.sha256(",".join(data.symbols).encode()).hexdigest()[:16],
            snapshot=data.snapshot,
            config=config.model_dump(mode="json"),
            quantlib_version=__version__,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )


def _events_frame(
    events: np.ndarray, data_times: pd.DatetimeIndex, symbols: tuple[str, ...]
) -> pd.DataFrame:
    bars = events[kn.E_BAR].astype(np.int64)
    syms = events[kn.E_SYM].astype(np.int64)
    return pd.DataFrame(
        {
            "time": data_times[bars] if len(bars) else pd.DatetimeIndex([]),
            "symbol": np.asarray(symbols, dtype=object)[syms] if len(syms) else [],
            "order": events[kn.E_ORDER].astype(np.int64),
            "type": events[kn.E_TYPE].astype(np.int64),
            "side": np.where(
                events[kn.E_SIDE] > 0, "buy", np.where(events[kn.E_SIDE] < 0, "sell", "")
            ),
            "quantity": events[kn.E_QTY],
            "price": events[kn.E_PRICE],
            "value": events[kn.E_VALUE],
            "commission": events[kn.E_COMM],
            "stamp_duty": events[kn.E_STAMP],
            "transfer_fee": events[kn.E_TRANSFER],
            "exchange_fees": events[kn.E_EXCH],
            "reason": events[kn.E_REASON].astype(np.int64),
            "cash": events[kn.E_CASH],
            "bar": bars,
            "sym": syms,
        }
    )


def reason_text(codes: pd.Series) -> pd.Series:
    """Reason codes as messages in the user's language."""
    messages = {int(r): r.message() for r in Reason}
    return codes.map(messages)


class BacktestResult:
    """Equity curve, orders (with refusal reasons), trades with fees by kind, positions,
    benchmark and the run's identity. Save with :meth:`save`, load with :meth:`load`."""

    def __init__(
        self,
        equity: pd.Series,
        *,
        identity: RunIdentity,
        trades: pd.DataFrame | None = None,
        orders: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
        events: np.ndarray | None = None,
        cash: pd.Series | None = None,
        benchmark: pd.Series | None = None,
        positions: pd.DataFrame | None = None,
        corporate_actions: pd.DataFrame | None = None,
        data: MarketData | None = None,
        logs: list[str] | None = None,
    ) -> None:
        self.equity = equity
        self.identity = identity
        self.cash = cash
        self.benchmark = benchmark
        self.logs = logs or []
        self._trades = trades
        self._orders = orders
        self._events = events
        self._corporate = corporate_actions
        self._positions = positions
        self._data = data

    # -- construction from kernel output ------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        data: MarketData,
        config: BacktestConfig,
        equity: np.ndarray,
        cash: np.ndarray | None,
        events: np.ndarray,
        *,
        identity: RunIdentity | None = None,
        orders: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
        logs: list[str] | None = None,
        benchmark: pd.Series | None = None,
    ) -> BacktestResult:
        """Assemble a result from the kernels' equity and events (orders derived from the
        events when the run had no order book: one order per fill or refusal). The
        benchmark is the market's unless one is given."""
        if identity is None:
            identity = RunIdentity.build(data, config)
        return cls(
            pd.Series(equity, index=data.times, name="equity"),
            identity=identity,
            orders=orders,
            events=events,
            cash=None if cash is None else pd.Series(cash, index=data.times, name="cash"),
            benchmark=data.benchmark if benchmark is None else benchmark,
            data=data,
            logs=logs,
        )

    # -- tables built on first use ---------------------------------------------------------
    @cached_property
    def _event_frame(self) -> pd.DataFrame:
        if self._events is None or self._data is None:
            raise ConfigError("this result has no event log")
        return _events_frame(self._events, self._data.times, self._data.symbols)

    @cached_property
    def trades(self) -> pd.DataFrame:
        """Fills: time, symbol, side, quantity, price, value and fees by kind."""
        if self._trades is not None:
            return self._trades
        frame = self._event_frame
        fills = frame[frame["type"] == kn.EV_FILL]
        return fills.drop(columns=["type", "reason", "cash"]).reset_index(drop=True)

    @cached_property
    def corporate_actions(self) -> pd.DataFrame:
        """Holdings changed by adjustment-factor steps (shares added, cash in lieu)."""
        if self._corporate is not None:
            return self._corporate
        if self._events is None:
            return pd.DataFrame()
        frame = self._event_frame
        corporate = frame[frame["type"] == kn.EV_CORPORATE]
        return corporate.drop(columns=["type", "order", "reason"]).reset_index(drop=True)

    @cached_property
    def orders(self) -> pd.DataFrame:
        """Every order with its final status, fill and refusal reason."""
        if isinstance(self._orders, pd.DataFrame):
            return self._orders
        if self._orders is not None:
            return self._orders()
        frame = self._event_frame
        both = frame[frame["type"] != kn.EV_CORPORATE]
        fees = both[["commission", "stamp_duty", "transfer_fee", "exchange_fees"]].sum(axis=1)
        orders = pd.DataFrame(
            {
                "id": [f"v{n}" for n in range(len(both))],
                "time": both["time"].to_numpy(),
                "symbol": both["symbol"].to_numpy(),
                "kind": OrderKind.TARGET_PERCENT.name.lower(),
                "side": both["side"].to_numpy(),
                "amount": np.nan,
                "limit_price": np.nan,
                "status": np.where(
                    both["type"] == kn.EV_FILL,
                    OrderStatus.FILLED.name.lower(),
                    OrderStatus.REJECTED.name.lower(),
                ),
                "filled": both["quantity"].to_numpy(),
                "avg_price": both["price"].to_numpy(),
                "fees": fees.to_numpy(),
                "reason": both["reason"].to_numpy(),
                "done": both["time"].to_numpy(),
            }
        )
        orders["reason_text"] = reason_text(orders["reason"])
        return orders

    # -- views --------------------------------------------------------------------------
    @cached_property
    def positions(self) -> pd.DataFrame:
        """Holdings at each bar's close, long format: time, symbol, shares, value, weight."""
        if self._positions is not None:
            return self._positions
        data = self._data
        if data is None:
            raise ConfigError("this result has no positions recorded")
        n_bars, n_syms = len(data.times), len(data.symbols)
        delta = np.zeros((n_bars, n_syms))
        for frame, sign_col in ((self.trades, True), (self.corporate_actions, False)):
            if frame is None or frame.empty:
                continue
            qty = frame["quantity"].to_numpy()
            if sign_col:
                qty = np.where(frame["side"].to_numpy() == "sell", -qty, qty)
            np.add.at(delta, (frame["bar"].to_numpy(), frame["sym"].to_numpy()), qty)
        shares = np.cumsum(delta, axis=0)
        rows, cols = np.nonzero(shares)
        marks = data.marks[rows, cols]
        value = shares[rows, cols] * marks
        equity = self.equity.to_numpy()[rows]
        return pd.DataFrame(
            {
                "time": data.times[rows],
                "symbol": np.asarray(data.symbols, dtype=object)[cols],
                "shares": shares[rows, cols],
                "value": value,
                "weight": value / equity,
            }
        )

    @property
    def weights(self) -> pd.DataFrame:
        """Weight of each holding in total equity, wide (times x symbols held)."""
        long = self.positions
        return long.pivot_table(index="time", columns="symbol", values="weight", fill_value=0.0)

    @property
    def rejected(self) -> pd.DataFrame:
        """Orders refused or left unfilled, with their reasons."""
        return self.orders[self.orders["status"].isin(["rejected", "expired", "cancelled"])]

    def fees(self) -> pd.Series:
        """Total fees by kind."""
        return self.trades[["commission", "stamp_duty", "transfer_fee", "exchange_fees"]].sum()

    def metrics(self) -> dict[str, Any]:
        """Headline metrics plus trade and refusal counts."""
        from quantlib.analytics.metrics import summary

        out = summary(self.equity.to_numpy())
        out["n_trades"] = len(self.trades)
        out["n_rejected"] = int((self.orders["status"] == "rejected").sum())
        out["n_orders"] = len(self.orders)
        out.update({f"fees_{k}": float(v) for k, v in self.fees().items()})
        return out

    def _repr_html_(self) -> str:
        """Headline metrics and an equity sparkline, for Jupyter."""
        from quantlib.analytics.report.summary import summary_html

        return summary_html(self)

    def report(
        self,
        path: str | Path,
        format: str | None = None,
        *,
        language: str | None = None,
        log_scale: bool = False,
    ) -> Path:
        """Write the tearsheet to ``path``: interactive HTML or an A4 PDF.

        ``format`` is ``"html"`` or ``"pdf"`` (default: from the suffix of ``path``);
        ``language`` is ``"zh"`` or ``"en"`` (default: the ``QUANTLIB_REPORT_LANG`` or
        ``QUANTLIB_LANG`` setting, else Chinese). Returns the path written; raises
        :class:`~quantlib.analytics.report.ReportError` when it cannot.
        """
        from quantlib.analytics.report.output import write_tearsheet

        return write_tearsheet(self, path, format=format, language=language, log_scale=log_scale)

    def __repr__(self) -> str:
        m = self.metrics()
        return (
            f"BacktestResult({self.identity.strategy!r}, "
            f"{self.identity.start}..{self.identity.end}, "
            f"final_equity={m['final_equity']:,.2f}, sharpe={m['sharpe']:.2f}, "
            f"trades={m['n_trades']})"
        )

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the result to a directory (Parquet tables + ``identity.json``)."""
        root = Path(path)
        if root.exists() and not (root / "identity.json").exists() and any(root.iterdir()):
            raise StoreError(f"{root} exists and is not a saved backtest result; not overwriting")
        root.mkdir(parents=True, exist_ok=True)
        curves = pd.DataFrame({"equity": self.equity})
        if self.cash is not None:
            curves["cash"] = self.cash
        if self.benchmark is not None:
            curves["benchmark"] = self.benchmark.reindex(self.equity.index)
        curves.to_parquet(root / "equity.parquet")
        self.trades.to_parquet(root / "trades.parquet")
        self.orders.to_parquet(root / "orders.parquet")
        self.positions.to_parquet(root / "positions.parquet")
        meta = {"format": FORMAT_VERSION, "identity": asdict(self.identity), "logs": self.logs}
        (root / "identity.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
        return root

    @classmethod
    def load(cls, path: str | Path) -> BacktestResult:
        """Read a result written by :meth:`save`."""
        root = Path(path)
        meta_path = root / "identity.json"
        if not meta_path.exists() or any(not (root / name).exists() for name in _FILES):
            raise StoreError(
                f"{root} is not a saved backtest result (identity.json or tables missing)"
            )
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT_VERSION:
            raise StoreError(
                f"{root} has result format {meta.get('format')}, expected {FORMAT_VERSION}"
            )
        curves = pd.read_parquet(root / "equity.parquet")
        return cls(
            curves["equity"],
            trades=pd.read_parquet(root / "trades.parquet"),
            orders=pd.read_parquet(root / "orders.parquet"),
            identity=RunIdentity(**meta["identity"]),
            cash=curves.get("cash"),
            benchmark=curves.get("benchmark"),
            positions=pd.read_parquet(root / "positions.parquet"),
            logs=list(meta.get("logs", [])),
        )


__all__ = ["BacktestResult", "RunIdentity", "code_hash", "reason_text"]
