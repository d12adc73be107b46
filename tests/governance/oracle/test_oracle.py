"""The test oracle: the judge's rule (a table), the report reader, and real pytest runs that
show the repository cannot steer the test process (ini addopts, PYTEST_ADDOPTS, a repo file
named pytest, entry-point plugins) and that the report never lands in the tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from governance.oracle.oracle import FailureKind, Report, judge, read_report
from governance.oracle.sandbox import left_out_links
from governance.oracle.testrun import TestRunner
from governance.phase import Phase
from tests.helpers import (
    OPS_BROKEN,
    OPS_FIXED,
    PYTEST,
    jail_limits,
    make_policy,
    run_op,
    tree_bytes,
)
from tools.jail import JailExecutor, bwrap_available

needs_bwrap = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")

A, B, C = "t.py::a", "t.py::b", "t.py::c"


def _r(tests: dict[str, str], **kw) -> Report:
    return Report(finished=kw.pop("finished", True), exitstatus=kw.pop("exitstatus", 0),
                  tests=tests, **kw)


# (name, after, baseline, full_suite, passes, phrase in the reason, evidence)
JUDGE = [
    ("all pass", _r({A: "passed", B: "passed"}), _r({A: "passed", B: "passed"}), False, True,
     "2 passed", "baseline"),
    ("no report", Report(problem="no test report was written", problem_kind=FailureKind.NO_REPORT),
     _r({A: "passed"}), False, False, "no test report", None),
    ("unfinished", _r({A: "passed", B: "collected"}, finished=False), _r({A: "passed"}), False,
     False, "did not finish", None),
    ("interrupted", _r({A: "passed"}, exitstatus=2), _r({A: "passed"}), False, False,
     "exit status 2", None),
    ("internal error", _r({}, exitstatus=3), _r({A: "passed"}), False, False, "exit status 3",
     None),
    ("collection error", _r({A: "passed"}, exitstatus=1, collect_errors=("t2.py",)),
     _r({A: "passed"}), False, False, "collection errors in t2.py", None),
    ("collection error, interrupted", _r({}, exitstatus=2, collect_errors=("t2.py",)),
     _r({A: "passed"}), False, False, "collection errors in t2.py", None),
    ("now skipped", _r({A: "skipped", B: "passed"}), _r({A: "passed", B: "passed"}), False, False,
     f"{A}: passed before the change, now skipped", None),
    ("now xfailed", _r({A: "xfailed", B: "passed"}), _r({A: "passed", B: "passed"}), False,
     False, "now xfailed", None),
    ("now deselected", _r({A: "deselected", B: "passed"}), _r({A: "passed", B: "passed"}), False,
     False, "now deselected", None),
    ("now missing", _r({B: "passed"}), _r({A: "passed", B: "passed"}), False, False,
     "now missing", None),
    ("now error", _r({A: "error", B: "passed"}), _r({A: "passed", B: "passed"}), False, False,
     "now error", None),
    ("never ran", _r({A: "collected", B: "passed"}, exitstatus=1), _r({A: "passed"}), False,
     False, "now never ran", None),
    ("forged", _r({A: "forged"}, exitstatus=0), _r({A: "passed"}), False, False, "now forged",
     None),
    ("failing before too", _r({A: "failed", B: "passed"}, exitstatus=1),
     _r({A: "failed", B: "passed"}, exitstatus=1), False, False, "failing before the change too",
     None),
    ("new failing test", _r({A: "passed", C: "failed"}, exitstatus=1), _r({A: "passed"}), False,
     False, f"{C}: failed", None),
    ("fixed a failing test", _r({A: "passed", B: "passed"}),
     _r({A: "passed", B: "failed"}, exitstatus=1), False, True, "2 passed", "baseline"),
    ("skip stays skipped", _r({A: "passed", B: "skipped"}), _r({A: "passed", B: "skipped"}),
     False, True, "1 skipped", "baseline"),
    ("new test skipped", _r({A: "passed", C: "skipped"}), _r({A: "passed"}), False, True,
     "1 skipped", "baseline"),
    ("nothing passed", _r({A: "skipped"}), _r({A: "skipped"}), False, False,
     "no test ran and passed", None),
    ("no tests where expected", _r({}, exitstatus=5), _r({}, exitstatus=5), False, False,
     "no test ran and passed", None),
    ("repo has no tests", _r({}, exitstatus=5), _r({}, exitstatus=5), True, True,
     "the repository has no tests", "none"),
    ("only new tests passed", _r({C: "passed"}), Report.empty(), False, True, "1 passed", "own"),
]
# The verdict's kind, for code (L2 classifies on it); a row not named here: NONE when the
# verdict passes, FAILING when it names failing tests.
K = FailureKind
KINDS = {"no report": K.NO_REPORT, "unfinished": K.UNFINISHED, "interrupted": K.PYTEST_ABORTED,
         "internal error": K.PYTEST_ABORTED, "collection error": K.COLLECTION_ERRORS,
         "collection error, interrupted": K.COLLECTION_ERRORS, "nothing passed": K.NOTHING_RAN,
         "no tests where expected": K.NOTHING_RAN}


@pytest.mark.parametrize(("name", "after", "baseline", "full", "passes", "phrase", "evidence"),
                         JUDGE, ids=[row[0] for row in JUDGE])
def test_judge(name, after, baseline, full, passes, phrase, evidence):
    verdict = judge(after, baseline, full)
    assert verdict.passed is passes, verdict
    assert phrase in verdict.reason
    assert verdict.kind is KINDS.get(name, K.NONE if passes else K.FAILING), verdict
    if evidence:
        assert verdict.evidence == evidence


def _report(path: Path, nonce="n1", **over) -> Path:
    data = {"nonce": nonce, "finished": True, "exitstatus": 0, "tests": {A: "passed"},
            "collect_errors": [], **over}
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(("make", "phrase"), [
    (lambda p: p, "no test report was written"),
    (lambda p: _report(p, nonce="other"), "does not carry this run's nonce"),
    (lambda p: _report(p, nonce=None), "does not carry this run's nonce"),
    (lambda p: (p.write_text("{not json"), p)[1], "unreadable"),
    (lambda p: (p.write_text("[1, 2]"), p)[1], "does not carry"),
    (lambda p: _report(p, tests=["x"]), "malformed"),
    (lambda p: (p.write_bytes(b" " * ((16 << 20) + 1)), p)[1], "larger than"),
    (lambda p: (p.symlink_to(_report(p.with_name("real.json"))), p)[1], "no test report"),
])
def test_read_report_refuses_anything_not_ours(tmp_path, make, phrase):
    report = read_report(make(tmp_path / "report.json"), "n1")
    assert report.problem and phrase in report.problem
    assert report.problem_kind is FailureKind.NO_REPORT
    verdict = judge(report, Report.empty(), False)
    assert not verdict.passed and verdict.kind is FailureKind.NO_REPORT


def test_read_report_maps_unknown_outcomes_to_error(tmp_path):
    report = read_report(_report(tmp_path / "r.json", tests={A: "passed", B: "great"}), "n1")
    assert report.problem is None and report.tests == {A: "passed", B: "error"}


def test_plugin_names_must_be_module_names():
    TestRunner(["x"], 1, plugins=["pytest_asyncio.plugin"])
    with pytest.raises(ValueError, match="module names"):
        TestRunner(["x"], 1, plugins=["no:python"])


TEST_T = "def test_a():\n    assert 1 + 1 == 2\n\n\ndef test_b():\n    assert 'b'\n"
INI = {"pytest.ini": "[pytest]\naddopts = {}\n", "tox.ini": "[pytest]\naddopts = {}\n",
       "setup.cfg": "[tool:pytest]\naddopts = {}\n",
       "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "{}"\n'}


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in {"tests/test_t.py": TEST_T, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _plain_pytest(root: Path) -> str:
    """What a plain `python -m pytest` does in the tree: proof the repo file takes effect."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests"],
                          cwd=root, capture_output=True, text=True, timeout=60).stdout


