"""Start-up recovery against real repos: each state a kill can leave, repaired or left alone."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import governance.git.gitops as gitops_module
from daemon.recovery import recover
from governance.fs.rollback import RollbackSnapshot, after_digest
from governance.git.gitops import GitOps
from governance.git.index_sync import MARKER, TEMP_INDEX_PREFIX
from ledger import Ledger
from tests.helpers import git

OP = "op-0123456789ab"
PATHS = ["calc/ops.py", "calc/extra.py"]
NEW = {"calc/ops.py": "x = 2\n", "calc/extra.py": "y = 1\n"}


@pytest.fixture
def state(repo: Path) -> Path:
    git(repo, "config", "core.excludesFile", "/dev/null")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("/.ouroboros/\n")
    return repo / ".ouroboros"


def _human_work(repo: Path) -> tuple[str, str]:
    (repo / "notes.txt").write_text("staged by the human\n")
    git(repo, "add", "notes.txt")
    (repo / "README.md").write_text("# calc\nunstaged\n")
    return git(repo, "diff", "--cached"), git(repo, "diff")


async def _ledger_op(state: Path, last: str = "VERIFY", terminal: str | None = None) -> None:
    ledger = await Ledger.open(state / "ledger.sqlite3")
    await ledger.record_operation(OP, source="todo_scanner", goal="g", session_id="old",
                                  envelope={})
    await ledger.append_transition(OP, from_phase=None, to_phase=last, reason="r")
    if terminal:
        await ledger.append_transition(OP, from_phase=last, to_phase=terminal, reason="done")
    await ledger.close()


def _apply(repo: Path, state: Path) -> RollbackSnapshot:
    snapshot = RollbackSnapshot.capture(state, OP, repo, PATHS)
    for rel, text in NEW.items():
        (repo / rel).write_text(text)
    return snapshot


def _commit_killed_before_index_sync(repo: Path, monkeypatch) -> str:
    monkeypatch.setattr(gitops_module, "sync_op_paths", lambda *a: "")
    g = GitOps(repo)
    result = g.commit_paths(PATHS, f"fix: x\n\nb\n\nOp-Id: {OP}\n", author_name="O",
                            author_email="o@x", expected_head=g.head_sha())
    monkeypatch.undo()
    return result.sha


async def _recover(repo: Path, state: Path) -> tuple[list[str], list[dict]]:
    ledger = await Ledger.open(state / "ledger.sqlite3")
    try:
        notes = await recover(ledger, GitOps(repo), state)
        rows = (await ledger.chain(OP))["transitions"] if await ledger.operations() else []
    finally:
        await ledger.close()
    return notes, rows


def _terminal(rows: list[dict]) -> list[str]:
    return [r["to_phase"] for r in rows if r["to_phase"] in ("COMPLETE", "POSTMORTEM")]


@pytest.mark.slow
async def test_commit_made_index_stale_becomes_complete_and_index_follows_head(
        repo, state, monkeypatch):
    staged, unstaged = _human_work(repo)
    await _ledger_op(state)
    _apply(repo, state)
    sha = _commit_killed_before_index_sync(repo, monkeypatch)
    stale = git(repo, "status", "--porcelain").splitlines()
    assert "MM calc/ops.py" in stale and "D  calc/extra.py" in stale  # the bug's state
    notes, rows = await _recover(repo, state)
    assert _terminal(rows) == ["COMPLETE"] and rows[-1]["payload"]["commit"] == sha
    assert {rel: (repo / rel).read_text() for rel in PATHS} == NEW  # never restored
    assert git(repo, "diff", "--cached", "--name-only", "HEAD").split() == ["notes.txt"]
    assert git(repo, "diff", "--cached") == staged and git(repo, "diff") == unstaged
    assert not (state / "rollback" / OP).exists()
    assert any("committed" in n for n in notes)


@pytest.mark.slow
async def test_commit_found_under_a_later_human_commit(repo, state, monkeypatch):
    await _ledger_op(state)
    _apply(repo, state)
    sha = _commit_killed_before_index_sync(repo, monkeypatch)
    git(repo, "reset", "-q", "--", *PATHS)  # the human repaired the index by hand
    git(repo, "commit", "-q", "--allow-empty", "-m", "human on top")
    _, rows = await _recover(repo, state)
    assert _terminal(rows) == ["COMPLETE"] and rows[-1]["payload"]["commit"] == sha
    assert {rel: (repo / rel).read_text() for rel in PATHS} == NEW
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
async def test_uncommitted_op_is_restored_and_only_our_temp_files_go(repo, state):
    staged, unstaged = _human_work(repo)
    before = (repo / "calc" / "ops.py").read_bytes()
    await _ledger_op(state, last="APPLY")
    _apply(repo, state)
    ours = [repo / "calc" / ".ops.py.9f3ac2e71b04.tmp",
            repo / "calc" / ".extra.py.0a1b2c3d4e5f.tmp"]
    theirs = [repo / "calc" / ".ops.py.bak", repo / "calc" / "ops.py.x1y2z3w4.tmp",
              repo / "calc" / ".__init__.py.9f3ac2e71b04.tmp",  # not a path of the op
              repo / "calc" / ".ops.py.has.dots.tmp", repo / ".ops.py.9f3ac2e71b04.tmp"]
    for p in ours + theirs:
        p.write_text("partial")
    notes, rows = await _recover(repo, state)
    assert _terminal(rows) == ["POSTMORTEM"] and "restored" in rows[-1]["reason"]
    assert (repo / "calc" / "ops.py").read_bytes() == before
    assert not (repo / "calc" / "extra.py").exists()
    assert [p.exists() for p in ours] == [False, False]
    assert all(p.exists() for p in theirs)
    assert git(repo, "diff", "--cached") == staged and git(repo, "diff") == unstaged
    assert sum("temp file" in n for n in notes) == 2


@pytest.mark.slow
async def test_a_file_the_human_edited_while_the_daemon_was_down_is_never_overwritten(
        repo, state):
    """Restore puts back only what APPLY wrote; a file changed since is the human's now."""
    before = (repo / "calc" / "ops.py").read_bytes()
    await _ledger_op(state, last="VERIFY")
    after = [after_digest(NEW[rel].encode()) for rel in PATHS]
    RollbackSnapshot.capture(state, OP, repo, PATHS, after)
    for rel, text in NEW.items():
        (repo / rel).write_text(text)
    (repo / "calc" / "extra.py").write_text("y = 1\n# the human kept working here\n")
    notes, rows = await _recover(repo, state)
    assert _terminal(rows) == ["POSTMORTEM"]
    assert "changed since APPLY" in rows[-1]["reason"] and "calc/extra.py" in rows[-1]["reason"]
    assert (repo / "calc" / "ops.py").read_bytes() == before  # ours: restored
    assert (repo / "calc" / "extra.py").read_text().endswith("the human kept working here\n")
    kept = state / "rollback-kept" / OP
    assert (kept / "manifest.json").is_file() and not (state / "rollback" / OP).exists()
    assert any("changed since APPLY" in n for n in notes)
    again, _ = await _recover(repo, state)  # settled: nothing pending at the next start
    assert not any(OP in n for n in again)


