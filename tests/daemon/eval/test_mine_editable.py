"""`eval mine` mines the commit, not the working tree (issue 51, item 6): a `src/`-layout
library whose `.venv` has it installed in editable mode (the `.pth` line setuptools writes
for a src layout: the working tree's `src/`). Real git, a real venv, pytest in the jail.

A human commit breaks `clamp`, the next fixes it with its test; the working tree is at the
fix. Had the scratch's tests imported the working tree, the test change alone would already
pass and the fix would be refused ("no test fails with the test change alone"); the unjailed
probe below shows that import, refused before any commit is judged. The refusal an older
`mine` left is said by the next one, and `--rejudge` judges it again: it becomes a task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config.settings import load_settings
from daemon.eval import settings as eval_settings
from daemon.eval.imports import Package, judge, packages
from daemon.eval.mine import MineRefused, MineSpec, mine
from daemon.eval.runner import EvalError, RunOptions, imports_checked
from daemon.eval.suite import Suite
from daemon.eval.task import Kind, Task, TaskCache
from tests.daemon.eval.histories import commit, new_repo
from tests.tools.project_venv import make_venv
from tools.jail import bwrap_available

LIB = """def clamp(x, lo, hi):
    return max(lo, min(x, hi))


def greet(name):
    return "hello " + name
"""
BROKEN = LIB.replace("max(lo, min(x, hi))", "min(lo, max(x, hi))")
TESTS = "from mylib import clamp\n\n\ndef test_clamp_low():\n    assert clamp(-5, 0, 10) == 0\n"
CLAMP_TEST = TESTS + "\n\ndef test_clamp_high():\n    assert clamp(50, 0, 10) == 10\n"


def src_layout(where: Path) -> dict[str, str]:
    """The library's history, then its editable install; the shas by name."""
    repo = new_repo(where)
    (repo / ".git" / "info" / "exclude").write_text(".ouroboros/\n.venv/\nouroboros.toml\n")
    shas = {"initial": commit(repo, {"src/mylib/__init__.py": LIB, "tests/test_clamp.py": TESTS,
                                     "pyproject.toml": "[project]\nname = 'mylib'\n"},
                              "initial", "2024-01-02")}
    shas["break"] = commit(repo, {"src/mylib/__init__.py": BROKEN}, "clamp: tidy", "2024-02-01")
    shas["fix"] = commit(repo, {"src/mylib/__init__.py": LIB, "tests/test_clamp.py": CLAMP_TEST},
                         "clamp: the bounds the right way round", "2024-03-01")
    site = make_venv(repo / ".venv", with_pytest=True)
    (site / "__editable__.mylib-0.1.0.pth").write_text(f"{repo / 'src'}\n")
    return shas


@pytest.fixture(scope="module")
def lib(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The library and its venv, made once for this module's tests (each keeps its own
    state: the mine test the repository's, the unjailed one a directory of its own)."""
    repo = tmp_path_factory.mktemp("editable") / "lib"
    return repo, src_layout(repo)


NO_FAIL = "no test fails with the test change alone and passes with the fix"


@pytest.mark.slow  # a mine that judges nothing, then the probe and 3 suite runs
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
def test_mine_judges_each_commit_not_the_editable_working_tree(lib, capsys):
    """The cache an older, leaky `mine` left: the fix refused, no settings recorded. `mine`
    says so and judges nothing; `--rejudge` makes it a task, judged on the commit's own code
    through the editable install (shown the scratch by the jail)."""
    repo, shas = lib
    argv = ["eval", "mine", "--repo", str(repo)]
    (repo / "ouroboros.toml").write_text("[eval]\nreruns = 0\nrider_tries = 0\n")
    cache = TaskCache(repo / ".ouroboros")
    cache.dir.mkdir(parents=True)
    (cache.dir / "judged.json").write_text(json.dumps({shas["fix"]: NO_FAIL}))
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert f"tests run with {repo / '.venv'}" in err, err
    assert "1 of the refused commit(s) were judged under other settings than now" in err
    assert not cache.tasks()  # said, not judged again: that is --rejudge's
    assert main([*argv, "--list"]) == 0
    assert "(judged under other settings than now" in capsys.readouterr().out

    assert main([*argv, "--rejudge"]) == 0
    err = capsys.readouterr().err
    assert "--rejudge: 1 refused commit(s) are judged again" in err, err
    # What a clean configuration mines (`-o pythonpath=src`, the scratch's src/ first: the
    # same task with the same lists, checked by hand, docs/eval.md).
    [task] = cache.tasks()
    assert (task.sha, task.fail_to_pass, task.pass_to_pass) == (
        shas["fix"], ["tests/test_clamp.py::test_clamp_high"],
        ["tests/test_clamp.py::test_clamp_low"])
    assert main([*argv, "--list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["refused"] == []


async def test_unjailed_the_working_tree_import_is_refused_before_any_commit(lib, tmp_path):
    """Without the jail nothing shows the scratch at the repository's path: the probe finds
    mylib in the working tree, and mine refuses before judging (nothing is recorded); so
    does `eval run`, before any task runs."""
    repo, shas = lib
    settings = load_settings(repo, environ={"OUROBOROS_TOOLS__ALLOW_UNSANDBOXED_TESTS": "true"})
    python = eval_settings.test_python(repo, settings, repo / ".ouroboros")
    s = eval_settings.for_brain(settings, "replay:fix", python)
    suite = Suite(s, tmp_path / "w" / "state", "no jail in this test", 60.0, repo=repo)
    cache = TaskCache(tmp_path / "state")  # the other test's cache is the repository's
    with pytest.raises(MineRefused, match=r"mylib is found at .*/lib/src/mylib.* \(the "
                       r"working tree of .*/lib\)"):
        await mine(repo, cache, suite, MineSpec(reruns=0, rider_tries=0), tmp_path / "w",
                   lambda line: None)
    assert cache.judged() == {} and not (tmp_path / "w" / "mine").exists()

    task = Task(id=shas["fix"][:12], sha=shas["fix"], parent=shas["break"], date="2024-03-01",
                subject="clamp", message="clamp", tests={}, fix={},
                fail_to_pass=["tests/test_clamp.py::test_clamp_high"], pass_to_pass=[],
                runs=1, suite_s=0.1)
    opts = RunOptions(repo, repo / ".ouroboros", s, "replay:fix", (Kind.REPAIR,), (task,),
                      tmp_path / "w", "no jail in this test")
    with pytest.raises(EvalError, match=r"mylib is found at .*\(the working tree of"):
        await imports_checked(opts, task, lambda line: None)
    assert not (tmp_path / "w" / "imports").exists()


def test_the_packages_and_the_verdicts_read_from_the_probe():
    found = packages(["src/mylib/__init__.py", "src/mylib/core.py", "src/tool.py",
                      "flat/__init__.py", "setup.py", "docs/conf.py", "src/not-a-name/x.py"])
    assert found == [Package("flat", "flat", False), Package("mylib", "src/mylib", True),
                     Package("tool", "src", True)]
    repo = Path("/srv/lib")
    answer = {"mylib": {"origin": "/srv/lib/src/mylib/__init__.py", "marked": True},
              "tool": {"origin": None, "marked": False},
              "flat": {"origin": "/venv/site-packages/flat/__init__.py", "marked": False}}
    ok = judge(found, answer, repo)
    assert ok.refusal is None and len(ok.notes) == 1 and "flat is found at /venv" in ok.notes[0]
    answer["mylib"] = {"origin": "/venv/site-packages/mylib/__init__.py", "marked": False}
    assert "(an installed copy; src/mylib is under src/)" in judge(found, answer, repo).refusal
