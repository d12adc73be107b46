"""A jailed run names where its failures went through the library (the oracle plugin's
failure frames, governance.oracle.failure_frames), as a developer's own run does: a failure
raised in `json` from a library function reached through a fixture has that function as its
cause, so the suite profile's run at start makes one piece of work of its failing tests.
Real git, the daemon's own jailed runner (bubblewrap), real pytest, the real sensor."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from daemon.phase_deps import runners_from
from daemon.start_failures import FailureFeed
from daemon.suite_profile import ProfileLearner
from governance.git.gitops import GitOps
from governance.oracle.failure_frames import SCHEMA, FailureFrame, parse_frames
from governance.oracle.run_dir import FRAMES_HELPER, HELPERS, PLUGIN_SOURCE
from governance.oracle.testrun import TestRunner
from governance.schemas import SignalEnvelope
from ouroboros_pytest import library_frames
from sensors.failing_tests import TestFailureSensor
from sensors.run_results import from_outcome
from tests.helpers import PYTEST, commit_files, settings_for
from tools.jail import bwrap_available

needs_bwrap = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")

SETTINGS = '''import json


def load(text):
    return json.loads(text.strip("{}"))  # the committed bug: the braces go
'''
# The tests reach `load` only through fixtures: no test line or body calls it.
CONFTEST = '''import pytest

from conf import settings


@pytest.fixture
def config():
    return settings.load('{"name": "demo", "size": 3}')


@pytest.fixture
def loader():
    return settings.load
'''
REPO = {
    "conf/__init__.py": "",
    "conf/settings.py": SETTINGS,
    "tests/conftest.py": CONFTEST,
    "tests/test_name.py": "def test_name(config):\n    assert config['name'] == 'demo'\n",
    "tests/test_size.py": "def test_size(config):\n    assert config['size'] == 3\n",
    "tests/test_loader.py": "def test_loaded(loader):\n"
                            "    assert loader('{\"a\": 1}') == {'a': 1}\n",
    "tests/test_other.py": "def test_other():\n    assert 1 + 1 == 2\n",
}
FAILING = ["tests/test_loader.py::test_loaded", "tests/test_name.py::test_name",
           "tests/test_size.py::test_size"]


async def _never_busy() -> None:
    return None


def _repo(tmp_path: Path) -> Path:
    root = commit_files(tmp_path / "repo", REPO)
    with (root / ".git" / "info" / "exclude").open("a") as f:
        f.write("/.ouroboros/\n")
    (root / ".ouroboros").mkdir()
    return root


@pytest.mark.slow
@needs_bwrap
async def test_the_start_up_run_makes_one_piece_of_work_of_a_library_function(tmp_path):
    root = _repo(tmp_path)
    state = root / ".ouroboros"
    got: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:
        got.append(env)
        return True

    git_ops = GitOps(root)
    sensor = TestFailureSensor(root, state, "s", emit,
                               list_files=lambda: asyncio.to_thread(git_ops.listed_files))
    validate, _ = runners_from(settings_for(None), root, state, None)  # the daemon's, jailed
    assert validate.executor is not None
    learner = ProfileLearner(root, state, ".ouroboros", git_ops, validate.with_timeout(90), (),
                             _never_busy, 0.05, FailureFeed(root, state, lambda: sensor))
    assert await learner.once() == "learnt"
    assert sensor.runs == 2  # the suite, then its failures alone: failing twice is work
    assert len(got) == 1, [e.evidence for e in got]  # one cause, one envelope
    (env,) = got
    assert env.evidence["cause"] == "fn:conf/settings.py::load"
    assert sorted(env.evidence["tests"]) == FAILING
    assert "conf/settings.py" in env.target_files


async def test_a_local_run_records_the_frames_and_survives_a_hostile_report(tmp_path):
    """The same frames without the jail; a conftest that breaks the report's crash location
    (a hostile longrepr) costs that test its frame, never its outcome."""
    hostile = CONFTEST + '''

class _Hostile:
    @property
    def reprcrash(self):
        raise RuntimeError("no crash for you")

    def __str__(self):
        return "hostile"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    made = yield
    if item.name == "test_size" and made.get_result().failed:
        made.get_result().longrepr = _Hostile()
'''
    root = commit_files(tmp_path / "repo", {**REPO, "tests/conftest.py": hostile})
    ran = await TestRunner(PYTEST, 60).run(root, [])
    assert not ran.passed
    assert {t: ran.report.tests[t] for t in FAILING} == {
        FAILING[0]: "failed", FAILING[1]: "error", FAILING[2]: "error"}
    assert ran.frames[FAILING[0]].library_where == "conf/settings.py:5"
    assert ran.frames[FAILING[1]].library_where == "conf/settings.py:5"
    assert Path(ran.frames[FAILING[1]].where.rpartition(":")[0]).name == "decoder.py"
    assert FAILING[2] not in ran.frames or not ran.frames[FAILING[2]].where
    results = from_outcome(ran)
    assert results[FAILING[1]].library_where == "conf/settings.py:5"
    assert results["tests/test_other.py::test_other"].outcome == "passed"


NONCE = "ab" * 16


@pytest.mark.parametrize(("data", "frames"), [
    ({"schema": SCHEMA, "nonce": NONCE, "frames": {"t::a": {"where": "/x/json.py:3",
                                                             "library_where": "p/m.py:5"}}},
     {"t::a": FailureFrame("/x/json.py:3", "p/m.py:5")}),
    ({"schema": SCHEMA, "nonce": "forged", "frames": {"t::a": {"where": "p/m.py:5"}}}, {}),
    ({"schema": "other", "nonce": NONCE, "frames": {"t::a": {"where": "p/m.py:5"}}}, {}),
    ({"schema": SCHEMA, "nonce": NONCE, "frames": ["t::a"]}, {}),
    (None, {}), ([], {}),
    ({"schema": SCHEMA, "nonce": NONCE, "frames": {
        "t::a": {"where": "p/m.py:x", "library_where": ["p/m.py:5"]},  # nothing readable
        "t::b": {"where": "p/m.py:\u00b2"},  # not an ASCII line number
        "t::c": {"where": "p/m.py:5\nq.py:1"}, "t::d": "p/m.py:5",
        "t::e": {"where": "p/m.py:5", "library_where": "p/m.py:5"},  # the same: one
        "t" * 1001: {"where": "p/m.py:5"}, "t::f": {"where": "p" * 1000 + ".py:5"}}},
     {"t::e": FailureFrame("p/m.py:5", "")}),
])
def test_frames_count_only_with_the_nonce_and_in_their_shape(data, frames):
    assert parse_frames(data, NONCE) == frames


def test_the_jail_loads_the_shared_definition_not_a_copy():
    """The oracle plugin's frames come from the results plugin's own module."""
    assert HELPERS[FRAMES_HELPER] == Path(library_frames.__file__)
    source = PLUGIN_SOURCE.read_text()
    assert f"import {FRAMES_HELPER} as _frames" in source and "def harness" not in source
