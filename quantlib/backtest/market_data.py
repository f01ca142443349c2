"""The arrays a backtest runs on: bars as (bar, symbol) float64, plus per-symbol rules.

Build it from a store (:meth:`MarketData.from_store`) or from wide DataFrames
(:meth:`MarketData.from_frames`, e.g. vendor or benchmark data). Prices are raw
(unadjusted): orders fill at the prices that traded. Corporate actions come from the
adjustment factor's steps, which the engine applies to holdings.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from quantlib.backtest import kernels as kn
from quantlib.core.errors import ConfigError, UnknownFieldError, UnknownSymbolError
from quantlib.market.boards import LOT_RULES, board_of
from quantlib.market.fees import (
    HANDLING_FEE,
    REGULATORY_FEE,
    STAMP_DUTY,
    TRANSFER_FEE,
    DatedRate,
)
from quantlib.market.symbols import Exchange, normalize_symbol, split_symbol
from quantlib.model.enums import Side

if TYPE_CHECKING:
    from quantlib.backtest.config import BacktestConfig

EXCHANGES: tuple[Exchange, ...] = (Exchange.SH, Exchange.SZ, Exchange.BJ)
REQUIRED_FRAMES = ("open", "close")
_EMPTY = np.empty((0, 0))


def _blank(array: np.ndarray, cells: tuple[np.ndarray, ...], value: float) -> np.ndarray:
    """``array`` with ``value`` at ``cells``: the array itself when it already holds it
    there (the usual case: vendors give no prices for suspended days), else a copy."""
    held = array[cells]
    already = np.isnan(held) if value != value else held == value
    if already.all():
        return array
    out = array.copy()
    out[cells] = value
    return out


def _f64(frame: pd.DataFrame | np.ndarray) -> np.ndarray:
    """A float64 (bar, symbol) array without copying when the frame allows it."""
    if isinstance(frame, pd.DataFrame):
        return frame.to_numpy(dtype=np.float64)
    return np.asarray(frame, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class MarketData:
    """Bars and per-symbol rules for a backtest.

    All price arrays are ``(bars, symbols)`` float64 with NaN where the symbol did not
    trade (suspended or not listed); ``volume`` may be any numeric dtype. ``adj`` holds
    the adjustment-factor ratio of each
    bar to the previous one (empty when there are no corporate actions).
    """

    times: pd.DatetimeIndex
    symbols: tuple[str, ...]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    vwap: np.ndarray | None
    up_limit: np.ndarray
    down_limit: np.ndarray
    adj: np.ndarray = field(default_factory=lambda: _EMPTY)
    listed: np.ndarray | None = None
    benchmark: pd.Series | None = None
    snapshot: str | None = None
    freq: str = "1d"

    def __post_init__(self) -> None:
        shape = (len(self.times), len(self.symbols))
        for name in ("open", "high", "low", "close", "volume", "vwap", "up_limit", "down_limit"):
            array = getattr(self, name)
            if array is not None and array.shape != shape:
                raise ConfigError(f"market field {name} has shape {array.shape}, expected {shape}")
        if self.adj.size and self.adj.shape != shape:
            raise ConfigError(f"market field adj has shape {self.adj.shape}, expected {shape}")
        if len(set(self.symbols)) != len(self.symbols):
            raise ConfigError("market data has duplicate symbols")
        if len(self.times) and not self.times.is_monotonic_increasing:
            raise ConfigError("market data times must increase")

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, pd.DataFrame],
        *,
        benchmark: pd.Series | None = None,
        snapshot: str | None = None,
    ) -> MarketData:
        """From wide frames (index: times, columns: symbols) named like the store's fields.

        ``open`` and ``close`` are required; ``high``/``low`` default to the open/close
        envelope, ``volume`` to unlimited, ``vwap`` to the mean of OHLC, limits to none,
        ``suspended`` (bool) blanks prices, ``adj_factor`` gives corporate actions.
        Times with a time of day make a minute-bar market (orders rest within a day).
        """
        missing = [name for name in REQUIRED_FRAMES if name not in frames]
        if missing:
            raise UnknownFieldError(f"market frames need {', '.join(missing)}")
        close_frame = frames["close"]
        index = pd.DatetimeIndex(close_frame.index)
        columns = close_frame.columns
        symbols = tuple(normalize_symbol(str(c)) for c in columns.to_numpy())
        for name, frame in frames.items():
            if isinstance(frame, pd.DataFrame) and not (
                frame.index.equals(close_frame.index) and frame.columns.equals(columns)
            ):
                raise ConfigError(f"frame {name!r} is not aligned with 'close' (index and columns)")
        open_ = _f64(frames["open"])
        close = _f64(close_frame)
        high = _f64(frames["high"]) if "high" in frames else np.fmax(open_, close)
        low = _f64(frames["low"]) if "low" in frames else np.fmin(open_, close)
        volume = np.asarray(frames["volume"]) if "volume" in frames else np.full_like(close, np.inf)
        if volume.dtype.kind not in "iuf":
            raise ConfigError(f"volume must be numeric, got {volume.dtype}")
        vwap: np.ndarray | None = None
        if "vwap" in frames:
            vwap = _f64(frames["vwap"])
        elif "amount" in frames and "volume" in frames:
            with np.errstate(divide="ignore", invalid="ignore"):
                vwap = np.where(volume > 0, _f64(frames["amount"]) / volume, np.nan)
        suspended = frames.get("suspended")
        if suspended is not None:
            # A suspended bar does not trade: every price is blanked and no volume is left.
            cells = np.nonzero(np.asarray(suspended, dtype=bool))
            open_, close, high, low = (_blank(a, cells, np.nan) for a in (open_, close, high, low))
            vwap = None if vwap is None else _blank(vwap, cells, np.nan)
            volume = _blank(volume, cells, 0)
        nan = np.full_like(close, np.nan)
        up = _f64(frames["up_limit"]) if "up_limit" in frames else nan
        dn = _f64(frames["down_limit"]) if "down_limit" in frames else nan
        adj = _EMPTY
        if "adj_factor" in frames:
            adj = adj_ratio(_f64(frames["adj_factor"]))
        return cls(
            times=index,
            symbols=symbols,
            open=open_,
            high=high,
            low=low,
            close=close,
            volume=volume,
            vwap=vwap,
            up_limit=up,
            down_limit=dn,
            adj=adj,
            benchmark=benchmark,
            snapshot=snapshot,
            freq="1d" if bool((index == index.normalize()).all()) else "1m",
        )

    @classmethod
    def from_store(
        cls,
        store: Any,
        symbols: Sequence[str] | None = None,
        start: Any = None,
        end: Any = None,
        *,
        benchmark: str | None = "000300.SH",
        freq: str = "1d",
    ) -> MarketData:
        """Bars of ``symbols`` between ``start`` and ``end`` from a store (path or handle).

        ``freq="1d"`` reads daily bars (all stocks when ``symbols`` is None);
        ``freq="1m"`` reads one-minute bars (the symbols with minute bars when None), each
        minute carrying its day's price limits, adjustment factor and trading status.
        The benchmark is the index's close; on minute bars its minute close when the
        store has it, else the last daily close published (no look-ahead).
        """
        from quantlib.data.store import DataStore, open_store

        if freq not in ("1d", "1m"):
            raise ConfigError(f"freq must be '1d' or '1m', got {freq!r}")
        handle = store if isinstance(store, DataStore) else open_store(store)
        if symbols is None and freq == "1d":
            master = handle.instruments(kind="stock")
            symbols = [s for s in master.index if s in set(handle.symbols)]
        price_fields = ["open", "high", "low", "close", "volume", "amount"]
        day_fields = ["up_limit", "down_limit", "adj_factor", "status"]
        wanted = None if symbols is None else list(symbols)
        if freq == "1d":
            ds = handle.bars(wanted, start, end, price_fields + day_fields)
            frames = {name: _frame(ds[name]) for name in price_fields + day_fields}
        else:
            minute = handle.bars(wanted, start, end, price_fields, freq="1m")
            frames = {name: _frame(minute[name]) for name in price_fields}
            index, columns = pd.DatetimeIndex(frames["close"].index), frames["close"].columns
            daily = handle.bars(list(columns), start, end, day_fields)
            day_rows = pd.DatetimeIndex(daily["time"].to_numpy()).get_indexer(index.normalize())
            for name in day_fields:
                values = _frame(daily[name])[list(columns)].to_numpy()[day_rows]
                frames[name] = pd.DataFrame(values, index=index, columns=columns)
        status = frames.pop("status").to_numpy()
        close = frames["close"]
        frames["suspended"] = pd.DataFrame(status != 1, index=close.index, columns=close.columns)
        bench = None
        if benchmark is not None:
            times = pd.DatetimeIndex(close.index)
            bench = benchmark_from_store(handle, benchmark, start, end, times, freq=freq)
        data = cls.from_frames(frames, benchmark=bench, snapshot=handle.snapshot)
        return cls._with_listing(data, status)

    def benchmark_series(self, symbol: str, store: Any = None) -> pd.Series | None:
        """The close of ``symbol`` over these bars, to compare a run against: the loaded
        benchmark when it is that symbol, a symbol of the market, else read from
        ``store``; None when it is in neither."""
        if self.benchmark is not None and self.benchmark.name == symbol:
            return self.benchmark
        if symbol in self.index:
            i = self.index[symbol]
            return pd.Series(self.marks[:, i], index=self.times, name=symbol)
        if store is None or not len(self.times):
            return None
        return benchmark_from_store(
            store, symbol, self.times[0], self.times[-1], self.times, freq=self.freq
        )

    @classmethod
    def _with_listing(cls, data: MarketData, status: np.ndarray) -> MarketData:
        listed = (status == 1) | (status == 2)
        return cls(**{**data.__dict__, "listed": listed})

    # -- derived, per symbol -------------------------------------------------------------
    @cached_property
    def index(self) -> dict[str, int]:
        """Column of each symbol."""
        return {symbol: i for i, symbol in enumerate(self.symbols)}

    def column(self, symbol: str) -> int:
        """Column of ``symbol`` (any vendor form), or UnknownSymbolError."""
        found = self.index.get(symbol)
        if found is None:
            found = self.index.get(normalize_symbol(symbol))
        if found is None:
            raise UnknownSymbolError(f"{symbol} is not in the backtest's market data")
        return found

    @cached_property
    def lots(self) -> np.ndarray:
        """``(3, N)``: minimum buy, buy step and per-order maximum of each symbol."""
        out = np.empty((3, len(self.symbols)))
        for i, symbol in enumerate(self.symbols):
            rule = LOT_RULES[board_of(symbol)]
            out[0, i], out[1, i], out[2, i] = rule.min_buy, rule.buy_step, rule.max_limit_order
        return out

    @cached_property
    def groups(self) -> np.ndarray:
        """Exchange index (into :data:`EXCHANGES`) of each symbol, for the fee table."""
        position = {exchange: g for g, exchange in enumerate(EXCHANGES)}
        return np.array([position[split_symbol(s)[1]] for s in self.symbols], dtype=np.int64)

    @cached_property
    def day_start(self) -> np.ndarray:
        """True on the first bar of each trading day (T+1 shares are released there)."""
        if self.freq == "1d":
            return np.ones(len(self.times), dtype=bool)
        days = self.times.normalize()
        return np.r_[True, days[1:] != days[:-1]] if len(days) else np.ones(0, dtype=bool)

    @cached_property
    def day_end(self) -> np.ndarray:
        """True on the last bar of each trading day."""
        if self.freq == "1d":
            return np.ones(len(self.times), dtype=bool)
        days = self.times.normalize()
        return np.r_[days[1:] != days[:-1], True]

    @cached_property
    def bar_vwap(self) -> np.ndarray:
        """VWAP of each bar; the mean of open, high, low and close where none was given."""
        if self.vwap is not None:
            return self.vwap
        return (self.open + self.high + self.low + self.close) / 4.0

    def fill_vwap(self, fill: str) -> np.ndarray:
        """The VWAP array the kernels take: the bars' VWAP for VWAP fills; for other fill
        modes the kernels never read it, so the close stands in and no VWAP is computed."""
        return self.bar_vwap if fill == "vwap" else self.close

    def rates_for(self, config: BacktestConfig) -> np.ndarray:
        """The fee-rate table under a run's settings."""
        return self.fee_rates(
            add_exchange_fees=not config.commission_includes_exchange_fees,
            stamp_duty=config.stamp_duty,
            transfer_fee=config.transfer_fee,
        )

    @cached_property
    def marks(self) -> np.ndarray:
        """The price a holding is valued at each bar, as the kernels value it: the close,
        or over bars without trading the last close divided by the adjustment-factor
        steps since (an ex-date during a suspension); NaN before the first trade."""
        close = self.close
        if self.adj.shape[0] == 0:
            return pd.DataFrame(close).ffill().to_numpy()
        factor = np.cumprod(self.adj, axis=0)
        carried = pd.DataFrame(close * factor).ffill().to_numpy() / factor
        return np.where(np.isnan(close), carried, close)

    def fee_rates(
        self,
        *,
        add_exchange_fees: bool,
        stamp_duty: float | None = None,
        transfer_fee: float | None = None,
    ) -> np.ndarray:
        """``(bars, exchanges, N_RATES)`` of the dated public rates per bar (or fixed ones)."""
        return fee_rate_table(
            self.times, add_exchange_fees, stamp_duty=stamp_duty, transfer_fee=transfer_fee
        )

    def subset(self, start: int, stop: int) -> MarketData:
        """Bars ``[start, stop)`` (for walk-forward splits)."""
        cut = slice(start, stop)
        fields = {
            name: getattr(self, name)[cut]
            for name in ("open", "high", "low", "close", "volume", "up_limit", "down_limit")
        }
        fields["vwap"] = None if self.vwap is None else self.vwap[cut]
        bench = None
        if self.benchmark is not None:
            bench = self.benchmark.reindex(self.times[cut])
        return MarketData(
            times=self.times[cut],
            symbols=self.symbols,
            adj=self.adj[cut] if self.adj.size else _EMPTY,
            listed=None if self.listed is None else self.listed[cut],
            benchmark=bench,
            snapshot=self.snapshot,
            freq=self.freq,
            **fields,
        )


