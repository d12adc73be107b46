"""A replay runner's CPU budget (governance.oracle.replay_runner): CPU seconds, not the
clock's, so a loaded box does not shrink what a run tries; the clock bounds it at
WALL_FACTOR times as many, and a run it ends was starved (the daemon hears so: no evidence).

Copied beside the runner as `_ouroboros_budget`; standard library only.
"""

import time

WALL_FACTOR = 20.0  # clock seconds, at most, per CPU second of a budget: past them the run
# was starved of the CPU (a box at twenty times its cores' load), and the daemon hears so


class Budget:
    """Whether `cpu_s` CPU seconds of this process are spent since it was made (or the
    clock's WALL_FACTOR times as many): a bound a loaded box does not shrink; `starved`
    once the clock's ran out first (fewer inputs than the budget stands for: at load 14 on
    two cores a careless tokenizer landed on the inputs a starved run reached)."""

    def __init__(self, cpu_s):
        self.cpu_end = time.process_time() + cpu_s
        self.wall_end = time.monotonic() + WALL_FACTOR * cpu_s
        self.starved = False

    def __call__(self):
        if time.process_time() > self.cpu_end:
            return True
        self.starved = time.monotonic() > self.wall_end
        return self.starved
