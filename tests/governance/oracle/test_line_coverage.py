"""Which tests ran each watched line (the oracle plugin's tracer, read back by governance.
oracle.line_tests), and a traced session's tests that fail only under the tracer
(governance.oracle.oracle_run.traced_session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle import oracle_run
from governance.oracle.line_tests import LineTests, line_tests
from governance.oracle.oracle import Report
from governance.oracle.oracle_run import traced_session
from governance.oracle.testrun import CoverageRequest, TestOutcome, TestRunner
from tests.helpers import PYTEST

SHOUT = "def shout(word):\n    word = word.strip()\n    return word.upper() + '!'\n"
MANY = ("import pytest\n\nfrom pkg.text import shout\n\n\n"
        "@pytest.mark.parametrize('n', range(70))\ndef test_many(n):\n"
        "    assert shout(f' w{n} ') == f'W{n}!'\n")
LATER = ("from pkg.text import shout\n\n\ndef test_other():\n    assert 1\n\n\n"
         "def test_last():\n    assert shout(' a ') == 'A!'\n")


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in {"pkg/__init__.py": "", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


# -- the plugin: every test, per line --------------------------------------------------


@pytest.mark.slow
async def test_a_line_names_every_test_that_ran_it_however_many(tmp_path: Path) -> None:
    """A line 71 tests ran names all 71 (it once kept the first 64, and the failing test,
    collected later, was not seen on the fix's lines)."""
    _tree(tmp_path, {"pkg/text.py": SHOUT, "tests/test_a_many.py": MANY,
                     "tests/test_b_later.py": LATER})
    out = await TestRunner(PYTEST, 60).run(tmp_path, [], scratch=tmp_path / ".s",
                                           coverage=CoverageRequest(frozenset({"pkg/text.py"})))
    cov = out.report.coverage
    assert out.passed and cov is not None
    ran = {f"tests/test_a_many.py::test_many[{n}]" for n in range(70)}
    ran.add("tests/test_b_later.py::test_last")
    assert cov.hits("pkg/text.py", [2]) == ran
    assert cov.hits("pkg/text.py", [1]) == {None}  # the def line runs at import
    lines = cov.lines["pkg/text.py"]
    assert lines[2] is lines[3]  # lines the same tests ran share one set
    assert "tests/test_b_later.py::test_other" not in lines[2]


@pytest.mark.slow
async def test_tests_far_apart_and_import_time_are_each_recorded(tmp_path: Path) -> None:
    module = "LIMIT = 3\n\n\ndef small(x):\n    return x < LIMIT\n"
    tests = ("from pkg.m import small\n\n\ndef test_a():\n    assert small(1)\n\n\n"
             "def test_b():\n    assert 1\n\n\ndef test_c():\n    assert not small(5)\n")
    _tree(tmp_path, {"pkg/m.py": module, "tests/test_m.py": tests})
    out = await TestRunner(PYTEST, 60).run(tmp_path, ["tests/test_m.py"],
                                           scratch=tmp_path / ".s",
                                           coverage=CoverageRequest(frozenset({"pkg/m.py"})))
    cov = out.report.coverage
    assert cov is not None
    assert cov.hits("pkg/m.py", [5]) == {"tests/test_m.py::test_a", "tests/test_m.py::test_c"}
    assert cov.hits("pkg/m.py", [1, 4]) == {None}


@pytest.mark.slow
async def test_the_tracer_comes_back_after_a_recursion_error_cleared_it(tmp_path: Path) -> None:
    """CPython clears a tracer that raises: a RecursionError at a test's lowered limit
    (sqlparse's test_max_recursion) once left every later test unrecorded."""
    module = "def deep(n):\n    return 0 if n == 0 else 1 + deep(n - 1)\n"
    tests = ("import sys\n\nimport pytest\n\nfrom pkg.m import deep\n\n\n"
             "def test_limit():\n    limit = sys.getrecursionlimit()\n"
             "    sys.setrecursionlimit(60)\n    try:\n"
             "        with pytest.raises(RecursionError):\n            deep(1000)\n"
             "    finally:\n        sys.setrecursionlimit(limit)\n\n\n"
             "def test_later():\n    assert deep(3) == 3\n")
    _tree(tmp_path, {"pkg/m.py": module, "tests/test_m.py": tests})
    out = await TestRunner(PYTEST, 60).run(tmp_path, ["tests/test_m.py"],
                                           scratch=tmp_path / ".s",
                                           coverage=CoverageRequest(frozenset({"pkg/m.py"})))
    assert out.passed and out.report.coverage is not None
    assert "tests/test_m.py::test_later" in out.report.coverage.hits("pkg/m.py", [2])


# -- reading the sets back ----------------------------------------------------------------

ORDER = ["t::a", "t::b", "t::c", "t::d"]


@pytest.mark.parametrize(("raw", "named"), [
    ([0, 1], {"t::a", "t::b"}),
    ([-1, 0, 3, 3], {None, "t::a", "t::d"}),
    ([2, 3, 0, 2], {"t::a", "t::b", "t::c", "t::d"}),  # out of order, overlapping
    ([-5, 0, 3, 10**12], {None, "t::a", "t::d"}),  # indexes no test has: dropped
    ([3, 1], set()),  # an empty range
    ([0], set()),  # not pairs: no test
    (["0", "1"], set()),
    ("0-3", set()),
])
def test_line_tests_read_index_ranges(raw: object, named: set[str | None]) -> None:
    [tests] = line_tests([raw], ORDER)
    assert set(tests) == named and len(tests) == len(named)
    assert all(t in tests for t in named)
    assert not ({"t::x", 0, *(set(ORDER) - named)} & set(tests))
    assert "t::x" not in tests and 0 not in tests


def test_line_tests_behave_as_a_set_and_stay_small() -> None:
    [everyone, some] = line_tests([[-1, 10**6], [1, 2]], ORDER)
    assert len(everyone) == 5 and None in everyone  # clamped to the session's tests
    assert everyone & {"t::b", "t::z"} == frozenset({"t::b"})
    assert {"t::b", "t::z"} & some == frozenset({"t::b"})
    assert some == {"t::b", "t::c"} and some <= everyone and hash(some)
    assert isinstance(some | {"t::a"}, frozenset)
    huge = LineTests([(0, 10**9)], [], {})
    assert len(huge) == 10**9 + 1 and "t::a" not in huge  # ranges, never expanded


# -- a traced session: tests that fail only under the tracer --------------------------

UNTRACED = "import sys\n\n\ndef test_untraced():\n    assert sys.gettrace() is None\n"
USES = "from pkg.text import shout\n\n\ndef test_shout():\n    assert shout('a') == 'A!'\n"
BOTH = "import sys\n\n" + USES + "\n\n" + UNTRACED.removeprefix("import sys\n\n")


class _Counting(TestRunner):
    def __init__(self) -> None:
        super().__init__(PYTEST, 60)
        self.sessions: list[bool] = []  # traced or not, per session

    async def run(self, root, tests, *, scratch=None, coverage=None, extra=None):
        self.sessions.append(coverage is not None)
        return await super().run(root, tests, scratch=scratch, coverage=coverage, extra=extra)


def _passed(*tests: str, failed: tuple[str, ...] = ()) -> Report:
    outcomes = {**{t: "passed" for t in tests}, **{t: "failed" for t in failed}}
    return Report(finished=True, exitstatus=0, tests=outcomes)


async def _session(root: Path, runner: TestRunner, baseline: Report) -> oracle_run.Checked:
    return await traced_session(runner, root, ["tests"], False, root / ".s",
                                CoverageRequest(frozenset({"pkg/text.py"})), baseline, None)


@pytest.mark.slow
async def test_a_test_that_fails_only_under_the_tracer_is_judged_untraced(
        tmp_path: Path) -> None:
    _tree(tmp_path, {"pkg/text.py": SHOUT, "tests/test_shout.py": BOTH})
    ids = ("tests/test_shout.py::test_shout", "tests/test_shout.py::test_untraced")
    runner = _Counting()
    checked = await _session(tmp_path, runner, _passed(*ids))
    assert checked.verdict.passed, checked.verdict.reason
    assert "judged untraced (failed only under the tracer): tests/test_shout.py::" \
           "test_untraced" in checked.verdict.reason
    assert runner.sessions == [True, False]
    report = checked.outcomes[0].report  # the traced run's coverage, the rerun's outcome
    assert report.tests[ids[1]] == "passed"
    assert report.coverage is not None
    assert report.coverage.hits("pkg/text.py", [2]) == {ids[0]}


@pytest.mark.slow
async def test_a_test_that_fails_untraced_too_is_still_a_regression(tmp_path: Path) -> None:
    _tree(tmp_path, {"pkg/text.py": SHOUT.replace("'!'", "'?'"), "tests/test_shout.py": USES})
    runner = _Counting()
    checked = await _session(tmp_path, runner, _passed("tests/test_shout.py::test_shout"))
    assert not checked.verdict.passed
    assert "tests/test_shout.py::test_shout: passed before the change, now failed" in \
        checked.verdict.reason
    assert runner.sessions == [True, False]


@pytest.mark.slow
@pytest.mark.parametrize("why", ["failed at baseline", "too many"])
async def test_no_untraced_run_when_the_tracer_cannot_be_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str) -> None:
    """A test that failed before the change is no regression the tracer made; and more
    failures than UNTRACED_MAX are not the tracer's doing."""
    _tree(tmp_path, {"pkg/text.py": SHOUT, "tests/test_a.py": UNTRACED,
                     "tests/test_b.py": UNTRACED})
    ids = ("tests/test_a.py::test_untraced", "tests/test_b.py::test_untraced")
    baseline = _passed(ids[0], failed=ids[1:])
    if why == "too many":
        monkeypatch.setattr(oracle_run, "UNTRACED_MAX", 1)
        baseline = _passed(*ids)
    runner = _Counting()
    checked = await _session(tmp_path, runner, baseline)
    assert not checked.verdict.passed and runner.sessions == [True]
    assert isinstance(checked.outcomes[0], TestOutcome)


