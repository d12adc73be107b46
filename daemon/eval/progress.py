"""Progress, said as work goes: `eval run`'s bar and `eval mine`'s lines, each with an ETA,
and a heartbeat while one long step runs.

`eval run`: the ETA is the wall time of this session's finished tasks per task, times the
tasks left (tasks run `workers` at a time are in that wall time already), never past the
time bound (`--max-minutes`). A wait for the
host (the host gate) is said when it begins and ends; its time counts in the ETA, as it
does in the user's day.

`eval mine`: the count is of tasks against `max_tasks` (how many commits that takes is
not known in advance), with the commits judged beside it. The ETA is the time per commit
judged times the commits still to judge: as many as the yield so far (tasks per commit)
says the tasks left need, never more than the candidates and `max_commits` allow, and
never past the time bound (`--max-minutes`).

A heartbeat (`with_heartbeat`) says what is running every `every_s` seconds while one step
runs long, so no minutes pass in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from daemon.eval.render import duration
from daemon.eval.result import TaskResult

WIDTH = 20  # characters of the bar


@dataclass
class Progress:
    total: int  # tasks this run has, done before this session included
    done: int  # tasks done, before this session included
    say: Callable[[str], None]
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    finished_here: int = 0
    max_s: float | None = None  # the time bound; None: none

    def __post_init__(self) -> None:
        self.started = self.clock()

    def bar(self) -> str:
        filled = round(WIDTH * self.done / self.total) if self.total else WIDTH
        return "#" * filled + "." * (WIDTH - filled)

    def eta(self) -> str:
        left = self.total - self.done
        if not self.finished_here or not left:
            return "eta -" if left else "done"
        elapsed = self.clock() - self.started
        seconds = elapsed / self.finished_here * left
        if self.max_s is not None:  # the run stops there: the ETA is never later
            seconds = min(seconds, max(0.0, self.max_s - elapsed))
        return f"eta {duration(seconds)}"

    def tick(self, result: TaskResult) -> None:
        self.done += 1
        self.finished_here += 1
        share = self.done / self.total if self.total else 1.0
        why = f" ({result.reason_class})" if result.reason_class else ""
        self.say(f"[{self.bar()}] {self.done}/{self.total} {share:4.0%} {self.eta()}  "
                 f"{result.instance} {result.verdict.value}{why} in "
                 f"{duration(result.wall_s)}")


@dataclass
class MineProgress:
    """`eval mine`'s counts and ETA, bounded by the limits it was given."""

    candidates: int  # candidate commits not judged yet
    max_commits: int
    max_tasks: int
    cached: int  # tasks in the cache before this mine
    say: Callable[[str], None]
    max_s: float | None = None  # the time bound; None: none
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    judged: int = 0
    found: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock()

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def opening(self) -> str:
        bound = f", or {duration(self.max_s)} have passed" if self.max_s else ""
        return (f"{self.candidates} candidate commit(s) not judged yet; {self.cached} task(s) "
                f"cached; mining until {self.max_tasks} task(s) are cached, "
                f"{min(self.candidates, self.max_commits)} commit(s) are judged{bound}")

    def commits_left(self) -> int:
        """The commits still to judge, as far as the limits and the yield so far say."""
        room = min(self.candidates, self.max_commits) - self.judged
        wanted = self.max_tasks - self.cached - self.found
        if self.found:
            room = min(room, math.ceil(wanted * self.judged / self.found))
        return max(0, room if wanted > 0 else 0)

    def eta(self) -> str:
        left = self.commits_left()
        if not left:
            return "done"
        if not self.judged:
            return "eta -"
        seconds = self.elapsed / self.judged * left
        if self.max_s is not None:
            seconds = min(seconds, max(0.0, self.max_s - self.elapsed))
        return f"eta {duration(seconds)}"

    def tick(self, sha: str, what: str, task: bool) -> None:
        self.judged += 1
        self.found += task
        self.say(f"[{self.cached + self.found}/{self.max_tasks} tasks, {self.judged} "
                 f"commit(s) judged, {self.eta()}] {sha[:12]} {what}")


T = TypeVar("T")


async def with_heartbeat(work: Awaitable[T], every_s: float,
                         beat: Callable[[], Awaitable[None] | None]) -> T:
    """`work`'s result (or its exception, as it is); `beat` is called (and awaited, where it
    is a coroutine function) every `every_s` seconds until it is done. The heartbeat task is
    owned here and awaited before return."""
    done = asyncio.Event()

    async def heartbeat() -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), every_s)
            if not done.is_set() and (pending := beat()) is not None:
                await pending

    beating = asyncio.create_task(heartbeat(), name="eval-heartbeat")
    try:
        return await work
    finally:
        done.set()
        await beating
