"""A repository beside what it does not track: an untracked, unignored `.venv/` (with
`pyvenv.cfg` and a site-packages full of TODOs and tangled functions), a venv under another
name, `node_modules/`, a build's output, a cache, a nested repository and a file git
ignores, each holding the kind of finding a sensor would queue (issue 51)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import git

TANGLED = "def tangled(x):\n" + "".join(
    f"    if x == {n}:\n        return {n}\n" for n in range(14)) + "    return -1\n"
FINDINGS = f"# TODO: not ours\n# FIXME: not ours either\n\n\n{TANGLED}"

# Every file a sensor must never look at, by where it lies.
NOT_OURS = (
    ".venv/pyvenv.cfg",
    ".venv/lib/python3.11/site-packages/pytest_like/runner.py",
    ".venv/lib/python3.11/site-packages/pytest_like/__init__.py",
    "env311/pyvenv.cfg",  # a venv whose name no table lists: its marker says what it is
    "env311/lib/python3.11/site-packages/dep.py",
    "node_modules/left-pad/build.py",
    "build/lib/calc/ops.py",  # a build's output
    "calc/__pycache__/ops.cpython-311.py",
    "third_party/vendored/.git/HEAD",  # a nested repository
    "third_party/vendored/lib.py",
    "generated.py",  # ignored by .gitignore
)


def add_envs(repo: Path) -> None:
    """Write NOT_OURS into `repo` (a git repository), ignoring only generated.py."""
    (repo / ".gitignore").write_text("generated.py\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore generated code", "--", ".gitignore")
    for rel in NOT_OURS:
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("home = /usr\n" if rel.endswith(".cfg") else
                        "ref: refs/heads/main\n" if rel.endswith("HEAD") else FINDINGS)


def mentions_envs(text: str) -> bool:
    return any(top in text for top in (".venv", "env311", "node_modules", "build/lib",
                                       "__pycache__", "third_party", "generated.py"))
