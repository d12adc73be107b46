"""Fixing what the repository's own linter fixes (governance.oracle.lint_fix, run by
governance.proof.lint_gate): which findings a fixer is asked to fix and how, which fixed
texts are taken, the lines recorded, and the real ruff fixing in the real jail."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from governance.oracle.lint_fix import fix_jobs, fix_refusal, rewrites, tree_state
from governance.oracle.linters import Finding
from governance.oracle.testrun import TestRunner
from governance.proof.lint_gate import adopt, check_lint, linters_of
from governance.schemas import Candidate, FileChange
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor, bwrap_available


def _f(code: str, path: str = "a.py", fixable: bool = True, tool: str = "ruff") -> Finding:
    return Finding(tool, path, 1, code, "m", fixable)


def test_a_fixer_is_asked_for_the_safe_fixes_of_new_findings_in_the_candidate_s_files():
    new = [_f("I001"), _f("F401", "b.py"), _f("F841", fixable=False),
           _f("F401", "elsewhere.py"), _f("--config=x"), _f("C0114", tool="pylint")]
    [request] = fix_jobs(new, {"a.py", "b.py"}, 60)
    assert request["files"] == ["a.py", "b.py"] and request["timeout_s"] == 60
    [tool] = request["tools"]
    assert (tool["module"], tool["format"]) == ("ruff", "fix")
    assert tool["argv"] == ["check", "--fix-only", "--no-unsafe-fixes", "--exit-zero",
                            "--no-cache", "--force-exclude", "--select", "F401,I001"]
    assert fix_jobs([_f("F841", fixable=False)], {"a.py"}, 60) == []


BASE = "import os\n\nX = os.sep\n"


@pytest.mark.parametrize(("candidate", "fixed", "why"), [
    ("import sys\nimport os\n\nX = os.sep\n", "import os\nimport sys\n\nX = os.sep\n",
     None),  # a kept line moved (an import block sorted): taken
    ("import os\nimport sys\n\nX = os.sep\n", "import os\n\nX = os.sep\n", None),
    ("import os\nimport sys\n\nX = os.sep\n", "import sys\n\nX = os.sep\n",
     "the fix would rewrite a line the candidate kept from the base: 'import os'"),
    ("import os\n\nX = os.sep  \n", "import os\n\nX = os.sep\n", None),  # its own line
    ("import os\n\nX = os.sep\nY = 1\n", "import os\n\nX = os.sep\nY = (\n",
     "the fixed text does not parse"),
])
def test_a_fixed_text_is_taken_only_when_it_parses_and_keeps_the_base_s_lines(
        candidate, fixed, why):
    assert fix_refusal("a.py", BASE, candidate, fixed) == why
    assert fix_refusal("a.py", None, candidate, fixed) == (
        why if why and "parse" in why else None)  # a new file's lines are all its own


def test_the_rewritten_lines_are_recorded_where_they_were_in_the_candidate():
    found = rewrites("a.py", "import sys\nimport os\nX = 1\n", "import os\nimport sys\nX = 1\n")
    assert [r.record() for r in found] == [  # a moved line: added above, removed below
        {"file": "a.py", "line": 1, "before": None, "after": "import os"},
        {"file": "a.py", "line": 2, "before": "import os", "after": None}]
    assert rewrites("a.py", "x = 1\n", "x = 1\n") == []


def test_a_tree_s_state_changes_with_anything_but_the_files_skipped(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/a.py").write_text("a\n")
    (tmp_path / "b.py").write_text("b\n")
    state = tree_state(tmp_path, {"pkg/a.py"})
    (tmp_path / "pkg/a.py").write_text("a fixed\n")
    assert tree_state(tmp_path, {"pkg/a.py"}) == state  # the fixer's own file
    (tmp_path / "pkg/new.py").write_text("")
    assert tree_state(tmp_path, {"pkg/a.py"}) != state
    (tmp_path / "pkg/new.py").unlink()
    (tmp_path / "b.py").write_text("b, rewritten\n")
    assert tree_state(tmp_path, {"pkg/a.py"}) != state


def test_the_fixed_texts_replace_the_candidate_s_own_in_place():
    single = Candidate(file_path="a.py", full_content="old\n")
    adopt(single, {"a.py": "new\n"})
    assert single.full_content == "new\n"
    multi = Candidate(files=[FileChange(file_path="a.py", full_content="old\n"),
                             FileChange(file_path="b.py", action="delete")])
    adopt(multi, {"a.py": "new\n", "b.py": "never written\n"})
    assert [(c.file_path, c.full_content) for c in multi.changes()] == [
        ("a.py", "new\n"), ("b.py", None)]


PYPROJECT = "[tool.ruff.lint]\nselect = ['F', 'I']\n"
OLD = "import os\n\n\ndef size(path):\n    return os.path.getsize(path)\n"
OTHER = "import sys\nimport os\n\nX = os.sep + sys.prefix\n"  # the base's own I001


def _runner(tree: Path, tmp_path: Path) -> TestRunner:
    executor = JailExecutor([Path.home(), tree, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    return TestRunner(["{python}", "-m", "pytest"], 60, executor)


async def _check(tmp_path: Path, base: dict[str, str], texts: dict[str, str]):
    """check_lint with fixes on a repository of `base` holding the candidate's `texts`."""
    tree = commit_files(tmp_path / "repo", {"pyproject.toml": PYPROJECT, **base})
    for rel, text in texts.items():
        (tree / rel).write_text(text)
    changes = [FileChange(file_path=rel, full_content=text) for rel, text in texts.items()]
    report = await check_lint(_runner(tree, tmp_path), tree, linters_of(tree), changes,
                              base.get, tmp_path / "scratch", 60, fix=True)
    return tree, report


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_ruff_fixes_in_the_jail_the_candidate_s_new_findings_and_nothing_else(tmp_path):
    """The candidate adds an unused import out of order to one file, and a new module
    with its imports out of order and an unused local (F841: ruff's fix is unsafe);
    another file holds the base's own I001. The import is dropped and the blocks sorted;
    F841 stands; the other file is untouched."""
    cand = "import sys\nimport os\nimport json\n\n\ndef size(path):\n" \
           "    return os.path.getsize(path), json.dumps(1)\n"
    fresh = "import sys\nimport os\n\n\ndef f():\n    x = 1\n    return os.sep, sys.prefix\n"
    tree, report = await _check(tmp_path, {"pkg/io.py": OLD, "pkg/other.py": OTHER},
                                {"pkg/io.py": cand, "pkg/fresh.py": fresh})
    assert report.judged == ("ruff",) and report.not_fixed == {}, report.payload()
    fixed = "import json\nimport os\n\n\ndef size(path):\n" \
            "    return os.path.getsize(path), json.dumps(1)\n"
    assert report.texts == {"pkg/io.py": fixed, "pkg/fresh.py": fresh.replace(
        "import sys\nimport os\n", "import os\nimport sys\n")}
    assert sorted((f.path, f.code) for f in report.fixed) == [
        ("pkg/fresh.py", "I001"), ("pkg/io.py", "F401"), ("pkg/io.py", "I001")]
    assert [(f.path, f.code) for f in report.new] == [("pkg/fresh.py", "F841")]
    assert [r.record() for r in report.rewritten] == [
        {"file": "pkg/fresh.py", "line": 1, "before": None, "after": "import os"},
        {"file": "pkg/fresh.py", "line": 2, "before": "import os", "after": None},
        {"file": "pkg/io.py", "line": 1, "before": "import sys", "after": "import json"},
        {"file": "pkg/io.py", "line": 3, "before": "import json", "after": None}]
    assert (tree / "pkg/other.py").read_text() == OTHER


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_fix_that_would_rewrite_the_base_s_own_line_is_not_taken(tmp_path):
    """The base has its own unused import; the candidate adds another. ruff's F401 fix
    would drop both: the base's line is not the candidate's to change, so the fix is
    dropped and the candidate's finding stands."""
    old = OLD.replace("import os\n", "import json\nimport os\n")
    cand = old.replace("import os\n", "import os\nimport sys\n")
    _, report = await _check(tmp_path, {"pkg/io.py": old}, {"pkg/io.py": cand})
    assert report.texts == {} and report.fixed == () and report.rewritten == ()
    assert report.not_fixed == {"pkg/io.py": "the fix would rewrite a line the candidate kept "
                                             "from the base: 'import json'"}
    assert [(f.code, f.message) for f in report.new] == [("F401", "`sys` imported but unused")]
    assert report.payload()["not_fixed"] == report.not_fixed
