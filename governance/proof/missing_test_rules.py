"""The missing test (issue 45, items 1 and 2): what a test could decide about an unproven
change, the one question the brain is asked about it, and the typed verdict on its answer.

A change waits for review for reasons of two kinds. Some no test decides (it touches a
file it was not asked to, it removes a public name). Others are a test's to decide, each a
`Cause`:
- a changed line whose every mutant survived (governance.oracle.mutants): a test that
  fails with that mutant switched on and passes without it decides it;
- a changed function no fail-to-pass test enters (a repair that also "tidies" another
  function), or new behaviour no test asks for: a test that fails on the base and passes
  on the candidate, entering the function, decides it;
- a changed line no test runs, in a function a fail-to-pass test enters (a branch the
  failing test never takes; governance.proof.rules names it "changed lines no test showing
  the change runs"): a test that runs the line and fails with the line's mutant switched
  on decides it. The mutant, not the base: the proof checks a line by its mutants (the
  mutation check of the next op that touches it), and a test that kills one may also pass
  on the human's HEAD without the change, so it can land alone; a line with no mutant
  (a bare call) falls back to the unentered function's check: fails on the base, runs it.

An op may wait for several of these; each is asked about in turn, cheapest to decide first
(COST_ORDER, data), within the step's bound.

The brain is shown the cause (the surviving mutant as a diff, or the function and the
change) and asked for the smallest test that decides it. What it answers is kept only when
every check of CHECKS holds, in order; the first that fails is the verdict, with why.
governance.phases.missing_test_step runs the checks that need the jail; the static ones are here.
A kept test never lands the change it decides: it goes beside it on the review.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from governance.brains.files_shown import text_block
from governance.brains.prompts import CANDIDATE_CONTRACT, quoted_goal
from governance.gates.risk import harness_reason
from governance.gates.weakening import is_test_path, weakenings
from governance.oracle.oracle_run import Sessions
from governance.oracle.testrun import ORACLE_MARKERS
from governance.proof.entered import entered as entered_by
from governance.proof.mutation import SWITCH, Mutant, mutated, plan, switched
from governance.proof.rules import FileText
from governance.proof.skip_marks import skips_added
from governance.proof.static import changed_statements
from governance.proof.symbols import inert_lines, symbol_of_line
from governance.python_ast import parse_python
from governance.schemas import FileChange

# The replay stand-in's scripts match on this (kernel.replay's `match`): the prompt says it.
PROMPT_TITLE = "# The missing test"
MAX_FILE_CHARS = 12_000  # of each file the prompt shows
MAX_TESTS_SHOWN = 2  # existing test files shown as examples of the suite's style


class CauseKind(StrEnum):
    SURVIVING_MUTANT = "surviving mutant"  # a changed line no test notices changing
    UNENTERED = "unentered function"  # a changed function no fail-to-pass test enters
    NEW_BEHAVIOUR = "new behaviour"  # new behaviour no test asks for
    UNRUN = "a line no test runs"  # in a function a fail-to-pass test enters


# Which cause to ask about first: the cheapest to decide. A surviving mutant for which the
# equivalence check found a telling input is a test nearly written; a mutant alone is one
# line to notice; a line no test runs needs a way there first; an unentered function or new
# behaviour needs a test of a whole behaviour and a fifth jailed session (on the base).
COST_ORDER: Mapping[CauseKind, int] = {
    CauseKind.SURVIVING_MUTANT: 1, CauseKind.UNRUN: 2, CauseKind.UNENTERED: 3,
    CauseKind.NEW_BEHAVIOUR: 3,
}


@dataclass(frozen=True)
class Cause:
    """One reason the change waits that a test could decide."""

    kind: CauseKind
    file: str
    line: int
    what: str  # the mutant ("`>=` to `>`"), or the function ("clamp")
    # SURVIVING_MUTANT, UNRUN: the mutant a test must kill, numbered as
    # governance.proof.mutation plans (UNRUN: the line's first; None: the line has none)
    mutant: Mutant | None = None
    hint: str = ""  # an input the equivalence check found telling the mutant apart

    def named(self) -> str:
        return f"{self.file}:{self.line} ({self.what})"

    def rank(self) -> tuple[int, bool]:
        return COST_ORDER[self.kind], not self.hint


class Verdict(StrEnum):
    KEPT = "kept"
    NO_ANSWER = "no answer"  # the brain failed, or answered with no change
    UNUSABLE = "unusable reply"  # not a candidate.1 object
    NOT_TESTS = "touches more than test files"
    NAMES_THE_ORACLE = "names the check"
    NO_NEW_TEST = "adds no test"
    WEAKENS = "weakens existing tests"
    FAILS_ON_CANDIDATE = "fails on the candidate"
    FLAKY = "passes on the candidate only once"
    KILLS_NOTHING = "passes with the mutant switched on"
    PASSES_ON_BASE = "passes on the base"
    MISSES_THE_FUNCTION = "does not enter the function"
    MISSES_THE_LINE = "does not run the line"
    TELLS_THE_CHECK = "fails the canary"
    SKIPS = "can skip or is expected to fail"  # a skip or an xfail can never fail the suite
    NOT_RUN = "could not be checked"  # the jail left no report
    NOT_ASKED = "not asked"  # the step's bound was spent on the causes before it


@dataclass(frozen=True)
class Check:
    name: str
    refuses: Verdict
    why: str


# Every check a proposed test must pass, in the order they run (the static ones first: they
# cost nothing). The first that fails is the verdict.
CHECKS: tuple[Check, ...] = (
    Check("test files only", Verdict.NOT_TESTS, "it writes only test files, no harness file "
          "(conftest.py, ini files) and deletes nothing"),
    Check("not the check", Verdict.NAMES_THE_ORACLE, "it names none of the check's own "
          "modules or switch"),
    Check("a new test", Verdict.NO_NEW_TEST, "it adds at least one test function"),
    Check("weakens nothing", Verdict.WEAKENS, "no existing test file loses an assertion or "
          "a test (governance.gates.weakening)"),
    Check("skips nothing", Verdict.SKIPS, "what it adds calls or marks no skip or xfail "
          "(pytest.skip, skipif, xfail, importorskip, unittest's SkipTest): a test that "
          "skips when it sees the mutant can never fail the suite"),
    Check("passes on the candidate", Verdict.FAILS_ON_CANDIDATE, "its new tests pass on "
          "the candidate"),
    Check("passes twice", Verdict.FLAKY, "and pass again in a second session"),
    Check("runs the line", Verdict.MISSES_THE_LINE, "a line no test runs: a new test runs "
          "it (coverage of the first session)"),
    Check("decides the cause", Verdict.KILLS_NOTHING, "a surviving mutant, a line no test "
          "runs: its new tests fail with the mutant switched on (a fresh session, switched "
          "from the start)"),
    Check("decides the cause", Verdict.PASSES_ON_BASE, "an unentered function or new "
          "behaviour: its new tests fail on the base"),
    Check("enters the function", Verdict.MISSES_THE_FUNCTION, "an unentered function or new "
          "behaviour: a new test runs a changed line of it"),
    Check("the canary", Verdict.TELLS_THE_CHECK, "its new tests pass in the same session "
          "with an id no mutant has switched on, in a random order with the mutant's"),
)


@dataclass(frozen=True)
class ProposalVerdict:
    """What became of one proposed test."""

    cause: Cause
    verdict: Verdict
    why: str = ""
    files: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()  # the new tests' node ids (kept: those that decide it)

    @property
    def kept(self) -> bool:
        return self.verdict is Verdict.KEPT

    def payload(self) -> dict[str, Any]:
        # file, line and what, typed: `review OP` finds the mutant again from them
        mutant = self.cause.mutant
        return {"cause": self.cause.kind.value, "at": self.cause.named(),
                "file": self.cause.file, "line": self.cause.line, "what": self.cause.what,
                "verdict": self.verdict.value, "kept": self.kept, "why": self.why,
                "files": list(self.files), "tests": list(self.tests),
                **({"mutant": [mutant.line, mutant.what]} if mutant else {})}


# -- which causes ---------------------------------------------------------------------

def causes_of(files: Sequence[FileText], sessions: Sessions, fail_to_pass: Sequence[str],
              new_behaviour: bool) -> list[Cause]:
    """The reasons a test could decide, from the checks' typed reports, cheapest to decide
    first (COST_ORDER): surviving mutants, changed lines no test runs in an entered
    function, each changed function no fail-to-pass test enters (NEW_BEHAVIOUR where no
    test shows the change at all)."""
    code = [f for f in files if f.new is not None and f.path.endswith(".py")
            and not is_test_path(f.path)]
    out = _survivors(code, sessions)
    f2p = frozenset(fail_to_pass)
    kind = CauseKind.UNENTERED if f2p else (
        CauseKind.NEW_BEHAVIOUR if new_behaviour else None)
    if kind is not None:
        out += _unentered(code, sessions, f2p, kind)
    return sorted(out, key=Cause.rank)  # stable: the checks' own order within a rank


def _survivors(code: Sequence[FileText], sessions: Sessions) -> list[Cause]:
    report = sessions.mutation
    if report is None or report.problem:
        return []
    planned = {f.path: plan(f.old, f.new or "", f.path) for f in code}
    out = []
    for r in report.survivors():
        m = next((m for m in planned.get(r.file, []) if (m.line, m.what) == (r.line, r.what)),
                 None)
        if m is not None:
            out.append(Cause(CauseKind.SURVIVING_MUTANT, r.file, r.line, r.what, m, r.note))
    return out


def _unentered(code: Sequence[FileText], sessions: Sessions, f2p: frozenset[str],
               kind: CauseKind) -> list[Cause]:
    """Each changed function no fail-to-pass test entered (as governance.proof.rules'
    coverage rule reads the same sessions), at its first changed line; and in a function
    one did enter (only where some test shows the change), each changed line no test ran
    (UNRUN), with the line's first mutant."""
    reports = [r.coverage for r in (sessions.original, sessions.own) if r and r.coverage]
    at_import = sessions.mutation.shown_at_import() if sessions.mutation else []
    out: dict[tuple[str, str], Cause] = {}
    for f in code:
        assert f.new is not None
        owner, inert = symbol_of_line(f.new), inert_lines(f.old, f.new)
        # as the proof counts it: an import-time line a failing test depends on, a class
        # the change adds whose method it enters, are entered: not asked (issue 49)
        entered = entered_by(f, reports, f2p, at_import)
        mutants: list[Mutant] | None = None
        for stmt in changed_statements(f.old, f.new):
            sym = owner(stmt.line)
            if sym == "<module>" or stmt.line in inert:
                continue
            if sym not in entered:
                out.setdefault((f.path, sym), Cause(kind, f.path, stmt.line, sym))
            elif f2p and not any(cov.hits(f.path, stmt.lines) for cov in reports):
                mutants = plan(f.old, f.new, f.path) if mutants is None else mutants
                first = next((m for m in mutants if m.line == stmt.line), None)
                out[(f.path, f"{stmt.line}")] = Cause(CauseKind.UNRUN, f.path, stmt.line,
                                                      sym, first)
    return list(out.values())


