"""A real `ouroboros run` in a subprocess, for the tests and benches that kill it: start it
in its own process group (so a kill can take its git and jailed children too), wait until
it is ready, kill or stop it, and read its ledger read-only meanwhile.

tests/daemon/test_crash.py and test_archive_crash.py (kill -9 at crash points) and
bench/soak.py (kills, stops and a full disk over hours) share these.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from ledger.store import TERMINAL_PHASES
from tests.helpers import wait_sync

# The daemon's log line once start-up (recovery included) is done and it serves.
READY = re.compile(rb'"to": "(ACTIVE|DEGRADED)"')
WATCHING = b'"watching"'  # the file watcher is in place, a moment after READY


def start(repo: Path, config: Path, log: Path,
          env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """`python -m daemon.cli run` on `repo`, its output appended to `log`, in a session and
    process group of its own."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "daemon.cli", "run", "--repo",
                                 str(repo), "--config", str(config)],
                                env={**os.environ, **(env or {})}, stdout=out, stderr=out,
                                start_new_session=True)


def wait_ready(proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> float:
    """Seconds from now until the daemon logs READY and then WATCHING; AssertionError
    with the log's tail if it exits first."""
    began = time.monotonic()
    for mark in (READY, re.compile(re.escape(WATCHING))):
        wait_sync(lambda m=mark: m.search(log.read_bytes()) or proc.poll() is not None,
                  timeout, "the daemon to start", interval=0.02)
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
    return time.monotonic() - began


def kill(proc: subprocess.Popen, group: bool = True) -> int:
    """SIGKILL the daemon (with its process group: git and jailed children too), reaped."""
    if proc.poll() is None:
        (os.killpg if group else os.kill)(proc.pid, signal.SIGKILL)
    return proc.wait(timeout=30)


def terminate(proc: subprocess.Popen, timeout: float = 60.0) -> int:
    """SIGTERM, as systemd stops it: ops in flight get their grace, then it exits."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return kill(proc)


def ledger_ro(state: Path) -> sqlite3.Connection:
    """The ledger, read-only (never creates it before the daemon does)."""
    return sqlite3.connect(f"file:{state / 'ledger.sqlite3'}?mode=ro", uri=True, timeout=5)


def terminal_rows(state: Path) -> dict[str, list[str]]:
    """op id -> the terminal phases its transitions record (one, once it has ended)."""
    marks = ",".join("?" * len(TERMINAL_PHASES))
    with ledger_ro(state) as db:
        db.execute("BEGIN")  # one snapshot of both tables
        found: dict[str, list[str]] = {r[0]: [] for r in db.execute(
            "SELECT op_id FROM operations")}
        for op_id, phase in db.execute(f"SELECT op_id, to_phase FROM transitions WHERE "
                                       f"to_phase IN ({marks}) ORDER BY rowid",
                                       TERMINAL_PHASES):
            found.setdefault(op_id, []).append(phase)
    return found
