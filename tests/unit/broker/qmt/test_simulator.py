"""The MiniQMT simulator at xtquant's native boundary: the wheel's real ``xttrader``
runs over it and sees what the documentation describes."""

from __future__ import annotations

import asyncio
import datetime as dt
import queue
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from quantlib.broker.paper.engine import PaperConfig
from quantlib.broker.qmt.simulator import MiniQmtSimulator, install, lookup, uninstall
from quantlib.core.dates import SHANGHAI
from quantlib.core.vendor import import_submodule
from quantlib.model.trading import Quote

ACCOUNT = "8880001"
WAIT = 5.0
TEN = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


def a_quote(last: str = "10.00", moment: dt.datetime = TEN) -> Quote:
    price = Decimal(last)
    tick = Decimal("0.01")
    return Quote(
        "600000.SH",
        moment,
        last=price,
        pre_close=Decimal("10.00"),
        bids=((price - tick, 10_000),),
        asks=((price + tick, 10_000),),
        up_limit=Decimal("11.00"),
        down_limit=Decimal("9.00"),
    )


class Recorder:
    """An ``XtQuantTraderCallback`` that records every call."""

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[str, Any]] = queue.Queue()

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("on_"):
            raise AttributeError(name)
        return lambda *args: self.calls.put((name, args[0] if args else None))

    def next(self, name: str) -> Any:
        while True:
            called, value = self.calls.get(timeout=WAIT)
            if called == name:
                return value

    def all(self) -> list[tuple[str, Any]]:
        found = []
        while True:
            try:
                found.append(self.calls.get(timeout=0.2))
            except queue.Empty:
                return found


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[MiniQmtSimulator]:
    simulator = install(
        MiniQmtSimulator(str(tmp_path / "userdata_mini"), PaperConfig(account_id=ACCOUNT))
    )
    simulator.feed(a_quote())
    yield simulator
    uninstall(simulator)


