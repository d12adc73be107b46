"""TestFailure: the ouroboros_results plugin in real pytest runs (through its installed entry
point), inert where it must be (no state dir, the oracle's runs, switched off), never failing
the user's run; the sensor's streaks (two failing runs in a row are work, one failure then a
pass is flaky), hostile results files, and the debounced jailed run of affected tests."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ouroboros_pytest as pytest_results
from governance.oracle.testrun import TestRunner
from governance.schemas import SignalEnvelope, Urgency
from ouroboros_pytest import RESULTS_DIR
from sensors.failing_tests import TestFailureSensor
from sensors.failure_envelope import crash_focus, envelope_for
from sensors.failure_streaks import STREAK, Failure, Streaks
from sensors.run_results import TestResult, read_results
from tests.helpers import OPS_BROKEN, PYTEST, commit_files, git, jail_limits, tree_bytes
from tools.jail import JailExecutor, bwrap_available

CALC = "def add(a, b):\n    return a + b\n"
TEST_CALC = ("from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
             "def test_other():\n    assert True\n")
MIXED = '''import pytest


@pytest.fixture
def broken():
    raise RuntimeError("fixture down")


def test_pass():
    pass


def test_fail():
    assert 1 == 2


def test_error(broken):
    pass


@pytest.mark.skip(reason="no")
def test_skip():
    pass


@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False
'''


def _repo(tmp_path: Path, files: dict[str, str], state: bool = True) -> Path:
    root = commit_files(tmp_path / "repo", files)
    if state:
        (root / ".ouroboros").mkdir()
    return root


def _pytest(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A developer's own pytest run: the venv's interpreter, entry points autoloaded."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("PYTEST_", "OUROBOROS_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args], cwd=root, env={**clean, **env}, capture_output=True,
                          text=True, timeout=120)


def _results(state: Path) -> list[dict]:
    out = state / RESULTS_DIR
    return [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))] if out.is_dir() \
        else []


def _sensor(root: Path, **kw) -> tuple[TestFailureSensor, list[SignalEnvelope], list[str]]:
    got: list[SignalEnvelope] = []
    notes: list[str] = []

    async def emit(env: SignalEnvelope) -> bool:
        got.append(env)
        return True

    async def note(msg: str) -> None:
        notes.append(msg)

    sensor = TestFailureSensor(root, root / ".ouroboros", "s", emit, note=note, **kw)
    return sensor, got, notes


# -- the plugin, in real pytest runs -------------------------------------------------------


@pytest.mark.slow
def test_a_pytest_run_leaves_its_results_in_the_state_dir(tmp_path):
    root = _repo(tmp_path, {"tests/test_mixed.py": MIXED,
                            "tests/test_broken_import.py": "import no_such_module\n",
                            # The project's own packages named like ours, first on sys.path.
                            "sensors/__init__.py": "raise ImportError('not yours')\n",
                            "tools/__init__.py": "raise ImportError('not yours')\n"})
    proc = _pytest(root, "--continue-on-collection-errors")
    assert proc.returncode == 1, proc.stdout  # the user's verdict is untouched
    [run] = _results(root / ".ouroboros")
    assert run["schema"] == pytest_results.SCHEMA and run["rootdir"] == str(root)
    tests = run["tests"]
    assert {k: v["outcome"] for k, v in tests.items()} == {
        "tests/test_mixed.py::test_pass": "passed", "tests/test_mixed.py::test_fail": "failed",
        "tests/test_mixed.py::test_error": "error", "tests/test_mixed.py::test_skip": "skipped",
        "tests/test_mixed.py::test_xfail": "xfailed", "tests/test_broken_import.py": "error"}
    fail = tests["tests/test_mixed.py::test_fail"]
    assert fail["message"] == "assert 1 == 2" and fail["where"] == "tests/test_mixed.py:14"
    assert "fixture down" in tests["tests/test_mixed.py::test_error"]["message"]
    assert "no_such_module" in tests["tests/test_broken_import.py"]["message"]
    assert [p.name for p in (root / ".ouroboros" / RESULTS_DIR).iterdir()
            if p.name.startswith(".")] == []  # written by rename: no temp file left
    assert read_results(next((root / ".ouroboros" / RESULTS_DIR).glob("*.json"))).exitstatus == 1


@pytest.mark.slow
def test_the_plugin_is_inert_without_a_state_dir_or_when_switched_off(tmp_path):
    root = _repo(tmp_path, {"tests/test_a.py": "def test_a():\n    pass\n"}, state=False)
    assert _pytest(root).returncode == 0
    assert not (root / ".ouroboros").exists() and not (tmp_path / ".ouroboros").exists()
    (tmp_path / "elsewhere").mkdir()
    (root / ".ouroboros").symlink_to(tmp_path / "elsewhere")  # a link is not a state dir
    assert _pytest(root).returncode == 0 and list((tmp_path / "elsewhere").iterdir()) == []
    (root / ".ouroboros").unlink()
    (root / ".ouroboros").mkdir()
    assert _pytest(root, "-p", "no:ouroboros_results").returncode == 0
    assert _pytest(root, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1").returncode == 0
    assert _results(root / ".ouroboros") == []
    # A relative OUROBOROS_STATE_DIR is refused; an absolute one is used instead of .ouroboros.
    assert _pytest(root, OUROBOROS_STATE_DIR="state").returncode == 0
    assert _results(root / ".ouroboros") == []
    named = tmp_path / "named-state"
    named.mkdir()
    assert _pytest(root, OUROBOROS_STATE_DIR=str(named)).returncode == 0
    assert len(_results(named)) == 1 and _results(root / ".ouroboros") == []


@pytest.mark.slow
def test_a_state_dir_it_cannot_write_never_fails_the_users_run(tmp_path):
    root = _repo(tmp_path, {"tests/test_a.py": "def test_a():\n    pass\n"})
    (root / ".ouroboros" / RESULTS_DIR).write_text("a file where the directory should be")
    proc = _pytest(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


@pytest.mark.slow
async def test_the_daemons_oracle_runs_leave_no_results(tmp_path):
    """The oracle switches entry-point autoload off; with autoload configured on, the oracle
    plugin's presence still keeps this plugin out of its runs."""
    root = _repo(tmp_path, {"tests/test_a.py": "def test_a():\n    assert False\n"})
    for autoload in (False, True):
        runner = TestRunner(PYTEST, 60, plugin_autoload=autoload)
        assert ("PYTEST_DISABLE_PLUGIN_AUTOLOAD" in runner.env("p", "o")) is not autoload
        outcome = await runner.run(root, ["tests/test_a.py"], scratch=tmp_path / "scratch")
        assert outcome.report.tests == {"tests/test_a.py::test_a": "failed"}
    assert _results(root / ".ouroboros") == []


