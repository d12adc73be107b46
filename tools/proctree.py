"""Ending a jailed run's whole process tree, and knowing it has ended.

Killing bubblewrap's process group kills the outer bubblewrap and the PID namespace's init;
the kernel then kills the rest of the namespace, but after the outer process is reaped, so
`proc.wait()` can return while a command's double-forked, `setsid` children still run for a
moment. Where a pids cgroup holds the run, its drain waits for it to empty; without one
(a root daemon in a container that delegates no controller), nothing did. So before the
kill the tree is found through /proc (`task/*/children`), each process pinned by a pidfd
(so a reused pid is never signalled), and after the kill the pidfds are waited on: when
`reap` returns, every process of the tree has exited.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from pathlib import Path

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
