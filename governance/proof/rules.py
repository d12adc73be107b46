"""Proof: does a candidate do what its op claims, and nothing else?

GATE asks this of every candidate the oracle passed (governance.oracle.oracle_run's sessions).
What an op claims is its intent, decided by the signal's source (INTENT_BY_SOURCE, data):

- repair (a failing test): a test that failed at baseline now passes (the one the signal
  named, when it named one), the affected scope still passes, changed lines ran and a test
  notices when each changes (its mutant is killed: governance.oracle.mutants), and every
  changed function is entered by a test that failed before and passes now;
- preserve (complexity, docs, a slowdown): the affected scope passes, every changed line
  ran under a test that passed before the change and still passes, and the differential
  check (governance.oracle.differential) shows every function it touches answering as the
  base did on every call the tests made and on inputs generated from them; a line that ran
  is not a line a test checked. `proof.preserve_on_coverage` drops the differential part;
- new behaviour (a TODO, a backlog item, a human's goal, an issue, a schedule): proven like
  a repair when existing tests that failed before pass now (the human wrote down what is
  wanted); otherwise the candidate must add a test that fails on the base and passes on the
  candidate, and even then the behaviour is the model's claim, so it waits for review
  unless `proof.autocommit_new_behaviour` is on (every changed function entered by a
  fail-to-pass test, as for a repair);
- a change to tests only changes no behaviour: proven by its own passing tests (GATE's
  weakening check still applies).

Whatever the intent, "nothing else": no changed existing file (and no new non-Python file)
outside the op's targets, at least one target changed, no more new files than
`proof.max_new_files`, no change to another function than the one
the op is about (when the signal names it: a TODO's enclosing function, a complex
function), no removed, renamed or re-signatured public name ("breaking").

A change that is not proven is never lost: it is committed to a review branch
(governance.git.review) with its Evidence trailer. What proof does not promise: that the
behaviour is what a human wanted (only tests say what is wanted), that code no test runs
is right, or anything about effects outside the test process (files, network, time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from governance.oracle.mutants import MutantResult
from governance.oracle.oracle import GOOD, Report
from governance.oracle.oracle_run import Sessions
from governance.oracle.scope import is_test_side
from governance.proof.entered import entered as entered_by
from governance.proof.moved import import_lines, moved_out
from governance.proof.names import private_additions_only
from governance.proof.removed_rows import reason as removed_reason
from governance.proof.removed_rows import removed_rows
from governance.proof.same_code import same_code
from governance.proof.static import breaking_changes, changed_statements, symbol_changes
from governance.proof.symbols import (
    inert_lines,
    symbol_of_line,
)
from governance.schemas import OperationContext, Source

MAX_NAMED = 10  # uncovered lines, reasons: the ledger names this many, then counts
# Why a preserve change without a differential check waits for review: tests that ran its
# lines need not have checked them (a moved boundary, a changed rounding).
PRESERVE_UNCHECKED = ("behaviour preserved is not shown: no differential check ran, and its "
                      "changed lines running under passing tests does not show it "
                      "(proof.preserve_on_coverage is off)")


class Intent(StrEnum):
    REPAIR = "repair"
    PRESERVE = "preserve"
    NEW = "new behaviour"
    TESTS = "tests only"
    ACCEPTED = "accepted by a human"


INTENT_BY_SOURCE: Mapping[str, Intent] = {
    Source.TEST_FAILURE: Intent.REPAIR,
    Source.OPPORTUNITY: Intent.PRESERVE,
    Source.DOC_STALENESS: Intent.PRESERVE,
    Source.PERF_REGRESSION: Intent.PRESERVE,
    Source.ARCHITECTURE: Intent.PRESERVE,
}  # any other source (todo_scanner, backlog, human, github_issue, scheduled): NEW


def intent_of(source: str) -> Intent:
    return INTENT_BY_SOURCE.get(source, Intent.NEW)


def new_behaviour(ctx: OperationContext) -> bool:
    return intent_of(ctx.envelope.source) is Intent.NEW


@dataclass(frozen=True)
class FileText:
    """One changed file: its text at the op's base (None: new) and in the candidate
    (None: deleted)."""

    path: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Claim:
    """What the op is about: its intent, target files, the functions it may change (None:
    the signal does not say), the failing test it repairs, and the knobs of [proof]."""

    intent: Intent
    targets: frozenset[str]
    symbols: frozenset[str] | None
    failing_test: str | None
    max_new_files: int  # [proof]'s knobs: their defaults live in daemon/config/settings.py alone
    autocommit_new_behaviour: bool
    preserve_on_coverage: bool
    # The other failing tests of the same cause (sensors.failure_causes): each must pass too.
    also_failing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    proven: bool
    intent: Intent
    summary: str
    reasons: tuple[str, ...] = ()
    breaking: tuple[str, ...] = ()
    uncovered: tuple[str, ...] = ()  # file:line of changed statements no passing test ran
    fail_to_pass: tuple[str, ...] = ()

    def trailer(self) -> str:
        """The commit's `Evidence:` trailer value: one line."""
        if self.intent is Intent.ACCEPTED:
            return " ".join(self.summary.split())[:400]
        text = "proven" if self.proven else f"unproven: {'; '.join(self.reasons)}"
        text = f"{text} ({self.intent.value})"
        return " ".join(text.split())[:400]

    def payload(self) -> dict[str, Any]:
        return {"proven": self.proven, "intent": self.intent.value, "summary": self.summary,
                "reasons": list(self.reasons), "breaking": list(self.breaking),
                "uncovered": list(self.uncovered), "fail_to_pass": list(self.fail_to_pass)}


