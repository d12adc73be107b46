"""A capture whose tests run past the runner's timeout under the tracer is tried again with
a spread of them (governance.proof.differential_check.sampled), in the real jail: a hundred
calls a function are what the capture keeps, and a few tests give them. phonenumbers'
`digit`, entered by most of its 311 tests, had no call captured in 121 s, and its careless
truthiness test waited unjudged (wave 16). A sample can show a difference, never that there
is none: under load its sample held digits alone, and the careless `digit` landed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof import differential_check
from governance.proof.behaviour import covering_tests, touched_functions
from governance.proof.differential_check import check_behaviour, sampled
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor, bwrap_available

LIB = '''def double(x):
    return x * 2
'''
CARELESS = LIB.replace("return x * 2", "return x * 2 if x != 3 else 7")
# Thirty tests of a quarter of a second's work each: seven and a half seconds in all, past
# a five-second runner; any four of them take one.
TESTS = '''import time

import pytest

from pkg.lib import double


@pytest.mark.parametrize("n", [n for n in range(31) if n != 3])
def test_double(n):
    end = time.monotonic() + 0.25
    while time.monotonic() < end:
        pass
    assert double(n) == 2 * n
'''


def test_a_sample_is_spread_over_the_test_files() -> None:
    tests = [f"tests/test_{f}.py::test_{n}" for f in "abc" for n in range(20)]
    picked = sampled(tests)
    assert len(picked) == differential_check.SAMPLED_TESTS
    assert {t.split("::")[0] for t in picked[:3]} == {"tests/test_a.py"}  # sorted back
    assert {t.split("::")[0] for t in picked} == {f"tests/test_{f}.py" for f in "abc"}
    assert sampled(tests[:5]) == sorted(tests[:5])


async def _checked(tmp_path: Path, monkeypatch, candidate: str):
    monkeypatch.setattr(differential_check, "SAMPLED_TESTS", 4)
    files = {"pkg/__init__.py": "", "tests/test_lib.py": TESTS}
    old = commit_files(tmp_path / "base", {**files, "pkg/lib.py": LIB})
    new = commit_files(tmp_path / "cand", {**files, "pkg/lib.py": candidate})
    executor = JailExecutor([Path.home(), old, new, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)],
                            live_root=tmp_path / "live")
    command = ["{python}", "-m", "pytest"]
    scratch = tmp_path / "state" / "oracle"
    ran = await TestRunner(command, 60, executor).run(
        new, [], scratch=scratch, coverage=CoverageRequest(frozenset({"pkg/lib.py"})))
    assert ran.passed, ran.describe()  # the premise: no test passes it a 3
    targets, _ = touched_functions(LIB, candidate, "pkg/lib.py")
    tests = covering_tests(targets, ran.report.coverage)
    assert len(tests) == 30
    report = await check_behaviour(TestRunner(command, 5, executor), old, new, targets,
                                   tests, scratch, noticed=False)
    assert report.problem is None, report.payload()
    return report


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_capture_that_timed_out_is_tried_again_with_a_sample(
        tmp_path: Path, monkeypatch) -> None:
    report = await _checked(tmp_path, monkeypatch, CARELESS)
    [check] = report.checks
    assert any(c.input == "3" for c in check.counterexamples), report.payload()
    assert report.reasons()[0].startswith("behaviour changed:")


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_sample_shows_no_change_unchanged(tmp_path: Path, monkeypatch) -> None:
    # a sample is evidence of a difference only: phonenumbers' careless `digit` landed on
    # one whose calls all passed digits, where a non-digit with a default of 0 tells it
    report = await _checked(tmp_path, monkeypatch, LIB.replace("x * 2", "x + x"))
    assert report.reasons() == ["behaviour not shown unchanged: the calls were captured "
                                "from 4 of the 30 tests that enter it (capturing them all "
                                "timed out under the tracer): a sample can show a "
                                "difference, never that there is none"], report.payload()
