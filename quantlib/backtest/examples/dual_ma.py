"""Dual moving-average crossover, long/flat per symbol, in the handle_data form.

Each bar it updates exact running sums of the forward-filled close (in fen, held in
float64, which is exact for these integers) for every symbol at once, then buys the
symbols that turned long and are flat, and sells the ones that turned flat and hold
shares. Orders go in as arrays of symbol columns (the fast path of the order calls);
the fills happen at the next bar's open.
"""

import numpy as np

PARAMS = {"fast": 10, "slow": 50}


def initialize(context):
    fast, slow = context.params["fast"], context.params["slow"]
    if not 0 < fast < slow:
        raise ValueError(f"need 0 < fast < slow, got {fast}, {slow}")
    n = len(context.universe)
    g.fast, g.slow = fast, slow
    g.ring = np.zeros((slow, n))
    g.sum_fast = np.zeros(n)
    g.sum_slow = np.zeros(n)
    g.last = np.zeros(n)
    g.bars = 0


def handle_data(context, data):
    fast, slow, t = g.fast, g.slow, g.bars
    cents = np.rint(data.current("close") * 100.0)
    last = g.last = np.where(cents == cents, cents, g.last)
    ring = g.ring
    if t >= slow:
        g.sum_slow -= ring[t % slow]
    if t >= fast:
        g.sum_fast -= ring[(t - fast) % slow]
    ring[t % slow] = last
    g.sum_slow += last
    g.sum_fast += last
    g.bars = t + 1
    if t < slow - 1:
        return
    long = g.sum_fast * slow > g.sum_slow * fast
    flat = context.portfolio.shares == 0
    sells = (~long & ~flat).nonzero()[0]
    if len(sells):
        order_target(sells, 0)
    buys = (long & flat).nonzero()[0]
    if len(buys):
        order_target_percent(buys, 1.0)
