"""The broker order-status model and its state machine.

QMT (xtquant) and PTrade both report Hundsun counter states: the characters ``'0'`` to
``'9'`` (xtquant sends their ASCII codes, 48 to 57). :class:`BrokerOrderStatus` keeps
those codes. Two of them are *pending cancel* (``'3'``, ``'4'``): the cancel was asked
for but the exchange has not answered, so the order can still fill; they are not
terminal. Only part-cancelled, cancelled, filled and rejected are.

:func:`advance` decides what a reported ``(status, filled)`` does to an order's current
``(status, filled)``: pushes arrive duplicated and out of order, so a report that says
less than is already known is *stale* and ignored, a repeat is a *duplicate*, and a
report no real order could give (a fill after a rejection, a filled order cancelled,
more filled than ordered) is refused with :class:`InvalidTransitionError`.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import NamedTuple

from quantlib.core.errors import QuantlibError
from quantlib.core.i18n import Catalog, translate
from quantlib.model.orders import OrderStatus


class InvalidTransitionError(QuantlibError, ValueError):
    """A status report that no real order could produce from its current state."""


class BrokerOrderStatus(StrEnum):
    """Hundsun counter order states, as QMT and PTrade report them."""

    UNREPORTED = "0"  # 未报: created, not sent
    WAIT_REPORTING = "1"  # 待报: sent to the counter, not yet at the exchange
    REPORTED = "2"  # 已报: accepted by the exchange, resting
    REPORTED_CANCEL = "3"  # 已报待撤: cancel asked, no fill yet
    PARTSUCC_CANCEL = "4"  # 部成待撤: partly filled, cancel asked
    PART_CANCEL = "5"  # 部撤: partly filled, rest cancelled (terminal)
    CANCELED = "6"  # 已撤: cancelled without fills (terminal)
    PART_SUCC = "7"  # 部成: partly filled, still resting
    SUCCEEDED = "8"  # 已成: fully filled (terminal)
    JUNK = "9"  # 废单: rejected (terminal)

    @property
    def is_terminal(self) -> bool:
        """True when the order can no longer change."""
        return self in _TERMINAL

    @property
    def is_pending_cancel(self) -> bool:
        """True while a cancel is asked for and unanswered (the order may still fill)."""
        return self in (BrokerOrderStatus.REPORTED_CANCEL, BrokerOrderStatus.PARTSUCC_CANCEL)

    @property
    def xtquant_code(self) -> int:
        """The integer xtquant uses (``xtconstant.ORDER_*``): the character's code."""
        return ord(self.value)

    @classmethod
    def from_xtquant(cls, code: int) -> BrokerOrderStatus:
        """The state of an xtquant ``order_status`` (255, unknown, is refused)."""
        try:
            return cls(chr(code))
        except (ValueError, OverflowError):
            raise InvalidTransitionError(
                f"order status code {code} is not a known Hundsun state (48-57)"
            ) from None

    def as_order_status(self) -> OrderStatus:
        """The coarse state the strategy API shows (open, partly filled, filled …)."""
        return _COARSE[self]

    def label(self) -> str:
        """The state's name in the user's language."""
        return translate(_LABELS, self.name)


_TERMINAL = frozenset(
    {
        BrokerOrderStatus.PART_CANCEL,
        BrokerOrderStatus.CANCELED,
        BrokerOrderStatus.SUCCEEDED,
        BrokerOrderStatus.JUNK,
    }
)

_COARSE = {
    BrokerOrderStatus.UNREPORTED: OrderStatus.OPEN,
    BrokerOrderStatus.WAIT_REPORTING: OrderStatus.OPEN,
    BrokerOrderStatus.REPORTED: OrderStatus.OPEN,
    BrokerOrderStatus.REPORTED_CANCEL: OrderStatus.OPEN,
    BrokerOrderStatus.PARTSUCC_CANCEL: OrderStatus.PARTIALLY_FILLED,
    BrokerOrderStatus.PART_CANCEL: OrderStatus.CANCELLED,
    BrokerOrderStatus.CANCELED: OrderStatus.CANCELLED,
    BrokerOrderStatus.PART_SUCC: OrderStatus.PARTIALLY_FILLED,
    BrokerOrderStatus.SUCCEEDED: OrderStatus.FILLED,
    BrokerOrderStatus.JUNK: OrderStatus.REJECTED,
}

_LABELS: Catalog = {
    "UNREPORTED": ("not sent", "未报"),
    "WAIT_REPORTING": ("sending", "待报"),
    "REPORTED": ("accepted", "已报"),
    "REPORTED_CANCEL": ("cancel pending", "已报待撤"),
    "PARTSUCC_CANCEL": ("partly filled, cancel pending", "部成待撤"),
    "PART_CANCEL": ("partly filled, rest cancelled", "部撤"),
    "CANCELED": ("cancelled", "已撤"),
    "PART_SUCC": ("partly filled", "部成"),
    "SUCCEEDED": ("filled", "已成"),
    "JUNK": ("rejected", "废单"),
}

_S = BrokerOrderStatus

#: How far along an order is; a report of a lower stage with no more fills is stale.
_STAGE = {
    BrokerOrderStatus.UNREPORTED: 0,
    BrokerOrderStatus.WAIT_REPORTING: 1,
    BrokerOrderStatus.REPORTED: 2,
    BrokerOrderStatus.PART_SUCC: 3,
    BrokerOrderStatus.REPORTED_CANCEL: 4,
    BrokerOrderStatus.PARTSUCC_CANCEL: 5,
}