@dataclass
class _Findings:
    reasons: list[str] = field(default_factory=list)
    breaking: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    fail_to_pass: list[str] = field(default_factory=list)


def assess(claim: Claim, files: Sequence[FileText], sessions: Sessions | None,
           baseline: Report | None) -> Evidence:
    """The evidence for a candidate the oracle passed (pure: texts and reports in)."""
    code = [f for f in files if not is_test_side(f.path)]
    found, shown = _Findings(), _Findings()
    sessions, baseline = sessions or Sessions(), baseline or Report.empty()
    f2p, by_human = _fail_to_pass(claim, sessions, baseline, shown) if code else (set(), False)
    # The failing test's own run says where the fix lives (a helper's assert, a re-export):
    # a file outside the targets whose changed lines a failing-then-passing test of the
    # repository's own ran is part of the work; the function-level rule below still holds.
    reached = _reached(code, sessions, f2p) if by_human else frozenset()
    left = _nothing_else(claim, files, code, found, reached)
    found.reasons += shown.reasons
    if sessions.lint is not None:  # a new finding nothing fixed (governance.oracle.lint_report)
        found.reasons += sessions.lint.reasons()
    if not code:
        if not found.reasons:
            return Evidence(True, Intent.TESTS, "changes tests only: its own tests pass")
        return Evidence(False, Intent.TESTS, f"unproven: {found.reasons[0]}",
                        tuple(found.reasons))
    _coverage(claim, code, sessions, baseline, f2p, found, left)
    _checked(claim, code, sessions, found)
    if claim.intent in (Intent.REPAIR, Intent.NEW):  # behaviour removed no test notices
        rows = [r for f in code for r in removed_rows(f.path, f.old, f.new)]
        found.reasons += [removed_reason(rows)] if rows else []
    if claim.intent is Intent.NEW and f2p and not by_human \
            and not claim.autocommit_new_behaviour:
        found.reasons.append("new behaviour waits for review (proof.autocommit_new_behaviour "
                             "is off)")
    if claim.intent is Intent.PRESERVE and not claim.preserve_on_coverage:
        diff = sessions.differential  # governance.oracle.differential
        found.reasons += [PRESERVE_UNCHECKED] if diff is None else diff.reasons()
    proven = not found.reasons
    summary = (f"proven ({claim.intent.value}): {len(code)} code file(s), changed lines run "
               f"by passing tests" if proven else f"unproven: {found.reasons[0]}")
    return Evidence(proven, claim.intent, summary, tuple(found.reasons[:MAX_NAMED]),
                    tuple(found.breaking), tuple(found.uncovered), tuple(sorted(f2p)))


def _reached(code: Sequence[FileText], sessions: Sessions, f2p: set[str]) -> frozenset[str]:
    """The changed files some of whose changed statements a fail-to-pass test ran, or was
    shown to depend on where the statement ran only at import (a keyword table)."""
    cov = sessions.original.coverage if sessions.original else None
    if cov is None or not f2p:
        return frozenset()
    at_import = {r.file for r in _shown_at_import(sessions)}
    return frozenset(f.path for f in code if f.new is not None and f.path.endswith(".py")
                     and (f.path in at_import
                          or any(cov.hits(f.path, s.lines) & f2p
                                 for s in changed_statements(f.old, f.new))))


def _shown_at_import(sessions: Sessions) -> list[MutantResult]:
    return sessions.mutation.shown_at_import() if sessions.mutation else []


