"""The lint gate (governance.oracle.linters, governance.proof.lint_gate): which tools a
repository configures, findings compared by key and count, and the real ruff run in the
jail on a base and a candidate."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from governance.oracle.linters import Finding, configured, findings_of, new_findings
from governance.oracle.testrun import TestRunner
from governance.proof.lint_gate import check_lint, linters_of
from governance.schemas import FileChange
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor, bwrap_available


def _names(files: dict[str, str]) -> list[str]:
    return [t.name for t in configured(files.get)]


@pytest.mark.parametrize(("files", "names"), [
    ({}, []),
    ({"pyproject.toml": "[project]\nname = 'x'\n"}, []),
    ({"pyproject.toml": "[tool.ruff]\nline-length = 100\n[tool.mypy]\nstrict = true\n"},
     ["ruff", "mypy"]),
    ({"pyproject.toml": "[tool.ruff.lint]\nselect = ['E']\n"}, ["ruff"]),
    ({"setup.cfg": "[metadata]\nname = x\n\n[flake8]\nmax-line-length = 99\n"}, ["flake8"]),
    ({"tox.ini": "[tox]\n[flake8]\n", ".pylintrc": ""}, ["flake8", "pylint"]),
    ({"mypy.ini": "[mypy]\n", "pyrightconfig.json": "{}"}, ["mypy", "pyright"]),
    ({".pre-commit-config.yaml": "repos:\n- repo: x\n  hooks:\n  - id: ruff\n"
                                 "  - id: ruff-format\n  - id: mypy\n"}, ["ruff", "mypy"]),
    ({"setup.cfg": "# [flake8] in a comment is no section\n"}, []),
])
def test_which_tools_a_repository_configures(files, names):
    assert _names(files) == names


def _f(code: str, line: int = 1, message: str = "m", path: str = "a.py") -> Finding:
    return Finding("ruff", path, line, code, message)


def test_a_finding_is_new_only_beyond_the_base_s_count_line_numbers_aside():
    base = [_f("F401", 3, "`os` imported but unused"), _f("E501", 9)]
    moved = [_f("F401", 5, "`os` imported but unused"), _f("E501", 11)]
    assert new_findings(base, moved) == []  # an edit above them moved them
    more = [*moved, _f("E501", 20), _f("F401", 1, "`sys` imported but unused")]
    assert new_findings(base, more) == [more[2], more[3]]
    assert new_findings(more, base) == []  # fixing findings is never a regression


def test_a_runner_answer_not_in_its_form_is_that_tool_s_problem():
    found, problems = findings_of({"tools": {
        "ruff": {"findings": [["a.py", 2, "F401", "x"]]},
        "mypy": {"problem": "not installed in the test environment"},
        "pylint": {"findings": [["a.py", "two", "C0114"]]}, "flake8": "junk"}})
    assert found == {"ruff": [Finding("ruff", "a.py", 2, "F401", "x")]}
    fixable, _ = findings_of({"tools": {"ruff": {"findings": [["a.py", 2, "F401", "x", True],
                                                              ["a.py", 3, "F841", "y", 1]]}}})
    assert [f.fixable for f in fixable["ruff"]] == [True, False]  # only a real True
    assert problems == {"mypy": "not installed in the test environment",
                        "pylint": "its answer was not in the runner's form",
                        "flake8": "its answer was not in the runner's form"}
    assert findings_of("not a mapping") == ({}, {})


OLD = "import os\n\n\ndef size(path):\n    return os.path.getsize(path)\n"
NEW = "import os\nimport sys\n\n\ndef size(path):\n    return os.path.getsize(path)\n"
PYPROJECT = "[tool.ruff]\nline-length = 100\n\n[tool.ruff.lint]\nselect = ['F']\n"


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_ruff_in_the_jail_refuses_what_the_candidate_adds_and_only_that(tmp_path):
    """The base has its own unused import (`json`); the candidate adds another (`sys`) and
    loosens the configuration to ignore F401: linted under the base's configuration, the
    new finding is the candidate's and the base's is not."""
    old = OLD.replace("import os\n", "import os\nimport json\n")  # the base's own F401
    tree = commit_files(tmp_path / "repo", {"pyproject.toml": PYPROJECT, "pkg/io.py": old})
    [ruff] = linters_of(tree)
    executor = JailExecutor([Path.home(), tree, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    loosened = PYPROJECT + "ignore = ['F401']\n"
    changes = [FileChange(file_path="pkg/io.py", full_content=NEW.replace(
                   "import os\n", "import os\nimport json\n")),
               FileChange(file_path="pyproject.toml", full_content=loosened)]
    for c in changes:
        (tree / c.file_path).write_text(c.full_content or "")
    base = {"pkg/io.py": old, "pyproject.toml": PYPROJECT}.get
    report = await check_lint(runner, tree, [ruff], changes, base, tmp_path / "scratch", 60)
    assert report.judged == ("ruff",) and report.skipped == {}, report.payload()
    assert [(f.path, f.code, f.message) for f in report.new] == [
        ("pkg/io.py", "F401", "`sys` imported but unused")]
    assert report.reasons() == ["the repository's linters find 1 new finding(s) nothing "
                                "fixes: ruff: pkg/io.py:3: F401 `sys` imported but unused"]
    assert report.new[0].fixable and report.texts == {}  # safely fixable, not asked to fix
    clean = await check_lint(runner, tree, [ruff], changes[:1], {"pkg/io.py": old}.get,
                             tmp_path / "scratch", 60)  # the base text again: nothing new
    assert clean.new == () and clean.judged == ("ruff",)


REAL = Path(__file__).resolve().parents[2] / "data" / "lint_packaging"


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_real_library_s_own_ruff_configuration_judges_the_change(tmp_path):
    """packaging 24.2 configures ruff (B, E, F, I, N, UP, RUF, W...) and mypy in its
    pyproject.toml; ruff is in this test environment, mypy is not (it judges nothing and
    says why). A careless edit of version.py adds an unused import out of isort order; a
    docstring edit adds nothing."""
    files = {str(p.relative_to(REAL)): p.read_text() for p in REAL.rglob("*")
             if p.is_file() and ".ruff_cache" not in p.parts}
    tree = commit_files(tmp_path / "repo", files)
    linters = linters_of(tree)
    assert [t.name for t in linters] == ["ruff", "mypy"]
    executor = JailExecutor([Path.home(), tree, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    rel = "src/packaging/version.py"
    old = files[rel]
    careless = old.replace("import itertools\n", "import os\nimport itertools\n")
    clean = old.replace('"""Parse the given version string.',
                        '"""Parse the given version string (PEP 440).')
    found = {}
    for name, text in (("careless", careless), ("clean", clean)):
        (tree / rel).write_text(text)
        found[name] = await check_lint(runner, tree, linters,
                                       [FileChange(file_path=rel, full_content=text)],
                                       {rel: old}.get, tmp_path / "scratch", 60)
    assert sorted((f.code, f.message) for f in found["careless"].new) == [
        ("F401", "`os` imported but unused"), ("I001", "Import block is un-sorted or "
                                                      "un-formatted")]
    assert found["clean"].new == () and found["clean"].judged == ("ruff",)
    assert found["clean"].skipped == {"mypy": "on the base: not installed in the test "
                                              "environment"}
