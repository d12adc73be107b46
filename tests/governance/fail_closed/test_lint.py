"""The lint gate fails closed (issue 49, item 1, path 4): the repository's own ruff, run by
the real lint runner, made to time out, crash, leave no answer or answer garbage on the
candidate is a reason the change is not proven (before: "skipped", and the change proven
with the gate unrun, though the docs said otherwise). A tool that gave nothing on the base
judges nothing, as before. Real subprocesses, outside the jail."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle.testrun import TestRunner
from governance.proof.lint_gate import check_lint, linters_of
from governance.schemas import FileChange
from tests.governance.fail_closed.faults import Fault, FaultyRunner, nth
from tests.helpers import PYTEST, commit_files

BASE = "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n"
CLEAN = "def clamp(x, lo, hi):\n    if lo > hi:\n        raise ValueError(lo)\n" \
    "    return max(lo, min(x, hi))\n"


async def _lint(tmp_path: Path, fault: Fault | None, call: int = 1):
    """The gate on a clean change; `fault` breaks the `call`-th run of the runner (the
    first lints the candidate, the second the base)."""
    tree = commit_files(tmp_path / "repo", {"pyproject.toml": "[tool.ruff.lint]\n"
                                            "select = ['F']\n", "calc.py": CLEAN})
    runner = TestRunner(PYTEST, 60)
    faulty = FaultyRunner(runner, fault, nth("script", call)) if fault else runner
    report = await check_lint(faulty, tree, linters_of(tree),
                              [FileChange(file_path="calc.py", full_content=CLEAN)],
                              lambda rel: BASE if rel == "calc.py" else None,
                              tmp_path / "state", 30)
    return report, faulty


async def test_unbroken_the_clean_change_passes_the_gate(tmp_path):
    report, _ = await _lint(tmp_path, None)
    assert report.judged == ("ruff",) and report.reasons() == [], report.payload()


@pytest.mark.parametrize("fault", [Fault.TIMEOUT, Fault.NO_REPORT])
async def test_the_runner_failing_on_the_candidate_is_a_reason(tmp_path, fault):
    report, faulty = await _lint(tmp_path, fault)
    assert faulty.broke
    [why] = report.reasons()
    assert why.startswith("the repository's linters could not be run: the runner failed on "
                          "the candidate: "), why


async def test_a_tool_answering_garbage_on_the_candidate_is_a_reason(tmp_path):
    report, faulty = await _lint(tmp_path, Fault.GARBAGE)
    assert faulty.broke
    assert report.unjudged and report.reasons() == [
        "the repository's linters could not judge the candidate: ruff on the candidate: "
        "its answer was not in the runner's form"], report.payload()


async def test_the_runner_failing_on_the_base_is_a_reason_too(tmp_path):
    report, faulty = await _lint(tmp_path, Fault.TIMEOUT, call=2)
    assert faulty.broke
    [why] = report.reasons()
    assert "the runner failed on the base: " in why, why


async def test_a_tool_answering_garbage_on_the_base_judges_nothing(tmp_path):
    """As before: what the base's run says nothing of, the candidate is not judged by."""
    report, _ = await _lint(tmp_path, Fault.GARBAGE, call=2)
    assert report.judged == () and report.reasons() == [] and "ruff" in report.skipped