class Verdict(Enum):
    """What :func:`advance` decided about a report."""

    APPLY = "apply"
    DUPLICATE = "duplicate"
    STALE = "stale"


class Step(NamedTuple):
    """The decision on one report: the verdict and the state to hold afterwards."""

    verdict: Verdict
    status: BrokerOrderStatus
    filled: int


def _normalized(status: BrokerOrderStatus, filled: int, quantity: int) -> BrokerOrderStatus:
    """The state a report means once its fill count is taken into account."""
    if filled == quantity and status in (_S.PART_SUCC, _S.PARTSUCC_CANCEL, _S.REPORTED):
        return _S.SUCCEEDED
    if filled > 0:
        return {
            _S.REPORTED: _S.PART_SUCC,
            _S.WAIT_REPORTING: _S.PART_SUCC,
            _S.UNREPORTED: _S.PART_SUCC,
            _S.REPORTED_CANCEL: _S.PARTSUCC_CANCEL,
            _S.CANCELED: _S.PART_CANCEL,
        }.get(status, status)
    return status


def _check_report(status: BrokerOrderStatus, filled: int, quantity: int) -> None:
    if not 0 <= filled <= quantity:
        raise InvalidTransitionError(
            f"a report of {filled} filled is impossible for an order of {quantity}"
        )
    if status is _S.SUCCEEDED and filled != quantity:
        raise InvalidTransitionError(f"filled state with {filled} of {quantity} filled")
    if status is _S.JUNK and filled:
        raise InvalidTransitionError(f"rejected state with {filled} already filled")
    if status in (_S.PART_SUCC, _S.PARTSUCC_CANCEL, _S.PART_CANCEL) and not filled:
        raise InvalidTransitionError(f"{status.name} state with nothing filled")
    if status is _S.PART_CANCEL and filled == quantity:
        raise InvalidTransitionError("part-cancelled state with everything filled")


def advance(
    current: BrokerOrderStatus,
    filled: int,
    quantity: int,
    reported: BrokerOrderStatus,
    reported_filled: int,
) -> Step:
    """Apply a reported ``(status, filled)`` to an order now at ``(current, filled)``.

    Returns the verdict and the resulting state. Fill counts never go down: a report
    with fewer fills than known is stale unless it ends the order, in which case the
    known fills are kept (``CANCELED`` after fills becomes ``PART_CANCEL``).

    Raises
    ------
    InvalidTransitionError
        The report is impossible in itself (more filled than ordered, a rejection with
        fills) or from the current state (a terminal order ending differently).

    Examples
    --------
    >>> S = BrokerOrderStatus
    >>> advance(S.REPORTED_CANCEL, 0, 100, S.REPORTED, 0).verdict  # late push
    <Verdict.STALE: 'stale'>
    >>> advance(S.REPORTED_CANCEL, 0, 100, S.PART_SUCC, 40).status  # filled while pending
    <BrokerOrderStatus.PARTSUCC_CANCEL: '4'>
    """
    if quantity <= 0:
        raise InvalidTransitionError(f"order quantity must be positive, got {quantity}")
    reported = BrokerOrderStatus(reported)
    if reported_filled < filled and reported.is_terminal:
        if reported in (BrokerOrderStatus.CANCELED, BrokerOrderStatus.PART_CANCEL):
            reported_filled = filled
        elif reported is BrokerOrderStatus.JUNK:
            raise InvalidTransitionError(f"rejected state after {filled} filled")
    _check_report(reported, reported_filled, quantity)
    target = _normalized(reported, reported_filled, quantity)
    if current.is_pending_cancel and not target.is_terminal and reported_filled > filled:
        target = BrokerOrderStatus.PARTSUCC_CANCEL
    if (target, reported_filled) == (current, filled):
        return Step(Verdict.DUPLICATE, current, filled)
    if current.is_terminal:
        if not target.is_terminal:
            return Step(Verdict.STALE, current, filled)
        late_fills = current is BrokerOrderStatus.CANCELED or (
            current is BrokerOrderStatus.PART_CANCEL and reported_filled > filled
        )
        if target is BrokerOrderStatus.PART_CANCEL and late_fills:
            return Step(Verdict.APPLY, target, reported_filled)
        raise InvalidTransitionError(
            f"order already {current.name} with {filled} filled; report of "
            f"{reported.name} with {reported_filled} filled is impossible"
        )
    if reported_filled < filled:
        return Step(Verdict.STALE, current, filled)
    if not target.is_terminal and reported_filled == filled and _STAGE[target] <= _STAGE[current]:
        return Step(Verdict.STALE, current, filled)
    return Step(Verdict.APPLY, target, reported_filled)


def after_fill(status: BrokerOrderStatus, filled: int, quantity: int) -> BrokerOrderStatus:
    """The state an open order is in once ``filled`` shares are known to be filled."""
    if status.is_terminal:
        return status
    if filled >= quantity:
        return BrokerOrderStatus.SUCCEEDED
    if filled == 0:
        return status
    return (
        BrokerOrderStatus.PARTSUCC_CANCEL
        if status.is_pending_cancel
        else (BrokerOrderStatus.PART_SUCC)
    )


__all__ = [
    "BrokerOrderStatus",
    "InvalidTransitionError",
    "Step",
    "Verdict",
    "advance",
    "after_fill",
]
