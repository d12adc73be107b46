"""A daemon's shutdown never waits on in-flight jailed work beyond its bound, and leaves none
of it running. The fresh-clone CI hung here: a suite-profile refresh's bubblewrap PID 1 had
left the group its runner killed (tests/tools/test_jail_escape.py), the runner waited on the
pipe it held, the suite-profile thread waited on the runner, and the shutdown waited on the
thread: past the daemon's 30 s, and the xdist worker hung in teardown."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

import pytest

from daemon.service import Daemon
from daemon.suite_profile import in_low_thread
from governance.git.index_sync import process_alive
from tests.helpers import commit_files, settings_for, wait_for
from tools import jail
from tools.jail import bwrap_available

RETURN_S = 30.0  # the running_daemon fixture's bound on a shutdown
MARK = "hang-started"
# A suite whose one test says it runs (beside itself, in the writable copy of the tree the
# suite profile runs in) and never ends: the run is in flight until it is killed.
SUITE = {
    "calc/__init__.py": "",
    "tests/test_hang.py": "import threading\nfrom pathlib import Path\n\n\n"
                          "def test_hang():\n"
                          f"    (Path(__file__).parent / '{MARK}').touch()\n"
                          "    threading.Event().wait()\n",
}
# bubblewrap, run as its PID 1 is left when a kill of its group lands between its setsid
# and its parent-death signal: in a session of its own, not killed with its parent. The
# escaped process and the real bubblewrap under it say their pids in the log.
WRAPPER = """#!{python}
import os, sys
pid = os.fork()
if pid == 0:
    os.setsid()
    inner = os.fork()
    if inner == 0:
        os.execv({real!r}, [{real!r}, *sys.argv[1:]])
    with open({log!r}, "a") as f:
        f.write(f"{{os.getpid()}} {{inner}}\\n")
    code = os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1])
    os._exit(code if code >= 0 else 128 - code)
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
sys.exit(code if code >= 0 else 128 - code)
"""


async def test_a_cancelled_low_thread_run_returns_within_its_bound_though_the_run_holds_on():
    loop = asyncio.get_running_loop()
    began, release = asyncio.Event(), threading.Event()

    async def stubborn() -> None:
        loop.call_soon_threadsafe(began.set)
        try:
            await asyncio.Event().wait()
        finally:  # a run its kill does not end: it holds on past its cancellation
            await asyncio.to_thread(release.wait)

    task = asyncio.create_task(in_low_thread(stubborn, stop_s=0.5))
    try:
        await began.wait()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=RETURN_S)
        assert done and task.cancelled(), "the cancelled caller waited on its thread unbounded"
    finally:
        release.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap unusable here")
async def test_a_daemon_stopped_mid_suite_profile_run_stops_in_bound_and_leaves_no_bwrap(
        tmp_path: Path, short_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = short_tmp / "escaped.log"
    wrapper = short_tmp / "bwrap"
    wrapper.write_text(WRAPPER.format(python=sys.executable, real=shutil.which("bwrap"),
                                      log=str(log)))
    wrapper.chmod(0o755)
    monkeypatch.setattr(jail, "BWRAP", str(wrapper))
    repo = commit_files(tmp_path / "repo", SUITE)
    settings = settings_for(None, proof={"profile_timeout_s": 600.0, "profile_poll_s": 0.05})
    daemon, stop = Daemon(repo, settings), asyncio.Event()
    serving = asyncio.create_task(daemon.serve(stop))
    escaped: list[int] = []
    try:
        await wait_for(lambda: any(daemon.state_dir.rglob(MARK)), 120.0,
                       "the suite profile's run, jailed, in its test")
        escaped = [int(pid) for pid in log.read_text().split()]
        assert all(process_alive(pid) for pid in escaped[-2:]), "the hanging run never escaped"
        stop.set()
        done, _ = await asyncio.wait({serving}, timeout=RETURN_S)
        assert done, "the shutdown waited on the suite profile's jailed run"
        serving.result()
        left = [pid for pid in escaped if process_alive(pid)]
        assert not left, f"the run's escaped processes outlived the shutdown: {left}"
    finally:
        for pid in escaped:  # never leave them behind, fix or not
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        stop.set()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(serving, RETURN_S)
