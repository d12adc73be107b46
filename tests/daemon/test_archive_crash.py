"""kill -9 a real daemon in the middle of a ledger archive pass, then start it again:
nothing is lost, verification passes at once, and the next pass finishes the job.

Each trial fills a ledger with ops that ended, starts `python -m daemon.cli run` with a
retention that archives all but the newest op a second after start, and lets it SIGKILL
itself at one of the pass's named points (governance/crashpoints.py, LEDGER_POINTS). The
ledger must then verify as it is, with every op readable; a second start (no crash) sweeps
what the kill left and archives; the ledger verifies again and every op reads as before.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from governance.crashpoints import ENV, LEDGER_POINTS
from ledger import Ledger
from ledger.segments import ARCHIVE_DIR
from ledger.verify import report_text, verify_file
from tests.daemon_process import start
from tests.helpers import make_repo, wait_sync
from tests.ledger.test_retention import one_op

pytestmark = pytest.mark.slow

OPS = 6
SEGMENT = "segment-000001.jsonl.gz"
# What each point leaves on disk: the file names in ledger-archive/, and archives rows.
LEFT = {"archive_temp_written": [f".{SEGMENT}.tmp"],
        "archive_file_named": [SEGMENT],
        "archive_rows_deleted": [SEGMENT]}


def _setup(tmp: Path) -> tuple[Path, Path, dict]:
    repo = make_repo(tmp)
    config = tmp / "ouroboros.toml"
    config.write_text('[provider]\nname = "none"\n[daemon]\nshutdown_grace_s = 1.0\n'
                      "[ledger]\nkeep_days = 0\nkeep_ops = 1\narchive_interval_s = 1\n"
                      "segment_min_rows = 1\n")

    async def fill() -> dict:
        ledger = await Ledger.open(repo / ".ouroboros" / "ledger.sqlite3")
        ops = [await one_op(ledger, i) for i in range(OPS)]
        chains = {op: await ledger.chain(op) for op in ops}
        await ledger.close()
        return chains

    return repo, config, asyncio.run(fill())


def _daemon(repo: Path, config: Path, log: Path, crash_at: str) -> subprocess.Popen:
    return start(repo, config, log, {ENV: crash_at})


def _segments(state: Path) -> int:
    try:
        with sqlite3.connect(f"file:{state / 'ledger.sqlite3'}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM archives").fetchone()[0]
    except sqlite3.Error:
        return 0


def _chains(state: Path, ops: list[str]) -> dict:
    async def read() -> dict:
        ledger = await Ledger.open(state / "ledger.sqlite3")
        try:
            return {op: await ledger.chain(op) for op in ops}
        finally:
            await ledger.close()

    return asyncio.run(read())


@pytest.mark.parametrize("point", list(LEDGER_POINTS))
def test_kill_9_mid_archive_then_start_again(point: str, short_tmp: Path):
    repo, config, before = _setup(short_tmp)
    state, log = repo / ".ouroboros", short_tmp / "daemon.log"
    proc = _daemon(repo, config, log, point)
    try:
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    tail = log.read_text(errors="replace")[-3000:]
    assert code == -signal.SIGKILL, f"{point} never reached:\n{tail}"
    assert sorted(p.name for p in (state / ARCHIVE_DIR).iterdir()) == LEFT[point]
    assert _segments(state) == 0  # nothing committed: the rows are all still inline
    report = verify_file(state / "ledger.sqlite3")
    assert report.ok and report.segments == 0, report_text(report)
    assert _chains(state, list(before)) == before

    proc = _daemon(repo, config, log, "")  # the next start, no crash this time
    try:
        wait_sync(lambda: _segments(state) == 1 or proc.poll() is not None, 60,
                  "the next pass", interval=0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert _segments(state) == 1, log.read_text(errors="replace")[-3000:]
    assert sorted(p.name for p in (state / ARCHIVE_DIR).iterdir()) == [SEGMENT]
    report = verify_file(state / "ledger.sqlite3")
    assert report.ok and report.segments == 1, report_text(report)
    assert report.archived["operations"] == OPS - 1
    assert _chains(state, list(before)) == before
