"""Path components that a shell or a command line misreads (`~`, `~user`, `-rf`) are
refused wherever a path is normalized: in the pure check, in the live-path check, at the
tool boundary and through the pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.fs.protected import PathEscape, hostile_path_component, live_path_problem, normalize
from governance.phase import Phase
from tests.helpers import git, no_retry_policy, run_op, tree_bytes
from tools.policy import PolicyContext, evaluate

HOSTILE = ["~", "~/x.py", "~root", "~root/.bashrc", "calc/~/ops.py", "calc/~user/x.py",
           "./~", "-rf", "-", "--", "calc/-x.py", "./--help", "a/b/-n"]
ORDINARY = ["calc/ops.py", "calc/ops.py~", "a~b/c.py", "x-y/z-w.py", "calc/x-.py",
            "./calc/ops.py", "tests/test_-x.py"]


@pytest.mark.parametrize("rel", HOSTILE)
def test_normalize_refuses_hostile_components(rel):
    with pytest.raises(PathEscape) as err:
        normalize(rel)
    assert str(err.value) == hostile_path_component(normalize_parts(rel))


def normalize_parts(rel: str) -> str:
    return "/".join(p for p in rel.split("/") if p not in ("", "."))


@pytest.mark.parametrize("rel", ORDINARY)
def test_normalize_keeps_ordinary_paths(rel):
    assert normalize(rel) == normalize_parts(rel)


@pytest.mark.parametrize(("rel", "why"), [
    ("~root", "a shell expands to a home directory"),
    ("calc/-x.py", "a command reads as an option"),
])
def test_the_reason_names_the_component(rel, why):
    reason = hostile_path_component(rel)
    assert reason is not None and why in reason and repr(rel.split("/")[-1]) in reason


def test_the_other_checks_come_first():
    """A `..` or a control character is named as such, not as a hostile component."""
    with pytest.raises(PathEscape, match=r"'\.\.' is not allowed"):
        normalize("~/../x")
    with pytest.raises(PathEscape, match="control or invisible"):
        normalize("-x\n")


def test_live_path_problem_refuses_them(tmp_path: Path):
    (tmp_path / "-rf").write_text("x")
    assert "reads as an option" in (live_path_problem(tmp_path, "-rf") or "")
    assert live_path_problem(tmp_path, "ok.py") is None


@pytest.mark.parametrize("rel", ["~/x.py", "calc/-x.py", "~root/.profile"])
def test_the_tool_boundary_refuses_them(tmp_path: Path, rel):
    decision = evaluate("write_file", {"path": rel, "content": "x"},
                        PolicyContext(tmp_path, ".ouroboros"), {})
    assert not decision.allowed
    assert "~" in decision.reason or "option" in decision.reason


@pytest.mark.parametrize("rel", ["~/pwned.py", "calc/-rf.py"])
async def test_a_candidate_naming_them_never_lands(repo: Path, short_tmp: Path, rel):
    before, head = tree_bytes(repo), git(repo, "rev-parse", "HEAD")
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              json.dumps({"file_path": rel, "full_content": "x = 1\n"}),
                              policy=no_retry_policy())
    assert end is not Phase.COMPLETE
    assert any("home directory" in t["reason"] or "as an option" in t["reason"]
               for t in chain["transitions"]), chain["transitions"]
    assert tree_bytes(repo) == before and git(repo, "rev-parse", "HEAD") == head


# -- hostile_path_component --------------------------------------------------------------


@pytest.mark.parametrize(("rel", "bad"), [
    ("~", "~"), ("~root/.ssh/x", "~root"), ("calc/~/x.py", "~"), ("a/~user", "~user"),
    ("-rf", "-rf"), ("calc/--help.py", "--help.py"), ("-", "-"),
])
def test_hostile_path_components(rel, bad):
    why = hostile_path_component(rel)
    assert why is not None and repr(bad) in why


@pytest.mark.parametrize("rel", ["calc/ops.py", "a~b/c.py", "backup.py~", "a-b/c-d.py",
                                 "x/y/z"])
def test_ordinary_path_components(rel):
    assert hostile_path_component(rel) is None
