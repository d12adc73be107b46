"""Convergence bench: does L2 self-repair make a weak model's first draft land?

Every seeded-bug task (bench.seeded_tasks: a small real repository, real git, its tests
passing at base) runs twice in this one process through the real pipeline - Orchestrator,
the phase table, real GitOps, real pytest jailed by bubblewrap, a real SQLite ledger - once
with L2 off (governance.l2_enabled = false) and once with the default settings (L2 on). The
model is bench.scripted_fixer, a scripted stand-in: its first draft implements the goal but
breaks k existing behaviours, and each later turn fixes one thing the feedback names.
Then, unless --no-reflex, bench.reflex_trials measures the re-ground reflex on collapse
incidents with the embedded model.

Run: .venv/bin/python bench/convergence.py [--tasks N] [--jobs J] [--json OUT]
                                           [--reflex-trials N | --no-reflex]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import inspect
import json
import logging
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository root, not bench/, on the path
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import structlog

from bench.scripted_fixer import ScriptedFixer
from bench.seeded_tasks import TASKS, Task
from daemon.config.settings import Settings
from daemon.phase_deps import policy_from
from governance.git.gitops import GitOps
from governance.oracle.testrun import TestRunner
from governance.phase import Phase
from governance.phases.deps import PhaseDeps
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.policy import Policy
from governance.schemas import OperationContext, SignalEnvelope
from ledger import Ledger
from tests.helpers import jail_limits
from tools.jail import JailExecutor, bwrap_available

PYTEST = ["{python}", "-m", "pytest"]
TEST_TIMEOUT_S = 30.0  # one jailed pytest session of a seeded repo takes about a second
MODEL_PHASES = ("GENERATE", "GENERATE_RETRY", "VALIDATE_RETRY", "L2_REPAIR")


@dataclass
class RunResult:
    """One task's op, with L2 on or off."""

    task: str
    kind: str
    bugs: int
    l2: bool
    end: str
    landed: bool  # COMPLETE with the auto-commit on the branch
    attempts: int  # model replies that proposed a candidate (any generating phase)
    l2_iterations: int
    l2_stop: str  # 'converged', a StopReason value, or '-' when L2 never ran
    seconds: float
    reason: str  # the last transition's reason, for a reader of --json


def policy(l2: bool) -> Policy:
    """The daemon's own policy from the default settings, L2 on or off."""
    return dataclasses.replace(policy_from(Settings()), l2_enabled=l2)


def deps_for(repo: Path, state: Path, ledger: Ledger, fixer: ScriptedFixer,
             l2: bool) -> PhaseDeps:
    """The real phases' dependencies: jailed pytest, state dir outside the repository."""
    executor = JailExecutor([Path.home(), repo, state], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    return PhaseDeps(
        root=repo, state_dir=state, state_rel="", policy=policy(l2), provider=fixer,
        git=GitOps(repo), validate_runner=TestRunner(PYTEST, TEST_TIMEOUT_S, executor),
        verify_runner=TestRunner(PYTEST, TEST_TIMEOUT_S, executor, writable=False),
        ledger=ledger, tools=None)  # tool-less: one call a turn


def l2_summary(chain: dict) -> tuple[int, str]:
    """(iterations, how L2 ended) from the op's L2_REPAIR thoughts in the ledger."""
    iterations, stop = 0, "-"
    for t in chain["thoughts"]:
        data = t.get("data") or {}
        if t.get("phase") != "L2_REPAIR" or "iteration" not in data:
            continue
        iterations = max(iterations, int(data.get("iteration") or 0))
        if data.get("decision") == "converged":
            stop = "converged"
        elif data.get("decision") == "stop":
            stop = str(data.get("stop") or "stopped")
    return iterations, stop


def _commits(repo: Path) -> int:
    out = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, check=True,
                         capture_output=True, text=True).stdout
    return int(out)


async def run_task(task: Task, l2: bool, work: Path) -> RunResult:
    """One op on a fresh copy of the task's repository, to its terminal phase."""
    case = work / f"{task.id}-{'on' if l2 else 'off'}"
    repo, state = case / "repo", case / "state"
    await asyncio.to_thread(task.materialize, repo)
    ledger = await Ledger.open(case / "ledger.sqlite3")
    start = time.monotonic()
    try:
        ctx = OperationContext(envelope=SignalEnvelope(
            source="bench", target_files=(task.target,), goal=task.goal,
            dedup_key=task.id, session_id="convergence-bench"))
        end = await Orchestrator(PHASES, deps_for(repo, state, ledger, ScriptedFixer([task]),
                                                  l2)).run(ctx)
        chain = await ledger.chain(ctx.op_id)
    finally:
        await ledger.close()
    seconds = time.monotonic() - start
    calls = [c for c in chain["model_calls"] if c["phase"] in MODEL_PHASES and c["ok"]]
    iterations, stop = l2_summary(chain)
    # Landed: it passed every gate, on the branch, or (new behaviour that no test asks for
    # is not proven: governance.proof.rules) committed to its review branch.
    landed = (end is Phase.COMPLETE and await asyncio.to_thread(_commits, repo) == 2) or (
        end is Phase.PROPOSED and bool(chain["transitions"][-1]["payload"].get("commit")))
    return RunResult(task.id, task.kind, task.bugs, l2, end.value, landed, len(calls),
                     iterations, stop, round(seconds, 1), chain["transitions"][-1]["reason"])


