"""The daemon's manners at the CPU and the disk: `ouroboros run` in a terminal takes the
priorities the systemd unit gives the service (systemd/ouroboros@.service: Nice=10,
IOSchedulingClass=best-effort, IOSchedulingPriority=7), so the human's editor, build and
tests come first either way; every jailed run the daemon starts inherits them.

Linux keeps both the nice value and the I/O priority per thread, and a new thread starts
with its creator's. So `lower()` sets every thread the process has now (/proc/self/task),
at start-up before the model's and the ledger's threads exist, and those inherit it. It
only ever lowers: a thread already at or below a level keeps its own (under the unit the
levels are already set, and the unit's `SystemCallFilter=~@resources` would refuse the
calls anyway). Python has no I/O-priority call, so ioprio_get/ioprio_set go through libc's
syscall(2); on a machine whose syscall numbers are not in the table the I/O half is skipped
and said so.

Idle priority (`lower_to_idle`): when the host gate's bound lets an op run on a busy machine
(daemon.host.overdue), the daemon goes down to nice 19, the lowest nice value, so that op
takes little more than what the human leaves (CFS weighs nice 19 at 15 against nice 0's
1024). Its I/O stays best-effort 7: the idle I/O class and SCHED_IDLE starve the daemon
outright under sustained load (a stalled ledger write stalls every op; docs/operations.md).
It stays at nice 19 until it restarts: only a privileged process may raise a priority
again, and on a free machine a low priority costs nothing (it only decides who goes first
when the cores are contended).
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
from pathlib import Path

import structlog

log = structlog.get_logger("daemon.host.priority")

NICE = 10  # the unit's Nice=
IO_CLASS_BEST_EFFORT = 2  # IOPRIO_CLASS_BE; the unit's IOSchedulingClass=best-effort
IO_CLASS_IDLE = 3
IO_LEVEL = 7  # the lowest best-effort level; the unit's IOSchedulingPriority=
IDLE_NICE = 19  # the lowest nice value: the bound's op (daemon.host.overdue)
IOPRIO_CLASS_SHIFT = 13
IOPRIO_WHO_PROCESS = 1  # on Linux a "process" here is one task: a thread
# (ioprio_set, ioprio_get): x86_64 has its own numbers; the others use the generic table.
IOPRIO_SYSCALLS: dict[str, tuple[int, int]] = {
    "x86_64": (251, 252), "aarch64": (30, 31), "riscv64": (30, 31), "loongarch64": (30, 31),
}


def threads(proc: Path = Path("/proc")) -> list[int]:
    """The ids of this process's threads (just this one where /proc/self/task is absent)."""
    try:
        return sorted(int(t.name) for t in (proc / "self" / "task").iterdir())
    except OSError:
        return [0]  # 0: the calling thread


def _syscall(number: int, *args: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.syscall(ctypes.c_long(number), *(ctypes.c_int(a) for a in args))
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


def io_priority(tid: int) -> tuple[int, int] | None:
    """(class, level) of a thread's I/O priority; None when this machine cannot say."""
    numbers = IOPRIO_SYSCALLS.get(platform.machine())
    if numbers is None:
        return None
    value = _syscall(numbers[1], IOPRIO_WHO_PROCESS, tid)
    return value >> IOPRIO_CLASS_SHIFT, value & 0xFF


def _lower_io(tid: int) -> None:
    current = io_priority(tid)
    if current is None:
        raise OSError(f"no ioprio syscall numbers for {platform.machine()}")
    klass, level = current
    if klass == IO_CLASS_IDLE or (klass == IO_CLASS_BEST_EFFORT and level >= IO_LEVEL):
        return
    set_number = IOPRIO_SYSCALLS[platform.machine()][0]
    _syscall(set_number, IOPRIO_WHO_PROCESS, tid,
             IO_CLASS_BEST_EFFORT << IOPRIO_CLASS_SHIFT | IO_LEVEL)


def _lower_cpu(tid: int, idle: bool = False) -> None:
    level = IDLE_NICE if idle else NICE
    if os.getpriority(os.PRIO_PROCESS, tid) < level:
        os.setpriority(os.PRIO_PROCESS, tid, level)


def lower(proc: Path = Path("/proc"), idle: bool = False) -> list[str]:
    """Every thread to nice NICE (`idle`: IDLE_NICE) and best-effort I/O level IO_LEVEL,
    never raising one; returns what could not be done (a thread that ended meanwhile is not
    a problem)."""
    problems: set[str] = set()
    for tid in threads(proc):
        for what, step in (("nice", functools.partial(_lower_cpu, idle=idle)),
                           ("I/O priority", _lower_io)):
            try:
                step(tid)
            except ProcessLookupError:
                break
            except OSError as exc:
                problems.add(f"{what}: {exc.strerror or exc}")
    return sorted(problems)


def lower_own(enabled: bool) -> None:
    """`health.lower_priority`: lower this process and log the outcome."""
    if not enabled:
        return
    problems = lower()
    if problems:  # e.g. a seccomp filter that refuses both: the priority stays as it was
        log.info("priority not lowered", problems=problems)
    else:
        log.info("running at lower priority", nice=NICE, io=f"best-effort {IO_LEVEL}")


def lower_to_idle(enabled: bool) -> None:
    """The bound's op runs at idle priority: every thread to nice IDLE_NICE, for good (see
    the module's doc); `enabled`: `health.lower_priority`."""
    if not enabled:
        return
    problems = lower(idle=True)
    if problems:
        log.info("idle priority not taken", problems=problems)
    else:
        log.info("running at idle priority", nice=IDLE_NICE, io=f"best-effort {IO_LEVEL}")