def test_old_results_are_pruned_to_keep(tmp_path, monkeypatch):
    monkeypatch.setattr(pytest_results, "KEEP", 3)
    rec = pytest_results.Recorder(tmp_path, tmp_path)
    rec.tests = {"t.py::t": {"outcome": "passed"}}
    written = [rec.write(0).name for _ in range(5)]
    assert sorted(p.name for p in (tmp_path / RESULTS_DIR).iterdir()) == written[-3:]


# -- streaks -------------------------------------------------------------------------------


def _r(outcome: str, message: str = "") -> TestResult:
    return TestResult(outcome=outcome, message=message)


@pytest.mark.parametrize(("runs", "stable_at", "flaky"), [
    (["failed", "failed"], [2], []),
    (["failed", "passed", "failed"], [], ["t"]),
    (["failed", "skipped", "failed"], [3], []),  # a skip says nothing: still in a row
    (["error", "failed", "failed"], [2, 3], []),
    (["failed", "failed", "passed", "failed"], [2], []),  # fixed, not flaky
    (["passed", "xfailed", "passed"], [], []),
], ids=["two-in-a-row", "flaky", "skip-neutral", "error-counts", "fixed", "never-failed"])
def test_streaks(runs, stable_at, flaky):
    streaks = Streaks()
    seen_stable, seen_flaky = [], []
    for n, outcome in enumerate(runs, 1):
        stable, turned = streaks.observe({"t": _r(outcome, "boom")})
        seen_stable += [n] * len(stable)
        seen_flaky += turned
    assert seen_stable == stable_at and seen_flaky == flaky
    assert STREAK == 2


