"""Running the mutation check for one candidate (governance.oracle.mutants says what it
finds): one mutant per changed statement, all of a file's behind one switch, judged in one
collected pytest session that forks a child per mutant and runs only the tests that ran
that line (their coverage in the sessions just made)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from governance.oracle.mutants import MUTANT_TIMEOUT_S, MutantResult, MutationReport
from governance.oracle.oracle import Coverage
from governance.oracle.run_dir import mutation_request
from governance.oracle.sandbox import write_changes
from governance.oracle.testrun import TestRunner
from governance.proof.mutation import Mutant, plan, switched
from governance.proof.rules import FileText, Intent, intent_of
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
            texts.append(FileChange(file_path=f.path, full_content=switched(f.new, found)))
    return mutants, texts


def _tests_of(m: Mutant, coverage: Sequence[Coverage]) -> list[str]:
    return sorted({t for cov in coverage for t in cov.hits(m.file, m.lines) if t is not None})


async def check_mutants(runner: TestRunner, tree: Path, files: Sequence[FileText],
                        coverage: Sequence[Coverage], scratch: Path) -> MutationReport:
    """Write the switched texts into `tree` (a scratch copy of the candidate) and judge
    every mutant by the tests that ran its line."""
    start = time.monotonic()
    mutants, texts = mutants_of(files)
    if not mutants:
        return MutationReport()
    tests = {m.id: _tests_of(m, coverage) for m in mutants}
    write_changes(tree, texts)
    every = sorted({t for found in tests.values() for t in found})
    results: dict[str, str] = {}
    if every:
        request = mutation_request([{"id": m.id, "tests": tests[m.id]} for m in mutants],
                                   MUTANT_TIMEOUT_S)
        ran = await runner.run(tree, every, scratch=scratch, extra=request)
        found = (ran.extra or {}).get("results")
        if not isinstance(found, dict):
            why = ran.report.problem or "the mutation run wrote no results"
            return MutationReport(problem=f"mutants not judged: {why}"[:400],
                                  seconds=time.monotonic() - start)
        results = {str(k): str(v) for k, v in found.items()}
    return MutationReport(tuple(MutantResult(m.file, m.line, m.what,
                                             results.get(str(m.id), "untested"))
                                for m in mutants), seconds=time.monotonic() - start)
