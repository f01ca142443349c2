"""Settings of one backtest run."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from quantlib.backtest import kernels as kn
from quantlib.core.config import BaseConfig
from quantlib.market.boards import STOCK_TICK

FillMode = Literal["next_open", "close", "vwap"]
LimitRule = Literal["block", "traded_away"]

_FILL_CODES = {"next_open": kn.FILL_NEXT_OPEN, "close": kn.FILL_CLOSE, "vwap": kn.FILL_VWAP}
_LIMIT_CODES = {"block": kn.LIMIT_BLOCK, "traded_away": kn.LIMIT_TRADED_AWAY}


class BacktestConfig(BaseConfig):
    """How a backtest fills orders, charges fees and books cash.

    Attributes
    ----------
    cash
        Starting cash in yuan (split evenly across sleeves when ``cash_sharing`` is off).
    fill
        ``next_open`` (orders decided at a bar's close fill at the next bar's open),
        ``close`` (at the same bar's close) or ``vwap`` (the next bar's VWAP).
    limit_rule
        At the limit price: ``block`` refuses buys at limit-up and sells at limit-down;
        ``traded_away`` fills them at the limit when the bar traded away from it.
    slippage_ticks, slippage_bps
        Price moved against the order, in ticks and basis points (never past the limit).
    participation
        Cap of a fill as a fraction of the bar's volume (0: no cap); the rest is cut.
    commission_rate, min_commission
        Broker commission per side, with a minimum per order.
    commission_includes_exchange_fees
        True when the rate already contains the handling fee and CSRC levy (含规费).
    stamp_duty, transfer_fee
        Fixed rates instead of the dated public schedule (None: the schedule).
    round_fees
        Round each fee to the fen, half up, as brokers book them (off: exact float).
    cash_sharing
        One cash account for all symbols (True) or a sleeve of its own per symbol.
    benchmark
        Index to compare against (CSI 300 by default); None for none.
    """

    cash: float = Field(default=1_000_000.0, gt=0)
    fill: FillMode = "next_open"
    limit_rule: LimitRule = "block"
    slippage_ticks: int = Field(default=0, ge=0, le=100)
    slippage_bps: float = Field(default=0.0, ge=0, le=1000)
    participation: float = Field(default=0.0, ge=0, le=1)
    commission_rate: float = Field(default=0.00025, ge=0, le=0.01)
    min_commission: float = Field(default=5.0, ge=0, le=100)
    commission_includes_exchange_fees: bool = True
    stamp_duty: float | None = Field(default=None, ge=0, le=0.01)
    transfer_fee: float | None = Field(default=None, ge=0, le=0.01)
    round_fees: bool = False
    cash_sharing: bool = True
    benchmark: str | None = "000300.SH"

    def vector(self) -> np.ndarray:
        """The settings the kernels read, as their float vector."""
        cfg = np.zeros(kn.N_CFG)
        cfg[kn.C_FILL] = _FILL_CODES[self.fill]
        cfg[kn.C_LIMIT_MODE] = _LIMIT_CODES[self.limit_rule]
        cfg[kn.C_TICKS] = self.slippage_ticks
        cfg[kn.C_BPS] = self.slippage_bps
        cfg[kn.C_PART] = self.participation
        cfg[kn.C_COMM] = self.commission_rate
        cfg[kn.C_MINCOMM] = self.min_commission
        cfg[kn.C_ROUND] = 1.0 if self.round_fees else 0.0
        cfg[kn.C_TICK] = STOCK_TICK
        return cfg


__all__ = ["BacktestConfig", "FillMode", "LimitRule"]
