"""A moved HEAD: ops on disjoint files land on the new HEAD; anything else is refused."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from governance.errors import CommitError
from governance.git.gitops import COMMIT_TRIES, GitOps
from tests.helpers import (
    explore_turn,
    git,
    running_daemon,
    settings_for,
    wait_for,
    wait_terminal,
    write_script,
)

MSG = "fix(calc): x\n\nbody\n\nOp-Id: {op}\nIntegrity: sha256:{{integrity}}\n"


def _commit(g: GitOps, paths, expected, op="op-1"):
    return g.commit_paths(paths, MSG.format(op=op), author_name="Ouroboros",
                          author_email="ouroboros@localhost", expected_head=expected)


def _human_commit(repo: Path, rel: str, text: str) -> None:
    (repo / rel).write_text(text)
    git(repo, "add", rel)
    git(repo, "commit", "-qm", f"human edits {rel}", "--", rel)


def _empty(repo: Path) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", "human: empty")


def _other_file(repo: Path) -> None:
    _human_commit(repo, "README.md", "# calc, edited\n")


def _race_commits(g: GitOps, monkeypatch, move: Callable[[int], None]) -> list[str]:
    """After GitOps makes its n-th commit object, and before update-ref, `move(n)` runs (a
    human committing at the worst moment). Returns the base each try was made on."""
    real, bases = g._make_commit, []

    def racing(*args):
        made = real(*args)
        bases.append(args[0])
        move(len(bases))
        return made

    monkeypatch.setattr(g, "_make_commit", racing)
    return bases


def _touch_and_revert(repo: Path) -> None:
    before = (repo / "calc" / "ops.py").read_text()
    _human_commit(repo, "calc/ops.py", "tmp\n")
    _human_commit(repo, "calc/ops.py", before)


def _same_file(repo: Path) -> None:
    _human_commit(repo, "calc/ops.py", "human = 1\n")


def _rewritten(repo: Path) -> None:
    git(repo, "commit", "-q", "--amend", "-m", "initial, reworded")


def _deleted_op_path(repo: Path) -> None:
    git(repo, "rm", "-q", "calc/ops.py")
    git(repo, "commit", "-qm", "human deletes")
    (repo / "calc" / "ops.py").write_text("x = 2\n")  # the op's file again


MOVES = [  # (how HEAD moved after the op began, lands?, refusal text)
    (_empty, True, ""),
    (_other_file, True, ""),
    (_touch_and_revert, True, ""),  # net effect on the op's path is nil
    (_same_file, False, "through commits that change calc/ops.py"),
    (_deleted_op_path, False, "through commits that change calc/ops.py"),
    (_rewritten, False, "was rewritten"),
]


@pytest.mark.parametrize(("move", "lands", "why"), MOVES, ids=[m[0].__name__ for m in MOVES])
def test_moved_head(repo, move, lands, why):
    g = GitOps(repo)
    base = g.head_sha()
    move(repo)
    moved = g.head_sha()
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    if not lands:
        with pytest.raises(CommitError, match=why):
            _commit(g, ["calc/ops.py"], base)
        assert g.head_sha() == moved
        return
    result = _commit(g, ["calc/ops.py"], base)
    assert result.parent == moved == git(repo, "rev-parse", "HEAD~1").strip()
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["calc/ops.py"]
    diff = subprocess.run(["git", "diff-tree", "-p", "--no-color", "--full-index", "--binary",
                           "HEAD~1^{tree}", "HEAD^{tree}"], cwd=repo, capture_output=True,
                          check=True).stdout
    assert result.integrity == hashlib.sha256(diff).hexdigest()
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_head_moving_during_the_commit_is_retried_on_the_newest_head(repo, monkeypatch):
    g = GitOps(repo)
    base = g.head_sha()
    (repo / "calc" / "ops.py").write_text("x = 2\n")

    def move(n: int) -> None:
        if n == 1:  # a human commits between our tree and our update-ref
            _other_file(repo)

    calls = _race_commits(g, monkeypatch, move)
    result = _commit(g, ["calc/ops.py"], base)
    assert len(calls) == 2 and calls[0] == base
    assert result.parent == calls[1] == git(repo, "rev-parse", "HEAD~1").strip() != base
    assert git(repo, "log", "-1", "--format=%s", "HEAD~1").strip() == "human edits README.md"
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_head_that_keeps_moving_is_refused_after_bounded_tries(repo, monkeypatch):
    g = GitOps(repo)
    base = g.head_sha()
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    calls = _race_commits(g, monkeypatch, lambda n: _empty(repo))
    with pytest.raises(CommitError, match="kept moving"):
        _commit(g, ["calc/ops.py"], base)
    assert len(calls) == COMMIT_TRIES
    assert "Op-Id" not in git(repo, "log", "--format=%B")


@pytest.mark.slow
def test_threads_on_disjoint_files_all_land(repo):
    """Ops of one daemon commit from worker threads with the same base: all land."""
    g = GitOps(repo)
    base = g.head_sha()
    names = [f"calc/m{i}.py" for i in range(6)]
    for i, rel in enumerate(names):
        (repo / rel).write_text(f"v = {i}\n")
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            _commit(g, [names[i]], base, op=f"op-{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(names))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(g.op_commits()) == sorted(f"op-{i}" for i in range(len(names)))
    assert git(repo, "rev-list", "--count", f"{base}..HEAD").strip() == str(len(names))
    assert git(repo, "status", "--porcelain") == ""


TODO_MODULE = '''"""Module {n}."""


def value_{n}():
    # TODO: return {n}
    return None
'''
FIXED_MODULE = '''"""Module {n}."""


def value_{n}():
    return {n}
'''


@pytest.mark.slow
async def test_four_todo_files_committed_together_all_land(repo: Path, short_tmp: Path):
    """Section 5 of issue 8: with 3 workers, 4 TODOs in one commit used to land 1-2."""
    names = [f"calc/mod{n}.py" for n in range(4)]
    turns = []
    for n, rel in enumerate(names):
        text = json.dumps({"schema": "candidate.1", "file_path": rel,
                           "full_content": FIXED_MODULE.format(n=n), "rationale": "resolve"})
        turns.append(explore_turn(rel, match=f"TODO in {rel} ("))
        turns.append(json.dumps({"purpose": "generate", "match": f"TODO in {rel} (",
                                 "text": text, "cost_usd": 0.001}))
    script = write_script(short_tmp / "script.jsonl", *turns)
    settings = settings_for(script, daemon={"workers": 3, "shutdown_grace_s": 2.0},
                            governance={"notify_apply_delay_s": 0})
    (repo / "notes.txt").write_text("staged by the human\n")
    git(repo, "add", "notes.txt")
    async with running_daemon(repo, settings) as daemon:
        base = git(repo, "rev-parse", "HEAD").strip()
        tests = [f"tests/test_mod{n}.py" for n in range(4)]  # what each TODO means
        await asyncio.wait_for(daemon.watching.wait(), 30)
        for n, rel in enumerate(names):
            (repo / rel).write_text(TODO_MODULE.format(n=n))
            (repo / tests[n]).write_text(f"from calc.mod{n} import value_{n}\n\n\n"
                                         f"def test_value():\n    assert value_{n}() == {n}\n")
        todo = daemon.sensors.sensors["todo"]  # seen, and held back until committed
        await wait_for(lambda: set(names) <= todo.pending, 30, "the TODOs held back")
        git(repo, "add", *names, *tests)
        git(repo, "commit", "-qm", "four TODOs", "--", *names, *tests)
        ops = await wait_terminal(daemon, count=4, timeout=120)
        why = [(await daemon.ledger.chain(o["op_id"]))["transitions"][-1]["reason"][:300]
               for o in ops if o["phase"] != "COMPLETE"]
    assert sorted(o["phase"] for o in ops) == ["COMPLETE"] * 4, why
    todo_commit = git(repo, "rev-parse", "HEAD~4").strip()
    assert git(repo, "rev-parse", f"{todo_commit}~1").strip() == base
    landed = git(repo, "log", "--format=%(trailers:key=Op-Id,valueonly)", f"{todo_commit}..HEAD")
    assert sorted(landed.split()) == sorted(o["op_id"] for o in ops)
    for n, rel in enumerate(names):
        assert (repo / rel).read_text() == FIXED_MODULE.format(n=n)
        assert git(repo, "log", "--format=%H", f"{todo_commit}..HEAD", "--", rel).count("\n") == 1
    assert git(repo, "status", "--porcelain") == "M  notes.txt\n"
