"""A linter finding that moved with its code is the base's (issue 49, item 4): a fix that
moves a function into a new module takes the function's findings along; the real ruff, run
by the real lint runner on both sides, finds one in the new module and lost one in the old.
Before, it was "new" (findings were matched by file); now a finding of the same tool and
rule on a line of the same text, which the base had and the candidate lost, is not new. A
finding the move did not bring is new as before. Real subprocesses, outside the jail."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle.testrun import TestRunner
from governance.proof.lint_gate import check_lint, linters_of
from governance.schemas import FileChange
from tests.helpers import PYTEST, commit_files

# F841: a local assigned and never used, which ruff does not fix safely
UTIL = "def norm(word):\n    unused = 1\n    return word.lower()\n\n\ndef other(x):\n    return x\n"
LEFT = "from pkg.text import norm  # noqa: F401\n\n\ndef other(x):\n    return x\n"
TEXT = "def norm(word):\n    unused = 1\n    return word.strip().lower()\n"


@pytest.mark.parametrize(("text", "new"), [
    (TEXT, []),  # the finding moved with the function
    (TEXT.replace("    return", "    spare = 2\n    return"), ["F841"]),  # and one more
])
async def test_a_finding_that_moved_with_its_code_is_not_new(tmp_path: Path, text, new):
    tree = commit_files(tmp_path / "repo", {
        "pyproject.toml": "[tool.ruff.lint]\nselect = ['F']\n", "pkg/__init__.py": "",
        "pkg/util.py": LEFT, "pkg/text.py": text})
    base = {"pkg/util.py": UTIL}
    report = await check_lint(TestRunner(PYTEST, 60), tree, linters_of(tree), [
        FileChange(file_path="pkg/util.py", full_content=LEFT),
        FileChange(file_path="pkg/text.py", full_content=text)], base.get,
        tmp_path / "state", 30)
    assert report.judged == ("ruff",), report.payload()
    assert [f.code for f in report.new] == new, report.payload()
    if new:
        assert report.new[0].path == "pkg/text.py" and "spare" in report.new[0].message
