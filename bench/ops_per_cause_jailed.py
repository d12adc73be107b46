"""Ops per cause on real maintainers' fixes through the daemon's own jailed path: the
start-up run (daemon.suite_profile: the whole suite in bubblewrap, the failures rerun alone,
daemon.start_failures handing both to the TestFailureSensor) instead of a human's two pytest
runs (bench/ops_per_cause.py). Each case of tests/data/real_history/ is one cause: the
library at the fix's parent with the maintainer's test change committed. Prints per case the
failing tests, the ops the router queues and the `fn:` causes its envelopes name, then the
totals.

    .venv/bin/python bench/ops_per_cause_jailed.py [--cases ID-PREFIX ...] [--no-frames]

`--no-frames` runs the jail without the frames helper (the oracle plugin before issue 43's
jailed frames): what the same runs make of the causes with only the tests' text.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import governance.oracle.testrun as testrun
from bench.ops_per_cause import counted
from daemon.phase_deps import runners_from
from daemon.start_failures import FailureFeed
from daemon.suite_profile import ProfileLearner
from governance.git.gitops import GitOps
from governance.schemas import SignalEnvelope
from sensors.failing_tests import TestFailureSensor
from tests.governance import real_history as rh


async def _never_busy() -> None:
    return None


async def one(case: rh.Case, work: Path) -> tuple[int, int, int]:
    """(failing tests, ops queued, `fn:` causes named) for one case."""
    repo = rh.human_repo(case, work / "repo")
    with (repo / ".git" / "info" / "exclude").open("a") as f:
        f.write("/.ouroboros/\n")
    state = repo / ".ouroboros"
    state.mkdir()
    emitted: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:
        emitted.append(env)
        return True

    git_ops = GitOps(repo)
    sensor = TestFailureSensor(repo, state, "bench", emit,
                               list_files=lambda: asyncio.to_thread(git_ops.listed_files))
    settings = rh.settings()
    validate, _ = runners_from(settings, repo, state, None)
    learner = ProfileLearner(repo, state, ".ouroboros", git_ops, validate.with_timeout(300),
                             (), _never_busy, 0.05, FailureFeed(repo, state, lambda: sensor))
    await learner.once()
    failing, queued = counted(emitted)
    framed = sum(1 for e in emitted for c in e.evidence.get("causes", []) if c.startswith("fn:"))
    return failing, queued, framed


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", nargs="*", default=[])
    ap.add_argument("--no-frames", action="store_true")
    args = ap.parse_args()
    if args.no_frames:
        # Another helper carried in its place: the plugin finds no _ouroboros_frames.
        testrun.FRAMES_HELPER = "_ouroboros_canon"
    chosen = [c for c in rh.cases("all")
              if not args.cases or any(c.id.startswith(p) for p in args.cases)]
    total_failing = total_ops = worst = 0
    start = time.monotonic()
    for case in chosen:
        with tempfile.TemporaryDirectory(prefix="ob-cause-jail.") as tmp:
            failing, ops, framed = await one(case, Path(tmp))
        print(f"{case.id:32} failing tests {failing:3}  ops {ops}  fn causes {framed}",
              flush=True)
        total_failing += failing
        total_ops += ops
        worst = max(worst, ops)
    print(f"{len(chosen)} cases: {total_failing} failing tests, {total_ops} ops, at most "
          f"{worst} for one case ({time.monotonic() - start:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
