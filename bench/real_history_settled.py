"""The second op for a cause a landed commit fixed (issue 51 item 3), on real maintainers'
fixes (tests/data/real_history/): does it open, and would it end POSTMORTEM?

Per case: the human commits the maintainer's test change and runs the changed test files
twice (the ouroboros_results plugin); the daemon's TestFailureSensor, given HEAD as the
daemon gives it, and its router make the op's envelope (bench/ops_per_cause.py counts those:
one per case). Then the maintainer's fix lands as a commit, as the first op's would, and
the same envelope comes up again on the daemon's real IntakeQueue (SQLite ledger, work
memory), as a sensor's later report or a WAL row replayed after a restart does: the queue
runs its tests again in the jail (the daemon's read-only VERIFY runner) before opening an
op. Counted: second ops opened (each would find an empty change: before issue 51 a
POSTMORTEM "the change is empty relative to its base"), and work settled "fixed by
<commit>" instead.

    .venv/bin/python bench/real_history_settled.py [--cases ID-PREFIX ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.real_history import machine
from daemon.phase_deps import runners_from
from governance.schemas import SignalEnvelope
from ledger import Ledger
from sensors.failing_tests import TestFailureSensor
from tests.governance import real_history as rh
from tests.helpers import git, intake_queue, work_memory


async def envelope(case: rh.Case, repo: Path, state: Path) -> SignalEnvelope | None:
    """The human's two runs through the sensor (given HEAD, as the daemon gives it)."""
    emitted: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:
        emitted.append(env)
        return True

    async def commits() -> list[str]:
        return git(repo, "rev-list", "--max-count=2", "HEAD").split()

    sensor = TestFailureSensor(repo, state, "settled", emit, commits=commits)
    files = git(repo, "ls-files").splitlines()
    tests = [t for t, text in case.tests.items() if text is not None and t.endswith(".py")]
    for _ in range(rh.HUMAN_RUNS):
        await asyncio.to_thread(rh.human_pytest, repo, state, tests)
        await sensor.scan_once(files)
    return emitted[0] if emitted else None


def land(case: rh.Case, repo: Path) -> str:
    """The maintainer's fix, committed: what the first op landed."""
    for rel, text in case.fix.items():
        if text is None:
            git(repo, "rm", "-q", rel)
        else:
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
            git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", "the first op's fix")
    return git(repo, "rev-parse", "HEAD").strip()


async def signalled(case: rh.Case, work: Path) -> tuple[Path, Path, SignalEnvelope]:
    """The human's repository after the test change, its state dir, and the envelope."""
    repo = rh.human_repo(case, work / "repo")
    state = work / "state"
    state.mkdir()
    env = await envelope(case, repo, state)
    if env is None:
        raise AssertionError(f"{case.id}: no test failed twice")
    return repo, state, env


async def one(case: rh.Case, work: Path) -> tuple[int, bool]:
    """(second ops opened, settled 'fixed by' the landed commit) for one case."""
    repo, state, env = await signalled(case, work)
    fix = land(case, repo)
    _, verify = runners_from(rh.settings(), repo, state, None)

    async def rerun(tests):
        return await verify.run(repo, list(tests), scratch=state / "oracle")

    ledger = await Ledger.open(state / "ledger.sqlite3")
    try:
        q = intake_queue(ledger, work=work_memory(ledger, repo), runner=lambda: rerun)
        await q.put(env)
        opened = int(await q.pop_ready() is not None)
        with contextlib.closing(sqlite3.connect(ledger.path)) as db:
            said = [m for (m,) in db.execute("SELECT msg FROM thoughts")]
    finally:
        await ledger.close()
    return opened, any(m.startswith(f"fixed by {fix[:12]}") for m in said)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", nargs="*", default=[])
    args = ap.parse_args()
    chosen = [c for c in rh.cases("all")
              if not args.cases or any(c.id.startswith(p) for p in args.cases)]
    opened = settled = 0
    for case in chosen:
        with tempfile.TemporaryDirectory(prefix="ob-settled.") as tmp:
            o, s = await one(case, Path(tmp))
        print(f"{case.id:32} second op opened {o}  fixed by the landed commit {int(s)}",
              flush=True)
        opened += o
        settled += s
    print(f"{len(chosen)} causes fixed by a landed commit: {opened} second ops opened "
          f"(each a POSTMORTEM 'empty relative to its base' before), {settled} settled "
          f"'fixed by <commit>'; {machine()}")


if __name__ == "__main__":
    asyncio.run(main())