async def _run(root: Path, tmp: Path, **kw):
    runner = TestRunner(["{python}", "-m", "pytest"], 60, **kw)
    return await runner.run(root, ["tests/test_t.py"], scratch=tmp / "oracle")


@pytest.mark.slow
@pytest.mark.parametrize("ini", sorted(INI))
async def test_ini_addopts_are_neutralised(tmp_path, ini):
    root = _tree(tmp_path / "repo", {ini: INI[ini].format("-k nothing")})
    assert "2 deselected" in _plain_pytest(root)  # the ini really is in force
    outcome = await _run(root, tmp_path)
    assert outcome.passed, outcome.output_tail
    assert sorted(outcome.report.tests.values()) == ["passed", "passed"]


@pytest.mark.slow
async def test_pytest_addopts_from_the_environment_are_ignored(tmp_path, monkeypatch):
    root = _tree(tmp_path / "repo", {})
    monkeypatch.setenv("PYTEST_ADDOPTS", "-k nothing")
    assert "2 deselected" in _plain_pytest(root)
    outcome = await _run(root, tmp_path)
    assert outcome.passed and len(outcome.report.tests) == 2, outcome.output_tail


@pytest.mark.slow
@pytest.mark.parametrize("shadow", ["pytest.py", "pytest/__init__.py", "_pytest/__init__.py"])
async def test_a_repo_file_named_pytest_does_not_shadow_it(tmp_path, shadow):
    root = _tree(tmp_path / "repo", {shadow: "import os\nos._exit(0)\n"})
    assert "passed" not in _plain_pytest(root)  # without -P the repo's 'pytest' wins
    outcome = await _run(root, tmp_path)
    assert outcome.passed and len(outcome.report.tests) == 2, outcome.output_tail


