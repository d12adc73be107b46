"""tools.spawn: a jailed run's fork never holds the event loop, and a cancelled start leaves
no child behind."""

from __future__ import annotations

import asyncio
import os
import select

import pytest

from tools.spawn import spawn

ENV = {"PATH": "/usr/bin:/bin"}
GATE_S = 10.0  # how long the child's preexec waits for the loop to open its gate


def gated(gate: int, told: int | None = None):
    """A preexec that holds the child before exec until the parent's loop writes to `gate`
    (it runs before the fds are closed, so it still has the pipe). With `told`, it first
    writes its pid there. Past GATE_S it fails the start: the loop never ran meanwhile."""
    def preexec() -> None:
        if told is not None:
            os.write(told, str(os.getpid()).encode())
        if not select.select([gate], [], [], GATE_S)[0]:
            raise RuntimeError("the loop never opened the gate while the child started")
    return preexec


async def test_the_loop_runs_while_a_child_is_started():
    r, w = os.pipe()
    try:
        # The gate opens only from a loop callback: a fork that held the loop until the
        # child exec'd would wait GATE_S, and the start would then fail.
        asyncio.get_running_loop().call_soon(os.write, w, b"x")
        proc = await spawn(["sh", "-c", "echo started; exit 3"], env=ENV, pass_fds=[],
                           preexec=gated(r))
        assert await proc.stdout.read() == b"started\n"
        assert await proc.wait() == 3 and proc.returncode == 3
        proc.close()
    finally:
        os.close(r), os.close(w)


async def test_a_start_cancelled_mid_fork_kills_the_child_it_started():
    gate_r, gate_w = os.pipe()
    told_r, told_w = os.pipe()
    try:
        task = asyncio.create_task(spawn(["sleep", "60"], env=ENV, pass_fds=[],
                                         preexec=gated(gate_r, told_w)))
        pid = int(await asyncio.to_thread(os.read, told_r, 32))  # the child is forked
        pidfd = os.pidfd_open(pid)
        task.cancel()
        os.write(gate_w, b"x")  # the fork finishes only now; the cancel waited for it
        with pytest.raises(asyncio.CancelledError):
            await task
        gone = await asyncio.to_thread(select.select, [pidfd], [], [], GATE_S)
        os.close(pidfd)
        assert gone[0], "the child of a cancelled start still runs"
    finally:
        for fd in (gate_r, gate_w, told_r, told_w):
            os.close(fd)


async def test_a_start_that_fails_raises_and_leaves_no_child():
    with pytest.raises(OSError):
        await spawn(["/nonexistent/ouroboros-binary"], env=ENV, pass_fds=[],
                    preexec=lambda: None)
