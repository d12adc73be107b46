"""The checks of a proposed missing test that run tests (governance.phases.missing_test_step asks;
governance.proof.missing_test_rules.CHECKS says what each refuses), for one proposal about one
cause, in copies of the live tree under the op's sandboxes:

- its new tests pass on the candidate (with the tests already kept for the change's other
  causes beside them: they are part of what the review will hold), and again in a second
  session;
- a line no test runs: a new test runs it (the first session's coverage);
- a surviving mutant, a line no test runs: they fail with the mutant switched on from the
  start, and pass the canary (the same session with an id no mutant has), the two in a
  random order;
- an unentered function, new behaviour (or a line with no mutant): they fail on the base,
  one that does runs a changed line of the function (the line), and they pass the canary.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from governance.git.gitops import GitOps
from governance.oracle.oracle import Report
from governance.oracle.run_dir import CoverageRequest, import_mutation_request
from governance.oracle.sandbox import Sandbox
from governance.oracle.testrun import TestRunner
from governance.policy import Policy
from governance.proof import missing_test_rules as tp
from governance.proof.mutation import Mutant, plan
from governance.proof.rules import FileText
from governance.proof.static import changed_statements
from governance.proof.symbols import symbol_of_line
from governance.python_ast import parse_python
from governance.schemas import FileChange, OperationContext

_RNG = random.SystemRandom()
# A new test fails on the base when it failed there, or its module could not be collected
# there (`_new` says "missing": it imports the name the change adds). A skip, an xfail or
# an error in a fixture is no failure of the base's behaviour.
FAILS_ON_BASE = frozenset({"failed", "missing"})


class JailDeps(Protocol):
    """What the checks read of the op's deps: governance.phases.deps.PhaseDeps has it all,
    and the proof room, below the phases, never imports them."""

    root: Path
    state_dir: Path
    state_rel: str  # state dir relative to root ('' when it lives outside the repo)
    policy: Policy
    git: GitOps
    validate_runner: TestRunner

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> Any: ...


class ProposalJail:
    """The checks that run tests, for one proposal, in copies of the live tree."""

    def __init__(self, ctx: OperationContext, d: JailDeps, cause: tp.Cause,
                 files: Sequence[FileText], changes: list[FileChange],
                 added: dict[str, frozenset[str]], earlier: Sequence[FileChange] = ()):
        self.ctx, self.d, self.cause, self.files = ctx, d, cause, files
        self.changes, self.added, self.earlier = changes, added, list(earlier)
        self.paths = sorted(c.file_path for c in changes)
        # its own dir beside the op's, destroyed whole: a subdir of sandboxes/<op> left
        # that dir behind, empty, after every proposal (tests/daemon/test_propose_crash.py)
        self.boxes = d.state_dir / "sandboxes" / f"{ctx.op_id}-missing-test"
        self.scratch = d.state_dir / "oracle"

    def says(self, verdict: tp.Verdict, why: str, tests: Sequence[str] = ()) -> tp.ProposalVerdict:
        return tp.ProposalVerdict(self.cause, verdict, why[:400], tuple(self.paths), tuple(tests))

    async def verdict(self) -> tp.ProposalVerdict:
        try:
            return await self._checks()
        finally:
            await self.d.in_thread(Sandbox(self.boxes).destroy)

    async def _box(self, name: str, changes: list[FileChange]) -> Path:
        d = self.d
        listed = await d.in_thread(d.git.listed_files)
        box = await d.in_thread(Sandbox.create, d.root, listed, self.boxes / name, d.state_rel,
                                d.policy.protected_globs)
        await d.in_thread(box.apply, changes)
        return box.root

    async def _run(self, tree: Path, *, coverage: bool = False,
                   switch: int | None = None) -> Report:
        watch = CoverageRequest(frozenset({self.cause.file})) if coverage else None
        extra = import_mutation_request(switch) if switch is not None else None
        ran = await self.d.validate_runner.run(tree, self.paths, scratch=self.scratch,
                                               coverage=watch, extra=extra)
        return ran.report

    def _new(self, report: Report) -> dict[str, str] | None:
        """The proposal's new tests and their outcomes (a module that could not be
        collected: each of its new tests 'missing'); None when the session left no report
        (the jail failed, the session timed out): no evidence either way."""
        if report.problem and not report.tests and not report.collect_errors:
            return None
        found = {n: o for n, o in report.tests.items() if tp.is_new(n, self.added)}
        for path in {e.split("::", 1)[0] for e in report.collect_errors} & set(self.added):
            found.update({f"{path}::{name}": "missing" for name in self.added[path]})
        return found

    def _file(self) -> FileText:
        return next(f for f in self.files if f.path == self.cause.file)

    def _lines(self) -> list[int]:
        return lines_to_run(self._file(), self.cause)

    async def _checks(self) -> tp.ProposalVerdict:
        assert self.ctx.generation is not None
        cand = await self._box("candidate", [*self.ctx.generation.candidate.changes(),
                                             *self.earlier, *self.changes])
        first = await self._run(cand, coverage=True)
        passing = self._new(first)
        if passing is None:
            return self.says(tp.Verdict.NOT_RUN, f"on the candidate: {first.problem}")
        if not passing:
            return self.says(tp.Verdict.FAILS_ON_CANDIDATE, "no new test was collected")
        # passed, not xpassed: a test marked to fail guards nothing in the suite
        if bad := [n for n, o in passing.items() if o != "passed"]:
            return self.says(tp.Verdict.FAILS_ON_CANDIDATE, f"{', '.join(bad[:3])} "
                           f"{passing[bad[0]]} on the candidate", bad)
        again = self._new(await self._run(cand)) or {}
        if bad := [n for n in passing if again.get(n) != "passed"]:
            return self.says(tp.Verdict.FLAKY, f"{', '.join(bad[:3])} did not pass in a "
                           "second session", bad)
        ran = first.coverage.hits(self.cause.file, self._lines()) if first.coverage else set()
        if self.cause.kind is tp.CauseKind.UNRUN and not ran & set(passing):
            return self.says(tp.Verdict.MISSES_THE_LINE, f"no new test runs "
                           f"{self.cause.file}:{self.cause.line}", sorted(passing))
        if self.cause.mutant is not None:
            return await self._switched(cand, sorted(passing))
        deciding = await self._on_base(ran)
        if isinstance(deciding, tp.ProposalVerdict):
            return deciding
        return await self._canary_only(cand, deciding)

    async def _on_base(self, ran: set[str | None]) -> list[str] | tp.ProposalVerdict:
        """An unentered function, new behaviour, a line with no mutant: the new tests that
        fail on the base, and one of them running the function's changed lines (`ran`:
        the tests that did on the candidate)."""
        base = await self._box("base", self.changes)
        on_base = self._new(await self._run(base))
        if on_base is None:
            return self.says(tp.Verdict.NOT_RUN, "the session on the base left no report")
        failing = [n for n, o in on_base.items() if o in FAILS_ON_BASE]
        if not failing:
            return self.says(tp.Verdict.PASSES_ON_BASE, "every new test passes on the base too")
        deciding = [t for t in failing if t in ran]
        if not deciding:
            return self.says(tp.Verdict.MISSES_THE_FUNCTION, f"no new test that fails on the "
                           f"base runs a changed line of {self.cause.what}", failing)
        return deciding

    def _numbered(self, f: FileText) -> tuple[list[Mutant], int | None, int, int]:
        """`f`'s mutants numbered from a random start, the cause's among them (None when
        it has none), and two ids no mutant has: the canary's and a decoy's."""
        start = _RNG.randrange(1_000, 1_000_000)
        mutants = plan(f.old, f.new or "", f.path, start)
        want = self.cause.mutant
        target = next((m.id for m in mutants if want is not None
                       and (m.line, m.what) == (want.line, want.what)), None)
        free = [k for k in range(start - 8, start + len(mutants) + 8)
                if not start <= k < start + len(mutants)]
        canary, decoy = _RNG.sample(free, 2)
        return mutants, target, canary, decoy

    async def _switch(self, tree: Path) -> tuple[int | None, int]:
        f = self._file()
        mutants, target, canary, decoy = self._numbered(f)
        text = tp.switched_text(f, mutants, (canary, decoy))
        await self.d.in_thread(Sandbox(tree).apply, [FileChange(file_path=f.path,
                                                                full_content=text)])
        return target, canary

    async def _switched(self, tree: Path, new: list[str]) -> tp.ProposalVerdict:
        """A surviving mutant, a line no test runs: the new tests fail with the mutant
        switched on and pass the canary, the two sessions in a random order."""
        target, canary = await self._switch(tree)
        mutant = self.cause.mutant
        assert mutant is not None
        at = f"{self.cause.file}:{mutant.line} ({mutant.what})"
        if target is None:
            return self.says(tp.Verdict.NOT_RUN, f"the mutant {at} is not among the "
                           "candidate's any more")
        order = [target, canary]
        _RNG.shuffle(order)
        found = {k: self._new(await self._run(tree, switch=k)) for k in order}
        ran = {k: v for k, v in found.items() if v is not None}
        if len(ran) < len(found):
            return self.says(tp.Verdict.NOT_RUN, "a switched session left no report")
        broken = [n for n in new if ran[canary].get(n) != "passed"]
        if broken:
            return self.says(tp.Verdict.TELLS_THE_CHECK, f"{', '.join(broken[:3])} failed with "
                           "no mutant switched on", broken)
        # failed, nothing less: a skip, an xfail, an error in a fixture or a test gone
        # never fails the suite's assertion on the mutant (a test that calls pytest.skip
        # when it sees the mutant's answer guards nothing)
        killers = [n for n in new if ran[target].get(n) == "failed"]
        if not killers:
            dodged = sorted({o for n in new if (o := ran[target].get(n, "missing")) != "passed"})
            return self.says(tp.Verdict.KILLS_NOTHING, f"no new test fails with {at}"
                           + (f" (they end {', '.join(dodged)})" if dodged else
                              ": every new test passes"), new)
        return self.says(tp.Verdict.KEPT, f"fails with {at}", killers)

    async def _canary_only(self, tree: Path, deciding: list[str]) -> tp.ProposalVerdict:
        """An unentered function, new behaviour: the deciding tests pass the canary."""
        _, canary = await self._switch(tree)
        ran = self._new(await self._run(tree, switch=canary))
        if ran is None:
            return self.says(tp.Verdict.NOT_RUN, "the canary session left no report")
        if broken := [n for n in deciding if ran.get(n) != "passed"]:
            return self.says(tp.Verdict.TELLS_THE_CHECK, f"{', '.join(broken[:3])} failed with "
                           "no mutant switched on", broken)
        what = (f"runs {self.cause.file}:{self.cause.line}" if self.cause.kind is
                tp.CauseKind.UNRUN else f"enters {self.cause.what}")
        return self.says(tp.Verdict.KEPT, f"fails on the base and {what}", deciding)


def lines_to_run(f: FileText, cause: tp.Cause) -> list[int]:
    """The lines a deciding test must run: the cause's statement (a line no test runs),
    else every changed line of the cause's function; where one of those is the function's
    own `def` (its signature, run on import and so in no test), also its body's statements:
    entering the function is what a changed signature asks (cachetools-da5819a86379's
    `cachedmethod` gained `condition=`; its body's changed line is a nested function's)."""
    text = f.new or ""
    stmts = changed_statements(f.old, text)
    if cause.kind is tp.CauseKind.UNRUN:
        return [n for s in stmts if s.line == cause.line for n in s.lines]
    owner = symbol_of_line(text)
    lines = [n for s in stmts if owner(s.line) == cause.what for n in s.lines]
    node = _function(text, cause.what)
    if node is not None and any(node.lineno <= n < node.body[0].lineno for n in lines):
        lines += [s.lineno for s in node.body]  # run in its own frame, nested defs' too
    return lines


def _function(text: str, what: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function `what` names ("Class.method", "outer.inner") in `text`, else None."""
    try:
        body: list[ast.stmt] = parse_python(text).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found = None
    for name in what.split("."):
        found = next((n for n in body if isinstance(
            n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == name), None)
        if found is None:
            return None
        body = found.body
    return found if isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef) else None