def test_the_streak_tables_stay_bounded(monkeypatch):
    monkeypatch.setattr("sensors.failure_streaks.MAX_TRACKED", 3)
    streaks = Streaks()
    streaks.observe({f"t{n}": _r("failed") for n in range(10)})
    assert list(streaks.fails) == ["t7", "t8", "t9"]


def test_a_failures_key_does_not_depend_on_how_its_message_is_worded():
    """Two envelopes for one failing test worded twice (a results file's full message and a
    jailed run's cut summary line) were two ops and two review branches."""
    def key(message: str) -> str:
        failure = Failure("tests/test_a.py::test_a[1-2]", _r("failed", message))
        return envelope_for(failure, ["tests/test_a.py"], "s").dedup_key
    assert key("assert 'first' == 'second'") == key("AssertionError: the same failure, worded "
                                                    "otherwise") == key("")
    other = envelope_for(Failure("tests/test_a.py::test_b", _r("failed", "x")),
                         ["tests/test_a.py"], "s")
    assert other.dedup_key != key("x")  # another test is another piece of work


# -- the sensor reading results files --------------------------------------------------------


@pytest.mark.slow
async def test_two_failing_runs_make_one_envelope_and_a_flaky_test_is_noted(tmp_path):
    root = _repo(tmp_path, {"calc.py": CALC, "tests/test_calc.py": TEST_CALC})
    sensor, got, notes = _sensor(root)
    files = git(root, "ls-files").split()
    (root / "calc.py").write_text(CALC.replace("a + b", "a - b"))
    assert _pytest(root).returncode == 1
    assert await sensor.scan_once(files) == 0 and got == []  # one failing run: not yet work
    assert _pytest(root).returncode == 1
    assert await sensor.scan_once(files) == 1
    [env] = got
    assert env.source == "test_failure" and env.urgency is Urgency.HIGH
    assert env.target_files == ("tests/test_calc.py", "calc.py")
    assert "tests/test_calc.py::test_add" in env.goal and "assert -1 == 5" in env.goal
    assert "tests/test_calc.py:5" in env.goal
    assert _pytest(root).returncode == 1
    await sensor.scan_once(files)
    assert got[1].dedup_key == env.dedup_key  # the same failure: the same key
    # A flaky one: fails once, then passes.
    (root / "calc.py").write_text(CALC)
    (root / "tests/test_flaky.py").write_text(
        "from pathlib import Path\n\n\ndef test_flaky():\n"
        "    assert Path('flag').exists()\n")
    assert _pytest(root, "tests/test_flaky.py").returncode == 1
    (root / "flag").write_text("")
    assert _pytest(root, "tests/test_flaky.py").returncode == 0
    assert await sensor.scan_once(files) == 0
    assert list(sensor.flaky) == ["tests/test_flaky.py::test_flaky"]
    assert any("tests/test_flaky.py::test_flaky" in n and "flaky" in n for n in notes)
    assert await sensor.scan_once(files) == 0  # each file is read once


@pytest.mark.slow
async def test_the_poller_reads_a_new_run_without_a_scan(tmp_path):
    root = _repo(tmp_path, {"tests/test_a.py": "def test_a():\n    assert False\n"})
    got = asyncio.Queue()
    sensor = TestFailureSensor(root, root / ".ouroboros", "s",
                               lambda env: got.put(env) or asyncio.sleep(0, True), poll_s=0.05)
    await sensor.scan_once(["tests/test_a.py"])  # the repository's files, as the daemon's scan
    watch = asyncio.create_task(sensor.watch())
    for _ in range(STREAK):
        assert (await asyncio.to_thread(_pytest, root)).returncode == 1
    async with asyncio.timeout(30):
        env = await got.get()
    assert env.evidence["test_id"] == "tests/test_a.py::test_a"
    assert env.focus_lines == (2,)  # the crash's line in the test file
    watch.cancel()


