"""The streak tables of sensors.failing_tests: per test, how many runs in a row it failed,
whether it turned out flaky, and the HEAD of its last passing run; and BranchTip, the HEAD
and first parent a run is stamped with (a failure whose last pass was there is a regression).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from git import GitCommandError

from governance.schemas import Source
from sensors.run_results import TestResult

if TYPE_CHECKING:
    from governance.git.gitops import GitOps

log = structlog.get_logger("sensors.failing_tests")

SOURCE = Source.TEST_FAILURE
STREAK = 2  # consecutive failing runs before a failure is work
MAX_TRACKED = 10_000  # test ids remembered per table; the oldest go first
FAILING = frozenset({"failed", "error"})


@dataclass(frozen=True)
class Failure:
    """A failure that has become stable (STREAK runs in a row). Its work's key is its
    cause's (sensors.failure_causes), never its message's: a failure worded twice is one."""

    test_id: str
    result: TestResult
    passed_at: str | None = None  # HEAD at the test's last passing run (None: none known)


@dataclass
class Streaks:
    """Per test: how many runs in a row it failed, and the HEAD of its last passing run.
    Pure; fed one run at a time."""

    fails: dict[str, int] = field(default_factory=dict)
    flaky: dict[str, str] = field(default_factory=dict)  # test id -> the failure it shed
    passed: dict[str, str] = field(default_factory=dict)  # test id -> HEAD, least recent first

    def observe(self, tests: Mapping[str, TestResult],
                head: str | None = None) -> tuple[list[Failure], list[str]]:
        """(failures that reached STREAK with this run, tests that turned out flaky); `head`
        is HEAD's commit when the run was ingested (None: not known)."""
        stable: list[Failure] = []
        flaky: list[str] = []
        for test_id, result in tests.items():
            if result.outcome in FAILING:
                self.fails[test_id] = self.fails.get(test_id, 0) + 1
                if self.fails[test_id] >= STREAK:
                    stable.append(Failure(test_id, result, self.passed.get(test_id)))
            elif result.outcome in ("passed", "xpassed"):
                self._passed(test_id, head)
                if self.fails.pop(test_id, 0) == 1:  # one failure, then a pass: flaky
                    flaky.append(test_id)  # (two or more, then a pass: fixed)
                    self.flaky[test_id] = "failed once, then passed"
            # skipped / xfailed: the run says nothing about the streak
        for table in (self.fails, self.flaky, self.passed):  # bounded whatever runs hold
            for old in list(table)[:max(0, len(table) - MAX_TRACKED)]:
                del table[old]
        return stable, flaky

    def _passed(self, test_id: str, head: str | None) -> None:
        """The latest pass is the one remembered (re-inserted: the oldest passes go first);
        a pass at an unknown HEAD forgets the earlier one, which is no longer the last."""
        self.passed.pop(test_id, None)
        if head is not None:
            self.passed[test_id] = head


class BranchTip:
    """HEAD and its first parent, through the daemon's GitOps; blocking, so called in a
    thread. HEAD comes from GitOps.head_sha (the ref files, confirmed by git once per sha);
    git is asked for the parent once per new HEAD, since a commit's parents never change."""

    def __init__(self, git: GitOps):
        self.git = git
        self._tip: tuple[str, ...] = ()

    def __call__(self) -> tuple[str, ...]:
        head = self.git.head_sha()
        if head is None:
            return ()  # an unborn branch: no commit to pass at
        if self._tip[:1] != (head,):
            try:  # `<sha> <parents...>`: the first parent comes first
                line = self.git.repo.git.rev_list("--max-count=1", "--parents", head)
            except GitCommandError as exc:  # said, not fatal: the parent is just unknown
                log.warning("HEAD's parent not read", head=head, why=str(exc)[:200])
                return (head,)
            self._tip = (head, *line.split()[1:2])
        return self._tip

