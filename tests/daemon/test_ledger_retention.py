"""A real op, archived: `ouroboros ledger OP`, `ledger --verify` and `verify COMMIT` say
what they said before the op's rows left the database (ledger.retention), and the daemon's
background pass (daemon.ledger_archiver) runs off the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.cli import main as cli_main
from daemon.ledger_archiver import archive_once
from ledger import Ledger
from ledger.retention import Retention
from ledger.segments import ARCHIVE_DIR
from tests.helpers import run_todo, settings_for, todo_script
from tests.ledger.test_retention import one_op

pytestmark = pytest.mark.slow

LATER = datetime.now(UTC) + timedelta(days=400)


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = cli_main(list(argv))
    return code, capsys.readouterr().out


async def test_an_archived_op_still_reads_and_verifies(repo: Path, short_tmp: Path, capsys):
    run = await run_todo(repo, settings_for(todo_script(short_tmp / "script.jsonl")))
    assert run.op["phase"] == "COMPLETE", run.op
    op, state = run.op["op_id"], repo / ".ouroboros"
    capsys.readouterr()  # the daemon's log lines
    shown = await asyncio.to_thread(_cli, capsys, "ledger", op, "--repo", str(repo))
    as_json = await asyncio.to_thread(_cli, capsys, "ledger", op, "--json", "--repo", str(repo))

    ledger = await Ledger.open(state / "ledger.sqlite3")
    try:
        await one_op(ledger, 1)  # a later op: each table's head is not the TODO op's
        threads: set[str] = set()
        with ThreadPoolExecutor(1, initializer=lambda: threads.add(
                threading.current_thread().name)) as pool:
            number = await archive_once(ledger, Retention(30, 1, 1), pool, now=LATER,
                                        crash=lambda _: None)
        assert number == 1 and threads and threading.current_thread().name not in threads
    finally:
        await ledger.close()
    with sqlite3.connect(state / "ledger.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM operations WHERE op_id = ?", (op,)
                          ).fetchone() == (0,)
    assert (state / ARCHIVE_DIR / "segment-000001.jsonl.gz").is_file()
    capsys.readouterr()  # the pass's log line

    # Everything as before: the chain read from the segment, the commit's checks.
    assert await asyncio.to_thread(_cli, capsys, "ledger", op, "--repo", str(repo)) == shown
    assert await asyncio.to_thread(_cli, capsys, "ledger", op, "--json", "--repo",
                                   str(repo)) == as_json
    code, out = await asyncio.to_thread(_cli, capsys, "verify", "HEAD", "--repo", str(repo))
    assert code == 0 and out.rstrip().endswith("VERIFIED"), out
    assert f"{op} is COMPLETE with this commit" in out
    assert "every ledger row up to the commit is as it was" in out  # anchored rows archived
    code, out = await asyncio.to_thread(_cli, capsys, "ledger", "--verify", "--repo",
                                        str(repo))
    assert code == 0 and "1 archive segment(s)" in out and "VERIFIED" in out, out


async def test_a_tampered_archive_fails_verify_commit(repo: Path, short_tmp: Path, capsys):
    run = await run_todo(repo, settings_for(todo_script(short_tmp / "script.jsonl")))
    state = repo / ".ouroboros"
    ledger = await Ledger.open(state / "ledger.sqlite3")
    await one_op(ledger, 1)
    with ThreadPoolExecutor(1) as pool:
        await archive_once(ledger, Retention(30, 1, 1), pool, now=LATER, crash=lambda _: None)
    await ledger.close()
    capsys.readouterr()
    segment = state / ARCHIVE_DIR / "segment-000001.jsonl.gz"
    segment.write_bytes(segment.read_bytes() + b"\0")
    code, out = await asyncio.to_thread(_cli, capsys, "verify", "HEAD", "--repo", str(repo))
    assert code == 1 and "NOT VERIFIED" in out, out
    assert "segment file segment-000001.jsonl.gz was altered" in out
    assert "FAIL op:" in out and run.op["op_id"] in out
    code, out = await asyncio.to_thread(_cli, capsys, "ledger", "--verify", "--repo",
                                        str(repo))
    assert code == 1 and "was altered" in out, out
