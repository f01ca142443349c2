"""Cross-check of the vectorised signal path against an independent backtrader run.

The strategy is the dual moving-average crossover (fast 10 / slow 50 on the
forward-filled close, long while the fast mean is above the slow one, compared exactly
on integer fen), one sleeve of 100,000 CNY per symbol, executed at the next open:

* buy the most whole lots of 100 the sleeve's cash pays for, fees included
  (commission max(5, 0.025% x value), transfer fee 0.001%);
* sell everything held (plus stamp duty 0.05%);
* no buy when the open is at or above the up limit, no sell when it is at or below the
  down limit, no trade on a suspended day (the order is simply tried again the next day).

The backtrader side is written from scratch here with ``cheat_on_open`` so that a
decision taken at a bar's close fills at the next bar's open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from quantlib.backtest.config import BacktestConfig
from quantlib.backtest.indicators import sma_cross_signals
from quantlib.backtest.market_data import MarketData
from quantlib.backtest.vectorised import run_signals
from quantlib.model.orders import Reason

# backtrader 1.9.78 times its runs with datetime.utcnow()
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

SYMBOLS = ("600000.SH", "600519.SH", "000001.SZ", "000858.SZ", "300750.SZ")
N_DAYS = 300
SLEEVE = 100_000.0
FAST, SLOW = 10, 50
LOT = 100
COMMISSION, MIN_COMMISSION, TRANSFER, STAMP = 0.00025, 5.0, 0.00001, 0.0005


def long_wanted(fen: list[int]) -> bool:
    """The crossover on integer fen: mean(last 10) > mean(last 50), exactly."""
    if len(fen) < SLOW:
        return False
    return sum(fen[-FAST:]) * SLOW > sum(fen[-SLOW:]) * FAST


# -- the synthetic market -----------------------------------------------------------------
@dataclass
class Synthetic:
    frames: dict[str, pd.DataFrame]
    feeds: dict[str, pd.DataFrame] = field(default_factory=dict)


def synthetic_market(seed: int = 20240611) -> Synthetic:
    """5 symbols x 300 days of random walks in fen with regime drifts.

    Limits are the previous traded close x 1.1 / 0.9 rounded half up to the fen. On the
    first day after the crossover flips, the open is often pushed to the limit against
    the trade, or the day suspended, so that every refusal rule is exercised.
    """
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2024-01-02", periods=N_DAYS)
    shape = (N_DAYS, len(SYMBOLS))
    o, h, lo, c, up, dn = (np.full(shape, np.nan) for _ in range(6))
    volume = np.zeros(shape)
    suspended = np.zeros(shape, dtype=bool)
    for j in range(len(SYMBOLS)):
        prev = int(rng.integers(800, 6000))  # previous traded close, fen
        fen: list[int] = []  # forward-filled closes, fen
        signal: list[bool] = []
        drift = 0.0
        for t in range(N_DAYS):
            if t % 40 == 0:
                drift = rng.normal(0.0, 0.006)
            top, bottom = (prev * 11 + 5) // 10, (prev * 9 + 5) // 10
            flipped = t >= 2 and signal[-1] != signal[-2]
            buying = flipped and signal[-1]
            halt = t > 0 and (rng.random() < 0.01 or (flipped and rng.random() < 0.15))
            if halt:
                suspended[t, j] = True
                fen.append(fen[-1])
                signal.append(long_wanted(fen))
                continue
            pushed = flipped and rng.random() < 0.35
            if pushed:
                op = top if buying else bottom
            elif rng.random() < 0.01:
                op = top
            else:
                op = int(np.clip(round(prev * (1 + rng.normal(0, 0.01))), bottom, top))
            cl = int(np.clip(round(op * (1 + drift + rng.normal(0, 0.02))), bottom, top))
            if pushed and rng.random() < 0.3:  # a one-price board at the limit
                cl = op
            hi = min(top, int(np.ceil(max(op, cl) * (1 + abs(rng.normal(0, 0.006))))))
            low = max(bottom, int(np.floor(min(op, cl) * (1 - abs(rng.normal(0, 0.006))))))
            o[t, j], h[t, j], lo[t, j], c[t, j] = op / 100, hi / 100, low / 100, cl / 100
            up[t, j], dn[t, j] = top / 100, bottom / 100
            volume[t, j] = float(rng.integers(100_000, 10_000_000))
            prev = cl
            fen.append(cl)
            signal.append(long_wanted(fen))

    def frame(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=index, columns=list(SYMBOLS))

    frames = {
        "open": frame(o),
        "high": frame(h),
        "low": frame(lo),
        "close": frame(c),
        "volume": frame(volume),
        "up_limit": frame(up),
        "down_limit": frame(dn),
        "suspended": frame(suspended),
    }
    market = Synthetic(frames)
    # backtrader bars: a suspended day repeats the last close with no volume
    last = frames["close"].ffill()
    for j, symbol in enumerate(SYMBOLS):
        bars = pd.DataFrame(
            {
                name: frames[name].iloc[:, j].fillna(last.iloc[:, j])
                for name in ("open", "high", "low", "close")
            }
        )
        bars["volume"] = volume[:, j]
        bars["up_limit"] = up[:, j]
        bars["down_limit"] = dn[:, j]
        bars["suspended"] = suspended[:, j].astype(float)
        market.feeds[symbol] = bars
    return market


# -- the backtrader side ----------------------------------------------------------------------
class ChinaBars(bt.feeds.PandasData):
    lines = ("up_limit", "down_limit", "suspended")
    params = (("up_limit", -1), ("down_limit", -1), ("suspended", -1), ("openinterest", None))


class ChinaStockFees(bt.CommInfoBase):
    """Commission max(5, 0.025%), transfer fee 0.001% both sides, stamp duty on sells."""

    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_FIXED))

    def _getcommission(self, size, price, pseudoexec):
        value = abs(size) * price
        fees = max(COMMISSION * value, MIN_COMMISSION) + TRANSFER * value
        if size < 0:
            fees += STAMP * value
        return fees


def max_lots(cash: float, price: float) -> int:
    """Most whole lots of 100 that ``cash`` pays for with the buy fees."""
    q = int(cash / (price * LOT)) * LOT
    while q >= LOT:
        value = q * price
        if value + max(COMMISSION * value, MIN_COMMISSION) + value * TRANSFER <= cash:
            return q
        q -= LOT
    return 0


class DualMovingAverage(bt.Strategy):
    params = (("symbol", ""),)

    def __init__(self) -> None:
        self.fen: list[int] = []
        self.want_long = False
        self.fills: list[tuple[str, str, str, int, float, float]] = []
        self.refused: list[tuple[str, str, str, int]] = []
        self.values: list[float] = []
        self.failed: list[str] = []

    def next_open(self) -> None:
        """Bar t before the broker runs: act on the decision of bar t-1's close."""
        if not self.fen:
            return
        d, held = self.data, self.position.size
        if self.want_long and held == 0:
            side = "buy"
        elif not self.want_long and held > 0:
            side = "sell"
        else:
            return
        day = d.datetime.date(0).isoformat()
        if d.suspended[0]:
            self.refused.append((day, self.p.symbol, side, Reason.SUSPENDED))
        elif side == "buy" and d.open[0] >= d.up_limit[0]:
            self.refused.append((day, self.p.symbol, side, Reason.LIMIT_UP))
        elif side == "sell" and d.open[0] <= d.down_limit[0]:
            self.refused.append((day, self.p.symbol, side, Reason.LIMIT_DOWN))
        elif side == "buy":
            size = max_lots(self.broker.getcash(), d.open[0])
            if size:
                self.buy(size=size)
            else:
                self.refused.append((day, self.p.symbol, side, Reason.INSUFFICIENT_CASH))
        else:
            self.sell(size=held)

    def next(self) -> None:
        """Bar t's close: the decision for bar t+1 (on the forward-filled close)."""
        self.fen.append(round(self.data.close[0] * 100))
        self.want_long = long_wanted(self.fen)
        self.values.append(self.broker.getvalue())

    def notify_order(self, order: bt.Order) -> None:
        if order.status == order.Completed:
            ex = order.executed
            self.fills.append(
                (
                    bt.num2date(ex.dt).date().isoformat(),
                    self.p.symbol,
                    "buy" if order.isbuy() else "sell",
                    int(abs(ex.size)),
                    ex.price,
                    ex.comm,
                )
            )
        elif order.status in (order.Margin, order.Rejected, order.Canceled, order.Expired):
            self.failed.append(order.getstatusname())


