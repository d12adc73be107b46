"""A change that drops a table row the maintainer's fix keeps is never counted correct
(daemon.eval.op.dropped): Qwen2.5-Coder-1.5B's sqlparse fix rewrote the `MATCH` keyword
row as the missing `MATERIALIZED` one, the hidden tests passed, and the card counted it
resolved (issue 50, stop 74). Real git: the rows are read from the scratch's commits."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.eval.op import dropped
from daemon.eval.scratch import git
from daemon.eval.task import Task
from tests.daemon.eval.histories import commit, new_repo

ROWS = "".join(f"    'K{i:02d}': 'keyword',\n" for i in range(20))
BASE = "KEYWORDS = {\n    'MATCH': 'keyword',\n    'VIEW': 'keyword',\n" + ROWS + "}\n"
ADDED = BASE.replace("'MATCH': 'keyword',\n",
                     "'MATCH': 'keyword',\n    'MATERIALIZED': 'keyword',\n")
OVER = BASE.replace("'MATCH'", "'MATERIALIZED'")
HIDDEN = BASE.replace("'MATCH': 'keyword',\n", "'MATCH': 'keyword',\n    'MATCH': 'ddl',\n")


def _task(repo: Path, fix: dict[str, str | None]) -> Task:
    sha = git(repo, "rev-parse", "HEAD").strip()
    return Task(id=sha[:12], sha=sha, parent=sha, date="2024-01-02", subject="s", message="m",
                tests={}, fix=fix, fail_to_pass=["tests/test_k.py::test_m"], pass_to_pass=[],
                runs=2, suite_s=1.0)


@pytest.mark.parametrize("candidate, fix, said", [
    (ADDED, ADDED, ""),  # the row added, none dropped
    (OVER, ADDED, "rows the maintainer's fix keeps, dropped: kw/keywords.py:2 'MATCH' "
                  "(KEYWORDS)"),
    (HIDDEN, ADDED, "rows the maintainer's fix keeps, dropped: kw/keywords.py:2 'MATCH' "
                    "(KEYWORDS, written twice)"),
    (OVER, OVER, ""),  # the maintainer renamed the row too (a typo fix): not the brain's
])
def test_rows_the_fix_keeps_are_counted_dropped(tmp_path: Path, candidate: str, fix: str,
                                                said: str) -> None:
    repo = new_repo(tmp_path / "repo")
    commit(repo, {"kw/__init__.py": "", "kw/keywords.py": BASE}, "base", "2024-01-02")
    head = git(repo, "rev-parse", "HEAD").strip()
    task = _task(repo, {"kw/keywords.py": fix})
    commit(repo, {"kw/keywords.py": candidate, "kw/other.py": "X = 1\n"}, "brain",
           "2024-01-03")
    assert dropped(task, repo, head, "HEAD") == said


def test_a_table_under_a_path_git_would_quote_is_read_too(tmp_path: Path) -> None:
    """A hostile or merely French repository: git quotes `clé.py` in its plain output, and
    the dropped row there went uncounted."""
    repo = new_repo(tmp_path / "repo")
    commit(repo, {"kw/__init__.py": "", "kw/clé.py": BASE}, "base", "2024-01-02")
    head = git(repo, "rev-parse", "HEAD").strip()
    task = _task(repo, {"kw/clé.py": ADDED})
    commit(repo, {"kw/clé.py": OVER}, "brain", "2024-01-03")
    assert dropped(task, repo, head, "HEAD") == ("rows the maintainer's fix keeps, dropped: "
                                                 "kw/clé.py:2 'MATCH' (KEYWORDS)")