def _frame(array: Any) -> pd.DataFrame:
    return cast(pd.DataFrame, array.to_pandas())


def benchmark_from_store(
    store: Any, symbol: str, start: Any, end: Any, times: pd.DatetimeIndex, *, freq: str = "1d"
) -> pd.Series | None:
    """The close of an index or stock from a store (path or open store) on ``times``, or
    None when the store does not hold it. On minute bars: its minute close when stored,
    else the last daily close published at each minute (the day's close from its last
    bar on)."""
    from quantlib.data.store import DataStore, open_store

    handle = store if isinstance(store, DataStore) else open_store(store)
    if symbol not in set(handle.symbols):
        return None
    if freq == "1m":
        try:
            minute = _frame(handle.bars([symbol], start, end, ["close"], freq="1m")["close"])
            return minute.iloc[:, 0].reindex(times).rename(symbol)
        except UnknownSymbolError:
            pass
    daily = _frame(handle.bars([symbol], start, end, ["close"])["close"]).iloc[:, 0]
    if freq == "1d":
        return daily.reindex(times).rename(symbol)
    day_close = pd.Series(np.nan, index=times)
    last_bar = np.r_[times.normalize()[1:] != times.normalize()[:-1], True]
    day_close[last_bar] = daily.reindex(times[last_bar].normalize()).to_numpy()
    return day_close.ffill().rename(symbol)


