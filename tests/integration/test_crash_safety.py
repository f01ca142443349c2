"""An update killed half-way leaves the store exactly as before (real processes, real kills)."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from quantlib.data import audit, check_store, open_store, update_store
from quantlib.data.generations import current_generation
from tests.unit.data.test_update import snapshot_files

pytestmark = pytest.mark.slow

# Runs a real update in a child process that dies (os._exit, no cleanup) on its Nth file
# write inside zarr's local store: the moment a writer can vanish mid-generation. With
# N = 0 it completes and prints how many writes the update made.
DYING_WRITER = textwrap.dedent(
    """
    import os, sys
    import zarr.storage._local as local
    from quantlib.data import update_store

    root, die_at, end = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    real_put = local._put
    count = 0

    def put(path, value, exclusive=False):
        global count
        count += 1
        if count == die_at:
            os._exit(9)
        return real_put(path, value, exclusive)

    local._put = put
    update_store(root, "demo", end=end)
    print(count)
    """
)


def _run_child(code: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.fixture(scope="module")
def writes_per_update(demo_store_template, tmp_path_factory):
    """How many zarr file writes the 10-day update below makes (measured, not assumed)."""
    scratch = tmp_path_factory.mktemp("count") / "store"
    shutil.copytree(demo_store_template, scratch)
    end = open_store(scratch).calendar.offset(open_store(scratch).end, 10)
    child = _run_child(DYING_WRITER, str(scratch), "0", str(end))
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()[-2000:]
    return int(out.decode().split()[-1])


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.95])
def test_writer_killed_mid_write_leaves_the_store_unchanged(
    demo_store, writes_per_update, fraction
):
    die_at = max(1, int(writes_per_update * fraction))
    store = open_store(demo_store)
    end = store.calendar.offset(store.end, 10)
    before_files, before_current = snapshot_files(demo_store), current_generation(demo_store)
    before_close = store.bars(fields=["close"])["close"].values

    child = _run_child(DYING_WRITER, str(demo_store), str(die_at), str(end))
    assert child.wait(timeout=120) == 9, child.stderr.read().decode()[-2000:]

    assert current_generation(demo_store) == before_current
    kept = {k: v for k, v in snapshot_files(demo_store).items() if k in before_files}
    assert kept == before_files
    reader = open_store(demo_store)
    assert np.array_equal(
        reader.bars(fields=["close"])["close"].values, before_close, equal_nan=True
    )

    result = update_store(demo_store, "demo", end=end)  # the next writer cleans up and succeeds
    assert result.days_added == 10
    statuses = [u["status"] for u in audit.updates(demo_store)]
    assert statuses[-2:] == ["aborted", "committed"]
    assert "stopped before committing" in audit.updates(demo_store)[-2]["error"]
    assert check_store(demo_store).empty


def test_sigkill_at_any_moment_leaves_either_the_old_or_the_new_store(demo_store):
    store = open_store(demo_store)
    old_end = store.end
    code = (
        "import sys; from quantlib.data import update_store; "
        "update_store(sys.argv[1], 'demo', end=sys.argv[2])"
    )
    target = store.calendar.offset(old_end, 40)
    for delay in (0.3, 0.9, 1.6, 2.5):
        child = _run_child(code, str(demo_store), str(target))
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        reader = open_store(demo_store)
        assert reader.end in (old_end, target)
        assert check_store(demo_store).empty
        if reader.end == target:
            break
    final = update_store(demo_store, "demo", end=target)
    assert open_store(demo_store).end == target
    assert final.op in ("append", "noop")
