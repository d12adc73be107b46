"""A full or read-only state dir, for real: a small tmpfs holds the state dir, a file fills
it to the brim, and is removed again (daemon.host.state_gate).

New ops wait while it is full and `status` says why; an op whose ledger rows could not be
written is closed once there is room (and its work offered again); everything resumes by
itself. Mounting needs root (CI runs as root); elsewhere the tests are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.status.text import status_text
from ledger.store import TERMINAL_PHASES
from ledger.verify import report_text, verify_file
from tests.helpers import (
    FIX_TODO_EDIT,
    add_todo_and_commit,
    explore_turn,
    running_daemon,
    script_turn,
    settings_for,
    terminal_ops,
    wait_for,
    wait_terminal,
    write_script,
)

pytestmark = pytest.mark.slow

SIZE_MB = 16  # room for the ledger's WAL of a few ops (it is checkpointed at ~16 MB)
LIMITS = {"min_free_mb": 1, "resume_free_mb": 2, "poll_s": 0.2}


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def small_fs(short_tmp: Path) -> Iterator[Path]:
    """A SIZE_MB tmpfs of its own (skipped where mounting is not permitted)."""
    where = short_tmp / "fs"
    where.mkdir()
    done = _mount("-t", "tmpfs", "-o", f"size={SIZE_MB}m,mode=0700", "tmpfs", str(where))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(where: Path) -> Path:
    """A file that takes every byte left (the last write fails with ENOSPC)."""
    path = where / f"filler-{uuid.uuid4().hex[:8]}"
    chunk = b"\xa5" * (256 * 1024)
    with open(path, "wb", buffering=0) as f:
        for size in (len(chunk), 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    f.write(chunk[:size])
    with pytest.raises(OSError) as full, open(where / "one-more", "wb") as f:
        f.write(b"x" * 8192)
        f.flush()
    assert full.value.errno == errno.ENOSPC
    (where / "one-more").unlink(missing_ok=True)
    return path


def _settings(script: Path, state: Path, **more: dict):
    return settings_for(script, daemon={"state_dir": str(state)}, storage=LIMITS, **more)


def _todo_turns() -> list[str]:
    return [explore_turn(), script_turn(FIX_TODO_EDIT), script_turn("Clamped x; removed it.")]


async def test_a_full_state_dir_pauses_new_ops_and_resumes_by_itself(repo: Path, short_tmp,
                                                                      small_fs: Path):
    script = write_script(short_tmp / "script.jsonl", *_todo_turns())
    async with running_daemon(repo, _settings(script, small_fs / "state")) as daemon:
        filler = fill(small_fs)
        await wait_for(lambda: daemon.storage.waiting, what="the gate to close")
        status = await daemon.status()
        assert status.state == "DEGRADED" or status.state == "ACTIVE"
        assert status.storage is not None and status.storage.waiting
        reason = status.storage.reason  # the mark that closed it, then the one that opens
        assert reason.startswith("state dir full: 0.0 MB free, "), reason
        assert "needs 1 MB" in reason or "resumes at 2 MB" in reason, reason
        assert reason.endswith(f"({small_fs / 'state'})"), reason
        text = status_text(status)
        assert "dispatch: waiting for room in the state dir" in text
        assert "storage:  new ops wait since " in text and "state dir full" in text

        add_todo_and_commit(repo)  # the sensor fires; its WAL row may not even be written
        await asyncio.sleep(2.0)
        assert not daemon.ops and await terminal_ops(daemon) == []

        filler.unlink()  # room again: the gate opens, the TODO is found, the op lands
        [op] = await wait_terminal(daemon, timeout=90)
        assert op["phase"] == "COMPLETE", op
        assert not daemon.storage.waiting and (await daemon.status()).storage.reason == ""
        assert daemon.ledger is not None
        path = daemon.ledger.path
    report = verify_file(path)
    assert report.ok, report_text(report)


async def test_an_op_whose_rows_could_not_be_written_is_closed_and_its_work_lands(
        repo: Path, short_tmp, small_fs: Path):
    """The disk fills while an op waits in its notify window: its next ledger row fails,
    the op is gone with no terminal row. Once there is room it is closed POSTMORTEM (one
    terminal row) and its work runs again, to a commit."""
    script = write_script(short_tmp / "script.jsonl", *_todo_turns(), *_todo_turns())
    settings = _settings(script, small_fs / "state",
                         governance={"notify_globs": ["calc/*"], "notify_apply_delay_s": 2})
    async with running_daemon(repo, settings) as daemon:
        add_todo_and_commit(repo)
        await wait_for(lambda: any(h.phase.value == "APPROVE" for h in daemon.ops.values()),
                       what="the op in its notify window")
        [first] = list(daemon.ops)
        filler = fill(small_fs)
        await wait_for(lambda: not daemon.ops, what="the op to end as it can")
        assert daemon.storage.waiting
        assert daemon.ledger is not None
        cut = await daemon.ledger.chain(first)
        assert cut["transitions"][-1]["to_phase"] not in TERMINAL_PHASES, cut["transitions"]

        filler.unlink()
        ops = await wait_terminal(daemon, count=2, timeout=120)
        closed = await daemon.ledger.chain(first)
        path = daemon.ledger.path
    ends = [t for t in closed["transitions"] if t["to_phase"] in TERMINAL_PHASES]
    assert [t["to_phase"] for t in ends] == ["POSTMORTEM"], closed["transitions"]
    # Filling 16 MB can outlast the 2 s window on a loaded box: the op is then cut in APPLY
    # before its snapshot, or in VERIFY (its jailed run found no room, it rolled its files
    # back itself and its terminal row could not be written: no snapshot is left pending),
    # and is closed the same way.
    assert ends[0]["reason"].startswith(tuple(
        f"the state dir had no room during {phase}"
        for phase in ("APPROVE", "APPLY", "VERIFY"))), ends
    again = next(o for o in ops if o["op_id"] != first)
    assert again["phase"] == "COMPLETE", ops
    assert "return max(lo, min(x, hi))" in (repo / "calc" / "ops.py").read_text()
    report = verify_file(path)
    assert report.ok, report_text(report)


async def test_a_read_only_state_dir_pauses_new_ops_until_it_is_writable(repo: Path, short_tmp,
                                                                        small_fs: Path):
    """A read-only bind mount laid over the state dir (a remount of the whole file system
    is refused while the ledger is open for writing): new files there fail with EROFS."""
    script = write_script(short_tmp / "script.jsonl", *_todo_turns())
    state = small_fs / "state"
    async with running_daemon(repo, _settings(script, state)) as daemon:
        assert _mount("--bind", str(state), str(state)).returncode == 0
        try:
            assert _mount("-o", "remount,bind,ro", str(state)).returncode == 0
            await wait_for(lambda: daemon.storage.waiting, what="the gate to close")
            assert daemon.storage.reason == f"state dir is read-only ({state})"
            add_todo_and_commit(repo)
            await asyncio.sleep(1.0)
            assert not daemon.ops
        finally:
            subprocess.run(["umount", "-l", str(state)], capture_output=True, check=True)
        [op] = await wait_terminal(daemon, timeout=90)
        assert op["phase"] == "COMPLETE", op
        assert not daemon.storage.waiting
