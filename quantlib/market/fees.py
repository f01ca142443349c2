"""Trading fees with their dated history, computed exactly.

Stamp duty, the transfer fee and the exchange handling fee are set by the state and the
exchanges and change on known dates (rows of :data:`STAMP_DUTY`, :data:`TRANSFER_FEE`,
:data:`HANDLING_FEE`); the broker commission and its per-order minimum are the account's
terms (:class:`FeeConfig`). Amounts are :class:`~decimal.Decimal` yuan, rounded to the
fen per item as brokers book them (a setting). :meth:`FeeSchedule.rates` gives the same
schedule as floats for the numba backtest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from pydantic import Field

from quantlib.core.config import BaseConfig
from quantlib.core.errors import ConfigError
from quantlib.market.symbols import Exchange
from quantlib.model.enums import Side

FEN = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class DatedRate:
    """A proportional rate (fraction of traded value) valid from ``start`` on.

    ``exchanges`` limits it to some exchanges (all when empty); ``sell_only`` charges it
    on sells only.
    """

    start: dt.date
    rate: Decimal
    sell_only: bool = False
    exchanges: frozenset[Exchange] = frozenset()

    def applies(self, exchange: Exchange) -> bool:
        """Whether this rate is charged on ``exchange``."""
        return not self.exchanges or exchange in self.exchanges


#: Stamp duty (印花税). 0.1% both sides from 2008-04-24, sells only from 2008-09-19,
#: halved to 0.05% from 2023-08-28.
STAMP_DUTY: tuple[DatedRate, ...] = (
    DatedRate(dt.date(2007, 5, 30), Decimal("0.003")),
    DatedRate(dt.date(2008, 4, 24), Decimal("0.001")),
    DatedRate(dt.date(2008, 9, 19), Decimal("0.001"), sell_only=True),
    DatedRate(dt.date(2023, 8, 28), Decimal("0.0005"), sell_only=True),
)

_SH_SZ = frozenset({Exchange.SH, Exchange.SZ})

#: Transfer fee (过户费), both sides: 0.002% of value on SH and SZ from 2015-08-01,
#: 0.001% on all three exchanges from 2022-04-29 (CSDC).
TRANSFER_FEE: tuple[DatedRate, ...] = (
    DatedRate(dt.date(2015, 8, 1), Decimal("0.00002"), exchanges=_SH_SZ),
    DatedRate(dt.date(2022, 4, 29), Decimal("0.00001")),
)

#: Exchange handling fee (经手费), both sides; usually inside the broker's quoted rate.
HANDLING_FEE: tuple[DatedRate, ...] = (
    DatedRate(dt.date(2015, 8, 1), Decimal("0.0000487"), exchanges=_SH_SZ),
    DatedRate(dt.date(2023, 8, 28), Decimal("0.0000341"), exchanges=_SH_SZ),
    DatedRate(dt.date(2021, 11, 15), Decimal("0.00025"), exchanges=frozenset({Exchange.BJ})),
    DatedRate(dt.date(2023, 9, 1), Decimal("0.000125"), exchanges=frozenset({Exchange.BJ})),
)

#: CSRC levy (证管费), both sides; usually inside the broker's quoted rate.
REGULATORY_FEE: tuple[DatedRate, ...] = (DatedRate(dt.date(2015, 8, 1), Decimal("0.00002")),)


class FeeConfig(BaseConfig):
    """An account's fee terms.

    Attributes
    ----------
    commission_rate
        Broker commission as a fraction of traded value, each side (2.5 bps default).
    min_commission
        Minimum commission per order in yuan (5 by default; 0 for "免五" accounts).
    commission_includes_exchange_fees
        True when the quoted rate already contains the handling fee and CSRC levy
        (含规费); False adds them on top (净佣).
    round_to_fen
        Round each fee item to the fen, half up, as brokers book it.
    """

    commission_rate: Decimal = Field(default=Decimal("0.00025"), ge=0, le=Decimal("0.01"))
    min_commission: Decimal = Field(default=Decimal("5"), ge=0, le=Decimal("100"))
    commission_includes_exchange_fees: bool = True
    round_to_fen: bool = True


class FeeBreakdown(NamedTuple):
    """Fees of one fill, by kind, in yuan."""

    commission: Decimal
    stamp_duty: Decimal
    transfer_fee: Decimal
    exchange_fees: Decimal

    @property
    def total(self) -> Decimal:
        """Sum of all items."""
        return self.commission + self.stamp_duty + self.transfer_fee + self.exchange_fees


class FeeRates(NamedTuple):
    """The schedule on one date and exchange as floats, for array code."""

    commission_rate: float
    min_commission: float
    stamp_duty_buy: float
    stamp_duty_sell: float
    transfer_fee: float
    exchange_fees: float


def rate_on(rows: tuple[DatedRate, ...], date: dt.date, exchange: Exchange, side: Side) -> Decimal:
    """The rate of a dated schedule on a date, exchange and side (0 where none applies)."""
    applicable = [r for r in rows if r.start <= date and r.applies(exchange)]
    if not applicable:
        return Decimal(0)
    rule = max(applicable, key=lambda r: r.start)
    if rule.sell_only and side is Side.BUY:
        return Decimal(0)
    return rule.rate


class FeeSchedule:
    """Computes the fees of fills under an account's terms and the dated public rates.

    Examples
    --------
    >>> fees = FeeSchedule()
    >>> fees.compute(Side.SELL, Decimal("100000"), Exchange.SH, dt.date(2023, 8, 28)).total
    Decimal('76.00')
    """

    def __init__(self, config: FeeConfig | None = None) -> None:
        self.config = config or FeeConfig()

    def _round(self, amount: Decimal) -> Decimal:
        return amount.quantize(FEN, rounding=ROUND_HALF_UP) if self.config.round_to_fen else amount

    def compute(
        self, side: Side, value: Decimal, exchange: Exchange, date: dt.date
    ) -> FeeBreakdown:
        """Fees of one order's fill of traded ``value`` yuan.

        The minimum commission applies per order: pass the order's whole traded value,
        or use :meth:`commission_for_fills` for partial fills.
        """
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if value < 0:
            raise ConfigError(f"traded value must not be negative, got {value}")
        side = Side(side)
        cfg = self.config
        commission = max(value * cfg.commission_rate, cfg.min_commission) if value else Decimal(0)
        stamp = value * rate_on(STAMP_DUTY, date, exchange, side)
        transfer = value * rate_on(TRANSFER_FEE, date, exchange, side)
        exchange_fees = Decimal(0)
        if not cfg.commission_includes_exchange_fees:
            exchange_fees = value * (
                rate_on(HANDLING_FEE, date, exchange, side)
                + rate_on(REGULATORY_FEE, date, exchange, side)
            )
        return FeeBreakdown(
            self._round(commission),
            self._round(stamp),
            self._round(transfer),
            self._round(exchange_fees),
        )

    def rates(self, date: dt.date, exchange: Exchange) -> FeeRates:
        """The schedule on ``date`` for ``exchange`` as floats (for numba kernels)."""
        cfg = self.config
        extra = Decimal(0)
        if not cfg.commission_includes_exchange_fees:
            extra = rate_on(HANDLING_FEE, date, exchange, Side.BUY) + rate_on(
                REGULATORY_FEE, date, exchange, Side.BUY
            )
        return FeeRates(
            float(cfg.commission_rate),
            float(cfg.min_commission),
            float(rate_on(STAMP_DUTY, date, exchange, Side.BUY)),
            float(rate_on(STAMP_DUTY, date, exchange, Side.SELL)),
            float(rate_on(TRANSFER_FEE, date, exchange, Side.BUY)),
            float(extra),
        )
