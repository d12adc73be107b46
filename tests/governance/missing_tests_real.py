"""The missing test measured on the real-history corpus's fair refusals (issue 45, item 5):
the runner shared by bench/missing_tests_real.py and tests/governance/
test_missing_tests_real.py.

Each case of real_history.REFUSED runs as tests/governance/real_history.py runs it (the
human's test change, the sensor and router, the real phases and jail, the maintainer's fix
from the replay stand-in) to its review branch; APPROVE's context and deps are kept. Then
the replay stand-in, the named stand-in for a brain, answers every reason's question with
each kind of proposal of tests/governance/missing_test_texts.py in turn (one step per kind,
every reason asked), judged by governance.phases.missing_test_step as APPROVE judges it (a copy
of the op: its own id, its own sandboxes and tests branch). A kept test is then run by
hand, in plain pytest, on the fix and on its reason made plain code (the mutant written
into the file, or the base's file): it must pass on the first and fail on the second.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from daemon.phase_deps import policy_from, runners_from, venom_from
from governance.oracle.oracle_run import OracleMemo
from governance.phase import Phase
from governance.phases.land import approve_phase
from governance.phases.missing_test_step import propose_test
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.proof.missing_test_rules import PROMPT_TITLE
from governance.proof.mutation import mutated, plan
from governance.schemas import OperationContext, new_op_id
from kernel.replay import ReplayProvider, ReplayTurn
from ledger import Ledger
from tests.governance import real_history as rh
from tests.governance.missing_test_texts import (
    KINDS,
    Proposal,
    any_test,
    proposal,
    reason,
)
from tests.helpers import git, pipeline_deps

# Every reason a case waits for is asked (the settings' most questions, a bound no case
# reaches), so the figures cover each, not only the first; how many the default would ask is
# counted beside (DEFAULT_QUESTIONS).
ASK_ALL, ASK_ALL_S, DEFAULT_QUESTIONS = 20, 3600.0, 4
# what a proposal the checks refused may end as (the rest say nothing of the test)
NO_VERDICT = ("no answer", "not asked", "could not be checked", "unusable reply")


@dataclass
class Judged:
    case: str
    reason: str  # where: "file:line (what)", as the step names it
    cause: str  # its kind: surviving mutant, a line no test runs, unentered function, ...
    proposal: str  # its kind: right, kills nothing, assert True, detects the check, ...
    expected: str  # "kept" or "refused"
    verdict: str
    why: str
    seconds: float
    by_hand: str = ""  # kept: "kills" (passes on the fix, fails on the cause as code) or why not

    @property
    def as_expected(self) -> bool:
        kept = self.verdict == "kept"
        if self.expected == "kept":
            return kept and self.by_hand == "kills"
        return not kept and self.verdict not in NO_VERDICT


@dataclass
class CaseRun:
    case: str
    end: str
    reasons: list[dict]  # the step's causes: cause, at, file, line, what, mutant
    op_seconds: float
    judged: list[Judged]
    problem: str = ""
    questions: list[str] = dataclasses.field(default_factory=list)  # one per reason asked
    no_right: dict[str, str] = dataclasses.field(default_factory=dict)  # reason: why none

    @property
    def cause(self) -> str:
        return self.reasons[0]["cause"] if self.reasons else ""

    @property
    def at(self) -> str:
        return self.reasons[0]["at"] if self.reasons else ""


@dataclass
class _Op:
    ctx: OperationContext
    deps: object
    sha: str
    repo: Path
    ledger: Ledger


def _reply(files: dict[str, str]) -> str:
    return json.dumps({"schema": "candidate.1", "rationale": "the missing test", "files": [
        {"file_path": p, "full_content": t} for p, t in files.items()]})


async def _review(case: rh.Case, work: Path, shared: rh.Shared, ask_all: bool = False
                  ) -> tuple[_Op | None, dict]:
    """The fix through the real phases to its review branch, APPROVE's context kept;
    `ask_all`: the step's bound raised so every reason is asked (else the default's)."""
    repo, state = rh.human_repo(case, work / "repo"), work / "state"
    envelope = await rh.signal(case, repo, state)
    if envelope is None:
        raise AssertionError(f"{case.id}: the maintainer's test change fails no test twice")
    s = rh.settings()
    validate, verify = runners_from(s, repo, state, None)
    policy = dataclasses.replace(policy_from(s), missing_test_questions=ASK_ALL,
                                 missing_test_budget_s=ASK_ALL_S) if ask_all else policy_from(s)
    ledger = await Ledger.open(state / "ledger.sqlite3")
    seen: dict = {}

    async def approve(ctx, d):
        seen["ctx"], seen["d"] = ctx, d
        return await approve_phase(ctx, d)

    ctx = OperationContext(envelope=envelope)
    deps = pipeline_deps(
        repo, ledger, rh.answers(case, envelope, case.fix, repo), state_dir=state,
        policy=policy, validate_runner=validate, verify_runner=verify,
        tools=venom_from(s, None, None),
        oracle=OracleMemo(cache=shared.cache, suite=shared.suite))
    end = await Orchestrator({**PHASES, Phase.APPROVE: approve}, deps).run(ctx)
    last = (await ledger.chain(ctx.op_id))["transitions"][-1]
    payload = last["payload"] or {}
    if end is not Phase.PROPOSED or "ctx" not in seen:
        await ledger.close()
        return None, {"end": end.value, "reason": last["reason"]}
    return _Op(seen["ctx"], seen["d"], payload["commit"], repo, ledger), payload


async def _judge(op: _Op, answers: list[Proposal | None]) -> dict:
    """The step asked about every reason in turn, the stand-in answering the i-th question
    with answers[i] (None: a reply that changes nothing); the step's missing_test."""
    ctx = op.ctx.model_copy(update={"op_id": new_op_id()})
    provider = ReplayProvider([ReplayTurn(purpose="generate", match=PROMPT_TITLE,
                                          text=_reply(a.files if a else {}))
                               for a in answers])
    d = dataclasses.replace(op.deps, provider=provider)
    found = (await propose_test(ctx, d, op.sha))["missing_test"]
    return found | {"op": ctx.op_id, "prompts": provider.prompts}


