"""The L2 engine: one self-repair run, walking governance.phases.l2's state table.

A run starts from a refused candidate (VALIDATE's retries spent) or from an applied one
that VERIFY refused. Each iteration asks the model for a repair patch (one turn, under
the reflex, carrying the current files and what failed), merges it over the current
candidate, validates the merged candidate in sandboxes (on_live after VERIFY: the live
tree already holds the applied change), classifies any failure, and decides whether to
go on. Every iteration is a ledger thought with its class, failing tests, signature and
decision. The run's clock is its own timebox, started fresh when the run starts.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from governance import candidate_edits
from governance.brains.files_shown import text_block
from governance.brains.model_gate import ModelWaitExpired
from governance.brains.outage import BrainsUnreachable
from governance.brains.prompts import RepairTurn, repair_prompt
from governance.errors import CandidateParseError, ModelCollapsed, ProviderError
from governance.fs import nofollow
from governance.fs.protected import normalize
from governance.oracle.failure_text import as_payload
from governance.oracle.oracle import FailureKind
from governance.oracle.oracle_run import Validation
from governance.phase import Phase
from governance.phases import l2, step_prompt
from governance.phases.brain_wait import wait_for_brain
from governance.phases.deps import PhaseDeps
from governance.phases.generate import ask_model
from governance.phases.l2 import Decision, Failure, FailureClass, L2State, Progress, StopReason
from governance.phases.route_brains import for_route, model_grant
from governance.phases.validate import validate_candidate
from governance.proof.diff import common_ends
from governance.schemas import Candidate, FileChange, OperationContext

S = L2State
MAX_LIVE_READ = 4_000_000  # a larger live file is not diffed for the patch-size limit
MAX_DIFFED_LINES = 3_000  # a larger changed region is counted whole, not diffed
MAX_SHOWN_FILES = 12  # candidate files shown in a repair prompt; the rest are named
THOUGHT_FAILURES = 3  # failure texts an iteration's thought keeps
_MISSING = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")
# The next repair builds on an attempt that failed in these ways (the feedback names its
# lines and tests); a refused or unusable patch is dropped and the previous one kept.
ADOPTED = frozenset({FailureClass.SYNTAX, FailureClass.TEST, FailureClass.FLAKY})
# Sessions that say nothing of the code: no usable report, or pytest itself gave up.
_SESSION_ENV = frozenset({FailureKind.NO_REPORT, FailureKind.PYTEST_ABORTED})


def classify(v: Validation, candidate: Candidate) -> Failure:
    """The failure class of a refused candidate: a pure function of the structured result.
    A missing module counts as the environment's fault unless the candidate imports it."""
    if v.problems:
        syntax = [p for p in v.problems if p.startswith("SyntaxError")]
        cls = FailureClass.SYNTAX if syntax else FailureClass.REFUSED
        return Failure(cls, frozenset(), tuple(v.problems), v.detail)
    checked, baseline = v.checked, v.baseline
    if baseline is not None and baseline.problem:
        return Failure(FailureClass.ENVIRONMENT, frozenset(),
                       (f"the baseline run is unusable: {baseline.problem}",), v.detail)
    verdict = checked.verdict if checked else None
    if verdict is None:
        return Failure(FailureClass.ENVIRONMENT, frozenset(), ("nothing was judged",), v.detail)
    texts = verdict.failures
    if verdict.failing:
        return Failure(FailureClass.TEST, frozenset(verdict.failing), (), v.detail, texts)
    tails = "\n".join(o.output_tail for o in checked.outcomes)
    code = "\n".join(c.full_content or "" for c in candidate.changes())
    missing = [m for m in _MISSING.findall(tails) if not _imports(code, m)]
    if missing or verdict.kind in _SESSION_ENV:
        why = f"missing module {missing[0]!r}" if missing else verdict.reason
        return Failure(FailureClass.ENVIRONMENT, frozenset(), (why[:300],), v.detail, texts)
    timed_out = any(o.timed_out for o in checked.outcomes)
    problem = "the test run timed out" if timed_out else verdict.reason[:300]
    return Failure(FailureClass.TEST, frozenset(), (problem,), v.detail, texts)


def _imports(code: str, module: str) -> bool:
    top = re.escape(module.split(".")[0])
    return re.search(rf"^\s*(?:import|from)\s+{top}\b", code, re.MULTILINE) is not None


