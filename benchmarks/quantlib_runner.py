"""quantlib in the shared backtest benchmark (``../shared/bench``), through its public API.

Run beside the peers::

    .venv/bin/python ../shared/bench/run.py --peers reference_numba \
        --runner benchmarks/quantlib_runner.py --workloads W1,W2,W3,W4

Rows (one per form):

``quantlib-vectorised``
    ``MarketData.from_frames`` + ``indicators.sma_cross_signals`` + ``run_signals`` with
    per-symbol sleeves; W3 is ``sweep_signals`` over the 100 pairs (numba threads).
``quantlib-handle-data``
    ``run_backtest`` of ``quantlib/backtest/examples/dual_ma.py``: Python's
    ``handle_data`` once per bar, matching and accounting in numba (W3: not run; a
    handle_data sweep is 100 such runs fanned out by ``quantlib.backtest.sweep``).

The timed region is the spec's: from the benchmark's DataFrames to the final equity.
The spec's flat fee rates (no dated stamp duty) are passed as ``stamp_duty`` and
``transfer_fee`` overrides; everything else is quantlib's defaults.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

BENCH = Path(
    os.environ.get("QUANTLIB_BENCH_DIR", Path(__file__).resolve().parents[2] / "shared" / "bench")
)
sys.path.insert(0, str(BENCH / "peers"))
sys.path.insert(0, str(BENCH))

import common as C  # noqa: E402, N812  (the benchmark's shared runner helpers)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from quantlib.backtest import BacktestConfig, MarketData, run_backtest, run_signals  # noqa: E402
from quantlib.backtest.indicators import sma_cross, sma_cross_signals  # noqa: E402
from quantlib.backtest.strategy import load_strategy  # noqa: E402
from quantlib.backtest.vectorised import sweep_signals  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "quantlib" / "backtest" / "examples" / "dual_ma.py"


def _config(n_symbols: int) -> BacktestConfig:
    return BacktestConfig(
        cash=C.CASH_PER_SYMBOL * n_symbols,
        cash_sharing=False,
        commission_rate=C.COMMISSION,
        min_commission=C.MIN_COMMISSION,
        stamp_duty=C.STAMP_DUTY,
        transfer_fee=C.TRANSFER_FEE,
        benchmark=None,
    )


def vectorised(bars: dict, pairs: tuple) -> float:
    """Final equity (W3: mean over the pairs) through the vectorised form."""
    data = MarketData.from_frames(bars)
    config = _config(len(data.symbols))
    if len(pairs) == 1:
        fast, slow = pairs[0]
        signal = sma_cross_signals(data.close, fast, slow)
        return float(run_signals(data, signal, config=config).equity.iloc[-1])
    params = pd.DataFrame(pairs, columns=["fast", "slow"])
    table = sweep_signals(data, sma_cross, params, config=config)
    return float(table["final_equity"].mean())


def handle_data(bars: dict, pairs: tuple, strategy: object) -> float:
    """Final equity through ``run_backtest`` and the example ``handle_data`` strategy."""
    data = MarketData.from_frames(bars)
    config = _config(len(data.symbols))
    fast, slow = pairs[0]
    result = run_backtest(strategy, data, config=config, params={"fast": fast, "slow": slow})
    return float(result.equity.iloc[-1])


def _compile_seconds() -> float:
    start = time.perf_counter()
    tiny = C.data.generate(2, 120, 0)
    vectorised(tiny, ((5, 20),))
    vectorised(tiny, ((5, 20), (10, 30)))
    handle_data(tiny, ((5, 20),), load_strategy(EXAMPLE))
    return time.perf_counter() - start


_COMPILE: list[float] = []


_SH_PREFIXES = (600000, 601000, 603000, 605000)
_SZ_PREFIXES = (0, 1000, 2000, 3000)


def _listed_codes(columns: pd.Index) -> list[str]:
    """The generator's codes beyond 600999.SH / 000999.SZ are not A-share codes (W4 has
    2500 per exchange); spread them over the real main-board ranges, same order."""
    out = []
    for code in columns:
        number, exchange = int(code[:6]), code[7:]
        base = _SH_PREFIXES if exchange == "SH" else _SZ_PREFIXES
        offset = number - (600000 if exchange == "SH" else 1)
        out.append(f"{base[offset // 1000] + offset % 1000:06d}.{exchange}")
    return out


def run(wl: C.Workload, repeat: int) -> list[C.Result]:
    """Both forms on one workload, as the benchmark's JSON rows."""
    if not _COMPILE:
        _COMPILE.append(_compile_seconds())
    bars = C.load(wl)
    codes = _listed_codes(bars["close"].columns)
    bars = {name: frame.set_axis(codes, axis=1) for name, frame in bars.items()}
    rows = []
    strategy = load_strategy(EXAMPLE)
    forms = [("quantlib-vectorised", lambda: vectorised(bars, wl.pairs))]
    if len(wl.pairs) == 1:
        forms.append(("quantlib-handle-data", lambda: handle_data(bars, wl.pairs, strategy)))
    for name, fn in forms:
        start = time.perf_counter()
        fn()
        first = time.perf_counter() - start
        _, times, equity = C.timed(fn, repeat)
        rows.append(
            C.make_result(
                name,
                wl,
                wl,
                times,
                equity,
                bars=bars,
                notes="quantlib public API; A-share rules on; spec's flat fee rates",
                compile_s=round(_COMPILE[0], 3),
                first_call_s=round(first, 4),
            )
        )
    return rows


if __name__ == "__main__":
    np.seterr(all="ignore")
    C.main("quantlib", run)
