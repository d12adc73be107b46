"""Running the mutation check for one candidate (governance.oracle.mutants says what it
finds): one mutant per changed statement, all of a file's behind one switch, judged in one
collected pytest session that forks a child per mutant and runs only the tests that ran
that line (their coverage in the sessions just made). A line that ran only at import is
judged by its coarsest mutant (its last: the comparison negated, the binding removed) in a
fresh session of the fail-to-pass tests with the switch on from the start
(governance.oracle.mutants), at most MAX_AT_IMPORT of them an op. Among the children, and
among those sessions, a canary runs with no mutant switched on: a test that fails there
too (it tells the check from a test run, times what the switch slows, or fails by chance)
kills nothing; a canary that crashes or hangs leaves no kill evidence. A line whose every
mutant survived is then replayed with each (governance.proof.mutant_equivalence): an
equivalent mutant is no evidence against the tests."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from pathlib import Path

from governance.oracle.mutants import MUTANT_TIMEOUT_S, MutantResult, MutationReport
from governance.oracle.oracle import Coverage
from governance.oracle.run_dir import import_mutation_request, mutation_request
from governance.oracle.sandbox import write_changes
from governance.oracle.testrun import TestRunner
from governance.proof.mutant_equivalence import judge_survivors
from governance.proof.mutation import BINDING_REMOVED, Mutant, plan, switched, unplanned
from governance.proof.rules import FileText, Intent, intent_of
from governance.proof.static import changed_statements
from governance.schemas import FileChange, OperationContext


def wants_mutation(ctx: OperationContext) -> bool:
    """A repair or new behaviour claims its changed lines do something: a test must notice
    when they do otherwise (a preserve change's lines are the differential check's)."""
    return intent_of(ctx.envelope.source) in (Intent.REPAIR, Intent.NEW)


def mutants_of(files: Sequence[FileText]) -> tuple[list[Mutant], list[FileChange]]:
    """The mutants of the changed Python code files, and those files' switched texts."""
    mutants: list[Mutant] = []
    texts: list[FileChange] = []
    for f in files:
        if f.new is None or not f.path.endswith(".py"):
            continue
        found = plan(f.old, f.new, f.path, len(mutants) + 1)
        if found:
            mutants += found
            texts.append(FileChange(file_path=f.path,
                                     full_content=switched(f.new, found, f.old)))
    return mutants, texts


# The canary (the tests with no mutant switched on, in the check's child or session) did
# not end: the tests or the code may tell the check from a test run.
CANARY_BROKEN = ("the tests crash or hang in the check with no mutant switched on (they or "
                 "the code tell the check from a test run): no kill is evidence")
MAX_AT_IMPORT = 8  # fresh sessions an op spends on lines that ran only at import
MAX_REVERTS = 3  # ... and on files whose change ran only at import, each put back


# Tests a mutant is judged by, at most: the fail-to-pass ones first, then the rest in
# order. A mutant's child has MUTANT_TIMEOUT_S; running out of it twice, the second time
# HANG_RETRY times as long (the plugin's), counts as killed (a hang is a change a test
# noticed; once alone was a busy box as often, and called unchecked lines checked):
# hundreds of slow tests on a hot line must not run out of it merely by being many (the
# oracle now names every test that ran a line).
MAX_TESTS_PER_MUTANT = 64


def _tests_of(m: Mutant, coverage: Sequence[Coverage], first: frozenset[str]) -> list[str]:
    ran = sorted({t for cov in coverage for t in cov.hits(m.file, m.lines) if t is not None})
    return sorted(ran, key=lambda t: t not in first)[:MAX_TESTS_PER_MUTANT]


def _at_import(m: Mutant, coverage: Sequence[Coverage]) -> bool:
    """The line ran, and only outside any test (at import or collection)."""
    return {t for cov in coverage for t in cov.hits(m.file, m.lines)} == {None}


def _coarsest(mutants: Sequence[Mutant]) -> list[Mutant]:
    """The last mutant of each line (the comparison negated, the binding removed): a test
    that depends on the line at all notices it most surely; one session a line."""
    return list({(m.file, m.line): m for m in mutants}.values())