def _nothing_else(claim: Claim, files: Sequence[FileText], code: Sequence[FileText],
                  found: _Findings, reached: frozenset[str] = frozenset()) -> frozenset[str]:
    """Other files, too many new files, other functions, breaking changes; the files code
    was moved out of (governance.proof.moved), which belong to the change."""
    belongs = claim.targets | reached | {f.path for f in code if f.old is None
                                         and f.path.endswith(".py")}
    left = moved_out(code, belongs)  # what a move into a new module left behind
    others = [f.path for f in code if f.path not in belongs and f.path not in left
              and (f.old is not None or not f.path.endswith(".py"))]
    if others:
        found.reasons.append(f"changes files it was not asked to: {', '.join(others[:5])}")
    code_targets = {t for t in claim.targets if not is_test_side(t)}
    if code_targets and not any(f.path in code_targets | reached for f in files):
        found.reasons.append("changes none of its targets "
                             f"({', '.join(sorted(code_targets)[:3])})")
    new = [f.path for f in files if f.old is None]
    if len(new) > claim.max_new_files:
        found.reasons.append(f"adds {len(new)} new files (more than proof.max_new_files = "
                             f"{claim.max_new_files})")
    for f in code:
        if not f.path.endswith(".py"):
            continue
        for why in breaking_changes(f.old, f.new):
            found.breaking.append(f"{f.path}: {why}")
        if claim.symbols is not None and f.path in claim.targets:
            found.reasons.extend(_collateral(f, claim.symbols))
    if found.breaking:
        found.reasons.append(f"breaking: {'; '.join(found.breaking[:3])}")
    return left


def _collateral(f: FileText, allowed: frozenset[str]) -> list[str]:
    """Changes to other functions of a target file than the op's own (added private
    helpers and added imports are part of doing the work)."""
    out = []
    for change in symbol_changes(f.old, f.new):
        name = change.name
        if name == "<imports>" or (change.kind == "added" and not change.public):
            continue
        if name == "<module>" and f.old is not None and f.new is not None \
                and private_additions_only(f.old, f.new):
            continue  # a private table or constant the work adds for its own use
        if any(name == s or name.startswith(f"{s}.") for s in allowed):
            continue
        out.append(f"{f.path}: {change.kind} {name}, not what the op is about")
    return out


def _fail_to_pass(claim: Claim, sessions: Sessions, baseline: Report,
                  found: _Findings) -> tuple[set[str], bool]:
    """The tests that show the claimed change, and whether the repository's own tests do:
    existing tests that failed before and pass now (the human wrote what is wanted), else
    for new behaviour the candidate's new tests that fail on the base (the model's claim)."""
    fixed = fixed_tests(sessions.original.tests if sessions.original else {}, baseline)
    if claim.intent is Intent.REPAIR:
        named = {n for n in fixed if n == claim.failing_test
                 or n.split("::", 1)[0] == claim.failing_test}  # a module that failed whole
        after = sessions.original.tests if sessions.original else {}
        still = [t for t in claim.also_failing if not any(
            (n == t or n.split("::", 1)[0] == t) and o in GOOD for n, o in after.items())]
        if claim.failing_test and not named:
            found.reasons.append(f"the failing test {claim.failing_test} does not pass now")
        elif still:
            found.reasons.append(f"{len(still)} failing test(s) of the same cause do not pass "
                                 f"now: {', '.join(still[:5])}")
        elif not fixed:
            found.reasons.append("no test that failed before the change passes now")
        return fixed, True
    if claim.intent is not Intent.NEW:
        return set(), False
    if fixed:
        return fixed, True
    own, base = (sessions.own.tests if sessions.own else {}), sessions.own_on_base
    # failed on the base, not merely "not passed": a skip, an xfail, an error in a fixture
    # or a test the base never ran is no failure of the base's behaviour (issue 49)
    shown = {n for n, o in own.items() if o in GOOD
             and failed_at(base, n, errors=False)} if base else set()
    if not shown:
        found.reasons.append("new behaviour without a test that fails on the base and "
                             "passes with the change")
    return shown, False


def fixed_tests(after: Mapping[str, str], baseline: Report) -> set[str]:
    """The existing tests that failed at baseline and pass in `after` (a session's outcomes).
    A test module that could not even be collected at base (it imports the new name the
    fix adds) failed as a whole: each of its tests that passes now was not passing then."""
    return {n for n, o in after.items() if o in GOOD and failed_at(baseline, n, errors=True)}


def failed_at(report: Report, nodeid: str, *, errors: bool) -> bool:
    """Whether `nodeid` failed in `report`: it failed (with `errors`, or errored: an
    existing test's fixture that the bug breaks), or its module could not be collected.
    Skipped, xfailed, deselected, or absent from a session that collected its module is
    no failure: a test that did not run shows nothing (issue 49)."""
    outcome = report.with_outcome(nodeid)
    if outcome == "failed" or (errors and outcome == "error"):
        return True
    broken = {e.split("::", 1)[0] for e in report.collect_errors}
    return outcome == "missing" and nodeid.split("::", 1)[0] in broken


