"""A PTrade strategy, written exactly as for Hundsun PTrade: ``.SS`` codes, ``g``,
``set_universe``, ``get_history`` in PTrade's single-code shape, ``order_value`` and
``order_target``, a ``run_daily`` task and the ``on_trade_response`` push callback.

It buys a code when its price closes 1% above its 10-day average and sells it out when
the price falls below the average. Upload it to PTrade as is, or backtest it here with
``quantlib.broker.ptrade.run_ptrade_backtest``.
"""


def initialize(context):
    g.securities = ["600000.SS", "600001.SS", "600002.SS"]
    set_universe(g.securities)
    set_commission(commission_ratio=0.0003, min_commission=5.0)
    set_slippage(slippage=0.0)
    g.window = 10
    g.fills = 0
    g.days = 0
    run_daily(context, count_day, time="14:30")


def count_day(context):
    g.days += 1


def before_trading_start(context, data):
    g.__sent_today = []


def handle_data(context, data):
    budget = context.portfolio.total_value / len(g.securities)
    for security in g.securities:
        history = get_history(g.window, "1d", "close", security, include=True)
        if len(history) < g.window:
            continue
        average = history["close"].mean()
        price = data[security].price
        position = get_position(security)
        if price > average * 1.01 and position.amount == 0 and not get_open_orders(security):
            order_id = order_value(security, budget * 0.95)
            if order_id is not None:
                g.__sent_today.append(order_id)
        elif price < average and position.enable_amount > 0:
            order_target(security, 0)


def on_trade_response(context, trade_list):
    for trade in trade_list:
        g.fills += 1
        log.info(
            "fill %s %s %s x %s",
            trade["stock_code"],
            trade["entrust_bs"],
            trade["business_amount"],
            trade["business_price"],
        )


def after_trading_end(context, data):
    log.info(
        "day %s cash %.2f value %.2f",
        context.blotter.current_dt.date(),
        context.portfolio.cash,
        context.portfolio.total_value,
    )
