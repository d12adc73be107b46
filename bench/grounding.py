"""Grounding: does trust calibration make the daemon's stated confidence more honest?

1. Record an outcome log: N real ops (default 200) through the real pipeline (orchestrator,
   phases, sandboxed pytest, auto-commit) on a repository with FILES modules, the model
   scripted by the replay provider (the named stand-in) with a known failure rate per file:
   with that probability its candidate breaks the module's test, else it lands. The sensor
   states confidence 0.8 for every op, as a TODO scanner would.
2. Replay the log in order and score each op's confidence against what happened (Brier,
   lower is better): calibration OFF = the stated 0.8; calibration ON = what CLASSIFY's risk
   rules would have seen, min(stated, trust) over the records before that op
   (governance.memory.trust). Target: lower with calibration.
3. Session lessons (governance.memory.lessons): the same N ops again, on a fresh copy of the
   repository, with the same seeded draws (the file of op i and its number u_i in [0, 1)),
   and the landed-op rate with lessons off (step 1's run) and on (this one).

What step 3 models, and all it models: the scripted model reads the real GENERATE prompt
the real pipeline built. When that prompt's "## Session lessons" section holds a
[FAIL:...] lesson naming the op's file, it avoids the file's failure mode half the time
(AVOID = 0.5): op i breaks when u_i < rate * (1 - AVOID) instead of u_i < rate. An [OK]
lesson, or a lesson about another file, changes nothing; lessons never make it worse. So
the gain printed is not a measure of any real model: it is AVOID times how often the
lesson that matters is in the prompt when it matters, which is what the daemon decides
(which ops teach, the 20-lesson cap, the one-in-5 hold-out that runs without lessons as
the baseline, the clear-if-worse checkpoint every 10 ops). With the same draws, an op that
lands with lessons off also lands with them on. Op ids come from the seed, so the hold-out
is the same on every run.

Run: .venv/bin/python bench/grounding.py [--ops 200] [--seed 7] [--log FILE]
(`--log FILE` replays a log recorded earlier instead of recording one; that skips step 3,
which needs the pipeline.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.config.settings import Settings
from governance.errors import ProviderError
from governance.memory.lessons import Lessons
from governance.memory.memory import Assessment, Memory
from governance.memory.trust import brier, calibrated, table
from governance.memory.trust import key_of as trust_key
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from kernel.replay import ReplayProvider, ReplayTurn
from ledger import Ledger
from tests.helpers import (
    candidate_turn,
    commit_files,
    no_retry_policy,
    op_context,
    pipeline_deps,
)

FAILURE_RATES = {"mods/m0.py": 0.1, "mods/m1.py": 0.3, "mods/m2.py": 0.5, "mods/m3.py": 0.7,
                 "mods/m4.py": 0.9}
STATED = 0.8
MODULE = "def value():\n    return {n}\n"
TEST = "from mods.m{i} import value\n\n\ndef test_value():\n    assert value() >= 0\n"
AVOID = 0.5  # the modelled effect of a matching [FAIL:...] lesson (see the docstring)
LESSONS_HEADING = "## Session lessons"


def _repo(root: Path) -> Path:
    files = {"mods/__init__.py": ""}
    for i, rel in enumerate(FAILURE_RATES):
        files[rel] = MODULE.format(n=0)
        files[f"tests/test_m{i}.py"] = TEST.format(i=i)
    return commit_files(root / "repo", files)


class RecordOnly(Memory):
    """Outcome records without advice while recording: the log must reflect the scripted
    failure rates, not the daemon's own caution (an escalated op would wait for approval)."""

    async def assess(self, root, targets, listed, *, provider="", source="", stated=1.0):
        return Assessment(stated)


def _text(rel: str, n: int) -> str:
    return json.loads(candidate_turn(rel, MODULE.format(n=n)))["text"]


def warned(prompt: str, rel: str) -> bool:
    """True when the prompt's session lessons hold a [FAIL:...] lesson naming `rel`."""
    _, found, rest = prompt.partition(LESSONS_HEADING)
    section = rest.split("\n\n## ", 1)[0] if found else ""
    return any(line.startswith("- [FAIL:") and line.endswith(f"({rel})")
               for line in section.splitlines())


class ScriptedFixer(ReplayProvider):
    """The bench's scripted model (the replay stand-in, never a real model): one op on
    `rel`, breaking its module when the seeded draw `u` falls under the file's failure
    rate, scaled by (1 - AVOID) when the prompt warns about the file and `reads_lessons`."""

    def __init__(self, rel: str, u: float, n: int, reads_lessons: bool):
        super().__init__([])
        self.rel, self.u, self.n, self.reads_lessons = rel, u, n, reads_lessons
        self.was_warned = False

    def _next(self, purpose: str, prompt: str) -> ReplayTurn:
        if purpose != "generate":  # as the plain replay of step 1 answers a plan call
            raise ProviderError(f"replay script has no {purpose} turn left")
        self.was_warned = self.reads_lessons and warned(prompt, self.rel)
        rate = FAILURE_RATES[self.rel] * ((1 - AVOID) if self.was_warned else 1)
        breaks = self.u < rate  # a negative value fails the module's test
        return ReplayTurn(purpose=purpose,
                          text=_text(self.rel, -1 - self.n if breaks else self.n + 1))