# -- the question ---------------------------------------------------------------------

def mutant_diff(f: FileText, mutant: Mutant) -> str:
    """The mutant as a unified diff against the candidate's text, both sides as
    ast.unparse writes them (the mutant is made on the syntax tree: compared with the text
    as written, every re-formatted line would differ too)."""
    new = f.new or ""
    plain = ast.unparse(parse_python(new)) + "\n"
    return "".join(difflib.unified_diff(
        plain.splitlines(True), (mutated(new, mutant, f.old) + "\n").splitlines(True),
        f"a/{f.path} (the change, re-formatted)", f"b/{f.path} (with the mutant)", n=2))


def change_diff(f: FileText) -> str:
    return "".join(difflib.unified_diff((f.old or "").splitlines(True),
                                        (f.new or "").splitlines(True),
                                        f"a/{f.path}", f"b/{f.path}", n=3))


_ASK = {
    CauseKind.SURVIVING_MUTANT: (
        "No test notices when {at} changes as below: every test that runs the line still "
        "passes with this mutant. Write the smallest test that passes on the change and "
        "fails with the mutant."),
    CauseKind.UNENTERED: (
        "No test that shows the change enters `{what}` ({file}), which the change alters. "
        "Write the smallest test that fails on the code before the change and passes with "
        "it, by calling `{what}`."),
    CauseKind.NEW_BEHAVIOUR: (
        "No test asks for the new behaviour of `{what}` ({file}). Write the smallest test "
        "that fails on the code before the change and passes with it, by calling `{what}`."),
    CauseKind.UNRUN: (
        "No test runs line {line} of {file}, a changed line of `{what}` (the tests that "
        "show the change enter `{what}` but never reach it). Write the smallest test that "
        "runs it, passes on the change and {fails}."),
}


