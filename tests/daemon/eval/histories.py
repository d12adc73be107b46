"""Git histories for the eval tests: a small package whose history holds a repair, a new
function and commits that are not tasks; and one real library commit (a cachetools fix from
tests/data/real_history) on top of its parent's tree, dated and worded as upstream."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

from tests.governance import real_history as rh

OPS = """def add(a, b):
    return a + b


def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return x
    return x


def sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0
"""
TESTS = """from calc.ops import add, clamp, sign


def test_add():
    assert add(2, 3) == 5


def test_clamp_low():
    assert clamp(-5, 0, 10) == 0


def test_sign():
    assert sign(3) == 1
    assert sign(-2) == -1
    assert sign(0) == 0
"""
CLAMP_FIXED = OPS.replace("    if x > hi:\n        return x\n",
                          "    if x > hi:\n        return hi\n")
CLAMP_TEST = TESTS + "\n\ndef test_clamp_high():\n    assert clamp(50, 0, 10) == 10\n"
MEAN = "\n\ndef mean(xs):\n    return sum(xs) / len(xs)\n"
MEAN_TEST = "from calc.ops import mean\n\n\ndef test_mean():\n    assert mean([1, 2, 3]) == 2\n"
# The real commit the CI sample replays: TTLCache.expire() returns what expired.
REAL_CASE = "cachetools-bb4b37cfc76b"


def git(repo: Path, *args: str, date: str = "2024-01-01T10:00:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


def commit(repo: Path, files: dict[str, str | None], message: str, date: str) -> str:
    for rel, text in files.items():
        if text is None:
            (repo / rel).unlink()
            continue
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=f"{date}T10:00:00")
    return git(repo, "rev-parse", "HEAD").strip()


def new_repo(where: Path) -> Path:
    where.mkdir(parents=True)
    git(where, "init", "-q", "-b", "main")
    git(where, "config", "user.name", "Maintainer")
    git(where, "config", "user.email", "maintainer@example.com")
    (where / ".git" / "info" / "exclude").write_text(".ouroboros/\n")
    return where


def toy(where: Path) -> dict[str, str]:
    """The package's history; returns the shas by name. Two commits are tasks: `clamp`
    (a repair) and `mean` (a new function whose test module fails to import before it);
    `refactor` changes code and tests but no test fails before it; `docs` is no candidate."""
    repo = new_repo(where)
    shas = {"initial": commit(repo, {"calc/__init__.py": "", "calc/ops.py": OPS,
                                     "tests/test_ops.py": TESTS}, "initial", "2024-01-02")}
    shas["clamp"] = commit(repo, {"calc/ops.py": CLAMP_FIXED, "tests/test_ops.py": CLAMP_TEST},
                           "clamp: a value above hi is hi\n\nIt returned the value itself.",
                           "2024-03-05")
    shas["refactor"] = commit(repo, {"calc/ops.py": CLAMP_FIXED.replace("a + b", "b + a"),
                                     "tests/test_ops.py": CLAMP_TEST + "\n# add commutes\n"},
                              "add: operands the other way round", "2024-04-01")
    shas["mean"] = commit(repo, {"calc/ops.py": CLAMP_FIXED.replace("a + b", "b + a") + MEAN,
                                 "tests/test_mean.py": MEAN_TEST}, "mean of a list",
                          "2024-06-07")
    shas["docs"] = commit(repo, {"README.md": "# calc\n"}, "docs", "2024-06-08")
    return shas


def real(where: Path) -> Path:
    """cachetools at the fix's parent (as the real-history case keeps it), then the fix
    commit: its test change and code change, its subject, its date."""
    case = rh.load(rh.DATA / f"{REAL_CASE}.json.xz")
    repo = new_repo(where)
    for rel, data in case.binary.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(base64.b64decode(data))
    commit(repo, dict(case.base), f"cachetools at {case.sha[:12]}^", "2024-08-01")
    date = next(row["date"] for row in json.loads(
        (rh.DATA / "manifest.json").read_text())["cases"] if row["id"] == REAL_CASE)
    commit(repo, {**case.tests, **case.fix}, case.subject, date)
    return repo
