"""The quantlib command line, run as a real process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

QUANTLIB = str(Path(sys.executable).with_name("quantlib"))


def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUANTLIB_LANG": lang}
    return subprocess.run([QUANTLIB, *args], capture_output=True, text=True, env=env, timeout=300)


def test_help_lists_the_commands_in_english_and_chinese():
    english = run("--help")
    assert english.returncode == 0 and "data" in english.stdout and "symbol" in english.stdout
    chinese = run("data", "--help", lang="zh")
    assert chinese.returncode == 0 and "行情数据仓库" in chinese.stdout


def test_demo_info_log_check_and_update_round_trip(tmp_path):
    store = tmp_path / "store"
    built = run(
        "data",
        "demo",
        "--store",
        str(store),
        "--symbols",
        "40",
        "--days",
        "60",
        "--minute-symbols",
        "2",
        "--minute-days",
        "2",
    )
    assert built.returncode == 0, built.stderr
    assert "60 trading days" in built.stdout
    info = json.loads(run("data", "info", "--store", str(store), "--json").stdout)
    assert info["daily"]["days"] == 60 and info["minute"]["symbols"] == 2
    assert run("data", "check", "--store", str(store)).returncode == 0
    updated = run(
        "data", "update", "--store", str(store), "--source", "demo", "--end", "2018-04-13", "--json"
    )
    assert updated.returncode == 0, updated.stderr
    assert json.loads(updated.stdout)["op"] == "append"
    again = run("data", "update", "--store", str(store), "--source", "demo", "--end", "2018-04-13")
    assert again.returncode == 0 and "up to date" in again.stdout
    log = run("data", "log", "--store", str(store), "--json")
    statuses = [row["status"] for row in json.loads(log.stdout)]
    assert statuses == ["committed", "committed", "skipped"]
    table = run("data", "log", "--store", str(store))
    assert "rebuild" in table.stdout and "append" in table.stdout


def test_check_exits_1_with_findings_and_2_on_error(demo_store):
    from quantlib.data.generations import current_generation

    generation = demo_store / "gens" / current_generation(demo_store)
    chunk = next(
        p
        for p in (generation / "daily.zarr" / "high").rglob("*")
        if p.is_file() and p.name != "zarr.json"
    )
    chunk.unlink()
    chunk.write_bytes(b"broken")
    findings = run("data", "check", "--store", str(demo_store), "--json")
    assert findings.returncode == 1
    assert {row["check"] for row in json.loads(findings.stdout)} == {"unreadable"}
    missing = run("data", "check", "--store", str(demo_store / "nope"))
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and missing.stderr.startswith("error: ")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("data", "update", "--store", "{store}", "--source", "nosuch"), "unknown data source"),
        (
            ("data", "update", "--store", "{store}", "--source", "demo", "--end", "2024-13-01"),
            "2024-13-01",
        ),
        (
            ("data", "update", "--store", "{store}", "--source", "demo", "--option", "seed"),
            "KEY=VALUE",
        ),
        (("data", "demo", "--store", "{store}", "--symbols", "0"), "n_symbols"),
        (("data", "info", "--store", "{tmp}"), "not a quantlib data store"),
        (("symbol", "12345"), "not a security code"),
    ],
)
def test_bad_input_exits_2_with_a_one_line_reason(tmp_path, args, fragment):
    (tmp_path / "junk.txt").write_text("x")
    filled = [a.format(store=tmp_path / "store", tmp=tmp_path) for a in args]
    result = run(*filled)
    assert result.returncode == 2, result.stdout + result.stderr
    assert fragment in result.stderr


def test_errors_read_in_chinese_when_asked(tmp_path):
    result = run("data", "info", "--store", str(tmp_path / "missing"), lang="zh")
    assert result.returncode == 2 and result.stderr.startswith("错误: ")


def test_symbol_conversion():
    result = run("symbol", "600000.XSHG", "sz000001", "830799", "--to", "jqdata")
    assert result.returncode == 0
    lines = result.stdout.split("\n")
    assert "600000.XSHG\t600000.XSHG" in lines[0] and "000001.XSHE" in lines[1]
    assert "920799.BJ" in lines[2]


def test_sources_lists_every_vendor():
    names = {line.split()[0] for line in run("data", "sources").stdout.splitlines()}
    assert {"demo", "tushare", "jqdata", "akshare", "baostock", "xtdata", "wind"} <= names