def run_backtrader(market: Synthetic) -> list[DualMovingAverage]:
    strategies = []
    for symbol in SYMBOLS:
        cerebro = bt.Cerebro(stdstats=False, cheat_on_open=True, runonce=False)
        cerebro.broker.set_coo(True)
        cerebro.broker.set_checksubmit(False)
        cerebro.broker.setcash(SLEEVE)
        cerebro.broker.addcommissioninfo(ChinaStockFees())
        cerebro.adddata(ChinaBars(dataname=market.feeds[symbol]), name=symbol)
        cerebro.addstrategy(DualMovingAverage, symbol=symbol)
        strategies.extend(cerebro.run())
    return strategies


# -- the comparison -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def both():
    market = synthetic_market()
    md = MarketData.from_frames(market.frames)
    signal = sma_cross_signals(md.close, FAST, SLOW)
    config = BacktestConfig(
        cash=SLEEVE * 5,
        cash_sharing=False,
        stamp_duty=STAMP,
        transfer_fee=TRANSFER,
        benchmark=None,
    )
    result = run_signals(md, signal, config=config)
    return market, md, result, run_backtrader(market)


def test_the_market_exercises_every_rule(both):
    market, md, result, _ = both
    assert np.isnan(md.close).any()  # suspensions
    reasons = set(result.orders["reason"].astype(int))
    assert {Reason.SUSPENDED, Reason.LIMIT_UP, Reason.LIMIT_DOWN} <= reasons
    assert len(result.trades) >= 20
    assert set(result.trades["symbol"]) == set(SYMBOLS)
    up = market.frames["up_limit"].to_numpy()
    prev = market.frames["close"].ffill().shift(1).to_numpy()
    expected = np.floor(np.round(prev * 110, 6) + 0.5) / 100  # prev x 1.1, half up
    traded = ~np.isnan(up[1:])
    assert np.allclose(up[1:][traded], expected[1:][traded])