async def check_mutants(runner: TestRunner, tree: Path, files: Sequence[FileText],
                        coverage: Sequence[Coverage], scratch: Path,
                        fail_to_pass: Sequence[str] = ()) -> MutationReport:
    """Write the switched texts into `tree` (a scratch copy of the candidate) and judge
    every mutant by the tests that ran its line; a line that ran only at import, and a
    file whose change ran only there, by the fail-to-pass tests in sessions of their own."""
    start = time.monotonic()
    mutants, texts = mutants_of(files)
    write_changes(tree, texts)
    f2p = sorted(fail_to_pass)
    early = _coarsest([m for m in mutants if _at_import(m, coverage)])[:MAX_AT_IMPORT] \
        if f2p else []
    shown = await _judge_early(runner, tree, early, len(mutants) + 1, f2p, scratch)
    if shown is None:
        return MutationReport(problem=CANARY_BROKEN, seconds=time.monotonic() - start)
    reverts = await _reverts(runner, tree, files, texts, coverage, f2p, scratch,
                             {r.file for r in shown.values() if r.outcome == "killed"})
    # A binding removed says something only at import: a test's forked child has the
    # module imported already, so there it would survive whatever the tests read.
    mutants = [m for m in mutants if m.id in shown or m.what != BINDING_REMOVED]
    results = await _judge_in_tests(runner, tree, mutants, coverage, f2p, scratch)
    if isinstance(results, str):
        return MutationReport(problem=results, seconds=time.monotonic() - start)
    judged = [(m, shown.get(m.id) or MutantResult(m.file, m.line, m.what,
                                                  results.get(str(m.id), "untested")))
              for m in mutants]
    found, equivalence_s = await judge_survivors(runner, tree, files, judged, coverage,
                                                 scratch, f2p)
    return MutationReport(tuple(found) + tuple(reverts), seconds=time.monotonic() - start,
                          equivalence_seconds=equivalence_s, unjudged=unjudged_lines(files))


def unjudged_lines(files: Sequence[FileText]) -> tuple[str, ...]:
    """`file:line` of the changed statements the mutant cap left without a mutant."""
    return tuple(f"{f.path}:{line}" for f in files if f.new is not None
                 and f.path.endswith(".py") for line in unplanned(f.old, f.new, f.path))


async def _judge_in_tests(runner: TestRunner, tree: Path, mutants: Sequence[Mutant],
                          coverage: Sequence[Coverage], f2p: list[str],
                          scratch: Path) -> dict[str, str] | str:
    """Each mutant's outcome by the tests that ran its line, in forked children of one
    session (governance.oracle.mutation_plugin); why not, when the session could not say."""
    tests = {m.id: _tests_of(m, coverage, frozenset(f2p)) for m in mutants}
    every = sorted({t for found in tests.values() for t in found})
    if not every:
        return {}
    request = mutation_request([{"id": m.id, "tests": tests[m.id]} for m in mutants],
                               MUTANT_TIMEOUT_S)
    ran = await runner.run(tree, every, scratch=scratch, extra=request)
    found = (ran.extra or {}).get("results")
    if not isinstance(found, dict):
        why = ran.report.problem or "the mutation run wrote no results"
        return f"mutants not judged: {why}"[:400]
    canary = (ran.extra or {}).get("canary")
    if not isinstance(canary, dict) or canary.get("broken"):
        return CANARY_BROKEN
    # every mutant with tests to judge it has a verdict: one left out, or one the plugin
    # does not give, is a mutant nothing judged, never one that passes by saying nothing
    # (the tree's code can write the plugin's result file)
    unsaid = [m for m in mutants if tests[m.id]
              and found.get(str(m.id)) not in ("killed", "survived")]
    if unsaid:
        named = ", ".join(f"{m.file}:{m.line}" for m in unsaid[:5])
        return f"mutants not judged: the run gave no verdict on {len(unsaid)} ({named})"[:400]
    return {str(k): str(v) for k, v in found.items()}