def test_restore_is_idempotent_and_leaves_an_unapplied_entry_alone(repo, state):
    """A kill after the snapshot but before a file was written: that file is the original."""
    before = {rel: (repo / rel).read_bytes() if (repo / rel).exists() else None
              for rel in PATHS}
    after = [after_digest(NEW[rel].encode()) for rel in PATHS]
    snapshot = RollbackSnapshot.capture(state, OP, repo, PATHS, after)
    (repo / "calc" / "ops.py").write_text(NEW["calc/ops.py"])  # only the first file written
    snapshot.restore()
    snapshot.restore()
    assert snapshot.kept == []
    assert {rel: (repo / rel).read_bytes() if (repo / rel).exists() else None
            for rel in PATHS} == before


@pytest.mark.slow
async def test_terminal_row_written_snapshot_left_is_settled_without_a_second_row(
        repo, state, monkeypatch):
    await _ledger_op(state)
    _apply(repo, state)
    _commit_killed_before_index_sync(repo, monkeypatch)
    ledger = await Ledger.open(state / "ledger.sqlite3")
    await ledger.append_transition(OP, from_phase="VERIFY", to_phase="COMPLETE", reason="ok")
    await ledger.close()
    _, rows = await _recover(repo, state)
    _, again = await _recover(repo, state)
    assert _terminal(rows) == _terminal(again) == ["COMPLETE"]
    assert {rel: (repo / rel).read_text() for rel in PATHS} == NEW
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
async def test_sandboxes_scratch_and_half_captured_snapshots_are_removed(repo, state, short_tmp):
    outside = short_tmp / "outside"
    (outside / "keep").mkdir(parents=True)
    for d in ("sandboxes/op-a/calc", "sandboxes/op-a-gen", "oracle/op-a", "rollback/op-b"):
        (state / d).mkdir(parents=True)
    (state / "sandboxes" / "op-a" / "calc" / "x.py").write_text("x")
    locked = state / "sandboxes" / "op-a" / "calc"
    locked.chmod(0o500)  # a jailed test left a read-only directory
    (state / "sandboxes" / "link").symlink_to(outside)
    (state / "rollback" / "op-b" / "0.orig").write_text("half")  # no manifest yet
    notes, _ = await _recover(repo, state)
    assert list((state / "sandboxes").iterdir()) == []
    assert list((state / "oracle").iterdir()) == []
    assert list((state / "rollback").iterdir()) == []
    assert (outside / "keep").is_dir()  # the link was removed, not followed
    assert len([n for n in notes if n.startswith("removed leftover")]) == 5


