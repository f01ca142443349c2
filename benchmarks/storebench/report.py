"""The benchmark's report: per-pattern summary against the targets, markdown, versions."""

from __future__ import annotations

import platform
import subprocess
from typing import Any

import numpy as np

from .measure import PATTERNS, REPO

#: pattern -> (anchor store, target ratio quantlib / anchor), from issue 2.
TARGETS: dict[str, tuple[str, float]] = {
    "full": ("pq_year", 1.0),
    "xsec": ("pq_year", 1.0),
    "rand100": ("qlib_bin", 1.5),
    "symbol": ("adb_inst", 5.0),
    "append": ("qlib_bin", 0.5),
}
DESCRIPTIONS = {
    "full": "full panel, 6 fields as numpy arrays",
    "xsec": "one day's cross-section, all symbols, 6 fields",
    "rand100": "100 random symbols x last 250 days",
    "symbol": "one symbol's full history, 6 fields",
    "append": "append one day, all symbols (median of 3 days)",
}


def fmt(seconds: float | None) -> str:
    """Seconds for the table."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds:.3g}"
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def summarize(rows: list[dict[str, Any]], stores: list[str]) -> list[dict[str, Any]]:
    """Per pattern: every store's median, quantlib's ratio to the named anchor, the verdict."""
    by = {(r["store"], r["pattern"]): r for r in rows}
    summary = []
    for pattern in PATTERNS:
        anchor, target = TARGETS[pattern]
        ql = by.get(("quantlib", pattern), {})
        an = by.get((anchor, pattern), {})
        entry: dict[str, Any] = {
            "pattern": pattern,
            "anchor": anchor,
            "target": target,
            "seconds": {s: by.get((s, pattern), {}).get("seconds") for s in stores},
            "checks": {s: by.get((s, pattern), {}).get("check") for s in stores},
            "errors": {
                s: by[(s, pattern)]["error"]
                for s in stores
                if (s, pattern) in by and "error" in by[(s, pattern)]
            },
            "load": [by[(s, pattern)]["load"][0] for s in stores if (s, pattern) in by],
        }
        q, a = ql.get("seconds"), an.get("seconds")
        ok = ql.get("check") == "ok" and an.get("check") in ("ok",)
        if q is not None and a and ok:
            entry["ratio"] = q / a
            entry["met"] = entry["ratio"] <= target
            extras = ql.get("extras", {})
            if pattern == "append":
                entry["ratio_net"] = extras["net_s"] / a
                entry["met"] = entry["ratio_net"] <= target
            elif "open_handle_s" in extras:
                entry["ratio_open_handle"] = extras["open_handle_s"] / a
        summary.append(entry)
    return summary


def markdown(summary: list[dict[str, Any]], rows: list[dict[str, Any]], stores: list[str]) -> str:
    """The results as a markdown table (plus build rows)."""
    by = {(r["store"], r["pattern"]): r for r in rows}
    head = ["pattern", *stores, "anchor", "quantlib / anchor", "target", "met", "load (1 min)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for entry in summary:
        pattern = entry["pattern"]
        cells = [DESCRIPTIONS[pattern]]
        for store in stores:
            row = by.get((store, pattern), {})
            if "error" in row or (row and row.get("check") != "ok"):
                cells.append(f"failed ({row.get('check')})")
                continue
            text = fmt(row.get("seconds"))
            extras = row.get("extras", {})
            if store == "quantlib" and "open_handle_s" in extras:
                text += f" (handle {fmt(extras['open_handle_s'])})"
            if store == "quantlib" and "net_s" in extras:
                text += f" (net {fmt(extras['net_s'])})"
            cells.append(text)
        ratio = entry.get("ratio")
        if ratio is None:
            ratio_text = "n/a"
        elif "ratio_net" in entry:
            ratio_text = f"{ratio:.2f}x (net {entry['ratio_net']:.2f}x)"
        elif "ratio_open_handle" in entry:
            ratio_text = f"{ratio:.2f}x (handle {entry['ratio_open_handle']:.2f}x)"
        else:
            ratio_text = f"{ratio:.2f}x"
        met = {True: "yes", False: "**no**"}.get(entry.get("met"), "n/a")
        load = entry["load"]
        load_text = f"{min(load):.2f}–{max(load):.2f}" if load else "—"
        cells += [entry["anchor"], ratio_text, f"≤ {entry['target']:g}x", met, load_text]
        lines.append("| " + " | ".join(cells) + " |")
    build = [by.get((s, "build"), {}) for s in stores]
    cells = ["build (info: seconds, MB, files)"]
    for row in build:
        if "seconds" in row:
            cells.append(f"{fmt(row['seconds'])} s, {row['mb']:.0f} MB, {row['files']} files")
        else:
            cells.append(f"failed ({row.get('error', 'not run')})" if row else "—")
    cells += ["", "", "", "", ""]
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def versions() -> dict[str, str]:
    """Versions of what the project-venv stores use, and the code's commit."""
    import pandas
    import pyarrow
    import xarray
    import zarr

    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=False,
        ).stdout.strip()
    except OSError:
        sha = ""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "zarr": zarr.__version__,
        "xarray": xarray.__version__,
        "quantlib_commit": sha,
    }
