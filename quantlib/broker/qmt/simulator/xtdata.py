"""A stand-in for ``xtquant.xtdata`` (the quote API) backed by the MiniQMT simulator.

:func:`~quantlib.broker.qmt.simulator.install` registers this module as
``xtquant.xtdata``. Only what the QMT gateway uses is offered: :func:`subscribe_quote`,
:func:`unsubscribe_quote` and :func:`get_full_tick`. Subscribers receive
``{code: [tick]}`` on the simulator's quote thread, ticks as xtdata's dicts (``time`` in
epoch ms, ``volume`` and the level volumes in lots).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quantlib.broker.qmt.simulator.process import MiniQmtSimulator, quote_server

UNREACHABLE = "无法连接行情服务！"


def _server() -> MiniQmtSimulator:
    server = quote_server()
    if server is None:
        raise Exception(UNREACHABLE)
    return server


def subscribe_quote(
    stock_code: str,
    period: str = "1d",
    start_time: str = "",
    end_time: str = "",
    count: int = 0,
    callback: Callable[[Any], None] | None = None,
) -> int:
    """Subscribe quotes of ``stock_code``; returns the subscription id (>0)."""
    return _server().subscribe_quote(stock_code, callback)


def unsubscribe_quote(seq: int) -> None:
    """Cancel a subscription."""
    _server().unsubscribe_quote(seq)


def get_full_tick(code_list: list[str]) -> dict[str, dict[str, Any]]:
    """The latest tick of each code (codes never quoted are left out)."""
    return _server().full_tick(list(code_list))


__all__ = ["get_full_tick", "subscribe_quote", "unsubscribe_quote"]