@pytest.mark.slow
async def test_a_tree_deeper_than_pythons_recursion_limit_does_not_stop_the_start(repo, state):
    """A jailed process can leave a sandbox thousands of levels deep (and read-only) before
    a crash; shutil.rmtree raises RecursionError there, which must not fail recovery."""
    top = state / "sandboxes" / "op-deep"
    top.mkdir(parents=True)
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(2500):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = child
    os.close(os.open("x.py", os.O_WRONLY | os.O_CREAT, 0o444, dir_fd=fd))
    os.chmod(fd, 0o500)
    os.close(fd)
    notes, _ = await _recover(repo, state)
    assert list((state / "sandboxes").iterdir()) == []
    assert "removed leftover sandboxes/op-deep" in notes


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _marker(repo: Path, pid: int, when: float) -> None:
    (repo / ".git" / MARKER).write_text(json.dumps({"pid": pid, "time": when}))


LOCK_CASES = [  # (marker pid, marker age vs lock, lock held open, removed?)
    ("dead", 0.0, False, True),
    ("none", 0.0, False, False),  # no marker: never ours
    ("live", 0.0, False, False),  # the writer is still running
    ("dead", -60.0, False, False),  # lock made a minute after our update began: not ours
    ("dead", 0.0, True, False),  # some live process has the lock open
]


@pytest.mark.parametrize(("who", "lag", "held", "removed"), LOCK_CASES)
def test_index_lock_rule(repo, state, who, lag, held, removed):
    lock = repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    now = time.time()
    os.utime(lock, (now, now))
    sleeper = subprocess.Popen(["sleep", "30"])
    holder = open(lock, "rb") if held else None  # noqa: SIM115 (held across recovery)
    try:
        if who != "none":
            _marker(repo, sleeper.pid if who == "live" else _dead_pid(), now + lag)
        notes, _ = asyncio.run(_recover(repo, state))
    finally:
        sleeper.kill()
        sleeper.wait()
        if holder:
            holder.close()
    assert lock.exists() is not removed
    assert (repo / ".git" / MARKER).exists() is (who == "live")
    if who != "none":
        assert notes and ("removed" in notes[0]) is removed


def test_temp_indexes_of_dead_commits_go_a_live_ones_stays(repo, state):
    """A kill during the auto-commit leaves `.git/ouroboros-index.<pid>.<random>` (and git's
    `.lock` of it when the process group died mid-write); only a dead writer's go."""
    dot_git = repo / ".git"
    sleeper = subprocess.Popen(["sleep", "30"])
    dead = _dead_pid()
    left = {f"{TEMP_INDEX_PREFIX}{dead}.abc123": b"DIRC", f"{TEMP_INDEX_PREFIX}{dead}.x.lock": b"",
            f"{TEMP_INDEX_PREFIX}k2j4h5": b"DIRC"}  # an older daemon's name: no pid
    live = f"{TEMP_INDEX_PREFIX}{sleeper.pid}.zz9"
    try:
        for name, data in {**left, live: b"DIRC"}.items():
            (dot_git / name).write_bytes(data)
        notes, _ = asyncio.run(_recover(repo, state))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert sorted(p.name for p in dot_git.glob(f"{TEMP_INDEX_PREFIX}*")) == [live]
    assert sum("left by a killed auto-commit" in n for n in notes) == len(left)
    assert (dot_git / "index").exists()  # the real index is never a candidate


