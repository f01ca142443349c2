"""Data-store benchmark (issue 2): quantlib's store against anchor stores, in one run.

Every store gets the same data: the seeded demo market (``DemoSource``), ``--symbols``
stocks x ``--days`` trading days x 6 fields (open, high, low, close, volume, amount).
The stores are

``quantlib``
    the project's store, built and appended through ``update_store``, read through
    ``open_store`` (public API only);
``pq_year``
    Parquet, long form (one row per traded symbol-day), one file per year, zstd,
    sorted by (symbol, date), row groups of 100k rows; an append writes a new file;
``qlib_bin``
    qlib's ``.bin`` format, reimplemented here: ``features/<symbol>/<field>.day.bin``,
    little-endian float32, element 0 = start index into ``calendars/day.txt``; appends
    open each file with ``ab+`` (not atomic);
``adb_inst``
    ArcticDB on LMDB, one ArcticDB symbol per instrument (traded rows); it needs
    pandas < 3, so it runs from its own venv ``benchmarks/.venv-arcticdb``, created on
    demand.

Patterns: ``full`` (the whole panel), ``xsec`` (one day, all symbols), ``rand100``
(100 random symbols x the last 250 days), ``symbol`` (one symbol's whole history) and
``append`` (one new day for all symbols, three successive days, median).

Method (``shared/DATA-NOTES.md`` section 2): each store is built in one fresh subprocess
and measured in another; every read opens the store inside the timed region and gets
one warm-up run, then the median of ``--repeat`` runs (of 3 when that median is above
0.5 s); every read is checked against the source arrays (exactly, NaN-aware; qlib's
float32 with a relative tolerance), outside the timer. The load average is recorded
with every row.

This script is the entry point: options, data preparation, the worker subprocesses and
the report. The stores, the shared measuring code and the report's tables live in the
``storebench`` package beside it.

Usage::

    .venv/bin/python benchmarks/store_bench.py                 # 5000 x 2500, all stores
    .venv/bin/python benchmarks/store_bench.py --quick --stores quantlib,pq_year,qlib_bin
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

# The ``storebench`` package sits beside this script. Python puts the script's folder on
# ``sys.path`` already, except under ``-P`` / ``PYTHONSAFEPATH``; this makes it certain for
# both interpreters (the project venv and the ArcticDB venv).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from storebench.arcticdb_store import arcticdb_python
from storebench.measure import (
    BENCH_DIR,
    FIELDS,
    PATTERNS,
    REPO,
    BenchData,
    build_store,
    load_average,
    measure_store,
)
from storebench.report import markdown, summarize, versions

STORES = ("quantlib", "pq_year", "qlib_bin", "adb_inst")
APPEND_DAYS = 3
WORKER_TIMEOUT = 3 * 3600


# -- worker: one store, one phase, one process ----------------------------------------------
def bench_class(store: str) -> type:
    """A store's bench class, importing only that store's module.

    The ``adb_inst`` worker runs from the ArcticDB venv, where quantlib is not installed,
    so the store modules are imported here, one at a time, not at the top of the script.
    """
    if store == "quantlib":
        from storebench.quantlib_store import QuantlibBench

        return QuantlibBench
    if store == "pq_year":
        from storebench.parquet_store import ParquetYearBench

        return ParquetYearBench
    if store == "qlib_bin":
        from storebench.qlib_store import QlibBinBench

        return QlibBinBench
    if store == "adb_inst":
        from storebench.arcticdb_store import ArcticInstBench

        return ArcticInstBench
    raise ValueError(store)


def worker(store: str, phase: str, work: Path, repeat: int, out: Path) -> None:
    """Build a store, or measure every pattern on it; rows go to ``out`` as JSON lines."""
    data = BenchData(work)
    root = work / "stores" / store
    bench = bench_class(store)(data, root)

    def emit(row: dict[str, Any]) -> None:
        row = {"store": store, "load": load_average(), **row}
        with out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(
            f"  {store:9s} {row['pattern']:8s} {row.get('seconds', float('nan')):9.4f} s "
            f"check={row.get('check', '-')}",
            flush=True,
        )

    if phase == "build":
        emit(build_store(bench, root))
        return
    measure_store(bench, data, repeat, emit)


# -- preparing the data ---------------------------------------------------------------------
def prepare(args: argparse.Namespace, work: Path) -> None:
    """Simulate the demo market and save the arrays every store is built from.

    Always done afresh (about 10 s at full size): the demo market is code, and a cached
    copy would silently diverge from what ``update_store`` builds when that code changes.
    """
    from quantlib.data.sources.demo import DemoSource

    folder = work / "data"
    meta_path = folder / "meta.json"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    start = time.perf_counter()
    source = DemoSource(seed=args.seed, n_symbols=args.symbols, start=args.start, minute_symbols=0)
    calendar = source.calendar
    every = np.asarray(calendar.trading_days(source.start, calendar.last), "datetime64[D]")
    if len(every) < args.days + APPEND_DAYS:
        raise SystemExit(
            f"the demo calendar has {len(every)} days from {source.start}; "
            f"need {args.days + APPEND_DAYS}"
        )
    days, extra = every[: args.days], every[args.days : args.days + APPEND_DAYS]
    instruments = source.instruments()
    listed = instruments[instruments["list_date"] <= np.datetime64(days[-1])]
    symbols = np.sort(listed["symbol"].to_numpy(dtype=object))
    kinds = listed.set_index("symbol").loc[symbols, "kind"].to_numpy()
    panel = source.daily_panel(np.concatenate([days, extra]), symbols)
    for name in FIELDS:
        values = panel.fields[name]
        np.save(folder / f"base_{name}.npy", np.ascontiguousarray(values[: args.days]))
        np.save(folder / f"append_{name}.npy", np.ascontiguousarray(values[args.days :]))
    rng = np.random.default_rng(args.seed)
    close = panel.fields["close"][: args.days]
    stocks = np.flatnonzero(kinds == "stock")
    whole = stocks[np.isfinite(close[0, stocks]) & np.isfinite(close[-1, stocks])]
    n_rand = min(100, max(2, len(stocks) // 4))
    meta = {
        "seed": args.seed,
        "n_symbols": args.symbols,
        "start": str(source.start),
        "days": [str(x) for x in days],
        "append_days": [str(x) for x in extra],
        "symbols": symbols.tolist(),
        "xsec_row": args.days // 2,
        "rand_cols": rng.choice(stocks, size=n_rand, replace=False).tolist(),
        "one_col": int(rng.choice(whole if len(whole) else stocks)),
        "window": min(250, args.days),
        "prepare_s": round(time.perf_counter() - start, 2),
    }
    meta_path.write_text(json.dumps(meta))
    print(
        f"prepared {len(days)} days x {len(symbols)} symbols in {meta['prepare_s']} s", flush=True
    )


# -- the run --------------------------------------------------------------------------------
def run_step(command: list[str], log: Path, timeout: float) -> tuple[int, str]:
    """Run a subprocess, echoing and logging its output; (return code, last lines)."""
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(command)}\n")
        fh.flush()
        try:
            done = subprocess.run(
                command,
                stdout=subprocess.PIPE,
                stderr=fh,
                text=True,
                timeout=timeout,
                cwd=REPO,
            )
        except subprocess.TimeoutExpired:
            return -1, f"timed out after {timeout:.0f} s"
        print(done.stdout, end="", flush=True)
        fh.write(done.stdout)
    if done.returncode != 0:
        lines = log.read_text().strip().splitlines()
        return done.returncode, " | ".join(lines[-3:])
    return 0, ""


def main_run(args: argparse.Namespace) -> int:
    """Prepare the data, build and measure every store in its own subprocesses, report."""
    started = time.perf_counter()
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = sorted(set(stores) - set(STORES))
    if unknown:
        raise SystemExit(f"unknown stores {unknown}; choose from {', '.join(STORES)}")
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    results = work / "results"
    if results.exists():
        shutil.rmtree(results)
    results.mkdir()
    log = work / "run.log"
    log.write_text("")
    print(
        f"store benchmark: {args.symbols} symbols x {args.days} days, stores {stores}", flush=True
    )
    script = str(Path(__file__).resolve())
    common = ["--work-dir", str(work), "--repeat", str(args.repeat)]
    code, why = run_step(
        [
            sys.executable,
            script,
            "--prepare",
            "--symbols",
            str(args.symbols),
            "--days",
            str(args.days),
            "--seed",
            str(args.seed),
            "--start",
            args.start,
            *common,
        ],
        log,
        WORKER_TIMEOUT,
    )
    if code != 0:
        raise SystemExit(f"preparing the data failed: {why}")
    rows: list[dict[str, Any]] = []
    environment: dict[str, str] = {}
    for store in stores:
        python: Path | None = Path(sys.executable)
        if store == "adb_inst":
            python, environment["adb_inst"] = arcticdb_python()
        out = results / f"{store}.jsonl"
        failure = environment.get(store) if python is None else None
        for phase in ("build", "bench"):
            if failure is not None or python is None:
                break
            code, why = run_step(
                [
                    str(python),
                    script,
                    "--worker",
                    store,
                    "--phase",
                    phase,
                    "--out",
                    str(out),
                    *common,
                ],
                log,
                WORKER_TIMEOUT,
            )
            if code != 0:
                failure = f"{phase} failed: {why}"
        got = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
        seen = {r["pattern"] for r in got}
        for pattern in ("build", *PATTERNS):
            if pattern not in seen:
                got.append(
                    {
                        "store": store,
                        "pattern": pattern,
                        "check": "error",
                        "error": failure or "not measured",
                        "load": load_average(),
                    }
                )
        rows += got
    summary = summarize(rows, stores)
    table = markdown(summary, rows, stores)
    data_meta = json.loads((work / "data" / "meta.json").read_text())
    report = {
        "benchmark": "store",
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": [Path(sys.executable).name, *sys.argv],
        "wall_s": round(time.perf_counter() - started, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_at_end": load_average(),
            **versions(),
            **{f"env_{k}": v for k, v in environment.items()},
        },
        "params": {
            "symbols_requested": args.symbols,
            "symbols_in_store": len(data_meta["symbols"]),
            "days": args.days,
            "first_day": data_meta["days"][0],
            "last_day": data_meta["days"][-1],
            "append_days": data_meta["append_days"],
            "xsec_day": data_meta["days"][data_meta["xsec_row"]],
            "one_symbol": data_meta["symbols"][data_meta["one_col"]],
            "rand_symbols": len(data_meta["rand_cols"]),
            "window": data_meta["window"],
            "repeat": args.repeat,
            "seed": args.seed,
        },
        "summary": summary,
        "rows": rows,
        "markdown": table,
    }
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(report, indent=1, default=str) + "\n")
    out_path.with_suffix(".md").write_text(table)
    print()
    print(table)
    print(f"wrote {out_path} ({report['wall_s']} s)")
    failed = [r for r in rows if r["pattern"] != "build" and r.get("check") not in ("ok",)]
    for row in failed:
        print(f"FAILED {row['store']} {row['pattern']}: {row.get('error', row.get('check'))}")
    return 0


@contextmanager
def _quiet_warnings() -> Iterator[None]:
    """Silence library warnings inside a worker (they would only add noise to the log)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (``--prepare`` and ``--worker`` are internal)."""
    today = dt.date.today().isoformat()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbols", type=int, default=5000, help="demo stocks (default 5000)")
    parser.add_argument("--days", type=int, default=2500, help="trading days (default 2500)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per read (default 5)")
    parser.add_argument("--seed", type=int, default=42, help="demo market seed (default 42)")
    parser.add_argument("--start", default="2016-01-04", help="first day (default 2016-01-04)")
    parser.add_argument(
        "--stores", default=",".join(STORES), help=f"comma-separated subset of {','.join(STORES)}"
    )
    parser.add_argument(
        "--work-dir",
        default=str(BENCH_DIR / "_work"),
        help="scratch space for data and stores (default benchmarks/_work)",
    )
    parser.add_argument(
        "--out",
        default=str(BENCH_DIR / "results" / f"store-{today}.json"),
        help="JSON report (a .md table is written beside it)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes (40 symbols x 300 days, 2 repeats) for a smoke test",
    )
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=STORES, help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=("build", "bench"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.symbols, args.days, args.repeat = 40, 300, 2
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point: the orchestrator, or (internally) the data preparation or a worker."""
    args = parse_args(argv)
    work = Path(args.work_dir).resolve()
    if args.prepare:
        prepare(args, work)
        return 0
    if args.worker:
        with _quiet_warnings():
            worker(args.worker, args.phase, work, args.repeat, Path(args.out))
        return 0
    return main_run(args)


if __name__ == "__main__":
    sys.exit(main())
