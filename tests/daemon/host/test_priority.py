"""daemon.host.priority: the terminal run takes the unit's CPU and I/O priority, on every thread,
only ever lowering it. Run in child processes: a lowered nice value cannot be raised back,
and the test process must keep its own."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.control.client import ControlClient
from daemon.host.priority import (
    IDLE_NICE,
    IO_CLASS_BEST_EFFORT,
    IO_LEVEL,
    IOPRIO_SYSCALLS,
    NICE,
)
from tests.daemon.test_systemd_unit import UNIT, directives, one
from tests.helpers import wait_sync

ROOT = Path(__file__).resolve().parents[3]
needs_ioprio = pytest.mark.skipif(platform.machine() not in IOPRIO_SYSCALLS,
                                  reason=f"no ioprio syscall numbers for {platform.machine()}")

# A thread started before lower() and one after; then every thread's nice and I/O priority.
REPORT = """
import json, os, threading
from daemon.host.priority import io_priority, lower, threads
{before}
stop = threading.Event()
early = threading.Thread(target=stop.wait); early.start()
problems = lower({call})
late = threading.Thread(target=stop.wait); late.start()
tids = threads()
print(json.dumps({{"problems": problems, "tids": tids,
                  "nice": [os.getpriority(os.PRIO_PROCESS, t) for t in tids],
                  "io": [list(io_priority(t)) for t in tids]}}))
stop.set(); early.join(); late.join()
"""


def _report(before: str = "", call: str = "") -> dict:
    out = subprocess.run([sys.executable, "-c", REPORT.format(before=before, call=call)],
                         cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


@pytest.mark.slow
@needs_ioprio
def test_every_thread_is_lowered_and_a_new_one_inherits_it():
    r = _report()
    assert r["problems"] == [] and len(r["tids"]) == 3  # main, early, late
    assert r["nice"] == [NICE] * 3
    assert r["io"] == [[IO_CLASS_BEST_EFFORT, IO_LEVEL]] * 3


@pytest.mark.slow
@needs_ioprio
def test_the_bound_s_op_takes_idle_priority_on_every_thread():
    """daemon.host.overdue's op: nice 19, inherited as before; the I/O stays best-effort 7
    (the idle class would starve the ledger's writes)."""
    r = _report("os.nice(10)", call="idle=True")
    assert r["problems"] == [] and len(r["tids"]) == 3
    assert r["nice"] == [IDLE_NICE] * 3 and r["io"] == [[IO_CLASS_BEST_EFFORT, IO_LEVEL]] * 3


@pytest.mark.slow
@needs_ioprio
def test_a_lower_priority_already_set_is_kept():
    """`nice -n 15` and `ionice -c 3` before the run: both stay."""
    r = _report("os.nice(15)\nfrom daemon.host.priority import _syscall, IOPRIO_SYSCALLS\n"
                "import platform\n"
                "_syscall(IOPRIO_SYSCALLS[platform.machine()][0], 1, 0, 3 << 13)")
    assert r["problems"] == []
    assert r["nice"] == [15] * 3 and r["io"] == [[3, 0]] * 3


def test_the_unit_sets_the_same_levels():
    unit = directives(UNIT.read_text())
    assert int(one(unit, "Nice")) == NICE
    assert one(unit, "IOSchedulingClass") == "best-effort"
    assert int(one(unit, "IOSchedulingPriority")) == IO_LEVEL
    assert int(one(unit, "CPUWeight")) < 100 and int(one(unit, "IOWeight")) < 100


def _ready(client: ControlClient) -> bool:
    try:
        return client.request("status")["data"]["state"] in ("ACTIVE", "DEGRADED")
    except Exception:
        return False


def _nice_of_every_thread(pid: int) -> set[int]:
    nice = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        stat = (task / "stat").read_text()
        nice.add(int(stat[stat.rindex(")") + 2:].split()[16]))  # field 19: nice
    return nice


@pytest.mark.slow
def test_ouroboros_run_in_a_terminal_runs_at_the_unit_s_nice(repo):
    (repo / "ouroboros.toml").write_text('[provider]\nname = "none"\n')
    env = {**os.environ, "OUROBOROS_HEALTH__LOWER_PRIORITY": "true"}  # the conftest's off
    sock = repo / ".ouroboros" / "control.sock"
    proc = subprocess.Popen([sys.executable, "-m", "daemon.cli", "run", "--repo", str(repo)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_sync(lambda: _ready(ControlClient(sock)), what="the daemon ready")
        assert _nice_of_every_thread(proc.pid) == {NICE}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