def adj_ratio(factor: np.ndarray) -> np.ndarray:
    """Each bar's adjustment factor over the previous known one (1 where unchanged)."""
    filled = pd.DataFrame(factor).ffill().to_numpy()
    ratio = np.ones_like(filled)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio[1:] = filled[1:] / filled[:-1]
    ratio[~np.isfinite(ratio)] = 1.0
    if np.all(ratio == 1.0):
        return _EMPTY
    return ratio


def _segments(rows: tuple[DatedRate, ...], times: pd.DatetimeIndex) -> list[int]:
    starts = sorted({r.start for r in rows})
    values = times.values.astype("datetime64[D]")
    return [int(np.searchsorted(values, np.datetime64(s, "D"))) for s in starts]


def _dated_column(
    rows: tuple[DatedRate, ...], times: pd.DatetimeIndex, exchange: Exchange, side: Side
) -> np.ndarray:
    from quantlib.market.fees import rate_on

    out = np.zeros(len(times))
    if not len(times):
        return out
    cuts = sorted({0, *_segments(rows, times), len(times)})
    for lo, hi in itertools.pairwise(cuts):
        day = pd.Timestamp(times[lo]).date()
        out[lo:hi] = float(rate_on(rows, day, exchange, side))
    return out


def fee_rate_table(
    times: pd.DatetimeIndex,
    add_exchange_fees: bool,
    *,
    stamp_duty: float | None = None,
    transfer_fee: float | None = None,
) -> np.ndarray:
    """Per-bar rates by exchange: stamp duty (sell, buy), transfer fee, exchange fees."""
    table = np.zeros((len(times), len(EXCHANGES), kn.N_RATES))
    for g, exchange in enumerate(EXCHANGES):
        if stamp_duty is None:
            table[:, g, kn.R_STAMP_SELL] = _dated_column(STAMP_DUTY, times, exchange, Side.SELL)
            table[:, g, kn.R_STAMP_BUY] = _dated_column(STAMP_DUTY, times, exchange, Side.BUY)
        else:
            table[:, g, kn.R_STAMP_SELL] = stamp_duty
        if transfer_fee is None:
            table[:, g, kn.R_TRANSFER] = _dated_column(TRANSFER_FEE, times, exchange, Side.BUY)
        else:
            table[:, g, kn.R_TRANSFER] = transfer_fee
        if add_exchange_fees:
            table[:, g, kn.R_EXCHANGE] = _dated_column(
                HANDLING_FEE, times, exchange, Side.BUY
            ) + _dated_column(REGULATORY_FEE, times, exchange, Side.BUY)
    return table


__all__ = ["EXCHANGES", "MarketData", "adj_ratio", "fee_rate_table"]
