"""The repository's history, read only: commits shaped like a fix with its tests, and the
files a commit changed (daemon.eval.mine judges them by running the tests).

A commit is a candidate when, mechanically: it has one parent; it changes 1 to
`max_code_files` code files (Python files that are not tests) by at most `max_code_lines`
lines, adds or modifies them (never deletes), and changes at least one test file; and it
changes no packaging or test configuration and no other Python file. Documentation,
changelogs and data may change beside them. Nothing here writes to the repository: `git
log` and `git show` only.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# A test file, a test helper or test data: under tests/ or testing/, test_*.py, *_test.py,
# or a conftest.py.
_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_test\.py$|(^|/)conftest\.py$")
_CONFIG = frozenset({"setup.py", "setup.cfg", "pyproject.toml", "tox.ini", "pytest.ini",
                     ".pytest.ini", "noxfile.py", "conftest.py"})
_FORMAT = "@%H %P\t%ad\t%s"  # one header line per commit, then its --numstat rows


def kind_of(path: str) -> str:
    """'test', 'code', 'config' (packaging, test configuration) or 'other'."""
    if path in _CONFIG:
        return "config"
    if _TEST_PATH.search(path):
        return "test"
    return "code" if path.endswith(".py") else "other"


@dataclass(frozen=True)
class Commit:
    sha: str
    parent: str
    date: str  # author date, YYYY-MM-DD
    subject: str
    code: dict[str, str]  # path -> status (M or A)
    tests: dict[str, str]  # path -> status (M, A or D)
    code_lines: int


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, errors="replace").stdout


def candidates(repo: Path, *, since: str = "", max_code_files: int = 2,
               max_code_lines: int = 80) -> list[Commit]:
    """Commits of the right shape on HEAD's history, newest first (nothing run yet)."""
    args = ["log", "--no-merges", "--no-renames", f"--format={_FORMAT}", "--date=short",
            "--numstat", "HEAD"]
    if since:
        args.insert(1, f"--since={since}")
    out = []
    for block in git(repo, *args).split("\n@"):
        head, *stats = block.lstrip("@").strip().splitlines() or [""]
        parts = head.split("\t", 2)
        if len(parts) != 3 or len(parts[0].split()) != 2:
            continue  # a root commit or a merge
        (sha, parent), date, subject = parts[0].split(), parts[1], parts[2]
        commit = _shaped(repo, sha, parent, date, subject, stats, max_code_files,
                         max_code_lines)
        if commit is not None:
            out.append(commit)
    return out


def _shaped(repo: Path, sha: str, parent: str, date: str, subject: str, stats: list[str],
            max_files: int, max_lines: int) -> Commit | None:
    code: list[str] = []
    tests: list[str] = []
    lines = 0
    for row in filter(None, stats):
        added, deleted, path = row.split("\t", 2)
        kind = kind_of(path)
        if kind == "config":
            return None
        if kind == "code":
            code.append(path)
            lines += int(added) + int(deleted) if added != "-" else 0
        elif kind == "test":
            tests.append(path)
    if not tests or not 1 <= len(code) <= max_files or lines > max_lines:
        return None
    status = _status(repo, parent, sha)
    code_st = {p: status.get(p, "M") for p in code}
    test_st = {p: status.get(p, "M") for p in tests}
    if any(s not in "MA" for s in code_st.values()) or \
            any(s not in "MAD" for s in test_st.values()):
        return None
    return Commit(sha, parent, date, subject, code_st, test_st, lines)


def _status(repo: Path, parent: str, sha: str) -> dict[str, str]:
    rows = git(repo, "diff", "--name-status", "--no-renames", parent, sha).splitlines()
    return {path: st[0] for st, _, path in (r.partition("\t") for r in rows)}


def message(repo: Path, sha: str) -> str:
    return git(repo, "log", "-1", "--format=%B", sha).strip()


def text_at(repo: Path, rev: str, path: str) -> str | None:
    """The file's text at `rev`; None when it is absent there or not UTF-8 text."""
    done = subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{path}"],
                          capture_output=True)
    if done.returncode != 0 or b"\0" in done.stdout:
        return None
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return None


def after(repo: Path, commit: Commit, paths: dict[str, str]) -> dict[str, str | None]:
    """The commit's version of `paths` (None: deleted, or not text)."""
    return {p: None if s == "D" else text_at(repo, commit.sha, p) for p, s in paths.items()}


def described(repo: Path, shas: list[str]) -> dict[str, tuple[str, str]]:
    """sha -> (author date, subject) of each of `shas` the repository still has (a commit
    gone from it, a rewritten history's, is left out)."""
    if not shas:
        return {}
    out = git(repo, "log", "--no-walk=unsorted", "--ignore-missing", "--date=short",
              "--format=%H%x09%ad%x09%s", *shas, "--")
    rows = (line.split("\t", 2) for line in out.splitlines())
    return {r[0]: (r[1], r[2]) for r in rows if len(r) == 3}