@pytest.mark.slow
async def test_a_traced_baseline_takes_untraced_outcomes_for_tests_only_the_tracer_failed(
        tmp_path: Path) -> None:
    """The whole suite's baseline is profiled (traced): a timed test can fail there only.
    Its failed tests run alone untraced; the human's failing test fails there too and stays
    failed, the one the tracer failed is judged by the same session run untraced."""
    broken = "def test_broken():\n    assert False\n"
    _tree(tmp_path, {"pkg/text.py": SHOUT, "tests/test_a.py": UNTRACED,
                     "tests/test_b.py": broken})
    ids = ("tests/test_a.py::test_untraced", "tests/test_b.py::test_broken")
    traced = await oracle_run.run_side(TestRunner(PYTEST, 60), tmp_path, [], True,
                                       tmp_path / ".s", CoverageRequest(profile=True))
    assert [traced.report.tests[n] for n in ids] == ["failed", "failed"]
    runner = _Counting()
    report = await oracle_run.untraced_baseline(runner, tmp_path, [], True, tmp_path / ".s",
                                                traced.report)
    assert [report.tests[n] for n in ids] == ["passed", "failed"]
    assert runner.sessions == [False, False]  # alone, then the same session
    assert report.coverage == traced.report.coverage
    only_broken = await oracle_run.untraced_baseline(
        runner, tmp_path, [], True, tmp_path / ".s",
        Report(finished=True, exitstatus=1, tests={ids[1]: "failed"}))
    assert only_broken.tests == {ids[1]: "failed"} and len(runner.sessions) == 3