def _write_results(root: Path, name: str, tests: dict, **kw) -> Path:
    out = root / ".ouroboros" / RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    data = {"schema": pytest_results.SCHEMA, "run_id": name, "time": "t",
            "rootdir": str(root), "exitstatus": 1, "tests": tests, **kw}
    path = out / f"{name}.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


FAIL = {"outcome": "failed", "message": "boom"}


@pytest.mark.parametrize(("content", "why"), [
    ("{not json", "Invalid JSON"),
    ({"schema": "other.1"}, "schema"),
    ({"tests": {"t.py::t": {"outcome": "exploded"}}}, "outcome"),
    ({"tests": {"t.py::t": {**FAIL, "message": "x" * 501}}}, "message"),
    ({"extra": 1}, "extra"),
    ({"run_id": "../../etc"}, "run_id"),
], ids=["json", "schema", "outcome", "long-message", "unknown-key", "run-id"])
async def test_a_malformed_results_file_queues_nothing_and_says_why(tmp_path, content, why):
    root = _repo(tmp_path, {"t.py": ""})
    sensor, got, _ = _sensor(root)
    for n in range(STREAK):
        path = _write_results(root, f"{n}", {"t.py::t": FAIL})
        if isinstance(content, str):
            path.write_text(content)
        else:
            path.write_text(json.dumps({**json.loads(path.read_text()), **content}))
    assert await sensor.scan_once(["t.py"]) == 0 and got == []
    assert why in (sensor.problem or ""), sensor.problem


async def test_hostile_results_files_are_refused(tmp_path):
    root = _repo(tmp_path, {"t.py": ""})
    sensor, got, _ = _sensor(root)
    out = root / ".ouroboros" / RESULTS_DIR
    out.mkdir(parents=True)
    secret = tmp_path / "secret.json"
    _write_results(tmp_path / "x", "0", {"t.py::t": FAIL}).rename(secret)
    (out / "1.json").symlink_to(secret)  # never followed
    (out / "2.json").mkdir()
    (out / "3.json").write_bytes(b" " * (4 << 20) + b"{}")  # over the cap
    assert await sensor.scan_once(["t.py"]) == 0 and "3.json" in sensor.problem
    # Test ids that name paths outside the repository, or no file of it, are never targets.
    for n in range(STREAK):
        _write_results(root, f"4{n}", {"../escape.py::t": FAIL, "/etc/passwd::t": FAIL,
                                        "missing.py::t": FAIL, "t.py/../t.py::t": FAIL})
    # A run whose rootdir is outside the repository says nothing about it.
    for n in range(STREAK):
        _write_results(root, f"5{n}", {"t.py::t": FAIL}, rootdir=str(tmp_path))
    # Results older than STALE_S when first seen (before a restart) are history, not work.
    for n in range(STREAK):
        os.utime(_write_results(root, f"6{n}", {"t.py::t": FAIL}), (1, 1))
    assert await sensor.scan_once(["t.py"]) == 0 and got == []
    assert sensor.problem is None and sensor.runs == 4  # readable files clear the problem


# -- the debounced jailed run of affected tests ------------------------------------------------


needs_bwrap = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap unusable")


