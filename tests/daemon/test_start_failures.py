"""Failing tests found without a human's pytest run (daemon.start_failures): the suite
profile's background run hands its results to the TestFailureSensor, its failures rerun
alone; a test failing both times is work, at start and when HEAD moves; one that passes
alone (order-dependent) is flaky and not worked; a human's later run of the same failure
is the same signal, and the daemon's queue takes it once."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.start_failures import FAILING_FILE, FailureFeed
from daemon.suite_profile import ProfileLearner
from governance.git.gitops import GitOps
from governance.oracle.testrun import TestRunner
from governance.schemas import SignalEnvelope
from ouroboros_pytest import RESULTS_DIR
from sensors.failing_tests import STALE_S, TestFailureSensor
from sensors.run_results import crash_where
from tests.helpers import PYTEST, commit_files, git, running_daemon, settings_for, wait_for

BROKEN = "tests/test_broken.py::test_add_carries"
ORDERED = "tests/test_order.py::test_alone"  # fails after test_first, passes alone
REPO = {
    "calc/__init__.py": "",
    "calc/core.py": "def add(a, b):\n    return a + b + (a == 2)\n",  # the committed bug
    "tests/test_core.py": "from calc.core import add\n\n\ndef test_add():\n"
                          "    assert add(1, 3) == 4\n",
    "tests/test_broken.py": "from calc.core import add\n\n\ndef test_add_carries():\n"
                            "    assert add(2, 2) == 4\n",
    "tests/test_order.py": "SEEN = []\n\n\ndef test_first():\n    SEEN.append(1)\n\n\n"
                           "def test_alone():\n    assert not SEEN, 'test_first ran first'\n",
}

CALLED = [{"fn": "fn:calc/core.py::add", "depth": 1}]  # what BROKEN's own call ran


async def _never_busy() -> None:
    return None


def _human_pytest(root: Path, *args: str) -> int:
    """A developer's own pytest run: the venv's interpreter, the results plugin autoloaded."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("PYTEST_", "OUROBOROS_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args], cwd=root, env=clean, capture_output=True, text=True,
                          timeout=120).returncode


def _repo(root: Path, files: dict[str, str]) -> Path:
    root = commit_files(root, files)
    with (root / ".git" / "info" / "exclude").open("a") as f:
        f.write("/.ouroboros/\n")  # what the daemon does with its state dir
    (root / ".ouroboros").mkdir()
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return _repo(tmp_path / "repo", REPO)


def _learner(root: Path, sensor: TestFailureSensor | None) -> ProfileLearner:
    """The daemon's learner on a local runner (the jailed one: the daemon test below)."""
    state = root / ".ouroboros"
    return ProfileLearner(root, state, ".ouroboros", GitOps(root), TestRunner(PYTEST, 60), (),
                          _never_busy, 0.05, FailureFeed(root, state, lambda: sensor))


def _sensor(root: Path) -> tuple[TestFailureSensor, list[SignalEnvelope]]:
    got: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:
        got.append(env)
        return True
    git_ops = GitOps(root)
    sensor = TestFailureSensor(root, root / ".ouroboros", "s", emit,
                               list_files=lambda: asyncio.to_thread(git_ops.listed_files))
    return sensor, got


async def test_a_committed_failure_is_found_at_start_and_when_head_moves(repo: Path) -> None:
    sensor, got = _sensor(repo)
    learner = _learner(repo, sensor)
    assert await learner.once() == "learnt"
    assert [e.evidence["test_id"] for e in got] == [BROKEN]  # no human ran pytest
    assert got[0].evidence["where"] == "tests/test_broken.py:5"  # the crash, as a human's run
    assert "calc/core.py" in got[0].target_files
    assert ORDERED in sensor.flaky and sensor.runs == 2  # the suite, then its failures alone
    # asserted in the test: what its call ran, recorded by that rerun (no run of its own)
    assert got[0].evidence["called"] == CALLED and sensor.recorded.get(BROKEN) == ()

    (repo / "tests/test_more.py").write_text(
        "from calc.core import add\n\n\ndef test_more():\n    assert add(2, 5) == 7\n")
    git(repo, "add", "tests/test_more.py")
    git(repo, "commit", "-qm", "a test of 2 + 5")
    assert await learner.once() == "learnt"  # HEAD moved: the new test file reruns
    assert [e.evidence["test_id"] for e in got] == [BROKEN, "tests/test_more.py::test_more"]

    for _ in range(2):  # the human's own runs of the same failure: the same signal
        assert await asyncio.to_thread(_human_pytest, repo, "tests/test_broken.py") == 1
    await sensor.scan_once()
    human = [e for e in got[2:] if e.evidence["test_id"] == BROKEN]
    assert human and {e.dedup_key for e in human} == {got[0].dedup_key}


async def test_without_the_sensor_nothing_is_written(repo: Path) -> None:
    learner = _learner(repo, None)
    assert await learner.once() == "learnt" and learner.runs == 1
    assert not (repo / ".ouroboros" / "test-results").exists()


def _an_hour_later(state: Path) -> None:
    """The earlier runs' results files aged past the sensor's STALE_S: a restart later on
    reads them as history, not as runs."""
    for path in (state / RESULTS_DIR).glob("*.json"):
        old = path.stat().st_mtime - 2 * STALE_S
        os.utime(path, (old, old))


