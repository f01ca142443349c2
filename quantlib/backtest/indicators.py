"""Numba indicators for the vectorised strategy form.

Signal functions have the shape ``fn(close_column, params_row, out)`` so that the
sweep kernel can call them per symbol and parameter row without leaving numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def sma_cross(close: np.ndarray, params: np.ndarray, out: np.ndarray) -> None:
    """Long (1.0) while the fast simple moving average is above the slow one, else 0.0.

    ``params`` is ``(fast, slow)``. The close is forward-filled over suspended bars (which
    count as bars); the means are compared exactly, on integer fen
    (``sum_fast * slow > sum_slow * fast``); flat until ``slow`` bars exist.
    """
    fast = int(params[0])
    slow = int(params[1])
    n = close.shape[0]
    ring = np.zeros(max(slow, 1), np.int64)
    sum_f = 0
    sum_s = 0
    last = 0
    k = 0
    kf = slow - fast
    for t in range(n):
        c = close[t]
        if c == c:
            last = round(c * 100.0)
        if t >= slow:
            sum_s -= ring[k]
        if t >= fast:
            sum_f -= ring[kf]
        ring[k] = last
        sum_s += last
        sum_f += last
        out[t] = 1.0 if (t >= slow - 1 and sum_f * slow > sum_s * fast) else 0.0
        k += 1
        if k == slow:
            k = 0
        kf += 1
        if kf == slow:
            kf = 0


@njit(cache=True, parallel=True)
def sma_cross_signals(close: np.ndarray, fast: int, slow: int) -> np.ndarray:
    """:func:`sma_cross` for every column of a ``(bars, symbols)`` close array."""
    n_bars, n_syms = close.shape
    out = np.empty((n_syms, n_bars)).T
    params = np.array([float(fast), float(slow)])
    for i in prange(n_syms):
        sma_cross(close[:, i], params, out[:, i])
    return out


def check_windows(fast: int, slow: int) -> None:
    """Refuse windows that cannot form a crossover."""
    from quantlib.core.errors import ConfigError

    if not (isinstance(fast, int | np.integer) and isinstance(slow, int | np.integer)):
        raise ConfigError(f"moving-average windows must be integers, got {fast!r} and {slow!r}")
    if not 0 < fast < slow:
        raise ConfigError(f"need 0 < fast < slow for a crossover, got fast={fast}, slow={slow}")


__all__ = ["check_windows", "sma_cross", "sma_cross_signals"]
