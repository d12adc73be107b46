"""Ops per cause on real maintainers' fixes (tests/data/real_history/, each case one cause):
the maintainer's test change committed by the human, run twice by real pytest through the
ouroboros_results plugin, read by the daemon's TestFailureSensor and offered to its router.
Prints per case the failing tests (one op each before issue 43's item 2) and the ops the
router queues now, then the totals.

    .venv/bin/python bench/ops_per_cause.py [--cases ID-PREFIX ...] [--heldout]

--heldout: the held-out set of issue 51 instead (bench/ops_per_cause_heldout.py: libraries
the rules were not grown on, one broken function each; prints the ops naming it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.config.settings import Settings
from governance.schemas import SignalEnvelope
from sensors.failing_tests import TestFailureSensor
from sensors.router import IntakeRouter, Outcome
from tests.governance import real_history as rh
from tests.helpers import git


async def one(case: rh.Case, work: Path) -> tuple[int, int]:
    """(failing tests, ops queued) for one case."""
    repo = rh.human_repo(case, work / "repo")
    state = work / "state"
    state.mkdir()
    emitted: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:
        emitted.append(env)
        return True

    sensor = TestFailureSensor(repo, state, "bench", emit)
    files = git(repo, "ls-files").splitlines()
    tests = [t for t, text in case.tests.items() if text is not None and t.endswith(".py")]
    for _ in range(rh.HUMAN_RUNS):
        await asyncio.to_thread(rh.human_pytest, repo, state, tests)
        await sensor.scan_once(files)
    return counted(emitted)


def counted(emitted: list[SignalEnvelope]) -> tuple[int, int]:
    """(failing tests, ops the daemon's router queues) of what a sensor emitted."""
    i = Settings().intake
    router = IntakeRouter(i.queue_capacity, i.coalesce_window_s, i.file_lock_ttl_s)
    queued = sum(router.offer(e).outcome is Outcome.QUEUED for e in emitted)
    failing = {t for e in emitted for t in e.evidence.get("tests", [e.evidence["test_id"]])}
    return len(failing), queued


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", nargs="*", default=[])
    ap.add_argument("--heldout", action="store_true", help="the held-out set (issue 51)")
    args = ap.parse_args()
    if args.heldout:
        from bench import ops_per_cause_heldout
        await ops_per_cause_heldout.run(args.cases)
        return
    chosen = [c for c in rh.cases("all")
              if not args.cases or any(c.id.startswith(p) for p in args.cases)]
    total_failing = total_ops = worst = 0
    for case in chosen:
        with tempfile.TemporaryDirectory(prefix="ob-cause.") as tmp:
            failing, ops = await one(case, Path(tmp))
        print(f"{case.id:32} failing tests {failing:3}  ops {ops}", flush=True)
        total_failing += failing
        total_ops += ops
        worst = max(worst, ops)
    print(f"{len(chosen)} cases: {total_failing} failing tests (one op each before), "
          f"{total_ops} ops now, at most {worst} for one case")


if __name__ == "__main__":
    asyncio.run(main())