def prompt(goal: str, cause: Cause, files: Sequence[FileText],
           tests: Mapping[str, str], budget: int | None = None,
           written: Sequence[str] = ()) -> str:
    """The question about one cause: the op's goal, the change, the cause (a mutant as a
    diff, and an input that tells it apart when the equivalence check found one), the
    existing tests that ran the line (their style), the test files already kept for the
    change's other causes (`written`: kept as they are), and the reply contract. `budget`
    (characters: the brain's context window) caps each file shown at a share of it."""
    limit = MAX_FILE_CHARS if budget is None else max(1_000, min(
        MAX_FILE_CHARS, budget // (2 + MAX_TESTS_SHOWN + len(files))))
    by_path = {f.path: f for f in files}
    target = by_path[cause.file]
    ask = _ASK[cause.kind].format(at=cause.named(), what=cause.what, file=cause.file,
                                  line=cause.line, fails="fails with the mutant below"
                                  if cause.mutant else "fails on the code before the change")
    parts = [PROMPT_TITLE, "", "The change below waits for a person's review because a test "
             "could decide it and none does. The goal it was made for:", quoted_goal(goal),
             "", "## The change", *(change_diff(f)[:limit] for f in files if f.new != f.old),
             "", "## What no test decides", ask]
    if cause.mutant is not None:
        parts += ["", mutant_diff(target, cause.mutant)[:limit]]
    if cause.hint:
        parts += ["", f"Replaying the function found an input that tells them apart: "
                  f"{cause.hint[:600]}"]
    parts += ["", "## The changed file as it is now", text_block(
        cause.file, target.new or "", limit, (cause.line,))]
    for rel, text in list(tests.items())[:MAX_TESTS_SHOWN]:
        parts += ["", "## An existing test of it", text_block(rel, text, limit)]
    parts += ["", "## Rules",
              "- Write test files only (a new test module under the tests directory is "
              "best); change no code file, no conftest.py, no ini file.",
              "- Remove nothing from an existing test.",
              *([f"- Tests already written for this change's other reasons stay as they "
                 f"are: {', '.join(written[:5])}. Write a new module."] if written else []),
              "- The test must not depend on how or where it is run.", "",
              CANDIDATE_CONTRACT]
    return "\n".join(parts)


# -- the static checks ----------------------------------------------------------------

def static_verdict(cause: Cause, changes: Sequence[FileChange],
                   old_text: Callable[[str], str | None],
                   path_problem: Callable[[str], str | None] = lambda _rel: None,
                   ) -> ProposalVerdict | None:
    """The refusal the checks that need no run make, or None: test files only (each a
    plain repository path `path_problem` finds nothing wrong with), nothing naming the
    check, a new test function, nothing weakened. `old_text` reads a file as the
    candidate has it (None: it does not exist)."""
    files = tuple(c.file_path for c in changes)

    def no(verdict: Verdict, why: str) -> ProposalVerdict:
        return ProposalVerdict(cause, verdict, why, files)

    if not changes:
        return no(Verdict.NO_ANSWER, "the reply changes nothing")
    for c in changes:
        rel = c.file_path
        if c.action != "write":
            return no(Verdict.NOT_TESTS, f"{rel}: deleted")
        if why := path_problem(rel):  # `tests/../calc.py` is in a test directory by name
            return no(Verdict.NOT_TESTS, f"{rel}: {why}")
        if not is_test_path(rel) or not rel.endswith(".py"):
            return no(Verdict.NOT_TESTS, f"{rel} is not a test module")
        if why := harness_reason(rel):
            return no(Verdict.NOT_TESTS, why)
        marker = next((m for m in (*ORACLE_MARKERS, SWITCH)
                       if m in (c.full_content or "") or m in rel), None)
        if marker:
            return no(Verdict.NAMES_THE_ORACLE, f"{rel} names {marker!r}")
    if not any(new_tests(old_text(c.file_path), c.full_content or "") for c in changes):
        return no(Verdict.NO_NEW_TEST, "no test function is added")
    written = frozenset(files)
    weak = [w for c in changes if (old := old_text(c.file_path)) is not None
            for w in weakenings(c.file_path, old, c.full_content or "", written)]
    if weak:
        return no(Verdict.WEAKENS, "; ".join(weak[:3]))
    skips = [f"{c.file_path} adds {', '.join(sorted(found)[:3])}" for c in changes
             if (found := skips_added(old_text(c.file_path), c.full_content or ""))]
    if skips:
        return no(Verdict.SKIPS, "; ".join(skips[:3]))
    return None


def new_tests(old: str | None, new: str) -> frozenset[str]:
    """The test functions `new` defines that `old` does not: `name`, or `Class::name`."""
    return _test_names(new) - _test_names(old or "")


def _test_names(text: str) -> frozenset[str]:
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                and node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names |= {f"{node.name}::{m.name}" for m in node.body
                      if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
                      and m.name.startswith("test")}
    return frozenset(names)


def is_new(nodeid: str, added: Mapping[str, frozenset[str]]) -> bool:
    """Whether a collected test (`path::name[param]`) is one the proposal adds."""
    path, _, rest = nodeid.partition("::")
    return rest.split("[", 1)[0] in added.get(path, frozenset())


# -- the switch -----------------------------------------------------------------------

def switched_text(f: FileText, mutants: list[Mutant], decoys: Sequence[int]) -> str:
    """`f`'s candidate text with its mutants behind the switch, and a guard for each of
    `decoys` (the canary's id among them) written as a mutant's is: a test reading the
    module's source finds the canary's id beside the mutant's, as a mutant's."""
    text = switched(f.new or "", mutants, f.old)
    guard = f"getattr(__import__('builtins'), {SWITCH!r}, 0)"
    tail = "".join(f"\nif {guard} {op} {k}:\n    pass\n"
                   for n, k in enumerate(decoys) for op in (("==", "!=")[n % 2],))
    return text.rstrip("\n") + "\n" + tail
