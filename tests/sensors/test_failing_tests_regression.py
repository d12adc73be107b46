"""TestFailure urgency: a test that passed on the branch's last commit (HEAD or its first
parent) and now fails its streak is a critical regression; a test never seen passing, or last
seen passing on an older commit, stays high. Real git repositories, real pytest runs, and
the daemon's own BranchTip over GitOps."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import pytest

from governance.git.gitops import GitOps
from governance.schemas import Urgency
from sensors.failure_streaks import BranchTip, Streaks
from sensors.run_results import TestResult
from tests.helpers import git
from tests.sensors.test_failing_tests import CALC, TEST_CALC, _pytest, _repo, _sensor

NEW_TEST = "from calc import add\n\n\ndef test_new():\n    assert add(1, 1) == 3\n"


def _step(root: Path, step: str, n: int) -> None:
    """One thing the human does between the sensor's scans."""
    if step == "break":
        (root / "calc.py").write_text(CALC.replace("a + b", "a - b"))
    elif step == "new-test":
        (root / "tests/test_new.py").write_text(NEW_TEST)
    elif step == "commit":  # tracked changes and a fresh line: always a new commit
        (root / "log.txt").write_text(f"{n}\n")
        git(root, "add", "log.txt")
        git(root, "commit", "-qam", f"step {n}")


@pytest.mark.slow
@pytest.mark.parametrize(("steps", "test", "urgency", "passed_at"), [
    (["run", "break", "run", "run"], "test_add", Urgency.CRITICAL, 0),
    (["run", "break", "commit", "run", "run"], "test_add", Urgency.CRITICAL, 0),
    (["run", "new-test", "run", "run"], "test_new", Urgency.HIGH, None),
    (["break", "run", "run"], "test_add", Urgency.HIGH, None),
    (["run", "commit", "break", "commit", "run", "run"], "test_add", Urgency.HIGH, None),
], ids=["passed-at-head", "passed-at-first-parent", "new-test-never-passed",
        "never-passed", "passed-two-commits-back"])
async def test_a_regression_on_the_branchs_last_commit_is_critical(
        tmp_path, steps, test, urgency, passed_at):
    root = _repo(tmp_path, {"calc.py": CALC, "tests/test_calc.py": TEST_CALC})
    tip = BranchTip(GitOps(root))
    sensor, got, _ = _sensor(root, commits=functools.partial(asyncio.to_thread, tip),
                             list_files=lambda: asyncio.to_thread(
                                 lambda: git(root, "ls-files", "-co",
                                             "--exclude-standard").split()))
    runs_at: list[str] = []  # HEAD at each run
    for n, step in enumerate(steps):
        if step == "run":
            runs_at.append(git(root, "rev-parse", "HEAD").strip())
            await asyncio.to_thread(_pytest, root)
            await sensor.scan_once(git(root, "ls-files").split())
        else:
            _step(root, step, n)
    [env] = got
    assert env.evidence["test_id"].endswith(f"::{test}") and env.urgency is urgency
    if passed_at is None:
        assert "regression" not in env.evidence and "regression" not in env.goal
    else:
        sha = runs_at[passed_at]
        assert env.evidence["regression"] == f"passed at {sha[:12]}"
        assert env.evidence["passed_at"] == sha
        assert f"(regression: passed at {sha[:12]})" in env.goal


@pytest.mark.slow
def test_branch_tip_is_head_and_its_first_parent(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    tip = BranchTip(GitOps(root))
    assert tip() == ()  # an unborn branch: no commit
    (root / "a.txt").write_text("a\n")
    git(root, "add", "a.txt")
    git(root, "-c", "user.name=H", "-c", "user.email=h@e", "commit", "-qm", "root")
    first = git(root, "rev-parse", "HEAD").strip()
    assert tip() == (first,)  # a root commit has no parent
    git(root, "checkout", "-qb", "side")
    (root / "b.txt").write_text("b\n")
    git(root, "add", "b.txt")
    git(root, "-c", "user.name=H", "-c", "user.email=h@e", "commit", "-qm", "side")
    side = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "main")
    (root / "c.txt").write_text("c\n")
    git(root, "add", "c.txt")
    git(root, "-c", "user.name=H", "-c", "user.email=h@e", "commit", "-qm", "main")
    git(root, "-c", "user.name=H", "-c", "user.email=h@e", "merge", "-q", "--no-ff",
        "-m", "merge", "side")
    head, main = (git(root, "rev-parse", r).strip() for r in ("HEAD", "HEAD^1"))
    assert tip() == (head, main) and side not in tip()  # the first parent only
    assert tip() is tip()  # asked of git once per HEAD


def _r(outcome: str) -> TestResult:
    return TestResult(outcome=outcome, message="boom")


def test_streaks_remember_the_head_of_the_last_pass_bounded(monkeypatch):
    streaks = Streaks()
    streaks.observe({"t": _r("passed")}, "a" * 40)
    streaks.observe({"t": _r("passed")}, "b" * 40)  # the latest pass is the one kept
    streaks.observe({"t": _r("failed")}, "c" * 40)
    [failure], _ = streaks.observe({"t": _r("failed")}, "c" * 40)
    assert failure.passed_at == "b" * 40
    streaks.observe({"t": _r("passed")}, None)  # a pass at no known HEAD: none known
    streaks.observe({"t": _r("failed")})
    [failure], _ = streaks.observe({"t": _r("failed")})
    assert failure.passed_at is None
    monkeypatch.setattr("sensors.failure_streaks.MAX_TRACKED", 3)
    streaks.observe({f"t{n}": _r("passed") for n in range(6)}, "d" * 40)
    streaks.observe({"t3": _r("passed")}, "e" * 40)  # passed again: the newest now
    assert list(streaks.passed) == ["t4", "t5", "t3"]
