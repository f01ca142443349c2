"""Person-facing texts of the PTrade dialect, in English and Simplified Chinese."""

from __future__ import annotations

from quantlib.core.i18n import Catalog, translate

TEXT: Catalog = {
    "unsupported": (
        "{name}() is PTrade API that quantlib's PTrade dialect does not support: {why}",
        "{name}() 是 quantlib 的 PTrade 兼容层不支持的 PTrade 接口：{why}",
    ),
    "live_only": (
        "it runs only in PTrade's trading module, and PTrade refuses it in backtests",
        "它只在 PTrade 交易模块运行，PTrade 回测同样不支持",
    ),
    "no_data": (
        "the backtest has no such data (fundamentals, index members, blocks)",
        "回测中没有这类数据（财务、指数成分、板块）",
    ),
    "no_product": (
        "the backtest simulates stocks only (no IPO, ETF, bond, margin or after-hours orders)",
        "回测只模拟股票交易（不支持新股、ETF、债券、融资融券及盘后委托）",
    ),
    "no_service": (
        "the backtest has no broker services (accounts, messages, files)",
        "回测中没有券商服务（账户、消息、文件）",
    ),
    "no_setting": (
        "this backtest setting has no counterpart in quantlib's engine",
        "quantlib 回测引擎没有对应的设置",
    ),
    "no_percent": (
        "PTrade has no order_target_percent; use "
        "order_target_value(security, percent * context.portfolio.total_value)",
        "PTrade 没有 order_target_percent；请用 "
        "order_target_value(security, percent * context.portfolio.total_value)",
    ),
    "no_context_attribute": (
        "context.{name} is not part of PTrade's context (the PTrade dialect gives "
        "portfolio, blotter, current_dt, previous_date, capital_base)",
        "context.{name} 不属于 PTrade 的 context（PTrade 兼容层提供 portfolio、blotter、"
        "current_dt、previous_date、capital_base）",
    ),
    "one_code": (
        "{name}() takes one security code as a str, got {value!r}",
        "{name}() 需要一个字符串证券代码，收到 {value!r}",
    ),
    "market_type": (
        "order_market: market_type {market_type!r} is not valid on {exchange} (allowed: {allowed})",
        "order_market：{exchange} 不支持 market_type {market_type!r}（可用：{allowed}）",
    ),
    "protect_price": (
        "order_market on Shanghai ({code}) needs a protective limit_price",
        "上海市场（{code}）的 order_market 必须给出保护限价 limit_price",
    ),
    "frequency": (
        "frequency {frequency!r} is not available: this backtest runs on {freq} bars",
        "无法提供周期 {frequency!r}：本次回测使用 {freq} K 线",
    ),
    "field": (
        "unknown field {field!r}; known: {known}",
        "未知字段 {field!r}；可用字段：{known}",
    ),
    "price_args": (
        "get_price needs exactly one of start_date and count",
        "get_price 必须且只能给出 start_date 与 count 之一",
    ),
    "future_date": (
        "{name} {date} lies after the backtest's current day {today}",
        "{name} {date} 晚于回测当前日期 {today}",
    ),
    "g_pickle": (
        "g.{name} cannot be saved by PTrade (not picklable: {error}); name it g.__{name} "
        "to keep it out of the saved state",
        "PTrade 无法保存 g.{name}（不能序列化：{error}）；改名为 g.__{name} 可不保存它",
    ),
    "no_initialize": (
        "strategy {file} defines no initialize(context)",
        "策略 {file} 未定义 initialize(context)",
    ),
    "no_handle_data": (
        "strategy {file} defines no handle_data(context, data)",
        "策略 {file} 未定义 handle_data(context, data)",
    ),
    "no_compile": (
        "strategy {file} does not compile: {msg} (line {line})",
        "策略 {file} 有语法错误：{msg}（第 {line} 行）",
    ),
    "load_failed": (
        "strategy {file} failed while loading: {error}",
        "策略 {file} 加载失败：{error}",
    ),
    "not_found": ("strategy file {file} does not exist", "策略文件 {file} 不存在"),
}


def text(key: str, **values: object) -> str:
    """The text for ``key`` in the user's language."""
    return translate(TEXT, key, **values)


__all__ = ["TEXT", "text"]