def test_a_dead_writers_temp_index_is_waited_for_while_its_git_child_holds_it(repo):
    """A kill -9 of the daemon leaves its `git` child running for a moment, holding the
    temporary index open (the soak found one left after recovery had looked): recovery
    waits for it to let go, within its grace, then removes it; one held past the grace
    stays."""
    from governance.git.index_sync import clear_temp_indexes

    dot_git = repo / ".git"
    dead = _dead_pid()
    brief, long = (dot_git / f"{TEMP_INDEX_PREFIX}{dead}.brief", dot_git /
                   f"{TEMP_INDEX_PREFIX}{dead}.long")
    hold = ("import sys, time; f = open(sys.argv[1]); print(flush=True); "
            "time.sleep(float(sys.argv[2]))")
    holders = []
    try:
        for path, seconds in ((brief, "0.5"), (long, "30")):
            path.write_bytes(b"DIRC")
            holders.append(subprocess.Popen([sys.executable, "-c", hold, str(path), seconds],
                                            stdout=subprocess.PIPE))
            holders[-1].stdout.readline()  # it holds the file open now
        notes = clear_temp_indexes(dot_git, grace_s=3.0)
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()
    assert not brief.exists() and long.exists()
    assert notes == [f"removed {brief} left by a killed auto-commit"]


async def test_refuses_while_another_daemon_serves_the_state_dir(repo, state):
    state.mkdir(parents=True, exist_ok=True)
    (state / "sandboxes" / "op-live").mkdir(parents=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(state / "control.sock"))
        server.listen(1)
        with pytest.raises(OSError, match="another daemon"):
            await _recover(repo, state)
    assert (state / "sandboxes" / "op-live").is_dir()


@pytest.mark.slow
async def test_a_refused_restore_keeps_the_snapshot_and_still_closes_the_op(repo, state):
    await _ledger_op(state, last="APPLY")
    _apply(repo, state)
    (repo / "calc" / "extra.py").unlink()
    (repo / "calc" / "extra.py").mkdir()  # not a file any more: restore refuses to touch it
    notes, rows = await _recover(repo, state)
    assert _terminal(rows) == ["POSTMORTEM"] and "RESTORE FAILED" in rows[-1]["reason"]
    assert any("ROLLBACK FAILED" in n for n in notes)
    assert (state / "rollback" / OP / "manifest.json").is_file()  # retried next start
    assert (repo / "calc" / "ops.py").read_text() != NEW["calc/ops.py"]  # the rest restored
    _, again = await _recover(repo, state)
    assert _terminal(again) == ["POSTMORTEM"]


@pytest.mark.slow
def test_a_socket_held_only_by_an_orphan_of_a_dead_daemon_does_not_block(repo, state,
                                                                         short_tmp):
    """A child forked by the killed daemon may hold the listening socket until its exec."""
    state.mkdir(parents=True, exist_ok=True)
    (state / "sandboxes" / "op-dead").mkdir(parents=True)
    pidfile = short_tmp / "orphan.pid"
    code = ("import os, socket, sys, time\n"
            "s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)\n"
            "pid = os.fork()\n"
            "if pid == 0:\n    time.sleep(30)\n    os._exit(0)\n"
            "open(sys.argv[2], 'w').write(str(pid))\n")
    subprocess.run([sys.executable, "-c", code, str(state / "control.sock"), str(pidfile)],
                   check=True, timeout=30)
    orphan = int(pidfile.read_text())
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.connect(str(state / "control.sock"))  # still accepts connections
        asyncio.run(_recover(repo, state))
    finally:
        os.kill(orphan, signal.SIGKILL)
    assert not (state / "sandboxes" / "op-dead").exists()


@pytest.mark.slow
async def test_an_op_killed_after_its_review_branch_was_made_ends_proposed(repo, state):
    """The branch exists, the PROPOSED row does not: recovery writes it, the tree as it was."""
    from governance.git.review import ReviewBranches
    from governance.schemas import FileChange

    op = "op-0123456789abcdef"
    ledger = await Ledger.open(state / "ledger.sqlite3")
    await ledger.record_operation(op, source="todo_scanner", goal="g", session_id="old",
                                  envelope={})
    await ledger.append_transition(op, from_phase=None, to_phase="APPROVE", reason="r")
    g = GitOps(repo)
    reviews = ReviewBranches(g, "ouroboros/")
    message = f"refactor(calc): g\n\nb\n\nOp-Id: {op}\nSignal: todo_scanner\nEvidence: unproven\n"
    sha = reviews.propose(op, g.head_sha(), [FileChange(file_path="calc/ops.py",
                                                        full_content="x = 3\n")],
                          message, author_name="O", author_email="o@x", sign_env=None)
    before = (repo / "calc" / "ops.py").read_text()
    try:
        notes = await recover(ledger, g, state, reviews)
        rows = (await ledger.chain(op))["transitions"]
    finally:
        await ledger.close()
    assert rows[-1]["to_phase"] == "PROPOSED" and rows[-1]["payload"]["commit"] == sha
    assert notes == [f"{op}: proposed on ouroboros/{op}"]
    assert (repo / "calc" / "ops.py").read_text() == before
