"""The repository's tests, run the way the daemon runs them: the daemon's test runner
(governance.oracle.testrun), in the bubblewrap jail, read from our pytest plugin's report,
with the repository's own interpreter. Mining and judging read each test's outcome.

Without bubblewrap nothing runs (the runner refuses with the reason), unless
`tools.allow_unsandboxed_tests` says otherwise: eval runs the history's code like any
other code the daemon runs.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from daemon.config.settings import Settings
from daemon.phase_deps import runners_from
from governance.oracle.oracle import GOOD
from governance.oracle.testrun import CoverageRequest, TestOutcome, TestRunner


@dataclass(frozen=True)
class SuiteRun:
    """One session: each test's outcome, the files that failed to collect, and why the
    session says nothing (`problem`: it did not run, timed out, did not report)."""

    tests: dict[str, str] = field(default_factory=dict)
    collect_errors: frozenset[str] = frozenset()
    problem: str | None = None
    seconds: float = 0.0
    outcome: TestOutcome | None = None

    def passed(self, nodeid: str) -> bool:
        return self.tests.get(nodeid) in GOOD

    def failed(self, nodeid: str) -> bool:
        """Ran and did not pass, or its module did not collect."""
        if nodeid in self.tests:
            return self.tests[nodeid] in ("failed", "error")
        return nodeid.split("::", 1)[0] in self.collect_errors

    @property
    def passing(self) -> set[str]:
        return {t for t, o in self.tests.items() if o in GOOD}


def _collect_errors(outcome: TestOutcome) -> frozenset[str]:
    """The test files that did not collect (their tests fail, as far as the task goes)."""
    return frozenset(posixpath.normpath(e.split("::", 1)[0].removeprefix("./"))
                     for e in outcome.report.collect_errors)


class Suite:
    """Whole-suite (or named-test) runs in one scratch tree, under `settings`. It keeps
    what it is running now and how many runs it began (`doing`, `runs`), so a progress
    line can say what a long session is (daemon.eval.mine's heartbeat).

    `repo` is the user's repository: the jail shows the scratch at its path, so what the
    repository's environment points at there (an editable install's `.pth` or finder)
    is the scratch's code, the commit under test, never the user's working tree."""

    def __init__(self, settings: Settings, state_dir: Path, jail_reason: str | None,
                 timeout_s: float, repo: Path | None = None):
        self.settings, self.state_dir = settings, state_dir
        self.jail_reason, self.timeout_s = jail_reason, timeout_s
        self.repo = repo
        self.doing, self.runs = "", 0

    def runner(self, root: Path) -> TestRunner:
        runner, _ = runners_from(self.settings, root, self.state_dir, self.jail_reason,
                                 shown_at=self.repo)
        return runner.with_timeout(self.timeout_s)

    async def run(self, root: Path, tests: Sequence[str] = (),
                  coverage: CoverageRequest | None = None, what: str = "the suite") -> SuiteRun:
        self.doing, self.runs = what, self.runs + 1
        outcome = await self.runner(root).run(
            root, list(tests), scratch=self.state_dir / "oracle", coverage=coverage)
        report = outcome.report
        problem = report.problem or ("timed out" if outcome.timed_out else None)
        if problem is None and not report.finished:
            problem = outcome.describe()
        return SuiteRun(dict(report.tests), _collect_errors(outcome), problem,
                        outcome.duration_s, outcome)