async def test_a_restart_at_a_profiled_head_finds_the_failures_again(repo: Path) -> None:
    state = repo / ".ouroboros"
    sensor, got = _sensor(repo)
    assert await _learner(repo, sensor).once() == "learnt" and len(got) == 1
    _an_hour_later(state)
    again, found = _sensor(repo)  # a new daemon: its sensor's streaks are empty
    restarted = _learner(repo, again)
    assert await restarted.once() == "current" and restarted.runs == 0  # no suite run
    assert [e.evidence["test_id"] for e in found] == [BROKEN] and again.runs == 2
    assert found[0].evidence["called"] == CALLED  # the reruns at start record them too
    assert found[0].dedup_key == got[0].dedup_key  # the same work: the queue has it once
    assert json.loads((state / FAILING_FILE).read_text())["failing"] == [BROKEN]

    (repo / "calc/core.py").write_text("def add(a, b):\n    return a + b\n")  # fixed
    _an_hour_later(state)
    third, more = _sensor(repo)
    assert await _learner(repo, third).once() == "current"
    assert more == [] and third.runs == 2 and not third.flaky
    assert json.loads((state / FAILING_FILE).read_text())["failing"] == []  # forgotten
    third_again, _ = _sensor(repo)
    assert await _learner(repo, third_again).once() == "current" and third_again.runs == 0


def _enqueued(state: Path, test_id: str) -> int:
    with sqlite3.connect(f"file:{state / 'ledger.sqlite3'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT envelope FROM intake_wal WHERE event = 'enqueued'")
        return sum(test_id in json.dumps(json.loads(r[0])) for r in rows)


@pytest.mark.slow
async def test_the_daemon_queues_a_failure_committed_before_it_started(repo: Path) -> None:
    settings = settings_for(None, proof={"profile_timeout_s": 60.0, "profile_poll_s": 0.05})
    async with running_daemon(repo, settings) as daemon:
        sensor = daemon.sensors.sensors["test_failure"]
        assert isinstance(sensor, TestFailureSensor)
        await wait_for(lambda: ORDERED in sensor.flaky, 90.0, "the suite run handed over")
        await wait_for(lambda: any(BROKEN in e["goal"] for e in daemon.queue.snapshot()),
                       30.0, "the failure queued")
        queued = [e for e in daemon.queue.snapshot() if BROKEN in e["goal"]]
        assert len(queued) == 1 and queued[0]["source"] == "test_failure"
        assert not [e for e in daemon.queue.snapshot() if ORDERED in e["goal"]]
        runs = sensor.runs
        for _ in range(2):
            assert await asyncio.to_thread(_human_pytest, repo, "tests/test_broken.py") == 1
        await wait_for(lambda: sensor.runs >= runs + 2, 30.0, "the human's runs read")
        assert len([e for e in daemon.queue.snapshot() if BROKEN in e["goal"]]) == 1
        assert _enqueued(daemon.state_dir, BROKEN) == 1  # one WAL row: not queued twice


async def test_a_test_file_that_does_not_import_is_found_too(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", {**REPO, "tests/test_gone.py": "from calc.core import gone"
                                     "\n\n\ndef test_gone():\n    assert gone()\n"})
    sensor, got = _sensor(root)
    learner = _learner(root, sensor)
    assert (await learner.once()).startswith("failed")  # no profile of a suite that aborts
    assert [e.evidence["test_id"] for e in got] == ["tests/test_gone.py"]
    assert "ImportError" in got[0].goal and "calc/core.py" in got[0].target_files


@pytest.mark.parametrize("text", [
    "{not json", "[]", json.dumps({"version": 2, "failing": [BROKEN]}),
    json.dumps({"failing": [BROKEN], "more": 1}), json.dumps({"failing": [7]}),
    json.dumps({"failing": ["t" * 1001]}), json.dumps({"failing": [BROKEN] * 6000})])
def test_a_corrupt_memory_of_failures_is_nothing_known(repo: Path, text: str) -> None:
    """The file is advisory, like the profile beside it: anything odd is no failure known."""
    feed = FailureFeed(repo, repo / ".ouroboros", lambda: None)
    feed.path.write_text(text)
    assert not feed.any_known()
    feed.path.write_text(json.dumps({"failing": [BROKEN, "../x.py::t", "/etc/x.py::t"]}))
    assert feed.any_known() and feed.known_in(repo) == [BROKEN]  # paths out are never rerun


@pytest.mark.parametrize(("tail", "where"), [
    ("    def test_a():\n>       assert add(2, 2) == 4\nE       assert 5 == 4\n\n"
     "tests/test_a.py:5: AssertionError", "tests/test_a.py:5"),
    ("calc/core.py:2: in add\n    return a / b\nE   ZeroDivisionError: division by zero\n\n"
     "calc/core.py:2: ZeroDivisionError\n", "calc/core.py:2"),
    ("E   ImportError: cannot import name 'gone'", ""),  # a collection error: no location
    ("", ""), ("tests/test_a.py:x: AssertionError", ""), ("x" * 2000 + ".py:1: E", "")])
def test_a_jailed_failure_says_where_it_crashed_as_a_human_run_does(tail: str,
                                                                    where: str) -> None:
    """pytest ends a long traceback with the crash's `path:line: Error`, which the results
    plugin writes as `where` (the module a failure points at is what the op targets)."""
    assert crash_where(tail) == where
