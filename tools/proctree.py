"""Ending a jailed run's whole process tree, and knowing it has ended.

Killing bubblewrap's process group kills the outer bubblewrap and the PID namespace's init;
the kernel then kills the rest of the namespace, but after the outer process is reaped, so
`proc.wait()` can return while a command's double-forked, `setsid` children still run for a
moment. Where a pids cgroup holds the run, its drain waits for it to empty; without one
(a root daemon in a container that delegates no controller), nothing did. So before the
kill the tree is found through /proc (`task/*/children`), each process pinned by a pidfd
(so a reused pid is never signalled), and after the kill the pidfds are waited on: when
`reap` returns, every process of the tree has exited.

Not every process of the run stays in bubblewrap's group: its PID 1 calls setsid
(--new-session) before it sets its parent-death signal (only in its init loop, after the
fork of the command), so a kill of the group landing in between ends the outer bubblewrap
alone, and PID 1, orphaned, runs the command on holding the output pipe. Python 3.11's
`proc.wait()` returns only once that pipe closes: a runner that awaited it before killing
the tree waited on the process it had yet to kill (the fresh-clone CI's hang at a daemon's
shutdown). So `end` stops the group first (the outer bubblewrap can then neither fork nor
exit, and its children stay its children, findable), pins and kills the whole tree, and
only then awaits the exit, every wait bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Protocol


class Started(Protocol):
    """A run's leading process as `end` needs it (tools.spawn.Spawned, or asyncio's)."""

    @property
    def pid(self) -> int: ...

    def wait(self) -> Awaitable[int]: ...


GONE_WAIT_S = 5.0  # a SIGKILLed process exits in milliseconds; this bounds a stuck one


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (empty where /proc cannot tell)."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for task in _tasks(parent):
            with contextlib.suppress(OSError, ValueError):
                children = [int(c) for c in (task / "children").read_text().split()]
                found += [c for c in children if c not in found]
                frontier += children
    return found


def _tasks(pid: int) -> list[Path]:
    try:
        return list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []


def pin(pids: list[int]) -> list[int]:
    """pidfds for those of `pids` still alive."""
    fds = []
    for pid in pids:
        with contextlib.suppress(OSError):
            fds.append(os.pidfd_open(pid))
    return fds


def reap(pidfds: list[int], wait_s: float = GONE_WAIT_S) -> bool:
    """SIGKILL each pinned process and wait until all have exited (True) or `wait_s` has
    passed (False); the pidfds are closed either way. Blocking: run it in a thread."""
    try:
        for fd in pidfds:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(fd, signal.SIGKILL)
        deadline = time.monotonic() + wait_s
        poller = select.poll()
        for fd in pidfds:
            poller.register(fd, select.POLLIN)
        waiting = len(pidfds)
        while waiting and (left := deadline - time.monotonic()) > 0:
            for fd, _ in poller.poll(left * 1000):
                poller.unregister(fd)
                waiting -= 1
        return waiting == 0
    finally:
        for fd in pidfds:
            os.close(fd)


async def end(proc: Started, wait_s: float = GONE_WAIT_S) -> bool:
    """Kill a run started in a session of its own (`proc.pid` leads its group) with every
    process under it, those that left the group included, and await its end: True when all
    are gone, False when `wait_s` (each wait's bound) passed first. Never waits unbounded.
    Standard library only, as all of tools.jail's imports: the unprivileged jail test runs
    it under the system Python."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGSTOP)  # no fork, no exit: its tree holds still
    tree = pin(descendants(proc.pid))
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    gone = await asyncio.shield(asyncio.to_thread(reap, tree, wait_s))
    try:  # every writer of its pipes is dead now: they close, and the wait returns
        await asyncio.wait_for(asyncio.shield(proc.wait()), wait_s)
    except TimeoutError:
        return False
    return gone