@pytest.fixture
def xttrader(simulator: MiniQmtSimulator) -> Iterator[Any]:
    """The wheel's xttrader. Building a trader on the main thread reads that thread's
    event loop (as a fresh interpreter has one); earlier tests may have cleared it."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield import_submodule("xtquant", "xttrader")
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def account(simulator: MiniQmtSimulator) -> Any:
    return import_submodule("xtquant", "xttype").StockAccount(ACCOUNT)


@pytest.fixture
def session(
    simulator: MiniQmtSimulator, xttrader: Any, account: Any
) -> Iterator[tuple[Any, Recorder]]:
    recorder = Recorder()
    trader = xttrader.XtQuantTrader(simulator.userdata_path, 101, recorder)
    trader.start()
    assert trader.connect() == 0
    assert trader.subscribe(account) == 0
    yield trader, recorder
    trader.stop()


def test_install_puts_fakes_under_a_bare_xtquant_and_uninstall_removes_them(tmp_path: Path) -> None:
    before = {name for name in sys.modules if name.startswith("xtquant")}
    simulator = install(MiniQmtSimulator(str(tmp_path / "u")))
    assert sys.modules["xtquant.xtpythonclient"].__name__.startswith("quantlib.")
    assert lookup(str(tmp_path / "u")) is simulator
    import_submodule("xtquant", "xttrader")
    uninstall(simulator)
    assert {name for name in sys.modules if name.startswith("xtquant")} == before
    assert lookup(str(tmp_path / "u")) is None


def test_real_trader_connects_and_sync_query_answers(
    session: tuple[Any, Recorder], account: Any
) -> None:
    trader, _ = session
    asset = trader.query_stock_asset(account)
    assert type(asset).__name__ == "XtAsset" and asset.cash == 1_000_000.0


def test_connect_returns_nonzero_when_miniqmt_is_down_or_session_taken(
    simulator: MiniQmtSimulator, xttrader: Any, session: tuple[Any, Recorder]
) -> None:
    taken = xttrader.XtQuantTrader(simulator.userdata_path, 101, Recorder())
    taken.start()
    assert taken.connect() != 0
    taken.stop()
    simulator.shut_down()
    down = xttrader.XtQuantTrader(simulator.userdata_path, 102, Recorder())
    down.start()
    assert down.connect() != 0
    down.stop()
    nowhere = xttrader.XtQuantTrader("C:/no/such/userdata_mini", 103, Recorder())
    nowhere.start()
    assert nowhere.connect() != 0
    nowhere.stop()


def test_async_order_answer_carries_its_seq_and_pushes_echo_the_remark(
    session: tuple[Any, Recorder], account: Any
) -> None:
    trader, recorder = session
    seq = trader.order_stock_async(account, "600000.SH", 23, 100, 11, 9.5, "quantlib", "T0REMARK")
    response = recorder.next("on_order_stock_async_response")
    assert (response.seq, response.order_remark) == (seq, "T0REMARK") and response.order_id > 0
    order = recorder.next("on_stock_order")
    assert (order.order_id, order.order_status, order.order_remark) == (
        response.order_id,
        50,
        "T0REMARK",
    )
    assert isinstance(order.order_sysid, str) and order.strategy_name == "quantlib"


def test_refused_order_error_comes_after_the_answer_with_the_request_seq(
    session: tuple[Any, Recorder], account: Any
) -> None:
    trader, recorder = session
    seq = trader.order_stock_async(account, "600000.SH", 23, 200_000, 11, 10.01, "s", "T0BIG")
    calls = recorder.all()
    names = [name for name, _ in calls]
    assert names.index("on_order_stock_async_response") < names.index("on_order_error")
    error = next(value for name, value in calls if name == "on_order_error")
    assert error.seq == seq and "资金不足" in error.error_msg and error.order_remark == "T0BIG"
    junk = next(value for name, value in calls if name == "on_stock_order")
    assert junk.order_status == 57


def test_fill_pushes_trade_with_commission_and_position_with_can_use_volume(
    session: tuple[Any, Recorder], account: Any
) -> None:
    trader, recorder = session
    trader.order_stock_async(account, "600000.SH", 23, 200, 11, 10.02, "s", "T0FILL")
    trade = recorder.next("on_stock_trade")
    assert (trade.traded_volume, trade.traded_price, trade.order_remark) == (200, 10.01, "T0FILL")
    assert trade.commission > 0
    position = recorder.next("on_stock_position")
    assert (position.volume, position.can_use_volume) == (200, 0)


def test_cancel_pending_state_is_pushed_before_cancelled(
    session: tuple[Any, Recorder], account: Any
) -> None:
    trader, recorder = session
    trader.order_stock_async(account, "600000.SH", 23, 100, 11, 9.5, "s", "T0REST")
    order_id = recorder.next("on_order_stock_async_response").order_id
    recorder.next("on_stock_order")
    seq = trader.cancel_order_stock_async(account, order_id)
    answer = recorder.next("on_cancel_order_stock_async_response")
    assert (answer.seq, answer.cancel_result) == (seq, 0)
    states = [value.order_status for name, value in recorder.all() if name == "on_stock_order"]
    assert states == [51, 54]


def test_duplicate_switch_delivers_a_push_twice(
    simulator: MiniQmtSimulator, session: tuple[Any, Recorder], account: Any
) -> None:
    trader, recorder = session
    simulator.duplicate_next_pushes(1)
    trader.order_stock_async(account, "600000.SH", 23, 100, 11, 9.5, "s", "T0DUP")
    orders = [value for name, value in recorder.all() if name == "on_stock_order"]
    assert len(orders) == 2 and orders[0] is orders[1]


def test_none_switch_makes_the_next_query_answer_none(
    simulator: MiniQmtSimulator, session: tuple[Any, Recorder], account: Any
) -> None:
    trader, _ = session
    simulator.answer_none_to_next_queries()
    assert trader.query_stock_positions(account) is None
    assert trader.query_stock_positions(account) == []


def test_dropped_link_pushes_on_disconnected_and_requests_fail_without_hanging(
    simulator: MiniQmtSimulator, session: tuple[Any, Recorder], account: Any
) -> None:
    trader, recorder = session
    assert simulator.drop_link(101) == [101]
    recorder.next("on_disconnected")
    assert trader.query_stock_asset(account) is None
    assert simulator.sessions == []


def test_fake_xtdata_pushes_ticks_and_answers_full_tick(simulator: MiniQmtSimulator) -> None:
    xtdata = import_submodule("xtquant", "xtdata")
    ticks: queue.Queue[Any] = queue.Queue()
    seq = xtdata.subscribe_quote("600000.SH", period="tick", callback=ticks.put)
    simulator.feed(a_quote("10.05", TEN + dt.timedelta(seconds=3)))
    data = ticks.get(timeout=WAIT)
    assert data["600000.SH"][-1]["lastPrice"] == 10.05
    assert xtdata.get_full_tick(["600000.SH"])["600000.SH"]["askPrice"][0] == 10.06
    xtdata.unsubscribe_quote(seq)
