"""The broker order-status machine: progress applies, repeats and stale reports are
dropped, impossible reports are refused."""

from __future__ import annotations

import pytest

from quantlib.model.orders import OrderStatus
from quantlib.model.status import BrokerOrderStatus as S
from quantlib.model.status import InvalidTransitionError, Verdict, advance, after_fill


@pytest.mark.parametrize(
    ("current", "filled", "reported", "reported_filled", "verdict", "status", "after"),
    [
        (S.UNREPORTED, 0, S.WAIT_REPORTING, 0, Verdict.APPLY, S.WAIT_REPORTING, 0),
        (S.WAIT_REPORTING, 0, S.REPORTED, 0, Verdict.APPLY, S.REPORTED, 0),
        (S.REPORTED, 0, S.PART_SUCC, 40, Verdict.APPLY, S.PART_SUCC, 40),
        (S.PART_SUCC, 40, S.SUCCEEDED, 100, Verdict.APPLY, S.SUCCEEDED, 100),
        (S.REPORTED, 0, S.REPORTED, 0, Verdict.DUPLICATE, S.REPORTED, 0),
        (S.PART_SUCC, 40, S.PART_SUCC, 40, Verdict.DUPLICATE, S.PART_SUCC, 40),
        # out of order: an older push after a newer one changes nothing
        (S.PART_SUCC, 60, S.PART_SUCC, 40, Verdict.STALE, S.PART_SUCC, 60),
        (S.PART_SUCC, 40, S.REPORTED, 0, Verdict.STALE, S.PART_SUCC, 40),
        (S.SUCCEEDED, 100, S.PART_SUCC, 40, Verdict.STALE, S.SUCCEEDED, 100),
        (S.REPORTED_CANCEL, 0, S.REPORTED, 0, Verdict.STALE, S.REPORTED_CANCEL, 0),
        # pending cancel is not terminal: fills still come, then the cancel ends it
        (S.REPORTED_CANCEL, 0, S.PART_SUCC, 40, Verdict.APPLY, S.PARTSUCC_CANCEL, 40),
        (S.PARTSUCC_CANCEL, 40, S.PART_CANCEL, 40, Verdict.APPLY, S.PART_CANCEL, 40),
        (S.REPORTED_CANCEL, 0, S.SUCCEEDED, 100, Verdict.APPLY, S.SUCCEEDED, 100),
        (S.REPORTED_CANCEL, 0, S.CANCELED, 0, Verdict.APPLY, S.CANCELED, 0),
        # a cancelled report with fills already known keeps them: part-cancelled
        (S.PART_SUCC, 40, S.CANCELED, 0, Verdict.APPLY, S.PART_CANCEL, 40),
        # fills learned after the cancel confirmation correct it to part-cancelled
        (S.CANCELED, 0, S.PART_CANCEL, 30, Verdict.APPLY, S.PART_CANCEL, 30),
        # a report whose status says less than its fills is read by its fills
        (S.REPORTED, 0, S.REPORTED, 40, Verdict.APPLY, S.PART_SUCC, 40),
    ],
)
def test_report_verdicts(
    current: S,
    filled: int,
    reported: S,
    reported_filled: int,
    verdict: Verdict,
    status: S,
    after: int,
) -> None:
    step = advance(current, filled, 100, reported, reported_filled)
    assert (step.verdict, step.status, step.filled) == (verdict, status, after)


@pytest.mark.parametrize(
    ("current", "filled", "reported", "reported_filled", "match"),
    [
        (S.REPORTED, 0, S.PART_SUCC, 140, "impossible for an order of 100"),
        (S.REPORTED, 0, S.SUCCEEDED, 60, "filled state with 60"),
        (S.PART_SUCC, 40, S.JUNK, 0, "rejected state after 40"),
        (S.SUCCEEDED, 100, S.CANCELED, 0, "already SUCCEEDED"),
        (S.JUNK, 0, S.SUCCEEDED, 100, "already JUNK"),
        (S.CANCELED, 0, S.SUCCEEDED, 100, "already CANCELED"),
        (S.REPORTED, 0, S.PART_CANCEL, 0, "nothing filled"),
    ],
)
def test_impossible_reports_are_refused(
    current: S, filled: int, reported: S, reported_filled: int, match: str
) -> None:
    with pytest.raises(InvalidTransitionError, match=match):
        advance(current, filled, 100, reported, reported_filled)


def test_only_part_cancel_cancelled_filled_and_rejected_are_terminal() -> None:
    assert {s for s in S if s.is_terminal} == {S.PART_CANCEL, S.CANCELED, S.SUCCEEDED, S.JUNK}
    assert {s for s in S if s.is_pending_cancel} == {S.REPORTED_CANCEL, S.PARTSUCC_CANCEL}


def test_xtquant_codes_are_the_characters_codes() -> None:
    assert [s.xtquant_code for s in S] == list(range(48, 58))
    assert S.from_xtquant(52) is S.PARTSUCC_CANCEL
    with pytest.raises(InvalidTransitionError, match="255"):
        S.from_xtquant(255)


def test_coarse_states_for_the_strategy_api() -> None:
    assert S.REPORTED_CANCEL.as_order_status() is OrderStatus.OPEN
    assert S.PART_CANCEL.as_order_status() is OrderStatus.CANCELLED
    assert S.JUNK.as_order_status() is OrderStatus.REJECTED


def test_fills_move_an_open_order_forward() -> None:
    assert after_fill(S.REPORTED, 40, 100) is S.PART_SUCC
    assert after_fill(S.REPORTED_CANCEL, 40, 100) is S.PARTSUCC_CANCEL
    assert after_fill(S.PART_SUCC, 100, 100) is S.SUCCEEDED
    assert after_fill(S.CANCELED, 100, 100) is S.CANCELED
