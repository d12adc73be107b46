"""Grounding: does trust calibration make the daemon's stated confidence more honest?

1. Record an outcome log: N real ops (default 200) through the real pipeline (orchestrator,
   phases, sandboxed pytest, auto-commit) on a repository with FILES modules, the model
   scripted by the replay provider (the named stand-in) with a known failure rate per file:
   with that probability its candidate breaks the module's test, else it lands. The sensor
   states confidence 0.8 for every op, as a TODO scanner would.
2. Replay the log in order and score each op's confidence against what happened (Brier,
   lower is better): calibration OFF = the stated 0.8; calibration ON = what CLASSIFY's risk
   rules would have seen, min(stated, trust) over the records before that op
   (governance.trust). Target: lower with calibration.

Run: .venv/bin/python bench/grounding.py [--ops 200] [--seed 7] [--log FILE]
(`--log FILE` replays a log recorded earlier instead of recording one.)
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

from governance.memory import Assessment, Memory
from governance.orchestrator import Orchestrator
from governance.pipeline import PHASES
from governance.trust import brier, calibrated, table
from governance.trust import key_of as trust_key
from ledger import Ledger
from tests.helpers import (
    candidate_turn,
    commit_files,
    no_retry_policy,
    op_context,
    pipeline_deps,
    replay,
)

FAILURE_RATES = {"mods/m0.py": 0.1, "mods/m1.py": 0.3, "mods/m2.py": 0.5, "mods/m3.py": 0.7,
                 "mods/m4.py": 0.9}
STATED = 0.8
MODULE = "def value():\n    return {n}\n"
TEST = "from mods.m{i} import value\n\n\ndef test_value():\n    assert value() >= 0\n"


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


async def record(ops: int, seed: int, root: Path) -> list[dict]:
    rng = random.Random(seed)
    repo = _repo(root)
    ledger = await Ledger.open(root / "ledger.sqlite3")
    memory = RecordOnly(ledger, ttl_s=10 * 24 * 3600)
    policy = no_retry_policy(l2_enabled=False)
    start = time.perf_counter()
    try:
        for i in range(ops):
            rel = rng.choice(sorted(FAILURE_RATES))
            breaks = rng.random() < FAILURE_RATES[rel]
            text = _text(rel, -1 - i if breaks else i + 1)  # a negative value fails the test
            ctx = op_context(rel, goal=f"bump {rel}", dedup_key=f"k{i}")
            ctx = ctx.model_copy(update={"envelope": ctx.envelope.model_copy(
                update={"confidence": STATED})})
            deps = pipeline_deps(repo, ledger, replay(text), policy=policy, memory=memory)
            await Orchestrator(PHASES, deps).run(ctx)
            if (i + 1) % 25 == 0:
                print(f"  recorded {i + 1}/{ops} ops ({time.perf_counter() - start:.0f}s)",
                      flush=True)
        return await ledger.outcomes_since("2000")
    finally:
        await ledger.close()


def replay_scores(log: list[dict]) -> tuple[float, float]:
    """(Brier with calibration off, Brier with it on), each op scored before it is seen."""
    on = []
    for i, rec in enumerate(log):
        trust = table(log[:i]).get(trust_key(rec, any_route=True))
        on.append({**rec, "confidence": calibrated(rec["confidence"], trust)})
    return brier(log) or 0.0, brier(on) or 0.0


def main(args: argparse.Namespace) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    if args.log:
        log = json.loads(Path(args.log).read_text())
    else:
        with tempfile.TemporaryDirectory(prefix="ob-grounding-") as tmp:
            print(f"recording {args.ops} ops (seed {args.seed}), per-file failure rates "
                  f"{FAILURE_RATES}")
            log = asyncio.run(record(args.ops, args.seed, Path(tmp)))
        if args.save:
            Path(args.save).write_text(json.dumps(log))
    landed = sum(r["result"] == "COMPLETE" for r in log)
    off, on = replay_scores(log)
    print(f"outcome log: {len(log)} ops, {landed} landed ({landed / len(log):.0%}); stated "
          f"confidence {STATED}")
    print(f"{'Brier, calibration off (stated confidence)':<46} {off:.4f}")
    print(f"{'Brier, calibration on (min(stated, trust))':<46} {on:.4f}   "
          f"target: lower -> {'met' if on < off else 'MISSED'} ({on / off:.2f}x)")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ops", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--log", help="replay this recorded outcome log (JSON) instead")
    p.add_argument("--save", help="write the recorded outcome log here (JSON)")
    main(p.parse_args())
