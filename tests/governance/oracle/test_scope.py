"""The affected scope (governance.oracle.scope): the reverse-import closure, the profile, and when
the whole suite runs instead; and the oracle plugin's coverage in a real pytest run."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from governance.oracle.import_graph import ImportGraph
from governance.oracle.scope import SuiteKnowledge, plan_scope
from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.schemas import FileChange
from tests.helpers import PYTEST

CALC = {
    "calc/__init__.py": "",
    "calc/core.py": "def scale(x, k):\n    return x * k\n\n\ndef clamp(x, lo, hi):\n"
                    "    return x\n",
    "calc/api.py": "from calc.core import scale\n\n\ndef total(xs, k):\n"
                   "    return sum(scale(x, k) for x in xs)\n",
    "calc/report.py": "from . import api\n\n\ndef show(xs):\n    return str(api.total(xs, 1))\n",
    "calc/other.py": "def unrelated():\n    return 1\n",
    "tests/test_api.py": "from calc.api import total\n\n\ndef test_total():\n"
                         "    assert total([1, 2], 3) == 9\n",
    "tests/test_report.py": "import calc.report\n\n\ndef test_show():\n"
                            "    assert calc.report.show([1]) == '1'\n",
    "tests/test_other.py": "from calc.other import unrelated\n\n\ndef test_unrelated():\n"
                           "    assert unrelated() == 1\n",
}


def _tree(root: Path, files: dict[str, str] = CALC) -> list[str]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return sorted(files)


def _write(rel: str, text: str = "x = 1\n") -> FileChange:
    return FileChange(file_path=rel, full_content=text)


def _measured(seconds: float) -> SuiteKnowledge:
    suite = SuiteKnowledge()
    suite.suite_s = seconds
    return suite


def test_the_reverse_import_closure_reaches_tests_two_hops_away(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    closure = ImportGraph().reverse_closure(tmp_path, files, ["calc/core.py"])
    assert {"calc/api.py", "calc/report.py", "tests/test_api.py",
            "tests/test_report.py"} <= closure
    assert "tests/test_other.py" not in closure and "calc/core.py" not in closure


def test_a_changed_package_init_reaches_every_importer_of_the_package(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    closure = ImportGraph().reverse_closure(tmp_path, files, ["calc/__init__.py"])
    assert {"tests/test_api.py", "tests/test_report.py", "tests/test_other.py"} <= closure


def test_a_slow_suite_runs_the_affected_scope_only(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    scope = plan_scope([_write("calc/core.py")], tmp_path, files, suite=_measured(100.0),
                       budget_s=30.0)
    assert not scope.full
    assert scope.original == ("tests/test_api.py", "tests/test_report.py")
    assert scope.watch == frozenset({"calc/core.py"})
    assert "affected scope" in scope.why


def test_the_whole_suite_runs_when_cheap_or_unmeasured(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    cheap = plan_scope([_write("calc/core.py")], tmp_path, files, suite=_measured(2.0),
                       budget_s=30.0)
    unknown = plan_scope([_write("calc/core.py")], tmp_path, files, suite=SuiteKnowledge(),
                         budget_s=30.0)
    assert cheap.full and "2.0s <= 30s" in cheap.why
    assert unknown.full and "not measured" in unknown.why


def test_dynamic_imports_or_no_importer_mean_the_whole_suite(tmp_path: Path) -> None:
    files = _tree(tmp_path, {**CALC, "calc/plugins.py":
                             "import importlib\nmod = importlib.import_module('calc.core')\n"})
    dyn = plan_scope([_write("calc/core.py")], tmp_path, files, suite=_measured(100.0),
                     budget_s=30.0)
    assert dyn.full and "calc/plugins.py" in dyn.why
    files = _tree(tmp_path / "b", {**CALC, "calc/lonely.py": "def f():\n    return 2\n"})
    lonely = plan_scope([_write("calc/lonely.py")], tmp_path / "b", files,
                        suite=_measured(100.0), budget_s=30.0)
    assert lonely.full and "no test imports" in lonely.why


def test_a_harness_change_means_every_test_in_both_sessions(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    scope = plan_scope([_write("tests/conftest.py")], tmp_path, files, suite=_measured(100.0),
                       budget_s=30.0)
    assert scope.everything and not scope.code_changed and scope.needs_baseline
    assert scope.describe() == ["<full suite, candidate form>"]


def test_the_profile_adds_tests_that_entered_a_changed_file_without_importing_it(
        tmp_path: Path) -> None:
    files = _tree(tmp_path)
    suite = _measured(100.0)
    suite.learn(100.0, {"tests/test_other.py::test_unrelated": frozenset(
        {"calc/other.py", "calc/core.py", "tests/test_other.py"}), None: frozenset()})
    assert suite.profile == {"tests/test_other.py": frozenset({"calc/other.py",
                                                                "calc/core.py"})}
    scope = plan_scope([_write("calc/core.py")], tmp_path, files, suite=suite, budget_s=30.0)
    assert "tests/test_other.py" in scope.original


def test_a_whole_suite_too_slow_to_finish_narrows_to_the_affected_scope(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    suite = SuiteKnowledge()
    scope = plan_scope([_write("calc/core.py")], tmp_path, files, suite=suite, budget_s=30.0)
    suite.too_slow()
    assert scope.full and math.isinf(suite.suite_s or 0)
    narrowed = scope.narrowed()
    assert not narrowed.full and narrowed.original == scope.original
    again = plan_scope([_write("calc/core.py")], tmp_path, files, suite=suite, budget_s=30.0)
    assert not again.full


@pytest.mark.slow
async def test_the_plugin_records_which_test_ran_each_watched_line(tmp_path: Path) -> None:
    files = {**CALC, "tests/test_api.py": CALC["tests/test_api.py"]
             + "\n\ndef test_broken():\n    assert total([1], 1) == 2\n"}
    _tree(tmp_path, files)
    runner = TestRunner(PYTEST, 60)
    out = await runner.run(tmp_path, ["tests/test_api.py"], scratch=tmp_path / ".s",
                           coverage=CoverageRequest(frozenset({"calc/core.py"}), profile=True))
    cov = out.report.coverage
    assert cov is not None
    assert cov.hits("calc/core.py", [2]) == {"tests/test_api.py::test_total",
                                             "tests/test_api.py::test_broken"}
    assert cov.hits("calc/core.py", [1]) == {None}  # the def line runs at import
    assert cov.hits("calc/core.py", [6]) == set()  # clamp's body: no test runs it
    assert "calc/api.py" in cov.files["tests/test_api.py::test_total"]
    assert all(not f.startswith("<") for files in cov.files.values() for f in files)


@pytest.mark.slow
async def test_without_a_request_the_report_has_no_coverage(tmp_path: Path) -> None:
    _tree(tmp_path)
    out = await TestRunner(PYTEST, 60).run(tmp_path, ["tests/test_api.py"],
                                           scratch=tmp_path / ".s")
    assert out.passed and out.report.coverage is None


@pytest.mark.slow
async def test_a_full_side_runs_the_whole_suite_whatever_the_scope_found(tmp_path: Path) -> None:
    from governance.oracle.oracle_run import run_side

    _tree(tmp_path)
    out = await run_side(TestRunner(PYTEST, 60), tmp_path, ["tests/test_api.py"], True,
                         tmp_path / ".s")
    assert set(out.report.tests) == {"tests/test_api.py::test_total",
                                     "tests/test_report.py::test_show",
                                     "tests/test_other.py::test_unrelated"}


@pytest.mark.slow
async def test_a_test_that_switches_tracing_off_leaves_lines_unrun_never_run(
        tmp_path: Path) -> None:
    """A hostile or careless test that clears the tracer can only make a change look less
    proven: the lines it then runs are recorded as not run, never as run. The next test
    is traced again."""
    files = {**CALC, "tests/test_api.py": "import sys\nimport threading\n\n"
             "from calc.api import total\n\n\ndef test_total():\n    sys.settrace(None)\n"
             "    threading.settrace(None)\n    assert total([1, 2], 3) == 9\n\n\n"
             "def test_again():\n    assert total([1], 1) == 1\n"}
    _tree(tmp_path, files)
    out = await TestRunner(PYTEST, 60).run(tmp_path, ["tests/test_api.py"],
                                           scratch=tmp_path / ".s",
                                           coverage=CoverageRequest(frozenset({"calc/core.py"})))
    assert out.passed and out.report.coverage is not None
    assert out.report.coverage.hits("calc/core.py", [2]) == {"tests/test_api.py::test_again"}