@pytest.mark.slow
async def test_a_full_session_never_collects_beneath_the_links_a_sandbox_leaves_out(tmp_path):
    """A committed link climbing out of the tree (here back into it) makes pytest collect
    the suite again through it, dozens deep; VERIFY's live session ignores the links no
    sandbox holds (governance.oracle.sandbox.left_out_links), so it runs what the baseline
    ran. A link that stays inside is kept."""
    root = _tree(tmp_path / "repo", {"pkg/__init__.py": ""})
    os.symlink("../..", root / "pkg" / "up")
    os.symlink("/etc", root / "etc")
    os.symlink("test_t.py", root / "tests" / "alias.py")
    files = ["etc", "pkg/__init__.py", "pkg/up", "tests/alias.py", "tests/test_t.py"]
    left_out = left_out_links(root, files)
    assert left_out == ["etc", "pkg/up"]
    runner = TestRunner(["{python}", "-m", "pytest"], 60).ignoring(left_out)
    outcome = await runner.run(root, [], scratch=tmp_path / "oracle")
    assert outcome.passed, outcome.output_tail
    assert set(outcome.report.tests) == {"tests/test_t.py::test_a", "tests/test_t.py::test_b"}


def _entry_point_plugin(site: Path) -> None:
    """A pip-installed-looking plugin that skips every test, found through PYTHONPATH."""
    (site / "skipall.py").parent.mkdir(parents=True, exist_ok=True)
    (site / "skipall.py").write_text(
        "import pytest\n\n\ndef pytest_collection_modifyitems(items):\n"
        "    for item in items:\n        item.add_marker(pytest.mark.skip)\n")
    meta = site / "skipall-1.0.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: skipall\nVersion: 1.0\n")
    (meta / "entry_points.txt").write_text("[pytest11]\nskipall = skipall\n")