def _coverage(claim: Claim, code: Sequence[FileText], sessions: Sessions, baseline: Report,
              f2p: set[str], found: _Findings, left: frozenset[str] = frozenset()) -> None:
    """Every changed statement of changed Python code ran (import time counts) under a test
    that passed before the change and passes now, or a fail-to-pass test. For a repair or
    new behaviour, every function it changes must also be entered by a fail-to-pass test:
    a function no such test runs is not part of the claimed change, whatever else runs it."""
    original = sessions.original or Report()
    good = f2p | {n for n, o in original.tests.items()
                  if o in GOOD and baseline.with_outcome(n) in GOOD}
    shown = claim.intent in (Intent.REPAIR, Intent.NEW)
    reports = [r.coverage for r in (sessions.original, sessions.own) if r and r.coverage]
    oracle = _base_as_oracle(claim, sessions, code)
    for f in code:
        if f.new is None or not f.path.endswith(".py"):
            continue
        owner, inert = symbol_of_line(f.new), inert_lines(f.old, f.new)
        # code moved out of it: what it imports back needs no test to run it
        moved = import_lines(f.new) if f.path in left else frozenset()
        entered = entered_by(f, reports, f2p, _shown_at_import(sessions))
        for stmt in changed_statements(f.old, f.new):
            if stmt.line in moved:
                continue
            hits = set().union(*(cov.hits(f.path, stmt.lines) for cov in reports))
            if None not in hits and not hits & good:
                if f"{f.path}:{stmt.line}" not in oracle:
                    found.uncovered.append(f"{f.path}:{stmt.line}")
            elif shown and (sym := owner(stmt.line)) != "<module>" and sym not in entered \
                    and stmt.line not in inert:
                found.uncovered.append(f"{f.path}:{stmt.line} ({sym}: no test showing the "
                                       "change enters it)")
    if found.uncovered:
        named = ", ".join(found.uncovered[:MAX_NAMED])
        more = len(found.uncovered) - MAX_NAMED
        found.reasons.append(f"changed lines no test showing the change runs: {named}"
                             + (f" and {more} more" if more > 0 else ""))


def _base_as_oracle(claim: Claim, sessions: Sessions, code: Sequence[FileText]) \
        -> frozenset[str]:
    """For a preserve change the base is the oracle: a changed line no test runs is shown
    preserved when replayed inputs (the tests', lifted to a caller, or searched) reach it,
    each of its mutants answers otherwise than the base on one of them, and the candidate
    answers as the base on all of them (the differential check gives no reason); or when
    it lies in a function shown to be its base's code (governance.proof.same_code: locals
    renamed, statements moved into a new helper, one normal form), which answers as
    the base on every input without one."""
    diff = sessions.differential
    if claim.intent is not Intent.PRESERVE or claim.preserve_on_coverage or diff is None \
            or diff.reasons():
        return frozenset()
    same = {f"{f.path}:{line}" for f in code if f.old is not None and f.new is not None
            for c in same_code(f.old, f.new) for span in c.candidate_lines for line in span}
    return frozenset(diff.preserved) | same


def _checked(claim: Claim, code: Sequence[FileText], sessions: Sessions,
             found: _Findings) -> None:
    """A repair's or new behaviour's changed lines must be ones a test notices: a mutant
    (governance.oracle.mutants) that every test running its line survives marks the line
    covered but unchecked."""
    report = sessions.mutation
    if claim.intent not in (Intent.REPAIR, Intent.NEW):
        return
    if report is None:  # absent is not a pass: nothing said the lines are checked
        if any(f.new is not None and f.path.endswith(".py") for f in code):
            found.reasons.append("changed lines not checked: the mutation check did not run")
        return
    if report.problem:
        found.reasons.append(f"changed lines not checked: {report.problem}")
        return
    if report.unjudged:  # past the mutant cap: judged by nothing, so named
        named = ", ".join(report.unjudged[:MAX_NAMED])
        more = len(report.unjudged) - MAX_NAMED
        found.reasons.append("changed lines no mutant judged (more than MAX_MUTANTS in their "
                             f"file): {named}" + (f" and {more} more" if more > 0 else ""))
    left = report.survivors()
    if left:
        named = ", ".join(r.named() for r in left[:MAX_NAMED])
        found.reasons.append("changed lines covered but unchecked (no test notices when "
                             f"they change): {named}"
                             + (f" and {len(left) - MAX_NAMED} more" if len(left) > MAX_NAMED
                                else ""))