def merge(current: Candidate, patch: Candidate, allow_non_ascii: bool) -> Candidate:
    """`current` with the patch's files laid over it, by canonical path (PathEscape if a
    patch path is not a plain repository path)."""
    files: dict[str, FileChange] = {}
    for change in [*current.changes(), *patch.changes()]:
        rel = normalize(change.file_path, allow_non_ascii=allow_non_ascii)
        files[rel] = change.model_copy(update={"file_path": rel})
    return Candidate(files=list(files.values()), rationale=patch.rationale or current.rationale)


def _live_text(root: Path, rel: str) -> str:
    try:
        return nofollow.read_bytes(root, rel, limit=MAX_LIVE_READ).decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
    except (OSError, ValueError):  # unreadable or unsafe: GATE and APPLY refuse it anyway
        return ""


def changed_lines(old: str, new: str) -> int:
    """Lines removed plus lines added. difflib is quadratic on hostile input (every other
    line changed) and this runs on the event loop: past MAX_DIFFED_LINES the region between
    the first and the last differing line counts whole (an upper bound, never fewer)."""
    a, b = old.splitlines(), new.splitlines()
    head, tail = common_ends(a, b)
    a, b = a[head:len(a) - tail], b[head:len(b) - tail]
    if len(a) + len(b) > MAX_DIFFED_LINES:
        return len(a) + len(b)
    return sum(1 for line in difflib.unified_diff(a, b, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---")))


def _shown(root: Path, c: FileChange, n: int) -> str:
    """One candidate file for the repair prompt: its diff against the live file (which the
    prompt shows above), or its text when new, cut as the generation prompt cuts a live
    file; past MAX_SHOWN_FILES only named (a first draft's size is the model's choice)."""
    rel = c.file_path
    if c.action == "delete":
        return f"--- {rel} (deleted by your change)"
    text = c.full_content or ""
    if n >= MAX_SHOWN_FILES:
        return f"--- {rel} (written by your change, {len(text)} chars; not shown)"
    old = _live_text(root, rel)
    a, b = old.splitlines(True), text.splitlines(True)
    head, tail = common_ends(a, b)
    if not old or len(a) + len(b) - 2 * (head + tail) > MAX_DIFFED_LINES:
        return text_block(rel, text)  # new, or a change too wide to diff (quadratic)
    diff = "".join(difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}", n=2))
    return text_block(f"{rel} (your change, as a diff against the file above)",
                      diff or "(no difference)\n")


@dataclass
class L2Run:
    ctx: OperationContext
    d: PhaseDeps
    on_live: bool  # repairing a VERIFY failure: the change is already applied
    deadline: float  # the run's own timebox, absolute time.monotonic()
    candidate: Candidate  # the best known candidate: the entry one, then each merge
    failure: Failure  # the newest failure; the repair prompt is built from it
    progress: Progress = field(default_factory=Progress)
    iteration: int = 0
    pending: Candidate | None = None  # the merged candidate being validated
    rerun: bool = False  # this iteration's failing tests were re-run once (flaky check)
    capped: bool = False  # the model turn's deadline is the timebox's end
    stop: StopReason | None = None
    reason: str = ""

    @property
    def left_s(self) -> float:
        return self.deadline - time.monotonic()

    async def run(self) -> bool:
        """Walk the table to CONVERGED (True) or STOPPED (False)."""
        state = S.L2_INIT
        while state not in l2.L2_TERMINAL:
            if self.left_s <= 0 and state is not S.DECIDE_RETRY:
                nxt = self._stopped(StopReason.TIMEBOX, f"the L2 timebox passed in {state}")
            else:
                nxt = await HANDLERS[state](self)
            l2.check(state, nxt)
            state = nxt
        return state is S.CONVERGED

    def _stopped(self, why: StopReason, reason: str) -> L2State:
        self.stop, self.reason = why, reason
        return S.STOPPED

    async def _init(self) -> L2State:
        self.progress.start(self.failure)
        if self.d.provider is None:
            return self._stopped(StopReason.PROVIDER, "no model provider is available")
        if l2.CLASS_RULES[self.failure.cls].stop_at_once:  # not even one model turn
            why = f"{self.failure.cls.value} failure on entry: no code change can fix it"
            await self._record(Decision(False, why, StopReason.CLASS))
            return self._stopped(StopReason.CLASS, why)
        await self.d.thought(self.ctx, Phase.L2_REPAIR, "L2 started",
                             entry_class=self.failure.cls.value,
                             failing=sorted(self.failure.failing)[:50],
                             signature=self.failure.signature, on_live=self.on_live)
        return S.GENERATE_PATCH

    async def _generate(self) -> L2State:
        self.iteration += 1
        self.ctx.l2_iteration = self.iteration
        self.rerun = False
        p = self.d.policy
        try:
            patch = await self._asked()
            if patch is None or patch.no_op:
                raise CandidateParseError("the reply proposes no repair patch")
            self.pending = merge(self.candidate, patch, p.allow_non_ascii_paths)
        except ModelCollapsed as exc:
            self.failure = Failure(FailureClass.COLLAPSE, frozenset(), (str(exc)[:300],))
            return S.CLASSIFY_FAILURE
        # PathEscape, text not UTF-8, JSON nested past the recursion limit
        except (CandidateParseError, ValueError, RecursionError) as exc:
            self.failure = Failure(FailureClass.UNUSABLE, frozenset(), (str(exc)[:300],),
                                   str(exc))
            return S.CLASSIFY_FAILURE
        except ModelWaitExpired as exc:
            why = StopReason.TIMEBOX if self.left_s <= 0 else StopReason.NO_MODEL
            return self._stopped(why, f"no turn at the model: {exc}")
        except (ProviderError, TimeoutError) as exc:
            missed = isinstance(exc, TimeoutError) or (isinstance(exc, ProviderError)
                                                       and exc.deadline_missed)
            if self.capped and missed:  # the timebox bound the model's deadline
                return self._stopped(StopReason.TIMEBOX, f"the model missed the end of the "
                                     f"L2 timebox: {exc}")
            return self._stopped(StopReason.PROVIDER, f"the model failed: {exc}")
        too_big = self._size_problems(patch)
        if too_big:
            self.failure = Failure(FailureClass.REFUSED, frozenset(), tuple(too_big),
                                   "; ".join(too_big))
            return S.CLASSIFY_FAILURE
        return S.RUN_VALIDATION

    async def _asked(self) -> Candidate | None:
        """_ask, waiting out an outage (governance.phases.brain_wait) off the timebox."""
        while True:
            try:
                return await self._ask()
            except BrainsUnreachable as exc:
                self.deadline += await wait_for_brain(self.ctx, self.d, Phase.L2_REPAIR, exc)

    async def _ask(self) -> Candidate | None:
        d, ctx = self.d, self.ctx
        # Another op holding the model never keeps L2 waiting past its timebox.
        bound, left = d.policy.model_wait_timeout_s, max(self.left_s, 0.01)
        wait = left if bound is None else min(bound, left)
        view = for_route(d.provider, ctx.route, d)
        async with d.model_gate.turn(ctx.op_id, wait):
            first = [await d.in_thread(self._prompt)]  # built once for the sizing and the ask
            g = await model_grant(ctx, d, Phase.L2_REPAIR, view, first[0], tools=False)
            route_end = time.monotonic() + g.seconds + d.policy.routes.spec(ctx.route).grace_s
            self.capped = self.deadline < route_end  # the timebox, not the route, binds
            deadline = min(self.deadline, route_end)
            answer = await ask_model(ctx, d, Phase.L2_REPAIR,
                                     lambda: first.pop() if first else self._prompt(),
                                     deadline, use_tools=False, view=view, base=self._base)
        return answer.candidate

    def _base(self, raw: str) -> str | None:
        """What a repair's edits apply to: the candidate's version of a file (the change so
        far), else the live file (governance.candidate_edits)."""
        allow = self.d.policy.allow_non_ascii_paths
        rel = normalize(raw, allow_non_ascii=allow)
        for c in self.candidate.changes():
            if normalize(c.file_path, allow_non_ascii=allow) == rel:
                return None if c.action == "delete" else c.full_content
        return candidate_edits.live_base(self.d.root, allow)(rel)

    def _prompt(self) -> str:
        """The repair turn's prompt: the live files as GENERATE showed them (a server's cache
        keeps that prefix), then the change so far as diffs against them."""
        p = self.d.policy
        blocks = [_shown(self.d.root, c, n) for n, c in enumerate(self.candidate.changes())]
        turn = RepairTurn(self.iteration, p.l2_max_iters, self.failure.cls.value,
                          self.failure.detail or "; ".join(self.failure.problems),
                          sorted(self.failure.failing), blocks, p.l2_max_files,
                          p.l2_max_diff_lines)
        view = for_route(self.d.provider, self.ctx.route, self.d)
        return step_prompt.framed(repair_prompt(self.ctx, self.d.root, turn,
                                                step_prompt.budget(self.d, view)), self.d)

    def _size_problems(self, patch: Candidate) -> list[str]:
        """The patch against what it replaces: the current candidate's version of a file,
        else the live file (a deletion counts every line it removes)."""
        p = self.d.policy
        before = {c.file_path: c.full_content or "" for c in self.candidate.changes()}
        changes = patch.changes()
        if len(changes) > p.l2_max_files:  # before reading or diffing any of them
            return [f"the repair patch changes {len(changes)} files (at most "
                    f"{p.l2_max_files})"]
        lines = 0
        for c in changes:
            rel = normalize(c.file_path, allow_non_ascii=p.allow_non_ascii_paths)
            old = before[rel] if rel in before else _live_text(self.d.root, rel)
            lines += changed_lines(old, c.full_content or "")
        if lines > p.l2_max_diff_lines:
            return [f"the repair patch changes {lines} lines (at most "
                    f"{p.l2_max_diff_lines})"]
        return []

    async def _validate(self) -> L2State:
        assert self.pending is not None
        runner = self.d.validate_runner.with_timeout(self.d.policy.l2_iter_test_timeout_s)
        try:
            async with asyncio.timeout(max(self.left_s, 0.01)):
                v = await validate_candidate(self.ctx, self.d, self.pending, runner,
                                             on_live=self.on_live)
        except TimeoutError:
            return self._stopped(StopReason.TIMEBOX, "the L2 timebox passed during the tests")
        except ValueError as exc:  # UnsafePath (a directory named as a file), not UTF-8
            why = f"the repair cannot be laid on the tree: {exc}"[:300]
            self.failure = Failure(FailureClass.REFUSED, frozenset(), (why,), why)
            return S.CLASSIFY_FAILURE
        if v.passed:
            if self.rerun:  # failed, then passed at once: not proof enough to land
                self.failure = Failure(FailureClass.FLAKY, self.failure.failing, (),
                                       self.failure.detail, self.failure.texts)
                return S.CLASSIFY_FAILURE
            self.candidate = self.pending
            self.reason = f"converged in iteration {self.iteration}: {v.detail[:300]}"
            await self._record(Decision(False, "converged"), converged=True)
            return S.CONVERGED
        self.failure = classify(v, self.pending)
        return S.CLASSIFY_FAILURE

    async def _classify(self) -> L2State:
        if self.failure.cls is FailureClass.TEST and self.failure.failing and not self.rerun:
            self.rerun = True  # an immediate re-run tells flaky from failing
            await self.d.thought(self.ctx, Phase.L2_REPAIR, "L2 re-runs the failing tests "
                                 "once (flaky check)", iteration=self.iteration,
                                 failing=sorted(self.failure.failing)[:50])
            return S.RUN_VALIDATION
        return S.DECIDE_RETRY

    async def _decide(self) -> L2State:
        p = self.d.policy
        decision = l2.decide(self.progress, self.failure, self.iteration, p.l2_max_iters,
                             self.left_s)
        await self._record(decision)
        if not decision.retry:
            assert decision.stop is not None
            return self._stopped(decision.stop, decision.reason)
        if self.failure.cls in ADOPTED and self.pending is not None:
            self.candidate = self.pending  # the failure is about it: the prompt shows it
        return S.BUILD_REPAIR_PROMPT

    async def _build(self) -> L2State:
        self.ctx.last_failure = self.failure.detail or "; ".join(self.failure.problems)
        return S.GENERATE_PATCH

    async def _record(self, decision: Decision, converged: bool = False) -> None:
        f = self.failure
        data = {"iteration": self.iteration, "max_iterations": self.d.policy.l2_max_iters,
                "decision": "converged" if converged else
                ("retry" if decision.retry else "stop"),
                "why": decision.reason, "left_s": round(self.left_s, 1)}
        if not converged:
            data.update(failure_class=f.cls.value, failing=sorted(f.failing)[:50],
                        signature=f.signature, problems=list(f.problems)[:5],
                        stop=decision.stop.value if decision.stop else None)
            if f.texts:  # the iteration's evidence; a few, as every iteration keeps its own
                data["failures"] = as_payload(f.texts, THOUGHT_FAILURES)
        await self.d.thought(self.ctx, Phase.L2_REPAIR,
                             f"L2 iteration {self.iteration}: {data['decision']}", **data)


HANDLERS: dict[L2State, Callable[[L2Run], Awaitable[L2State]]] = {
    S.L2_INIT: L2Run._init,
    S.GENERATE_PATCH: L2Run._generate,
    S.RUN_VALIDATION: L2Run._validate,
    S.CLASSIFY_FAILURE: L2Run._classify,
    S.DECIDE_RETRY: L2Run._decide,
    S.BUILD_REPAIR_PROMPT: L2Run._build,
}
assert set(HANDLERS) == set(L2State) - l2.L2_TERMINAL
