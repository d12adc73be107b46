"""The missing test measured on the real-history corpus's fair refusals (issue 45, item 5):
the runner shared by bench/missing_tests_real.py and tests/governance/
test_missing_tests_real.py.

Each case of real_history.REFUSED runs as tests/governance/real_history.py runs it (the
human's test change, the sensor and router, the real phases and jail, the maintainer's fix
from the replay stand-in) to its review branch; APPROVE's context and deps are kept. Then
the replay stand-in, the named stand-in for a brain, answers the missing-test question with
each proposal of tests/governance/missing_test_texts.py in turn, each judged by
governance.phases.propose_test as APPROVE judges it (a copy of the op: its own id, its own
sandboxes and tests branch). A kept test is then run by hand, in plain pytest, on the fix
and on the cause made plain code (the mutant written into the file, or the base's file):
it must pass on the first and fail on the second.
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
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.phases.propose_test import propose_test
from governance.proof.mutation import mutated, plan
from governance.proof.test_proposal import PROMPT_TITLE, CauseKind
from governance.schemas import OperationContext, new_op_id
from kernel.replay import ReplayProvider, ReplayTurn
from ledger import Ledger
from tests.governance import real_history as rh
from tests.governance.missing_test_texts import Proposal, no_right_test, proposals
from tests.helpers import git, pipeline_deps


@dataclass
class Judged:
    case: str
    proposal: str  # its kind: right, kills nothing, assert True, detects the check, ...
    expected: str  # "kept" or "refused"
    verdict: str
    why: str
    seconds: float
    by_hand: str = ""  # kept: "kills" (passes on the fix, fails on the cause as code) or why not

    @property
    def as_expected(self) -> bool:
        kept = self.verdict == "kept"
        return kept == (self.expected == "kept") and (not kept or self.by_hand == "kills")


@dataclass
class CaseRun:
    case: str
    end: str
    cause: str  # the pipeline's missing_test "cause" and "at"
    at: str
    op_seconds: float
    judged: list[Judged]
    problem: str = ""
    question: str = ""  # what the brain was shown (the first proposal's prompt)
    no_right: str = ""  # why no test decides what was asked ("" when one does)


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


async def _review(case: rh.Case, work: Path, shared: rh.Shared) -> tuple[_Op | None, dict]:
    """The fix through the real phases to its review branch, APPROVE's context kept."""
    repo, state = rh.human_repo(case, work / "repo"), work / "state"
    envelope = await rh.signal(case, repo, state)
    if envelope is None:
        raise AssertionError(f"{case.id}: the maintainer's test change fails no test twice")
    s = rh.settings()
    validate, verify = runners_from(s, repo, state, None)
    ledger = await Ledger.open(state / "ledger.sqlite3")
    seen: dict = {}

    async def approve(ctx, d):
        seen["ctx"], seen["d"] = ctx, d
        return await approve_phase(ctx, d)

    ctx = OperationContext(envelope=envelope)
    deps = pipeline_deps(
        repo, ledger, rh.answers(case, envelope, case.fix, repo), state_dir=state,
        policy=policy_from(s), validate_runner=validate, verify_runner=verify,
        tools=venom_from(s, None, None),
        oracle=OracleMemo(cache=shared.cache, suite=shared.suite))
    end = await Orchestrator({**PHASES, Phase.APPROVE: approve}, deps).run(ctx)
    last = (await ledger.chain(ctx.op_id))["transitions"][-1]
    payload = last["payload"] or {}
    if end is not Phase.PROPOSED or "ctx" not in seen:
        await ledger.close()
        return None, {"end": end.value, "reason": last["reason"]}
    return _Op(seen["ctx"], seen["d"], payload["commit"], repo, ledger), payload


async def _judge(op: _Op, p: Proposal) -> dict:
    ctx = op.ctx.model_copy(update={"op_id": new_op_id()})
    provider = ReplayProvider([ReplayTurn(purpose="generate", match=PROMPT_TITLE,
                                          text=_reply(p.files))])
    d = dataclasses.replace(op.deps, provider=provider)
    found = (await propose_test(ctx, d, op.sha))["missing_test"]
    return found | {"op": ctx.op_id, "prompt": provider.prompts[0] if provider.prompts else ""}


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


def _as_code(op: _Op, found: dict, cause: str) -> dict[str, str]:
    """The cause as plain code: the mutant written into the fix's file (a surviving one, or
    the one a line no test runs was checked against), or the base's text of an unentered
    function's file (the fix undone there)."""
    assert op.ctx.generation is not None
    at = found["at"]
    rel = at.split(":", 1)[0]
    fix = {c.file_path: c.full_content or "" for c in op.ctx.generation.candidate.changes()}
    base = git(op.repo, "show", f"HEAD:{rel}")
    if cause == CauseKind.UNRUN and isinstance(found.get("mutant"), list):
        line, what = found["mutant"]
    elif cause != CauseKind.SURVIVING_MUTANT:
        return {rel: base}
    else:
        line = int(at.split(":", 1)[1].split(" ", 1)[0])
        what = at.split(" (", 1)[1].removesuffix(")")
    m = next(m for m in plan(base, fix[rel], rel) if (m.line, m.what) == (line, what))
    return {rel: mutated(fix[rel], m, base) + "\n"}


def by_hand(op: _Op, where: Path, found: dict, cause: str) -> str:
    """A kept test in plain pytest: "kills" when it passes on the fix and fails on the
    cause as code, else what it did."""
    tests = list(found["tests"])
    if _plain_pytest(where / "fix", op.repo, found["branch"], {}, tests) != 0:
        return "fails on the fix in plain pytest"
    code = _as_code(op, found, cause)
    if _plain_pytest(where / "cause", op.repo, found["branch"], code, tests) == 0:
        return "passes on the cause as plain code"
    return "kills"


async def run_case(case: rh.Case, work: Path, shared: rh.Shared,
                   only: tuple[str, ...] = ()) -> CaseRun:
    """The case to its review, then each proposal judged (`only`: those kinds)."""
    started = time.monotonic()
    op, payload = await _review(case, work, shared)
    op_s = time.monotonic() - started
    if op is None:
        return CaseRun(case.id, payload["end"], "", "", op_s, [], payload["reason"][:200])
    asked = payload.get("missing_test")
    if not asked:  # no reason a test could decide: nothing is asked
        await op.ledger.close()
        return CaseRun(case.id, "PROPOSED", "", "", round(op_s, 1), [],
                       "no cause a test could decide: " + " ".join(
                           str(payload.get("evidence", "")).split())[:300])
    cause, at = asked["cause"], asked["at"]
    out, question = [], ""
    try:
        for p in proposals(case.id, case.fix):
            if only and p.kind not in only:
                continue
            t0 = time.monotonic()
            found = await _judge(op, p)
            j = Judged(case.id, p.kind, p.expected, found["verdict"], found["why"],
                       round(time.monotonic() - t0, 1))
            question = question or found["prompt"]
            if found.get("commit"):
                j.by_hand = await asyncio.to_thread(by_hand, op, work / found["op"], found,
                                                    cause)
            out.append(j)
    finally:
        await op.ledger.close()
        shutil.rmtree(work / "state" / "sandboxes", ignore_errors=True)
    return CaseRun(case.id, "PROPOSED", cause, at, round(op_s, 1), out, question=question,
                   no_right=no_right_test(case.id))