def test_same_signal_as_a_plain_python_crossover(both):
    market, md, _, _ = both
    signal = sma_cross_signals(md.close, FAST, SLOW)
    closes = market.frames["close"].ffill()
    for j, symbol in enumerate(SYMBOLS):
        fen = [round(x * 100) for x in closes[symbol]]
        mine = [long_wanted(fen[: t + 1]) for t in range(N_DAYS)]
        assert list(signal[:, j] > 0) == mine, symbol


def test_same_fills_as_backtrader(both):
    _, _, result, strategies = both
    assert not any(s.failed for s in strategies)
    ours = sorted(
        (t.time.date().isoformat(), t.symbol, t.side, int(t.quantity))
        for t in result.trades.itertuples()
    )
    theirs = sorted(f[:4] for s in strategies for f in s.fills)
    assert ours == theirs
    # the same prices and total fees per fill
    fees = result.trades[["commission", "stamp_duty", "transfer_fee", "exchange_fees"]].sum(axis=1)
    ours_px = {
        (t.time.date().isoformat(), t.symbol, t.side): (t.price, fee)
        for t, fee in zip(result.trades.itertuples(), fees, strict=True)
    }
    for day, symbol, side, _, price, comm in (f for s in strategies for f in s.fills):
        our_price, our_fee = ours_px[(day, symbol, side)]
        assert our_price == price
        assert our_fee == pytest.approx(comm, rel=1e-12)


def test_same_refusals_as_backtrader(both):
    _, _, result, strategies = both
    rejected = result.orders[result.orders["status"] == "rejected"]
    ours = sorted(
        (o.time.date().isoformat(), o.symbol, o.side, int(o.reason)) for o in rejected.itertuples()
    )
    theirs = sorted((d, s, side, int(r)) for st in strategies for d, s, side, r in st.refused)
    assert ours == theirs


def test_same_equity_as_backtrader(both):
    _, _, result, strategies = both
    final = sum(s.broker.getvalue() for s in strategies)
    assert result.equity.iloc[-1] == pytest.approx(final, rel=1e-9)
    curve = np.sum([s.values for s in strategies], axis=0)
    np.testing.assert_allclose(result.equity.to_numpy(), curve, rtol=1e-9, atol=0)
    assert result.equity.iloc[0] == SLEEVE * 5
