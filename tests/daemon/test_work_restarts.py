"""No work done twice across restarts, with a real daemon restarted on a real repo: a TODO
whose change waits for review is not proposed again at the next starts, and a TODO whose op
failed is not tried again by the same brain on the same code: after a refused answer, until
the code changes (no timer: issue 51 item 4), otherwise until its backoff passes; `status`
says what is held back, and until when."""

from __future__ import annotations

import asyncio
import errno
from pathlib import Path

import pytest

from daemon.status.text import status_text
from governance.phases.orchestrator import Orchestrator
from ledger import Ledger
from sensors.queue import IntakeQueue
from tests.helpers import (
    FIX_TODO_EDIT,
    OPS_BROKEN,
    OPS_FIXED,
    add_todo_and_commit,
    candidate_turn,
    explore_turn,
    git,
    running_daemon,
    script_turn,
    settings_for,
    terminal_ops,
    wait_terminal,
    write_script,
)

pytestmark = pytest.mark.slow


def _branches(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:short)",
               "refs/heads/ouroboros/").split()


async def _restart_and_scan(repo: Path, settings) -> tuple[list[dict], str]:
    """One more start: the start-up scan runs (and again here, awaited), nothing new runs."""
    async with running_daemon(repo, settings) as daemon:
        found = await daemon.scan("todo")
        assert found.get("todo", 0) >= 1, found  # the TODO is still there to be found
        assert not daemon.ops and len(daemon.queue) == 0
        ops = await terminal_ops(daemon)
        text = status_text(await daemon.status())
    return ops, text


async def test_a_waiting_review_is_proposed_once_across_three_starts(repo, short_tmp):
    add_todo_and_commit(repo)  # found by the start-up scan, not by a file event
    turns = [explore_turn(), candidate_turn("calc/ops.py", OPS_FIXED)] * 3
    settings = settings_for(write_script(short_tmp / "s.jsonl", *turns),
                            governance={"approval_globs": ["calc/ops.py"]})
    async with running_daemon(repo, settings) as daemon:
        [op] = await wait_terminal(daemon)
    assert op["phase"] == "PROPOSED" and _branches(repo) == [f"ouroboros/{op['op_id']}"]
    for _ in range(2):
        ops, _ = await _restart_and_scan(repo, settings)
        assert [o["op_id"] for o in ops] == [op["op_id"]]
    assert _branches(repo) == [f"ouroboros/{op['op_id']}"]


async def test_failed_work_is_not_retried_after_a_restart_until_the_code_changes(
        repo, short_tmp):
    add_todo_and_commit(repo)
    broken = OPS_BROKEN.replace("def clamp(x, lo, hi):\n",
                                "def clamp(x, lo, hi):\n    # TODO: clamp x into [lo, hi]\n")
    turn = candidate_turn("calc/ops.py", broken)
    script = write_script(short_tmp / "s.jsonl", *[explore_turn(), turn] * 3, turn, turn)
    settings = settings_for(script)
    async with running_daemon(repo, settings) as daemon:
        [op] = await wait_terminal(daemon)
    assert op["phase"] == "POSTMORTEM"
    ops, text = await _restart_and_scan(repo, settings)
    assert [o["op_id"] for o in ops] == [op["op_id"]]  # not tried again
    # its brain answered and the answer was refused: held with no timer, until a change
    assert "held back: 1" in text and "todo_scanner refused: " in text, text
    assert "until" not in text.split("held back: 1", 1)[1].split("\n")[1], text
    # The human changes the code: the same TODO is worth a new attempt at once.
    tidy = ('"""Small arithmetic helpers."""', '"""Small arithmetic helpers, tidied."""')
    ops_py = repo / "calc" / "ops.py"
    ops_py.write_text(ops_py.read_text().replace(*tidy))
    git(repo, "commit", "-q", "-am", "tidy the docstring")
    # The same brain and settings (the script's path is unchanged), now with a right answer.
    write_script(script, explore_turn(), candidate_turn("calc/ops.py",
                                                        OPS_FIXED.replace(*tidy)))
    async with running_daemon(repo, settings) as daemon:
        done = await wait_terminal(daemon, count=2)
    assert sorted(o["phase"] for o in done) == ["COMPLETE", "POSTMORTEM"]


async def test_an_op_cut_by_a_refused_write_leaves_no_work_record(repo, short_tmp, monkeypatch):
    """The order a loaded full suite found: an op's write fails for want of room and the op
    is gone before the state-dir gate has looked (not waiting yet). Its rows could not be
    written, which says nothing about its work: no failure is remembered, nothing held back
    (else the work waited out a backoff once room came back)."""
    cut: list = []
    finished = asyncio.Event()

    async def refused(self, ctx, cancel):
        cut.append(ctx.envelope)
        raise OSError(errno.ENOSPC, "No space left on device")

    real_finished = IntakeQueue.finished

    async def noted(self, *args, **kwargs):
        await real_finished(self, *args, **kwargs)
        finished.set()

    monkeypatch.setattr(Orchestrator, "run", refused)
    monkeypatch.setattr(IntakeQueue, "finished", noted)
    add_todo_and_commit(repo)
    settings = settings_for(write_script(short_tmp / "s.jsonl", explore_turn()))
    async with running_daemon(repo, settings) as daemon:
        await asyncio.wait_for(finished.wait(), 60)
        assert not daemon.storage.waiting  # the gate had not looked: the exception said it
        assert daemon.queue is not None
        assert await daemon.queue.work.held_back(cut[0]) is None
        assert daemon.queue.work.snapshot() == []


async def test_a_dispatch_whose_wal_row_is_refused_leaves_the_work_queued(repo, short_tmp,
                                                                         monkeypatch):
    """A short soak's find: the state dir filled as the dispatcher wrote an envelope's
    'dispatched' row; the error went up the dispatch loop and the daemon stopped (exit 1),
    its ops never closed. Now the envelope stays queued, the dispatcher waits for the
    state-dir gate's next look, and the work runs once the row can be written."""
    real = Ledger.wal_append
    refused: list[str] = []

    async def full_once(self, event, **kw):
        if event == "dispatched" and not refused:
            refused.append(kw["dedup_key"])
            raise OSError(errno.ENOSPC, "No space left on device")
        return await real(self, event, **kw)

    monkeypatch.setattr(Ledger, "wal_append", full_once)
    add_todo_and_commit(repo)
    script = write_script(short_tmp / "s.jsonl", explore_turn(), script_turn(FIX_TODO_EDIT),
                          script_turn("Clamped x; removed the TODO."))
    settings = settings_for(script, storage={"poll_s": 0.2})
    async with running_daemon(repo, settings) as daemon:
        [op] = await wait_terminal(daemon, timeout=120)
    assert refused, "the refusal never happened: nothing was tested"
    assert op["phase"] == "COMPLETE", op
