"""The soak's shocks: kill -9 and restart, a suspend (SIGSTOP/SIGCONT), a full state dir,
a storm of editor saves, a branch switch with a mass rename. Each returns a record of
what it did and what it measured; the checks that follow a kill are made here.

The shocks are spread over the run (`schedule`): each kind evenly over progress 0.1-0.9,
each point moved by up to a third of its spacing, so they interleave and land at
different moments of the ops in flight.

A shock acts on the running soak through `Running`, what it needs of bench/soak_run.py's
Soak, so this module imports nothing of the loop that drives it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from random import Random
from typing import Protocol

from bench import soak_checks, soak_metrics
from bench.soak_checks import Op
from bench.soak_human import Human
from bench.soak_plan import Plan
from tests.daemon_process import kill
from tests.helpers import wait_sync

KINDS = ("kill", "stop", "disk", "storm", "switch")
FILLER = "filler-"


class Running(Protocol):
    """The running soak as the shocks see it (bench/soak_run.py's Soak is one)."""

    plan: Plan
    where: Path  # the soak's scratch dir; the state dir's tmpfs is `where / "fs"`
    rng: Random
    repo: Path
    state: Path
    human: Human
    proc: subprocess.Popen | None  # the daemon; None while it is down
    lives: int  # daemons started so far
    seen: dict[str, Op]
    problems: list[str]
    hold: threading.Lock  # held: no sample is taken meanwhile

    def read(self) -> dict[str, Op]:
        """The ledger's ops now, merged into `seen`."""
        ...

    def launch(self) -> float:
        """Start the daemon; seconds until it serves."""
        ...

    def elapsed(self) -> float:
        """Seconds since the soak began."""
        ...


def schedule(plan: Plan, rng: Random) -> list[tuple[float, str]]:
    counts = {"kill": plan.kills, "stop": plan.stops, "disk": plan.disks,
              "storm": plan.storms, "switch": plan.switches}
    points = []
    for kind, n in counts.items():
        for k in range(n):
            spacing = 0.8 / n
            at = 0.1 + spacing * (k + 0.5) + rng.uniform(-spacing / 3, spacing / 3)
            points.append((at, kind))
    return sorted(points)


def fire(soak: Running, kind: str) -> dict:
    began = time.monotonic()
    record = {"kill": _kill, "stop": _stop, "disk": _disk, "storm": _storm,
              "switch": _switch}[kind](soak)
    return {"event": kind, "at_s": round(soak.elapsed(), 1),
            "took_s": round(time.monotonic() - began, 2), **record}


def _kill(soak: Running) -> dict:
    """SIGKILL at a random moment of the ops in flight, check what it left, restart, and
    check what start-up recovery made of it."""
    time.sleep(soak.rng.uniform(0, 2.0))  # a random moment, not the tick's
    group = soak.rng.random() < 0.5
    with soak.hold:
        assert soak.proc is not None
        kill(soak.proc, group)
        found = soak_checks.ledger_problems(soak.state, soak.read())
        ops = dict(soak.seen)
        unfinished = [op for op, o in ops.items() if not o.ends]
        found += soak_checks.repo_problems(soak.repo, soak.human, ops, ops)
        recovery_s = soak.launch()
    soak.read()
    after = dict(soak.seen)
    found += soak_checks.recovered_problems(after, unfinished)
    soak.read()
    found += soak_checks.repo_problems(soak.repo, soak.human, after, dict(soak.seen))
    soak.problems += [f"kill {soak.lives - 1}: {p}" for p in found]
    return {"group": group, "unfinished": len(unfinished), "recovery_s": round(recovery_s, 2),
            "problems": len(found)}


def _stop(soak: Running) -> dict:
    """A suspend: the whole process group stopped, then continued; the first `status`
    after it answers."""
    with soak.hold:
        assert soak.proc is not None
        os.killpg(soak.proc.pid, signal.SIGSTOP)
        time.sleep(soak.plan.suspend_s)  # the length of the suspend is what is tested
        os.killpg(soak.proc.pid, signal.SIGCONT)
    took, _ = soak_metrics.status(soak.state / "control.sock", timeout_s=30)
    return {"suspend_s": soak.plan.suspend_s,
            "status_ms_after": None if took is None else round(took, 1)}


def _disk(soak: Running) -> dict:
    """The state dir's file system filled to the last byte: new ops must wait, say so,
    and resume by themselves once the filler is gone."""
    fs = soak.where / "fs"
    if not os.path.ismount(fs):
        return {"skipped": "no tmpfs (mounting needs root)"}
    began = time.monotonic()
    filler = fill(fs)
    paused = _storage_until(soak, waiting=True)
    time.sleep(soak.plan.full_s)  # how long the disk stays full is what is tested
    filler.unlink()
    freed = time.monotonic()
    resumed = _storage_until(soak, waiting=False)
    return {"paused_after_s": paused and round(paused - began, 2),
            "resumed_after_s": resumed and round(resumed - freed, 2)}


def _storage_until(soak: Running, waiting: bool, timeout_s: float = 60.0) -> float | None:
    """When `status` first says new ops wait (or no longer wait); None if it never did."""
    last: dict = {}

    def says() -> float | None:
        _, answer = soak_metrics.status(soak.state / "control.sock")
        last["answer"] = answer or {}
        storage = last["answer"].get("storage") or {}
        return time.monotonic() if storage.get("waiting") == waiting else None

    try:
        return wait_sync(says, timeout_s, "the storage gate", interval=0.1)  # type: ignore
    except AssertionError:
        soak.problems.append(f"status never said storage waiting={waiting} "
                             f"within {timeout_s:g} s; {doing(last.get('answer') or {})}")
        return None


def doing(answer: dict) -> str:
    """What a `status --json` answer says the daemon was doing: the storage gate's
    reason, the ops in flight with their phase and age, the queue's length."""
    gate = answer.get("storage") or {}
    storage = f"{gate.get('reason') or '-'} (free {gate.get('free_mb')} MB)"
    ops = [f"{o.get('op_id')} in {o.get('phase')} for {o.get('age_s', 0):.0f} s"
           for o in answer.get("in_flight") or []]
    return (f"storage: {storage}; in flight: {', '.join(ops) or 'none'}; "
            f"queued: {len(answer.get('queue') or [])}")


def _storm(soak: Running) -> dict:
    took = soak.human.save_storm(soak.plan.storm_saves)
    after, _ = soak_metrics.status(soak.state / "control.sock")
    return {"saves": soak.plan.storm_saves, "saves_s": round(took, 2),
            "status_ms_after": None if after is None else round(after, 1)}


def _switch(soak: Running) -> dict:
    return {"on_branch_s": round(soak.human.switch_branches(hold_s=1.0), 2)}


def wait_idle(soak: Running, timeout_s: float) -> None:
    """Until nothing is queued or in flight (the end of the soak)."""
    last: dict = {}

    def idle() -> bool:
        _, answer = soak_metrics.status(soak.state / "control.sock")
        last["answer"] = answer or {}
        return bool(answer) and not answer["queue"] and not answer["in_flight"]

    try:
        wait_sync(idle, timeout_s, "the daemon to be idle", interval=0.5)
    except AssertionError:
        soak.problems.append(f"the daemon was not idle {timeout_s:g} s after the feed "
                             f"ended; {doing(last.get('answer') or {})}")


def mount_tmpfs(where: Path, size_mb: int) -> Path | None:
    """A tmpfs of its own for the state dir (None where mounting is not permitted)."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700",
                           "tmpfs", str(where)], capture_output=True, check=False)
    return where if done.returncode == 0 else None


def unmount(where: Path) -> None:
    if os.path.ismount(where):
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(where: Path) -> Path:
    """A file that takes every byte left of `where`'s file system."""
    path = where / f"{FILLER}{uuid.uuid4().hex[:8]}"
    chunk = b"\xa5" * (256 * 1024)
    with open(path, "wb", buffering=0) as f:
        for size in (len(chunk), 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    f.write(chunk[:size])
    try:
        with open(where / "one-more", "wb") as f:
            f.write(b"x" * 8192)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
    (where / "one-more").unlink(missing_ok=True)
    return path