async def record(ops: int, seed: int, root: Path,
                 lessons: Lessons | None = None) -> tuple[list[dict], int]:
    """(the outcome log, how many ops' prompts warned about their file). With `lessons`,
    the daemon keeps session lessons and the scripted model reads them."""
    rng = random.Random(seed)
    repo = _repo(root)
    ledger = await Ledger.open(root / "ledger.sqlite3")
    memory = RecordOnly(ledger, ttl_s=10 * 24 * 3600, lessons=lessons)
    policy = no_retry_policy(l2_enabled=False)
    start, warnings = time.perf_counter(), 0
    try:
        for i in range(ops):
            rel = rng.choice(sorted(FAILURE_RATES))
            fixer = ScriptedFixer(rel, rng.random(), i, reads_lessons=lessons is not None)
            ctx = op_context(rel, goal=f"bump {rel}", dedup_key=f"k{i}")
            ctx = ctx.model_copy(update={"op_id": f"op-{seed:04d}{i:012x}",
                                         "envelope": ctx.envelope.model_copy(
                                             update={"confidence": STATED})})
            deps = pipeline_deps(repo, ledger, fixer, policy=policy, memory=memory)
            await Orchestrator(PHASES, deps).run(ctx)
            warnings += fixer.was_warned
            if (i + 1) % 25 == 0:
                print(f"  recorded {i + 1}/{ops} ops ({time.perf_counter() - start:.0f}s)",
                      flush=True)
        return await ledger.outcomes_since("2000"), warnings
    finally:
        await ledger.close()


def replay_scores(log: list[dict]) -> tuple[float, float]:
    """(Brier with calibration off, Brier with it on), each op scored before it is seen."""
    on = []
    for i, rec in enumerate(log):
        trust = table(log[:i]).get(trust_key(rec, any_route=True))
        on.append({**rec, "confidence": calibrated(rec["confidence"], trust)})
    return brier(log) or 0.0, brier(on) or 0.0


def _landed(log: list[dict]) -> int:
    return sum(r["result"] == "COMPLETE" for r in log)


def lessons_run(ops: int, seed: int, off: list[dict]) -> None:
    """Step 3: the same ops with session lessons on; prints both landed-op rates."""
    g = Settings().governance  # the daemon's defaults: 20 lessons, a check every 10 ops
    lessons = Lessons("bench", g.lessons_max, g.lessons_check_interval)
    with tempfile.TemporaryDirectory(prefix="ob-grounding-lessons-") as tmp:
        print(f"recording the same {ops} ops with session lessons on")
        on, warnings = asyncio.run(record(ops, seed, Path(tmp), lessons))
    a, b = _landed(off), _landed(on)
    print(f"{'landed ops, lessons off':<46} {a}/{len(off)} ({a / len(off):.1%})")
    print(f"{'landed ops, lessons on':<46} {b}/{len(on)} ({b / len(on):.1%})   "
          f"{warnings} prompts warned about their file; buffer cleared {lessons.cleared} "
          f"time(s) (modelled effect AVOID={AVOID}: see the docstring)")


def main(args: argparse.Namespace) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    if args.log:
        log = json.loads(Path(args.log).read_text())
    else:
        with tempfile.TemporaryDirectory(prefix="ob-grounding-") as tmp:
            print(f"recording {args.ops} ops (seed {args.seed}), per-file failure rates "
                  f"{FAILURE_RATES}")
            log, _ = asyncio.run(record(args.ops, args.seed, Path(tmp)))
        if args.save:
            Path(args.save).write_text(json.dumps(log))
    landed = _landed(log)
    off, on = replay_scores(log)
    print(f"outcome log: {len(log)} ops, {landed} landed ({landed / len(log):.0%}); stated "
          f"confidence {STATED}")
    print(f"{'Brier, calibration off (stated confidence)':<46} {off:.4f}")
    print(f"{'Brier, calibration on (min(stated, trust))':<46} {on:.4f}   "
          f"target: lower -> {'met' if on < off else 'MISSED'} ({on / off:.2f}x)")
    if args.log:
        print("session lessons: not measured (a saved log; step 3 needs the pipeline)")
    else:
        lessons_run(args.ops, args.seed, log)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ops", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--log", help="replay this recorded outcome log (JSON) instead")
    p.add_argument("--save", help="write the recorded outcome log here (JSON)")
    main(p.parse_args())