@pytest.mark.slow
async def test_entry_point_plugins_load_only_when_configured(tmp_path, monkeypatch):
    root = _tree(tmp_path / "repo", {})
    _entry_point_plugin(tmp_path / "site")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    off = await _run(root, tmp_path)
    assert off.passed and set(off.report.tests.values()) == {"passed"}, off.output_tail
    on = await _run(root, tmp_path, plugin_autoload=True)
    assert set(on.report.tests.values()) == {"skipped"}
    assert not on.passed  # nothing ran and passed: the judge says so
    named = await _run(root, tmp_path, plugins=["skipall"])
    assert set(named.report.tests.values()) == {"skipped"}


@pytest.mark.slow
@pytest.mark.parametrize(("body", "phrase"), [
    ("import os\nos._exit(0)\n", "no test report was written"),
    ("def test_z():\n    import os\n    os._exit(0)\n", "did not finish"),
    ("def test_z():\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n",
     "did not finish"),
    ("import sys\nsys.exit(0)\n", "exit status 3"),
])
async def test_exits_read_as_failures(tmp_path, body, phrase):
    root = _tree(tmp_path / "repo", {"tests/test_t.py": TEST_T + "\n" + body})
    outcome = await _run(root, tmp_path)
    assert not outcome.passed
    assert phrase in judge(outcome.report, Report.empty(), False).reason


SNOOP = '''import os
from pathlib import Path


def test_the_oracle_is_out_of_reach():
    assert "OUROBOROS_ORACLE_OUT" not in os.environ
    out = Path("/tmp/.ouroboros-oracle/out")
    assert out.is_dir() and not (out / "nonce").exists()  # taken before any repo code ran
    assert not os.access("/tmp/.ouroboros-oracle/plugin", os.W_OK)
'''


@pytest.mark.slow
@needs_bwrap
async def test_jailed_run_on_a_read_only_tree_reports_outside_it(tmp_path):
    root = _tree(tmp_path / "repo", {"tests/test_snoop.py": SNOOP})
    executor = JailExecutor([Path.home(), root, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    before = tree_bytes(root)
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor, writable=False)
    outcome = await runner.run(root, ["tests/test_t.py", "tests/test_snoop.py"],
                               scratch=tmp_path / "state" / "oracle")
    assert outcome.passed, outcome.output_tail
    assert set(outcome.report.tests) == {"tests/test_t.py::test_a", "tests/test_t.py::test_b",
                                         "tests/test_snoop.py::test_the_oracle_is_out_of_reach"}
    assert tree_bytes(root) == before  # VERIFY's live tree: nothing written into it
    assert list((tmp_path / "state" / "oracle").iterdir()) == []  # the run dir is removed


class _CountingRunner(TestRunner):
    """A real runner that notes which sandbox each session ran in."""

    def __init__(self) -> None:
        super().__init__(PYTEST, 60)
        self.trees: list[str] = []

    async def run(self, root, tests, *, scratch=None, coverage=None):
        self.trees.append(root.name)
        return await super().run(root, tests, scratch=scratch, coverage=coverage)


@pytest.mark.slow
async def test_the_baseline_runs_once_per_op_and_retries_reuse_it(repo, short_tmp):
    texts = [json.dumps({"file_path": "calc/ops.py", "full_content": text})
             for text in (OPS_BROKEN, OPS_FIXED)]
    runner = _CountingRunner()
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py", *texts, goal="g",
                              state_dir=short_tmp / "state", runner=runner,
                              policy=make_policy(max_validate_retries=1))
    assert end is Phase.COMPLETE
    # baseline once; the broken candidate twice (its regression is run again untraced,
    # stopping at the first failure: it fails there too), the fixed one once; VERIFY on the
    # live tree (the whole suite's baseline: its cost is not measured yet)
    assert runner.trees == ["baseline-0", "base", "base", "base", repo.name]
    retry = next(t for t in chain["transitions"] if t["to_phase"] == "VALIDATE_RETRY")
    assert "tests/test_ops.py::test_add: passed before the change, now failed" in retry["reason"]
