"""The suite profile learnt in the background (daemon.suite_profile): a suite slower than
VALIDATE's limit still gets its profile, every op's scope uses it, a restart reuses it, a
refresh reruns only what changed, a timeout is remembered, a corrupt store is no profile."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from daemon.status.text import status_text
from daemon.suite_profile import ProfileLearner
from governance.git.gitops import GitOps
from governance.oracle import profile_store as store
from governance.oracle.scope import SuiteKnowledge, plan_scope
from governance.oracle.testrun import TestRunner
from governance.schemas import FileChange
from tests.helpers import PYTEST, commit_files, git, running_daemon, settings_for, wait_for
from tests.status_sample import sample_status

SLOW_S = 1.2  # the whole suite takes longer than VALIDATE's limit in these tests (1 s)
SUITE = {
    "calc/__init__.py": "",
    "calc/core.py": "def add(a, b):\n    return a + b\n",
    "calc/extra.py": "def double(x):\n    return x * 2\n",
    # the fixture reaches calc.extra: no test imports it, only the profile knows
    "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef doubler():\n"
                         "    from calc.extra import double\n    return double\n",
    "tests/test_core.py": "from calc.core import add\n\n\ndef test_add():\n"
                          "    assert add(1, 2) == 3\n",
    "tests/test_reach.py": "def test_reach(doubler):\n    assert doubler(2) == 4\n",
    "tests/test_slow.py": f"import time\n\n\ndef test_slow():\n    time.sleep({SLOW_S})\n",
}


async def _never_busy() -> None:
    return None


def _learner(repo: Path, state: Path, timeout_s: float = 30.0) -> ProfileLearner:
    return ProfileLearner(repo, state, "", GitOps(repo), TestRunner(PYTEST, timeout_s), (),
                          _never_busy, 0.05)


def _write(path: str, text: str = "x = 1\n") -> FileChange:
    return FileChange(file_path=path, action="write", full_content=text)


def _scope(repo: Path, suite: SuiteKnowledge, changed: str):
    files = git(repo, "ls-files").split()
    return plan_scope([_write(changed)], repo, files, suite=suite, budget_s=0.5)


@pytest.fixture
def suite_repo(tmp_path: Path) -> Path:
    return commit_files(tmp_path / "repo", SUITE)


@pytest.mark.slow
async def test_a_slow_suite_is_profiled_reused_after_a_restart_and_refreshed_in_part(
        suite_repo: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    learner = _learner(suite_repo, state)
    assert await learner.once() == "learnt" and learner.runs == 1
    profile = store.load(state / store.PROFILE_FILE).profile
    assert profile is not None and profile.suite_s >= SLOW_S and profile.rerun is None
    assert profile.tests["tests/test_reach.py"] == {"calc/extra.py"}
    assert profile.head == git(suite_repo, "rev-parse", "HEAD").strip()

    # every op adopts it (governance.phases.validate._suite): the fixture's reach counts
    suite = SuiteKnowledge()
    suite.adopt(state / store.PROFILE_FILE)
    scope = _scope(suite_repo, suite, "calc/extra.py")
    assert not scope.full and scope.original == ("tests/test_reach.py",)
    assert "closure only" not in scope.why and "suite profile of tree" in scope.why
    blind = SuiteKnowledge()
    blind.too_slow(1.0)  # what VALIDATE alone knows of a suite slower than its limit
    assert _scope(suite_repo, blind, "calc/extra.py").full  # no import reaches it: all
    closure = _scope(suite_repo, blind, "calc/core.py")
    assert closure.why.startswith("closure only") and "1s" in closure.why

    restarted = _learner(suite_repo, state)  # a new daemon on the same state dir
    assert await restarted.once() == "current" and restarted.runs == 0

    (suite_repo / "calc/core.py").write_text("def add(a, b):\n    return b + a\n")
    git(suite_repo, "commit", "-qam", "core")
    assert await restarted.once() == "learnt" and restarted.runs == 1
    refreshed = store.load(state / store.PROFILE_FILE).profile
    assert refreshed is not None and refreshed.rerun == 1  # test_add alone, not test_slow
    assert refreshed.tests == profile.tests and refreshed.suite_s == profile.suite_s

    shown = status_text(sample_status(suite_profile=store.describe(
        store.load(state / store.PROFILE_FILE))))
    assert f"profile:  tree {refreshed.tree[:12]}" in shown
    assert "3 test files over 2 code files" in shown and "1 test rerun" in shown


@pytest.mark.slow
async def test_a_timed_out_run_is_remembered_not_retried_per_op(suite_repo: Path,
                                                                tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    learner = _learner(suite_repo, state, timeout_s=SLOW_S / 2)
    assert await learner.once() == "timed out"
    stored = store.load(state / store.PROFILE_FILE)
    assert stored.profile is None and stored.timed_out is not None
    assert stored.learning is None
    assert await learner.once() == "not retried at this HEAD" and learner.runs == 1
    assert await _learner(suite_repo, state).once() == "not retried at this HEAD"
    suite = SuiteKnowledge()
    suite.adopt(state / store.PROFILE_FILE)
    assert math.isinf(suite.suite_s or 0.0)  # VALIDATE does not try the whole suite again
    why = _scope(suite_repo, suite, "calc/core.py").why
    assert why.startswith("closure only") and "timed out after 0.6s" in why
    assert "timed out after 0.6s" in status_text(sample_status(
        suite_profile=store.describe(stored)))


@pytest.mark.parametrize("text", [
    "{not json", "[]", json.dumps({"version": 99}),
    json.dumps({"version": 1, "profile": {"tree": "t", "head": "h", "at": 1, "suite_s": 2,
                                          "tests": {"/etc/passwd": ["calc/a.py"]}}}),
    json.dumps({"version": 1, "profile": {"tree": "t", "head": "h", "at": 1,
                                          "suite_s": "slow", "tests": {}}}),
    json.dumps({"version": 1, "profile": {"tree": "t", "head": "h", "at": 1, "suite_s": 2,
                                          "tests": {"tests/t.py": ["../x.py"]}}}),
])
def test_a_corrupt_store_is_no_profile(tmp_path: Path, text: str) -> None:
    path = tmp_path / store.PROFILE_FILE
    path.write_text(text)
    assert store.load(path) == store.Stored()
    suite = SuiteKnowledge()
    suite.adopt(path)
    assert suite.profile == {} and suite.suite_s is None


def test_a_stored_profile_round_trips(tmp_path: Path) -> None:
    path = tmp_path / store.PROFILE_FILE
    stored = store.Stored(store.SuiteProfile(
        "t" * 64, "h" * 40, 5.0, 90.0, {"tests/test_a.py": frozenset({"a.py"})},
        {"a.py": "0" * 64}, rerun=2), timed_out=store.Attempt("u", "g", 6.0, 1800.0))
    store.save(path, stored)
    assert store.load(path) == stored and not list(tmp_path.glob(".*.tmp"))
    shown = store.describe(stored, now=65.0)
    assert (shown["age_s"], shown["tests"], shown["files"]) == (60.0, 1, 1)


@pytest.mark.slow
async def test_the_daemon_learns_it_in_the_background_and_status_shows_it(
        suite_repo: Path) -> None:
    settings = settings_for(None, governance={"validate_timeout_s": 1.0},
                            proof={"profile_timeout_s": 30.0, "profile_poll_s": 0.05})
    async with running_daemon(suite_repo, settings) as daemon:
        path = daemon.state_dir / store.PROFILE_FILE
        await wait_for(lambda: store.load(path).profile is not None, 60.0, "the profile")
        status = await daemon.status()
    assert status.suite_profile is not None and status.suite_profile.tests == 3
    assert status.suite_profile.suite_s is not None and status.suite_profile.suite_s >= SLOW_S
    assert "profile:  tree" in status_text(status)
