"""A failure raised outside the repository (in `json`, in `re`) from a library function:
the results plugin records the innermost frame in the repository's library code beside the
innermost frame, and the failure's cause is that library function. Real pytest runs through
the installed plugin, read by the real sensor."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from governance.schemas import SignalEnvelope
from ouroboros_pytest import harness
from sensors.failing_tests import TestFailureSensor
from sensors.failure_causes import causes_of, group
from tests.helpers import commit_files, git
from tests.sensors.test_failing_tests import _pytest, _results

PARSE = '''import json
import re


def load_config(text):
    return json.loads(text)


def match_name(pattern, name):
    return re.fullmatch(pattern, name) is not None
'''
# The tests reach the library through a helper of their own, so the failing line names
# no library function: only the traceback does.
TESTS = '''from conf import parse


def _via(fn, *args):
    return fn(*args)


def test_config():
    assert _via(parse.load_config, "{") == {}


def test_name():
    assert _via(parse.match_name, "(a", "a")
'''
# A test package's helper is test code, not library: pyflakes' harness.
HELPERS = '''from conf import parse


def check(text):
    return parse.load_config(text)
'''
TEST_HELPER = '''from tests.support.helpers import check


def test_checked():
    assert check("[") == []
'''


@pytest.mark.slow
def test_a_failure_raised_in_the_standard_library_names_the_library_function(tmp_path):
    root = commit_files(tmp_path / "repo", {"conf/__init__.py": "", "conf/parse.py": PARSE,
                                            "tests/test_parse.py": TESTS,
                                            "tests/support/__init__.py": "",
                                            "tests/support/helpers.py": HELPERS,
                                            "tests/test_helper.py": TEST_HELPER})
    (root / ".ouroboros").mkdir()
    got: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:
        got.append(env)
        return True

    sensor = TestFailureSensor(root, root / ".ouroboros", "s", emit)
    files = git(root, "ls-files").splitlines()
    for _ in range(2):
        assert _pytest(root).returncode == 1
        asyncio.run(sensor.scan_once(files))
    tests = _results(root / ".ouroboros")[-1]["tests"]
    config = tests["tests/test_parse.py::test_config"]
    name = tests["tests/test_parse.py::test_name"]
    assert Path(config["where"].rpartition(":")[0]).name == "decoder.py"  # json's, innermost
    assert config["library_where"] == "conf/parse.py:6"
    assert Path(name["where"].rpartition(":")[0]).parent.name in ("re", "sre_parse.py")
    assert name["library_where"] == "conf/parse.py:10"
    assert tests["tests/test_helper.py::test_checked"]["library_where"] == "conf/parse.py:6"
    causes = {e.evidence["cause"]: sorted(e.evidence["tests"]) for e in got}
    assert causes == {  # two library functions, two causes; the helper's test joins json's
        "fn:conf/parse.py::load_config": ["tests/test_helper.py::test_checked",
                                          "tests/test_parse.py::test_config"],
        "fn:conf/parse.py::match_name": ["tests/test_parse.py::test_name"]}
    assert all("conf/parse.py" in e.target_files for e in got)


def test_test_code_is_told_from_library_code():
    assert harness("tests/test_a.py") and harness("pkg/test/harness.py")
    assert harness("conftest.py") and harness("a/b_test.py") and harness("testing/util.py")
    assert not harness("pkg/checker.py") and not harness("pkg/testimony.py")


@pytest.mark.slow
def test_an_xdist_run_keeps_the_library_frame(tmp_path):
    """Under `-n 2` the workers make the reports and the controller records them from their
    serialised form, which has no traceback: the frame travels on the report itself."""
    root = commit_files(tmp_path / "repo", {"conf/__init__.py": "", "conf/parse.py": PARSE,
                                            "tests/test_parse.py": TESTS,
                                            "tests/support/__init__.py": "",
                                            "tests/support/helpers.py": HELPERS,
                                            "tests/test_helper.py": TEST_HELPER})
    (root / ".ouroboros").mkdir()
    ran = _pytest(root, "-n", "2")
    assert ran.returncode == 1 and "[gw1]" in ran.stdout, ran.stdout  # run by workers
    (results,) = _results(root / ".ouroboros")  # the controller's file; the workers write none
    tests = results["tests"]
    assert tests["tests/test_parse.py::test_config"]["library_where"] == "conf/parse.py:6"
    assert tests["tests/test_parse.py::test_name"]["library_where"] == "conf/parse.py:10"
    assert tests["tests/test_helper.py::test_checked"]["library_where"] == "conf/parse.py:6"


BASE_TEST = '''from conf import parse


class Test:
    def test_config(self):
        assert parse.load_config("{}") == {"a": 1}
'''
# pyflakes' test_doctests.py: another file's tests rerun through a subclass.
RERUN = '''from tests import test_base


class TestAgain(test_base.Test):
    pass
'''


def test_a_test_inherited_from_another_file_has_that_tests_causes():
    """The whole suite (the start-up run) runs both; the rerun fails inside the base file's
    test, so it is that test, with its library function: one piece of work, not two."""
    files = {"conf/__init__.py": "", "conf/parse.py": PARSE, "tests/__init__.py": "",
             "tests/test_base.py": BASE_TEST, "tests/test_again.py": RERUN}
    read = files.__getitem__
    base = causes_of("tests/test_base.py::Test::test_config", "tests/test_base.py:6",
                     set(files), read)
    again = causes_of("tests/test_again.py::TestAgain::test_config", "tests/test_base.py:6",
                      set(files), read)
    assert "fn:conf/parse.py::load_config" in base
    assert base < again and again - base == {"test:tests/test_again.py::TestAgain::test_config"}
    assert len(group({"a": base, "b": again}, read)) == 1
    # a failure in a test package's helper is not a test of another file
    assert causes_of("tests/test_again.py::TestAgain::test_config", "tests/__init__.py:1",
                     set(files), read) == {"test:tests/test_again.py::TestAgain::test_config"}
