"""One task through the daemon's real pipeline, in a scratch repository, judged by its
hidden tests.

1. A scratch (daemon.eval.scratch) at the task's base: the commit's parent.
2. The signal, as the daemon would make it. *Repair*: the human commits the test change;
   the daemon's TestFailureSensor runs the changed test files in the jail, twice (a test
   becomes work once it fails twice in a row), and the IntakeRouter picks the op from its
   envelopes. *New behaviour*: the goal (the commit message) filed as `ouroboros signal`
   does, on the fix's files that exist at the base.
3. The op runs through the real Orchestrator and phase table, with the parts the daemon
   builds from its settings (daemon.phase_deps: the policy, the jailed VALIDATE and VERIFY
   runners, Venom's tool loop), the routes resolved against the brain (daemon.brains.routes:
   its deadlines, its measured speed), the model shared by every op of the run (one
   ModelGate), and the eval ledger.
4. The verdict (daemon.eval.result): what landed on the scratch's branch, or the review
   branch's tree, is run with the commit's own test files in place, and every hidden test
   must pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from daemon.config.settings import Settings
from daemon.eval import kept_test, rider, scratch, standins
from daemon.eval.result import TaskResult, Verdict, reason_class, spend
from daemon.eval.settings import STAND_INS
from daemon.eval.suite import Suite
from daemon.eval.task import Kind, Task
from daemon.phase_deps import policy_from, runners_from, venom_from
from governance.brains.model_gate import ModelGate
from governance.brains.provider import CandidateProvider
from governance.git.gitops import GitOps
from governance.oracle.oracle import BaselineCache
from governance.oracle.oracle_run import OracleMemo
from governance.phase import Phase
from governance.phases.deps import HostYield, PhaseDeps
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.proof.removed_rows import removed_rows
from governance.routes.routing import RouteTable
from governance.routes.throughput import BrainSpeeds, PlanRecord
from governance.schemas import OperationContext, SignalEnvelope
from ledger import Ledger
from sensors import human
from sensors.failing_tests import TestFailureSensor
from sensors.failure_streaks import BranchTip
from sensors.router import IntakeRouter

SESSION = "eval"
SENSOR_RUNS = 2  # a failing test becomes work once it fails twice in a row (the sensor)
GOAL_CAP = 2000  # what `ouroboros signal` takes


@dataclass
class Parts:
    """What every task of one run shares."""

    repo: Path  # the user's repository: only ever cloned from
    settings: Settings  # daemon.eval.settings.for_brain
    brain: str
    provider: CandidateProvider | None  # a configured brain; None for a stand-in
    ledger: Ledger  # the eval ledger
    work: Path  # where the scratches go
    jail_reason: str | None
    speeds: BrainSpeeds | None = None
    plans: PlanRecord = field(default_factory=PlanRecord)
    routes: RouteTable | None = None  # resolved against the brain (daemon.brains.routes)
    host_yield: HostYield | None = None  # a running op waits for the host (daemon.host.pause)
    model_gate: ModelGate = field(default_factory=ModelGate)
    cache: BaselineCache = field(default_factory=lambda: BaselineCache(capacity=64))


T = TypeVar("T")


async def _to_thread_to_its_end(fn: Callable[..., T], *args: object) -> T:
    """`fn` in a thread; cancelled (eval's time bound), this still waits for the thread to
    end before raising: a clone left running would write into the scratch the next run of
    the task clones into again (git: "already exists")."""
    job = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await job
        raise


async def run_task(parts: Parts, task: Task, kind: Kind,
                   on_op: Callable[[str], None] = lambda _: None) -> TaskResult:
    """The task run once by the run's brain; its scratch is gone afterwards. `on_op` is told
    the op's id as the op starts (the heartbeat reads where it is from the ledger)."""
    work = parts.work / f"{task.id}-{kind.value}"
    scratch.remove(work)
    started = time.monotonic()
    try:
        root = await _to_thread_to_its_end(scratch.clone, parts.repo, work / "repo",
                                           task.parent)
        state = work / "state"
        envelope = await signal(parts, task, kind, root, state)
        if envelope is None:
            return TaskResult(task=task.id, kind=kind.value, date=task.date,
                              verdict=Verdict.NO_SIGNAL, reason=_no_signal(kind),
                              reason_class="no signal", wall_s=time.monotonic() - started)
        head = await asyncio.to_thread(scratch.head, root)
        end, op_id = await run_op(parts, task, envelope, root, state, on_op)
        chain = await parts.ledger.chain(op_id)
        result = await judge(parts, task, kind, root, work, head, end, chain)
    finally:
        await asyncio.to_thread(scratch.remove, work)
    return result.model_copy(update={"wall_s": round(time.monotonic() - started, 2)})


def _no_signal(kind: Kind) -> str:
    return ("the test change fails no test twice in the jail: the sensor makes no work of it"
            if kind is Kind.REPAIR else "none of the fix's files exists at the base: a "
            "signal has no file to name")


async def signal(parts: Parts, task: Task, kind: Kind, root: Path,
                 state: Path) -> SignalEnvelope | None:
    """The envelope the daemon would queue first, or None."""
    if kind is Kind.NEW:
        files = [p for p, t in task.fix.items() if t is not None and (root / p).is_file()]
        if not files:
            return None
        return human.envelope_for(root, SESSION, task.message[:GOAL_CAP], files, "normal")
    await asyncio.to_thread(scratch.commit, root, task.tests,
                            f"tests from {task.sha[:12]}: {task.subject}"[:200])
    return await sensed(parts, task, root, state)


async def sensed(parts: Parts, task: Task, root: Path, state: Path) -> SignalEnvelope | None:
    """The daemon's TestFailureSensor on the changed test files, run twice in the jail
    (VERIFY's runner: read-only on the tree), its envelopes through the router."""
    emitted: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:
        emitted.append(env)
        return True

    gitops = GitOps(root)
    _, verify = runners_from(parts.settings, root, state, parts.jail_reason,
                             shown_at=parts.repo)
    run = functools.partial(verify.run, root, scratch=state / "oracle")
    sensor = TestFailureSensor(
        root, state, SESSION, emit, runner=run, runner_problem=parts.jail_reason,
        trace_runner=run,  # no host gate here: a failure asserted in its test is run once
        # more for what its call ran (sensors.failure_calls), as before de153a5
        list_files=lambda: asyncio.to_thread(gitops.listed_files),
        commits=functools.partial(asyncio.to_thread, BranchTip(gitops)))
    for _ in range(SENSOR_RUNS):
        await sensor.on_paths(task.test_files)
        await sensor.run_affected()
    intake = parts.settings.intake
    router = IntakeRouter(intake.queue_capacity, intake.coalesce_window_s,
                          intake.file_lock_ttl_s)
    for env in emitted:
        router.offer(env)
    return router.next_ready()


def deps(parts: Parts, provider: CandidateProvider | None, root: Path,
         state: Path) -> PhaseDeps:
    """The op's phase dependencies, as daemon.service builds them for its own ops."""
    s = parts.settings
    policy = policy_from(s)
    if parts.routes is not None:
        policy = dataclasses.replace(policy, routes=parts.routes)
    validate, verify = runners_from(s, root, state, parts.jail_reason, shown_at=parts.repo)
    return PhaseDeps(root=root, state_dir=state, state_rel="", policy=policy,
                     provider=provider, git=GitOps(root), validate_runner=validate,
                     verify_runner=verify, ledger=parts.ledger,
                     tools=venom_from(s, parts.jail_reason, None),
                     oracle=OracleMemo(cache=parts.cache), model_gate=parts.model_gate,
                     speeds=parts.speeds, plans=parts.plans, host_yield=parts.host_yield)


async def run_op(parts: Parts, task: Task, envelope: SignalEnvelope, root: Path,
                 state: Path, on_op: Callable[[str], None]) -> tuple[Phase, str]:
    """(the end phase, the op's id)."""
    provider = parts.provider
    if parts.brain in STAND_INS:
        provider = standins.for_task(parts.brain, task, envelope, root,
                                     parts.settings.generate.samples)
    ctx = OperationContext(envelope=envelope)
    on_op(ctx.op_id)
    end = await Orchestrator(PHASES, deps(parts, provider, root, state)).run(ctx)
    return end, ctx.op_id


async def judge(parts: Parts, task: Task, kind: Kind, root: Path, work: Path, head: str,
                end: Phase, chain: dict) -> TaskResult:
    """The verdict: where the change went, and whether the hidden tests pass there and the
    careless rider is absent (a change that carries it is wrong, noticed or not)."""
    transitions = chain["transitions"]
    last = transitions[-1] if transitions else {}
    payload = last.get("payload") or {}
    now = await asyncio.to_thread(scratch.head, root)
    base = {"task": task.id, "kind": kind.value, "date": task.date, "end": end.value,
            "reason": str(last.get("reason", "")), "op_id": chain["operation"]["op_id"],
            **spend(chain, model=parts.brain not in STAND_INS)}
    if now != head:  # the branch moved: landed (proven or not, it is on the branch)
        message = await asyncio.to_thread(scratch.git, root, "log", "-1", "--format=%B")
        evidence = next((ln.removeprefix("Evidence: ") for ln in message.splitlines()
                         if ln.startswith("Evidence: ")), "")
        failing = await hidden_failing(parts, task, root, work)
        rider = carried(task, root) or await asyncio.to_thread(dropped, task, root, head, now)
        verdict = Verdict.FALSE_PROVEN if failing or rider or end is not Phase.COMPLETE \
            else Verdict.RESOLVED
        return TaskResult(**base, verdict=verdict, evidence=evidence, hidden_failing=failing,
                          rider=rider)
    if end is Phase.PROPOSED and isinstance(payload.get("branch"), str):
        await keep_review(parts.ledger, base["op_id"], root, head, payload["branch"])
        tree = await asyncio.to_thread(scratch.checkout_copy, root, payload["branch"],
                                       work / "review")
        failing = await hidden_failing(parts, task, tree, work)
        rider = carried(task, tree) or await asyncio.to_thread(dropped, task, root, head,
                                                               payload["branch"])
        verdict = Verdict.PROPOSED_WRONG if failing or rider else Verdict.PROPOSED_CORRECT
        missing = await kept_test.of_review(parts.settings, parts.jail_reason, task, root,
                                            work, payload, repo=parts.repo)
        return TaskResult(**base, verdict=verdict, hidden_failing=failing, rider=rider,
                          missing_test=missing)
    if end is Phase.COMPLETE:
        return TaskResult(**base, verdict=Verdict.NO_CHANGE, reason_class="no change")
    return TaskResult(**base, verdict=Verdict.POSTMORTEM,
                      reason_class=reason_class(str(last.get("from_phase") or ""),
                                                base["reason"], _asked(task, kind)))


def _asked(task: Task, kind: Kind) -> frozenset[str]:
    """The tests a repair is asked to make pass (a new behaviour's stay hidden)."""
    return frozenset(task.fail_to_pass) if kind is Kind.REPAIR else frozenset()


REVIEW_KEPT = "EVAL"  # the thought's phase: the review branch's change, kept
DIFF_CAP = 200_000  # characters of a kept diff


async def keep_review(ledger: Ledger, op_id: str, root: Path, head: str, branch: str) -> None:
    """The review branch's change, kept in the op's chain (`eval report --op` prints it):
    the branch its reason names lives in the task's scratch clone, deleted once judged."""
    diff = await asyncio.to_thread(scratch.git, root, "diff", head, branch)
    await ledger.record_thought(op_id, REVIEW_KEPT, "the change proposed for review, kept "
                                "here: its branch lived in the task's scratch clone, deleted "
                                "once the task was judged", {"branch": branch,
                                                             "diff": diff[:DIFF_CAP]})


def carried(task: Task, tree: Path) -> str:
    """The task's careless rider, described, when `tree` carries it; "" when not."""
    r = task.rider
    if r is None:
        return ""
    path = tree / r.path
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
    if not rider.carries(text, r.text, r.function):
        return ""
    return f"the careless rider ({r.path}, {r.function}: {r.mutation})"


def dropped(task: Task, root: Path, head: str, rev: str) -> str:
    """The table rows (governance.proof.removed_rows) the change from `head` to `rev` in
    the scratch `root` removes or hides and the maintainer's fix keeps, described; "" when
    none. A row written over its neighbour passed sqlparse's hidden tests (issue 50, stop
    74): the card counted it correct, and it dropped the `MATCH` keyword."""
    rows: list[str] = []
    # -z: a path git would quote (a non-ASCII or odd name) is read as it is
    for path in filter(None, scratch.git(root, "diff", "--name-only", "-z", head,
                                         rev).split("\0")):
        old, new = _text_at(root, head, path), _text_at(root, rev, path)
        fix = task.fix.get(path, old)
        kept = {r.split(" ", 1)[1] for r in removed_rows(path, old, fix)}  # line aside
        rows += [r for r in removed_rows(path, old, new) if r.split(" ", 1)[1] not in kept]
    return f"rows the maintainer's fix keeps, dropped: {', '.join(rows[:3])}" if rows else ""


def _text_at(root: Path, rev: str, path: str) -> str | None:
    """`path`'s text at `rev` of the scratch, None where it has none."""
    try:
        return scratch.git(root, "show", f"{rev}:{path}")
    except subprocess.CalledProcessError:
        return None


async def hidden_failing(parts: Parts, task: Task, tree: Path, work: Path) -> list[str]:
    """The hidden tests that do not pass on `tree` with the commit's test files in place
    (the first 20); the whole suite runs, in the jail."""
    await asyncio.to_thread(scratch.write, tree, task.tests)
    suite = Suite(parts.settings, work / "judge-state", parts.jail_reason,
                  parts.settings.eval.suite_timeout_s, repo=parts.repo)
    run = await suite.run(tree)
    if run.problem and not run.tests:
        return [f"(the suite did not run: {run.problem[:200]})"]
    return [t for t in task.hidden if not run.passed(t)][:20]
