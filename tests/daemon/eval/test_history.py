"""daemon.eval.history: which commits of a history are shaped like a fix with its tests,
read without writing anything to the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.eval import history
from tests.daemon.eval.histories import git, toy


@pytest.mark.parametrize(("path", "kind"), [
    ("calc/ops.py", "code"), ("tests/test_ops.py", "test"), ("calc/test_x.py", "test"),
    ("calc/x_test.py", "test"), ("tests/data/sample.json", "test"),
    ("tests/conftest.py", "test"), ("conftest.py", "config"), ("setup.py", "config"),
    ("pyproject.toml", "config"), ("README.md", "other"), ("docs/conf.py", "code"),
])
def test_kind_of(path: str, kind: str) -> None:
    assert history.kind_of(path) == kind


def test_candidates_are_code_and_tests_changed_together(tmp_path: Path) -> None:
    shas = toy(tmp_path / "repo")
    before = git(tmp_path / "repo", "status", "--porcelain", "--ignored")
    found = history.candidates(tmp_path / "repo")
    assert [c.sha for c in found] == [shas["mean"], shas["refactor"], shas["clamp"]]
    clamp = found[-1]
    assert (clamp.parent, clamp.date, clamp.subject) == (
        shas["initial"], "2024-03-05", "clamp: a value above hi is hi")
    assert clamp.code == {"calc/ops.py": "M"} and clamp.tests == {"tests/test_ops.py": "M"}
    assert found[0].tests == {"tests/test_mean.py": "A"}
    assert history.message(tmp_path / "repo", clamp.sha).endswith("the value itself.")
    assert history.after(tmp_path / "repo", clamp, clamp.tests)["tests/test_ops.py"].endswith(
        "== 10\n")
    assert git(tmp_path / "repo", "status", "--porcelain", "--ignored") == before


def test_limits_and_since(tmp_path: Path) -> None:
    toy(tmp_path / "repo")
    assert [c.subject for c in history.candidates(tmp_path / "repo", since="2024-05-01")] == [
        "mean of a list"]
    assert history.candidates(tmp_path / "repo", max_code_lines=1) == []
