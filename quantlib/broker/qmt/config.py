"""Settings of the in-process QMT gateway."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from quantlib.core.config import BaseConfig

#: Largest session id xtquant takes (a C int).
MAX_SESSION_ID = 2**31 - 1


class QmtConfig(BaseConfig):
    """Settings of :class:`~quantlib.broker.qmt.gateway.QmtBroker`.

    Attributes
    ----------
    userdata_path
        Full path of MiniQMT's ``userdata_mini`` directory (``D:/国金QMT/userdata_mini``).
    account_id
        The stock account (资金账号), as a string.
    account_type
        ``STOCK``; credit and futures accounts are not supported.
    session_id
        The first session id. None (default): one unique to this process. Every
        reconnect takes a new one (the next number), as MiniQMT wants one per live
        connection.
    reconnect_interval
        Seconds between attempts to reconnect after the link drops.
    request_timeout
        Seconds a query or a connect-time request may take before it counts as
        unanswered (the query then reports None: unknown).
    strategy_name
        Sent as xtquant's ``strategy_name`` with every order; orders carrying it and a
        client order id in ``order_remark`` are taken as this gateway's after a restart.

    Examples
    --------
    >>> QmtConfig(userdata_path="D:/qmt/userdata_mini", account_id="8881234567").account_type
    'STOCK'
    """

    userdata_path: str = Field(min_length=1)
    account_id: str = Field(min_length=1, max_length=64)
    account_type: Literal["STOCK"] = "STOCK"
    session_id: int | None = Field(default=None, ge=1, le=MAX_SESSION_ID)
    reconnect_interval: float = Field(default=3.0, gt=0, le=600)
    request_timeout: float = Field(default=10.0, gt=0, le=600)
    strategy_name: str = Field(default="quantlib", min_length=1, max_length=32)


__all__ = ["MAX_SESSION_ID", "QmtConfig"]
