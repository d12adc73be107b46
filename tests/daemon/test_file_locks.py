"""File locks in the running daemon (issue 20 §5): an op that outlives `file_lock_ttl_s`
keeps its files (the TTL here is a millisecond, so every lock is past it), a second signal
for them waits until the op ends; an op whose task ended without releasing its files has
them force-released, with the ledger's note, and what waited runs."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from daemon.service import Daemon
from daemon.status.text import status_text
from governance.schemas import SignalEnvelope
from tests.helpers import OPS_FIXED, running_daemon, settings_for, wait_for, write_script

TTL_S = 0.001


def _envelope(key: str) -> SignalEnvelope:
    return SignalEnvelope(source="todo_scanner", target_files=("calc/ops.py",),
                          goal=f"fix calc/ops.py ({key})", dedup_key=key, session_id="s-test")


def _settings(short_tmp: Path):
    slow = json.dumps({"purpose": "generate", "delay_s": 120, "text": json.dumps(
        {"file_path": "calc/ops.py", "full_content": OPS_FIXED})})
    script = write_script(short_tmp / "slow.jsonl", slow, slow)
    return settings_for(script, daemon={"workers": 2},
                        intake={"todo_scanner": False, "file_lock_ttl_s": TTL_S})


def _running(daemon: Daemon, key: str) -> list[str]:
    return [op_id for op_id, h in daemon.ops.items()
            if h.ctx.envelope.dedup_key == key and h.phase.value == "GENERATE"]


async def _past_ttl(daemon: Daemon, key: str, started: float) -> None:
    """Wait until the op dispatched for `key` at `started` is older than the TTL, and check
    that its lock stands."""
    router = daemon.queue.router
    await wait_for(lambda: router.clock() - started > TTL_S, what="an op past the TTL")
    lock = router.locks.get("calc/ops.py")
    assert lock is not None and lock.owner == key, f"{key}'s lock was released: {lock}"


def _intake_notes(daemon: Daemon) -> list[tuple[str, str]]:
    """The router's ledger notes (read once the daemon has closed its ledger)."""
    with contextlib.closing(sqlite3.connect(daemon.state_dir / "ledger.sqlite3")) as db:
        return db.execute("SELECT msg, data FROM thoughts WHERE phase = 'INTAKE'").fetchall()


def _record_pops(daemon: Daemon) -> list[tuple[bool, SignalEnvelope | None]]:
    """Every pop_ready from now on: (whether the second signal was in by then, its result)."""
    queue, pops = daemon.queue, []
    real = queue.pop_ready

    async def recording() -> SignalEnvelope | None:
        after = queue.router.known("second")
        env = await real()
        pops.append((after, env))
        return env

    queue.pop_ready = recording
    return pops


@pytest.mark.slow
async def test_a_live_op_past_the_ttl_keeps_its_files_and_a_second_signal_waits(
        repo, short_tmp):
    async with running_daemon(repo, _settings(short_tmp)) as daemon:
        await daemon.submit(_envelope("first"))
        [op_id] = await wait_for(lambda: _running(daemon, "first"), what="first in GENERATE")
        await _past_ttl(daemon, "first", daemon.ops[op_id].started)
        pops = _record_pops(daemon)
        await daemon.submit(_envelope("second"))  # a free worker: only the lock holds it
        await wait_for(lambda: any(after for after, _ in pops), what="a dispatch attempt")
        assert [env for after, env in pops if after] == [None]
        assert [h.ctx.envelope.dedup_key for h in daemon.ops.values()] == ["first"]
        assert [e.get("waiting_for") for e in daemon.queue.snapshot()] == ["first"]
        # status shows it too: with nothing queued the IntakeQueue is empty (len 0), and a
        # truthiness test once hid the envelope waiting behind the lock from `status`
        shown = (await daemon.status()).queue
        assert [getattr(e, "waiting_for", None) for e in shown] == ["first"]
        assert "after first" in status_text(await daemon.status())
        daemon.ops[op_id].cancel.cancel("the test ends the first op")
        await wait_for(lambda: _running(daemon, "second"), what="second dispatched")
        assert "first" not in [h.ctx.envelope.dedup_key for h in daemon.ops.values()]
    assert _intake_notes(daemon) == []


@pytest.mark.slow
async def test_an_op_gone_without_a_release_has_its_files_force_released(repo, short_tmp):
    async with running_daemon(repo, _settings(short_tmp)) as daemon:
        queue, skipped = daemon.queue, []
        real_done = queue.done

        def done_but_not_the_first(key: str) -> None:
            if key == "first":  # the worker died before it released: the lock stays
                skipped.append(key)
                return
            real_done(key)

        queue.done = done_but_not_the_first
        await daemon.submit(_envelope("first"))
        [op_id] = await wait_for(lambda: _running(daemon, "first"), what="first in GENERATE")
        started = daemon.ops[op_id].started
        daemon.ops[op_id].cancel.cancel("the test ends the first op")
        await wait_for(lambda: skipped and not daemon.ops, what="first gone, files held")
        await _past_ttl(daemon, "first", started)
        await daemon.submit(_envelope("second"))
        await wait_for(lambda: _running(daemon, "second"), what="second dispatched")
        assert queue.router.locks["calc/ops.py"].owner == "second"
    [(msg, data)] = _intake_notes(daemon)
    assert "file lock of first" in msg and "force-released" in msg
    assert json.loads(data) == {"dedup_key": "first", "reoffered": ["second"]}