async def _judge_early(runner: TestRunner, tree: Path, early: list[Mutant], canary: int,
                       tests: list[str], scratch: Path) -> dict[int, MutantResult] | None:
    """The at-import mutants judged, each in a fresh session, and among them (at a random
    place) a canary session with `canary`, an id no mutant has, switched on: a test that
    fails there too kills nothing. None when the canary session left no report."""
    order = [m.id for m in early] + ([canary] if early else [])
    random.SystemRandom().shuffle(order)
    failing = {k: await _failing(runner, tree, tests, scratch, k) for k in order}
    bad = failing.get(canary, {})
    if bad is None:
        return None
    return {m.id: MutantResult(m.file, m.line, m.what, _outcome(
        failing[m.id], bad, ran=m.what == BINDING_REMOVED), True) for m in early}


async def _judge(runner: TestRunner, tree: Path, tests: list[str], scratch: Path,
                 at_import: int | None) -> str:
    """One fresh session of `tests` (mutant `at_import` switched on before anything
    imports, when given): killed when one of them fails, errors or cannot be imported (a
    skip is no kill); a session that timed out or left no report is no evidence
    (untested)."""
    return _outcome(await _failing(runner, tree, tests, scratch, at_import), {})


def _outcome(failing: dict[str, str] | None, bad: dict[str, str], ran: bool = False) -> str:
    """Killed when a test failed that does not fail without the mutant (`bad`). For a
    binding removed (`ran`), one that ran and failed: a module that no longer imports
    shows only that other import-time code reads the name, not that the test reaches it."""
    if failing is None:
        return "untested"
    new = [t for t, outcome in failing.items()
           if t not in bad and (not ran or outcome == "failed")]
    return "killed" if new else "survived"


# What fails the suite in a fresh session: a test that failed or errored, or one whose
# module could not be imported (`missing` where the session has collection errors). A
# skip, an xfail or a deselected test fails nothing, so it kills no mutant (issue 49).
_FAILS = frozenset({"failed", "error"})


async def _failing(runner: TestRunner, tree: Path, tests: list[str], scratch: Path,
                   at_import: int | None) -> dict[str, str] | None:
    """The tests that failed in a fresh session of `tests`, with their outcomes (_FAILS,
    or `missing`: its module did not import); None when the session timed out or left no
    report."""
    extra = import_mutation_request(at_import) if at_import is not None else None
    report = (await runner.run(tree, tests, scratch=scratch, extra=extra)).report
    if report.problem:
        return None  # timed out, unfinished, no report: no evidence, whatever it held so far
    broken = {e.split("::", 1)[0] for e in report.collect_errors}
    return {t: o for t in tests if (o := report.with_outcome(t)) in _FAILS
            or (o == "missing" and t.split("::", 1)[0] in broken)}


async def _reverts(runner: TestRunner, tree: Path, files: Sequence[FileText],
                   texts: Sequence[FileChange], coverage: Sequence[Coverage],
                   tests: list[str], scratch: Path, shown: set[str]) -> list[MutantResult]:
    """An existing file no changed line of which a fail-to-pass test ran (its change runs
    at import: a pattern in a table) and no at-import mutant showed them depending on: its
    base text put back, the fail-to-pass tests failing again show the fix needs it."""
    switched_text = {t.file_path: t.full_content for t in texts}
    out: list[MutantResult] = []
    for f in files:
        if not tests or len(out) >= MAX_REVERTS or f.path in shown or f.old is None \
                or f.new is None or not f.path.endswith(".py") \
                or any(cov.hits(f.path, s.lines) & set(tests) for cov in coverage
                       for s in changed_statements(f.old, f.new)):
            continue
        write_changes(tree, [FileChange(file_path=f.path, full_content=f.old)])
        try:
            outcome = await _judge(runner, tree, tests, scratch, None)
        finally:
            write_changes(tree, [FileChange(file_path=f.path, full_content=switched_text.get(
                f.path, f.new))])
        out.append(MutantResult(f.path, 0, "its change reverted", outcome, at_import=True))
    return out