async def run_all(tasks: list[Task], jobs: int, work: Path) -> list[RunResult]:
    """Every task with L2 off and on, `jobs` ops at a time; progress on stderr."""
    units = [(t, l2) for t in tasks for l2 in (False, True)]
    gate = asyncio.Semaphore(max(1, jobs))
    done = 0

    async def one(task: Task, l2: bool) -> RunResult:
        nonlocal done
        async with gate:
            try:
                r = await run_task(task, l2, work)
            except Exception as exc:  # one broken run is a row, not the end of the bench
                r = RunResult(task.id, task.kind, task.bugs, l2, "ERROR", False, 0, 0, "-",
                              0.0, f"{type(exc).__name__}: {exc}")
        done += 1
        print(f"[{done}/{len(units)}] {task.id} ({task.kind}, {task.bugs} bugs) "
              f"L2 {'on ' if l2 else 'off'}: {r.end} in {r.seconds:.1f}s, "
              f"{r.attempts} attempts, L2 {r.l2_iterations} it, {r.l2_stop}",
              file=sys.stderr, flush=True)
        return r

    return list(await asyncio.gather(*(one(t, l2) for t, l2 in units)))


def pct(x: int, n: int) -> str:
    return f"{100 * x / n:.0f}%" if n else "n/a"


def report(results: list[RunResult]) -> str:
    """The table (one row per task) and the ratio line."""
    by = {(r.task, r.l2): r for r in results}
    ids = list(dict.fromkeys(r.task for r in results))
    head = (f"{'task':<5} {'kind':<12} {'bugs':>4}  {'off':<4} {'on':<4} "
            f"{'att off/on':>10}  {'L2 it':>5}  {'L2 stop':<16} {'s off/on':>11}")
    lines = [head, "-" * len(head)]
    for tid in ids:
        off, on = by[(tid, False)], by[(tid, True)]
        lines.append(
            f"{tid:<5} {on.kind:<12} {on.bugs:>4}  {'yes' if off.landed else 'no':<4} "
            f"{'yes' if on.landed else 'no':<4} {f'{off.attempts}/{on.attempts}':>10}  "
            f"{on.l2_iterations:>5}  {on.l2_stop:<16} "
            f"{f'{off.seconds:.1f}/{on.seconds:.1f}':>11}")
    n = len(ids)
    x = sum(by[(t, True)].landed for t in ids)
    y = sum(by[(t, False)].landed for t in ids)
    lines.append(f"landed with L2: {x}/{n} ({pct(x, n)}) vs without: {y}/{n} ({pct(y, n)})")
    return "\n".join(lines)


def reflex(trials: int) -> tuple[str, dict | None]:
    """bench.reflex_trials' result line, or why it was not run."""
    try:
        from bench.reflex_trials import run_reflex_trials
    except ImportError as exc:
        return f"collapse incidents recovered by the reflex: not run ({exc})", None
    try:
        out = run_reflex_trials(trials, seed=0)
        if inspect.isawaitable(out):
            out = asyncio.run(out)
    except Exception as exc:  # the embedded model missing, say: report it, keep the table
        return (f"collapse incidents recovered by the reflex: not run "
                f"({type(exc).__name__}: {exc})"), None
    r, i = int(out["recovered"]), int(out["incidents"])
    return f"collapse incidents recovered by the reflex: {r}/{i} ({pct(r, i)})", dict(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=len(TASKS), help="run the first N tasks")
    p.add_argument("--jobs", type=int, default=1, help="ops run at a time")
    p.add_argument("--json", type=Path, help="write the rows and ratios here")
    p.add_argument("--reflex-trials", type=int, default=10, help="reflex trials to run")
    p.add_argument("--no-reflex", action="store_true", help="skip the reflex trials")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The ops' thought log is the ledger's; on the terminal only the table and progress.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    why = bwrap_available()
    if why is not None:
        print(f"the bench runs its tests in the jail and bubblewrap is unusable: {why}",
              file=sys.stderr)
        return 2
    tasks = list(TASKS[:max(0, args.tasks)])
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ob-convergence-") as tmp:
        results = asyncio.run(run_all(tasks, args.jobs, Path(tmp)))
    print(report(results))
    print(f"({len(results)} ops in {time.monotonic() - start:.0f}s, jobs={args.jobs})")
    line, reflex_out = ("collapse incidents recovered by the reflex: skipped (--no-reflex)",
                        None) if args.no_reflex else reflex(args.reflex_trials)
    print(line)
    if args.json:
        ids = [t.id for t in tasks]
        summary = {"n": len(ids), "landed_on": sum(r.landed for r in results if r.l2),
                   "landed_off": sum(r.landed for r in results if not r.l2)}
        args.json.write_text(json.dumps({"runs": [asdict(r) for r in results],
                                         "summary": summary, "reflex": reflex_out},
                                        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
