"""`eval run`'s progress: a bar, the share done and an ETA, one line per task finished.

The ETA is the wall time of this session's finished tasks per task, times the tasks left:
tasks run `workers` at a time are in that wall time already. A wait for the host (the
host gate) is said when it begins and ends; its time counts in the ETA, as it does in the
user's day.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

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

    def __post_init__(self) -> None:
        self.started = self.clock()

    def bar(self) -> str:
        filled = round(WIDTH * self.done / self.total) if self.total else WIDTH
        return "#" * filled + "." * (WIDTH - filled)

    def eta(self) -> str:
        left = self.total - self.done
        if not self.finished_here or not left:
            return "eta -" if left else "done"
        per = (self.clock() - self.started) / self.finished_here
        return f"eta {duration(per * left)}"

    def tick(self, result: TaskResult) -> None:
        self.done += 1
        self.finished_here += 1
        share = self.done / self.total if self.total else 1.0
        why = f" ({result.reason_class})" if result.reason_class else ""
        self.say(f"[{self.bar()}] {self.done}/{self.total} {share:4.0%} {self.eta()}  "
                 f"{result.instance} {result.verdict.value}{why} in "
                 f"{duration(result.wall_s)}")
