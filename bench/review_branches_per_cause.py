"""Review branches per cause (issue 51 item 4), end to end on real maintainers' fixes that
go to review (tests/data/real_history/, the cases real_history.REFUSED names: a fix the
proof cannot show, so it waits on a review branch).

Per case: the human commits the maintainer's test change and runs it twice; the daemon's
TestFailureSensor makes the envelope (as bench/real_history_settled.py). The first op runs
through the real pipeline in the jail (the replay stand-in answering the maintainer's fix)
and proposes it. Then the same envelope comes up again, as a sensor's later report or a
WAL row replayed after a restart does:
- on the daemon's real IntakeQueue, with the review causes read from git
  (daemon.reviews.cause_holder) and the work memory told how the first op ended: does a
  second op open?
- and, as if a race had let it through (a report read before the first op's review
  existed), a second op through the same pipeline with the same fix: does it make a
  second branch, and how does it end?
Counted: ops the queue opens again (target 0), branches per cause (target 1), and the
second op's end (PROPOSED joining the first's review, not POSTMORTEM).

    .venv/bin/python bench/review_branches_per_cause.py [--cases ID-PREFIX ...]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.real_history import machine
from bench.real_history_settled import signalled
from daemon.reviews import cause_holder
from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches
from governance.phase import Phase
from ledger import Ledger
from tests.governance import real_history as rh
from tests.helpers import git, intake_queue, work_memory

PREFIX = "ouroboros/"  # the default review branch prefix (policy_from(settings()))


async def one(case: rh.Case, work: Path) -> tuple[str, int, int, str]:
    """(first op's end, ops the queue opened again, review branches, second op's end)."""
    repo, state, env = await signalled(case, work)
    shared = rh.Shared()
    first, rows = await rh.run_op(case, repo, state, env, case.fix, shared)
    reopened = await _queue_opens(repo, state, env, rows)
    second, rows2 = await rh.run_op(case, repo, state, env, case.fix, shared)
    branches = git(repo, "for-each-ref", "--format=%(refname)", f"refs/heads/{PREFIX}")
    joined = (rows2[-1].get("payload") or {}).get("review_of")
    end2 = f"{second.value}{' (joined)' if joined else ''}"
    return first.value, reopened, len(branches.split()), end2


async def _queue_opens(repo: Path, state: Path, env, rows: list[dict]) -> int:
    """Whether the daemon's queue opens an op for the same envelope again."""
    op_id = next(r["op_id"] for r in rows)
    reviews = ReviewBranches(GitOps(repo), PREFIX)
    ledger = await Ledger.open(state / "queue.sqlite3")
    try:
        memory = work_memory(ledger, repo)
        await memory.ended(env, op_id, rows[-1]["to_phase"], rows[-1]["reason"])
        q = intake_queue(ledger, work=memory, held=cause_holder(reviews))
        await q.put(env)
        return int(await q.pop_ready() is not None)
    finally:
        await ledger.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", nargs="*", default=[])
    args = ap.parse_args()
    chosen = [c for c in rh.cases("all") if c.id in rh.REFUSED
              and (not args.cases or any(c.id.startswith(p) for p in args.cases))]
    proposed = reopened = branches = joined = 0
    for case in chosen:
        with tempfile.TemporaryDirectory(prefix="ob-reviews.") as tmp:
            first, again, made, second = await one(case, Path(tmp))
        print(f"{case.id:32} first {first:10} queue opened again {again}  branches {made}  "
              f"second op {second}", flush=True)
        if first == Phase.PROPOSED.value:
            proposed += 1
            reopened += again
            branches += made
            joined += second == f"{Phase.PROPOSED.value} (joined)"
    print(f"{len(chosen)} causes, {proposed} proposed by their first op: the queue opened "
          f"{reopened} again; {branches} review branches for them (target {proposed}); a "
          f"forced second op joined the review {joined} of {proposed} times; {machine()}")


if __name__ == "__main__":
    asyncio.run(main())