@pytest.mark.slow
@needs_bwrap
async def test_a_py_change_runs_the_affected_tests_jailed_after_the_debounce(tmp_path):
    root = _repo(tmp_path, {"calc/__init__.py": "", "calc/ops.py": OPS_BROKEN,
                            "tests/test_ops.py": "from calc.ops import add\n\n\n"
                            "def test_add():\n    assert add(2, 3) == 5\n",
                            "tests/test_unrelated.py": "def test_u():\n    assert False\n"})
    executor = JailExecutor([Path.home(), root, root / ".ouroboros"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(PYTEST, 60, executor, writable=False)
    runs: list[list[str]] = []

    async def run(tests):
        runs.append(list(tests))
        return await runner.run(root, tests, scratch=root / ".ouroboros" / "oracle")

    listed = functools.partial(asyncio.to_thread, lambda: git(root, "ls-files").split())
    sensor, got, _ = _sensor(root, runner=run, list_files=listed, debounce_s=0.3)
    before = tree_bytes(root)
    watch = asyncio.create_task(sensor.watch())
    for _ in range(STREAK):
        await sensor.on_paths(["calc/ops.py", "README"])
        await sensor.on_paths(["calc/ops.py"])  # within the debounce: still one run
        assert not sensor.idle.is_set()
        async with asyncio.timeout(60):
            await sensor.idle.wait()
    assert runs == [["tests/test_ops.py"]] * STREAK  # only the affected test, once per burst
    [env] = got
    assert env.target_files == ("tests/test_ops.py", "calc/ops.py")
    assert "tests/test_ops.py::test_add" in env.goal and "assert -1 == 5" in env.goal
    assert tree_bytes(root) == before  # read-only on the live tree
    assert _results(root / ".ouroboros") == []  # the jailed oracle run wrote no results file
    await sensor.on_paths(["notes.txt"])  # not a .py change: nothing runs
    assert sensor.idle.is_set() and runs == [["tests/test_ops.py"]] * STREAK
    watch.cancel()


async def test_without_a_jail_no_test_runs_and_status_says_why(tmp_path):
    root = _repo(tmp_path, {"calc.py": CALC, "tests/test_calc.py": TEST_CALC})
    sensor, _, _ = _sensor(root, runner_problem="bubblewrap missing", debounce_s=0)
    await sensor.on_paths(["calc.py"])
    assert sensor.idle.is_set() and await sensor.run_affected() == 0
    assert "bubblewrap missing" in sensor.problem


async def test_concurrent_passes_read_each_run_once(tmp_path):
    """The poller and scan_once may overlap: a run is still counted once."""
    root = _repo(tmp_path, {"t.py": ""})
    sensor, got, _ = _sensor(root)
    for n in range(STREAK + 1):
        _write_results(root, f"{n}", {"t.py::t": FAIL})
    found = await asyncio.gather(*(sensor.scan_once(["t.py"]) for _ in range(4)))
    assert sensor.runs == STREAK + 1 and sum(found) == len(got) == 2


@pytest.mark.slow
async def test_the_daemon_queues_a_failing_test_from_the_developers_runs(repo):
    from tests.helpers import running_daemon, settings_for, wait_for

    async with running_daemon(repo, settings_for(None)) as daemon:
        sensor = daemon.sensors.sensors["test_failure"]
        assert isinstance(sensor, TestFailureSensor)
        assert (await asyncio.to_thread(_pytest, repo)).returncode == 0  # passes at HEAD
        await wait_for(lambda: sensor.runs >= 1, what="the passing run read")
        (repo / "calc" / "ops.py").write_text(OPS_BROKEN)
        for _ in range(STREAK):
            assert (await asyncio.to_thread(_pytest, repo)).returncode == 1
        queued = await wait_for(lambda: [e for e in daemon.queue.snapshot()
                                         if "tests/test_ops.py::test_add" in str(e)],
                                what="the test_failure envelope")
        assert "calc/ops.py" in str(queued[0]) and "test_failure" in str(queued[0])
        head = git(repo, "rev-parse", "HEAD").strip()  # the daemon reads HEAD: a regression
        assert f"regression: passed at {head[:12]}" in queued[0]["goal"]
    off = settings_for(None, intake={"test_failure": False})
    async with running_daemon(repo, off) as daemon:
        assert "test_failure" not in daemon.sensors.sensors


@pytest.mark.parametrize(("where", "focus"), [
    ("tests/test_a.py:14", (14,)), ("calc/ops.py:3", ()), ("tests/test_a.py:\u00b2", ()),
    ("tests/test_a.py:0", ()), ("tests/test_a.py:-2", ()), ("", ()), ("tests/test_a.py", ())])
def test_the_crash_line_is_a_focus_only_in_the_test_file(where, focus):
    """A results file is written by code the repository runs: its `where` is parsed, never
    trusted ("\u00b2" passes str.isdigit and fails int)."""
    assert crash_focus(where, "tests/test_a.py") == focus
