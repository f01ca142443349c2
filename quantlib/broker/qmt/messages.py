"""Person-facing texts of the QMT gateway, in English and Simplified Chinese."""

from __future__ import annotations

from quantlib.core.i18n import Catalog

TEXT: Catalog = {
    "connecting": (
        "connecting to MiniQMT at {path}",
        "正在连接 MiniQMT：{path}",
    ),
    "connected": (
        "connected to MiniQMT, account {account}, session {session}",
        "已连接 MiniQMT，账户 {account}，会话 {session}",
    ),
    "connect_failed": (
        "MiniQMT at {path} refused session {session} (connect returned {result}): "
        "is MiniQMT running and logged in?",
        "MiniQMT（{path}）拒绝会话 {session}（connect 返回 {result}）：MiniQMT 是否已启动并登录？",
    ),
    "subscribe_failed": (
        "MiniQMT did not subscribe account {account} (returned {result})",
        "MiniQMT 未能订阅账户 {account}（返回 {result}）",
    ),
    "no_xtquant": (
        "xtquant cannot be loaded ({error}); the qmt broker runs on the Windows host of "
        "MiniQMT (elsewhere use qmt-bridge)",
        "无法加载 xtquant（{error}）；qmt 券商需在运行 MiniQMT 的 Windows 主机上使用"
        "（其他主机请用 qmt-bridge）",
    ),
    "lost": (
        "link to MiniQMT lost (session {session}); reconnecting every {interval} s",
        "与 MiniQMT 的连接已断开（会话 {session}）；每 {interval} 秒重连一次",
    ),
    "retry_failed": (
        "reconnect to MiniQMT failed: {reason}; retrying in {interval} s",
        "重连 MiniQMT 失败：{reason}；{interval} 秒后重试",
    ),
    "disconnected": ("disconnected from MiniQMT", "已断开与 MiniQMT 的连接"),
    "not_connected": (
        "the qmt broker is not connected (state {state}): call connect() first",
        "qmt 券商未连接（状态 {state}）：请先调用 connect()",
    ),
    "account_not_ok": (
        "account {account} status is {status} ({name}); no new orders until it is OK",
        "账户 {account} 状态为 {status}（{name}）；恢复正常前不接受新委托",
    ),
    "account_ok": ("account {account} status is OK again", "账户 {account} 状态已恢复正常"),
    "query_unknown": (
        "{what} query got no answer from MiniQMT ({why}); treat it as unknown, not empty",
        "{what} 查询未获 MiniQMT 应答（{why}）；结果未知，不代表为空",
    ),
    "in_callback": (
        "a query from xtquant's callback thread would deadlock",
        "在 xtquant 回调线程内查询会死锁",
    ),
    "timed_out": ("no answer within {timeout} s", "{timeout} 秒内无应答"),
    "answered_none": ("answered None", "应答为 None"),
    "price_type": (
        "{price_type} orders are not offered on {symbol}'s exchange",
        "{symbol} 所在交易所不支持 {price_type} 委托",
    ),
    "send_failed": (
        "order_stock_async refused the order (seq {seq})",
        "order_stock_async 拒绝了委托（seq {seq}）",
    ),
    "order_not_open": ("order {order} is already {status}", "委托 {order} 已{status}"),
    "cancel_failed": (
        "cancel_order_stock_async refused the cancel (seq {seq})",
        "cancel_order_stock_async 拒绝了撤单（seq {seq}）",
    ),
    "reconcile_unknown": (
        "today's orders and trades could not be read after connecting; orders and fills "
        "missed while away are not known yet",
        "连接后未能读取当日委托与成交；断线期间错过的委托与成交暂不可知",
    ),
}


__all__ = ["TEXT"]