def _plain_pytest(where: Path, repo: Path, branch: str, files: dict[str, str],
                  tests: list[str]) -> int:
    """`tests` on the branch's tree with `files` written over it, in plain pytest."""
    tree = where / "tree"
    git(repo, "worktree", "add", "-q", "--detach", str(tree), branch)
    try:
        for rel, text in files.items():
            (tree / rel).write_text(text)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
            cwd=tree, capture_output=True, env=env, timeout=600).returncode
    finally:
        git(repo, "worktree", "remove", "--force", str(tree))


def _as_code(op: _Op, reason: dict) -> dict[str, str]:
    """The reason as plain code: its mutant written into the fix's file (a surviving one,
    or the one a line no test runs was checked against), else the base's text of the file
    (an unentered function's, or a line with no mutant: the fix undone there)."""
    assert op.ctx.generation is not None
    rel = reason["file"]
    fix = {c.file_path: c.full_content or "" for c in op.ctx.generation.candidate.changes()}
    base = git(op.repo, "show", f"HEAD:{rel}")
    if not isinstance(reason.get("mutant"), list):
        return {rel: base}
    line, what = reason["mutant"]
    m = next(m for m in plan(base, fix[rel], rel) if (m.line, m.what) == (line, what))
    return {rel: mutated(fix[rel], m, base) + "\n"}


def by_hand(op: _Op, where: Path, reason: dict, _cause: str = "") -> str:
    """A reason's kept test in plain pytest (`reason`: its verdict's payload, with the tests
    branch): "kills" when it passes on the fix and fails on the reason as code, else what
    it did. (`_cause`: what bench/missing_tests_brain.py passes; the payload says it.)"""
    tests, branch = list(reason["tests"]), reason["branch"]
    if _plain_pytest(where / "fix", op.repo, branch, {}, tests) != 0:
        return "fails on the fix in plain pytest"
    if _plain_pytest(where / "cause", op.repo, branch, _as_code(op, reason), tests) == 0:
        return "passes on the cause as plain code"
    return "kills"


async def run_case(case: rh.Case, work: Path, shared: rh.Shared,
                   only: tuple[str, ...] = (), reasons: int = ASK_ALL) -> CaseRun:
    """The case to its review, then each kind of proposal offered for each of its first
    `reasons` reasons at once (`only`: those kinds), the rest answered with nothing."""
    started = time.monotonic()
    op, payload = await _review(case, work, shared, ask_all=True)
    op_s = round(time.monotonic() - started, 1)
    if op is None:
        return CaseRun(case.id, payload["end"], [], op_s, [], payload["reason"][:200])
    asked = payload.get("missing_test")
    if not asked:  # no reason a test could decide: nothing is asked
        await op.ledger.close()
        return CaseRun(case.id, "PROPOSED", [], op_s, [],
                       "no cause a test could decide: " + " ".join(
                           str(payload.get("evidence", "")).split())[:300])
    run = CaseRun(case.id, "PROPOSED", [_reason_of(c) for c in asked["causes"]], op_s, [])
    data = [reason(case.id, r["at"], n == 0) for n, r in enumerate(run.reasons)]
    run.no_right = {r.at: r.no_right for r in data}
    fallback = next((r.right or r.weak for r in data if r.right or r.weak),
                    any_test(case.id))
    try:
        for kind in KINDS:
            if only and kind not in only:
                continue
            answers = [proposal(kind, r, fallback, case.fix) if n < reasons else None
                       for n, r in enumerate(data)]
            if any(answers):
                await _judge_kind(op, run, work, answers)
    finally:
        await op.ledger.close()
        shutil.rmtree(work / "state" / "sandboxes", ignore_errors=True)
    return run


def _reason_of(cause: dict) -> dict:
    return {k: cause.get(k) for k in ("cause", "at", "file", "line", "what", "mutant")}


async def _judge_kind(op: _Op, run: CaseRun, work: Path, answers: list[Proposal | None]
                      ) -> None:
    """One step with `answers`, each answered reason's verdict a Judged of `run`."""
    found = await _judge(op, answers)
    run.questions = run.questions or list(found["prompts"])
    causes = found["causes"]
    assert [c["at"] for c in causes] == [r["at"] for r in run.reasons], (
        "the step asked in another order", causes, run.reasons)
    for n, (p, c) in enumerate(zip(answers, causes, strict=True)):
        if p is None:
            continue
        j = Judged(run.case, c["at"], c["cause"], p.kind, p.expected, c["verdict"],
                   c["why"], float(c.get("seconds", 0.0)))
        if c["kept"] and found.get("branch"):
            j.by_hand = await asyncio.to_thread(by_hand, op, work / f"{found['op']}-{n}",
                                                c | {"branch": found["branch"]})
        run.judged.append(j)
