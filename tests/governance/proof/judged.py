"""The differential check on a change to one module of a small repository, as VALIDATE runs
it: the candidate's whole suite in the jail with coverage of the module, then
check_behaviour on the functions the change touches (the proof tests' shared set-up)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from governance.oracle.differential import DiffReport, FunctionCheck, Target
from governance.oracle.testrun import CoverageRequest, TestOutcome, TestRunner
from governance.proof.behaviour import covering_tests, touched_functions
from governance.proof.differential_check import check_behaviour
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor


@dataclass(frozen=True)
class Judged:
    report: DiffReport
    ran: TestOutcome  # the candidate's suite, with coverage of the module
    targets: list[Target]
    problems: list[str]  # what touched_functions could not judge call by call

    def check(self, qualname: str) -> FunctionCheck:
        return next(c for c in self.report.checks if c.function.endswith(f"::{qualname}"))


async def judged(tmp_path: Path, module: str, base: str, candidate: str,
                 files: dict[str, str]) -> Judged:
    """`module` (a repository path) written as `base` and as `candidate`, beside `files`
    (the package's other files and its tests), each committed in its own repository."""
    old = commit_files(tmp_path / "base", {**files, module: base})
    new = commit_files(tmp_path / "cand", {**files, module: candidate})
    executor = JailExecutor([Path.home(), old, new, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)],
                            live_root=tmp_path / "live")  # as the daemon shows each copy
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    scratch = tmp_path / "state" / "oracle"
    ran = await runner.run(new, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({module})))
    targets, problems = touched_functions(base, candidate, module)
    report = await check_behaviour(runner, old, new, targets,
                                   covering_tests(targets, ran.report.coverage), scratch)
    return Judged(report, ran, targets, problems)
