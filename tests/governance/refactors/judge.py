"""Judging the refactor corpus: each refactor as VALIDATE judges a preserve change, in the real
jail, and through the whole pipeline for a few.

`judge` runs what VALIDATE runs for the code side of a preserve change: the module's tests on
the candidate's tree with coverage of the changed file, then the differential check
(governance.proof.differential_check: capture on the base, replay on both trees). It also checks
the corpus's own premise: the candidate passes the module's tests and every changed statement
ran under them, so nothing but the differential check can tell a careless refactor from a
control. `through_pipeline` runs one refactor as an opportunity-miner op through the real
Orchestrator and phase table, the replay provider answering with the refactor.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from governance.oracle.differential import DiffReport
from governance.oracle.testrun import CoverageRequest, TestOutcome, TestRunner
from governance.phase import Phase
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.proof.behaviour import covering_tests, touched_functions
from governance.proof.differential_check import check_behaviour
from governance.proof.static import changed_statements
from governance.schemas import OperationContext, SignalEnvelope
from ledger import Ledger
from tests.governance.refactors.corpus import Refactor
from tests.helpers import (
    DEFAULT_PROOF,
    PYTEST,
    commit_files,
    git,
    jail_limits,
    no_retry_policy,
    pipeline_deps,
    replay,
)
from tools.jail import JailExecutor

T = TypeVar("T")
R = TypeVar("R")
TEST_TIMEOUT_S = 60.0  # per pytest session; a few share two busy cores


@dataclass
class Verdict:
    """What the check made of one refactor."""

    refactor: Refactor
    reasons: list[str]  # why it would not land ([]: shown unchanged, it lands)
    premise: list[str] = field(default_factory=list)  # how the corpus's claim failed
    report: DiffReport | None = None
    seconds: float = 0.0

    @property
    def lands(self) -> bool:
        return not self.reasons

    @property
    def right(self) -> bool:
        return not self.premise and self.lands == self.refactor.preserving

    def describe(self) -> str:
        r = self.refactor
        want = "land" if r.preserving else "not land"
        got = "lands" if self.lands else f"waits: {'; '.join(self.reasons)[:300]}"
        extra = f" PREMISE: {'; '.join(self.premise)}" if self.premise else ""
        return f"{r.name} ({r.kind}; should {want}): {got}{extra}"


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def executor_for(*paths: Path, live: Path | None = None) -> JailExecutor:
    """The jail hiding `paths`; with `live`, every tree is also shown at that one path, as
    the daemon shows each copy at the live repository's path (daemon.phase_deps): a path a
    test names inside its tree (voluptuous's `IsDir()(os.path.dirname(__file__))`) is then
    the same path on the base and the candidate, each tree's own files there."""
    return JailExecutor([Path.home(), *paths], jail_limits(),
                        [Path(sys.prefix), Path(sys.base_prefix)], live_root=live)


def premise(r: Refactor, ran: TestOutcome) -> list[str]:
    """Why the candidate is not a covered refactor the module's tests pass."""
    if not ran.passed:
        return [f"the module's tests fail on the candidate: {ran.describe()[:300]}"]
    coverage = ran.report.coverage
    path = r.module.path
    unrun = [s.line for s in changed_statements(r.module.source, r.text)
             if coverage is None or not coverage.hits(path, s.lines)]
    return [f"changed lines no test runs: {unrun}"] if unrun else []


async def judge(r: Refactor, work: Path) -> Verdict:
    """The differential check on one refactor, as VALIDATE runs it (the module docstring)."""
    started = time.monotonic()
    base = await asyncio.to_thread(_write, work / "base", r.module.files)
    cand = await asyncio.to_thread(_write, work / "cand", r.files)
    runner = TestRunner(PYTEST, TEST_TIMEOUT_S, executor_for(work, live=work / "live"))
    scratch = work / "state" / "oracle"
    ran = await runner.run(cand, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({r.module.path})))
    targets, problems = touched_functions(r.module.source, r.text, r.module.path)
    if problems:
        return Verdict(r, [f"behaviour not checked: {p}" for p in problems],
                       premise(r, ran), seconds=time.monotonic() - started)
    report = await check_behaviour(runner, base, cand, targets,
                                   covering_tests(targets, ran.report.coverage), scratch)
    return Verdict(r, report.reasons(), premise(r, ran), report,
                   time.monotonic() - started)


async def judge_all(refactors: Sequence[Refactor], work: Path,
                    workers: int = 3) -> list[Verdict]:
    """Every refactor, `workers` at a time, each in its own directory under `work`."""
    return await each_in_own_dir(judge, refactors, work, workers)


async def each_in_own_dir(job: Callable[[T, Path], Awaitable[R]], items: Sequence[T],
                          work: Path, workers: int, prefix: str = "r") -> list[R]:
    """`job(item, dir)` for every item, `workers` at a time, each dir under `work` removed
    once its job ends (the corpora's judges share this)."""
    gate = asyncio.Semaphore(workers)

    async def one(n: int, item: T) -> R:
        async with gate:
            try:
                return await job(item, work / f"{prefix}{n}")
            finally:
                await asyncio.to_thread(shutil.rmtree, work / f"{prefix}{n}", True)

    return list(await asyncio.gather(*(one(n, item) for n, item in enumerate(items))))


# -- through the whole pipeline -----------------------------------------------------------


@dataclass(frozen=True)
class PipelineResult:
    end: Phase
    reasons: list[str]
    moved: bool  # the human's branch got a commit
    message: str  # HEAD's message (the commit's Evidence when it landed)


async def through_pipeline(r: Refactor, work: Path) -> PipelineResult:
    """One opportunity-miner op on the module, the model answering with the refactor."""
    repo = await asyncio.to_thread(commit_files, work / "repo", r.module.files)
    state = work / "state"
    head = git(repo, "rev-parse", "HEAD")
    executor = executor_for(repo, state, live=repo)  # as daemon.phase_deps builds it
    turn = json.dumps({"schema": "candidate.1", "rationale": r.name, "files": [
        {"file_path": r.module.path, "full_content": r.text}]})
    ledger = await Ledger.open(work / "ledger.sqlite3")
    ctx = OperationContext(envelope=SignalEnvelope(
        source="opportunity_miner", target_files=(r.module.path,),
        goal=f"simplify {r.function} in {r.module.path} without changing behaviour",
        dedup_key=r.name, session_id="refactor-corpus", evidence={"function": r.function}))
    try:
        deps = pipeline_deps(
            repo, ledger, replay(turn), state_dir=state,
            policy=no_retry_policy(notify_apply_delay_s=0, **DEFAULT_PROOF),
            validate_runner=TestRunner(PYTEST, TEST_TIMEOUT_S, executor),
            verify_runner=TestRunner(PYTEST, TEST_TIMEOUT_S, executor, writable=False))
        end = await Orchestrator(PHASES, deps).run(ctx)
        chain = await ledger.chain(ctx.op_id)
    finally:
        await ledger.close()
    return PipelineResult(end, [t["reason"] for t in chain["transitions"]],
                          git(repo, "rev-parse", "HEAD") != head,
                          git(repo, "log", "-1", "--format=%B"))
