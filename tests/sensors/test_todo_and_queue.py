from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from governance.git.gitops import GitOps
from governance.schemas import SignalEnvelope, Urgency
from ledger import Ledger
from sensors.todo import TodoSensor, envelope_for, read_source, scan_text
from sensors.watcher import RepoWatcher
from tests.helpers import git, intake_queue, wait_for
from tests.status_sample import sample_status


def test_scan_finds_markers_in_comments():
    hits = scan_text("x = 1  # TODO: tidy\n# FIXME broken\ny = 'TODO not a comment'\n#HACK\n")
    assert [(h.line, h.marker, h.text) for h in hits] == [
        (1, "TODO", "tidy"), (2, "FIXME", "broken"), (4, "HACK", "")]


def test_envelope_is_stable_and_urgent_for_fixme():
    hits = scan_text("# FIXME: a\n# TODO: b\n")
    env = envelope_for("pkg/m.py", hits, "s1")
    assert env.urgency is Urgency.NORMAL and env.target_files == ("pkg/m.py",)
    assert env.dedup_key == envelope_for("pkg/m.py", hits, "s2").dedup_key
    assert "line 1: FIXME a" in env.goal and "line 2: TODO b" in env.goal
    assert env.focus_lines == (1, 2)  # what a prompt shows of a file too long to show whole


@pytest.mark.parametrize("data", [b"\x00\x01binary", b"\xff\xfe not utf8", b"x" * 1_000_001])
def test_unreadable_sources_are_skipped(tmp_path, data):
    (tmp_path / "f.py").write_bytes(data)
    assert read_source(tmp_path / "f.py") is None


async def test_dirty_files_wait_for_a_commit(repo):
    emitted: list[SignalEnvelope] = []
    gitops = GitOps(repo)

    async def emit(env):
        emitted.append(env)
        return True

    async def dirty(paths):
        return gitops.dirty(paths)

    sensor = TodoSensor(repo, "s", emit, dirty)
    (repo / "calc" / "ops.py").write_text("# TODO: later\n")
    await sensor.on_paths({"calc/ops.py", "README.md"})
    assert emitted == [] and sensor.pending == {"calc/ops.py"}
    git(repo, "commit", "-qam", "todo")
    await sensor.on_git_change()
    assert [e.target_files for e in emitted] == [("calc/ops.py",)]
    assert sensor.pending == set()


def test_watcher_ignores_state_git_internals_and_caches(tmp_path):
    async def noop(*_):
        return None

    w = RepoWatcher(tmp_path, tmp_path / ".ouroboros", 0.1, noop, noop)
    root = str(tmp_path.resolve())
    assert w.classify(f"{root}/pkg/m.py") == "pkg/m.py"
    assert w.classify(f"{root}/.ouroboros/ledger.sqlite3") is None
    assert w.classify(f"{root}/.git/objects/ab/cdef") is None
    assert w.classify(f"{root}/.git/index.lock") is None
    assert w.classify(f"{root}/.git/refs/heads/main") == "git"
    assert w.classify(f"{root}/.git/index") == "git"
    assert w.classify(f"{root}/pkg/__pycache__/m.pyc") is None
    assert w.classify(f"{root}/pkg/.m.py.abc.tmp") is None
    assert w.classify("/elsewhere/x.py") is None


def _env(key: str, source="todo_scanner", urgency=Urgency.LOW, files=("a.py",)):
    return SignalEnvelope(source=source, urgency=urgency, target_files=files, goal=key,
                          dedup_key=key, session_id="s")


async def test_queue_orders_dedups_evicts_and_rehydrates(tmp_path: Path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    q = intake_queue(ledger, capacity=2)
    assert await q.put(_env("low", files=("a.py",)))
    assert not await q.put(_env("low"))  # duplicate
    assert await q.put(_env("urgent", source="test_failure", urgency=Urgency.HIGH,
                            files=("b.py",)))
    assert await q.put(_env("mid", urgency=Urgency.NORMAL, source="backlog",
                            files=("c.py",)))  # evicts "low"
    assert [e["goal"] for e in q.snapshot()] == ["urgent", "mid"]
    first = await q.pop_ready()
    assert first is not None and first.goal == "urgent"
    fresh = intake_queue(ledger, capacity=2)
    assert await fresh.rehydrate(86400) == 1  # "low" was dropped, "urgent" dispatched
    assert [e["goal"] for e in fresh.snapshot()] == ["mid"]
    await ledger.close()


async def test_a_busy_file_holds_the_next_signal_until_done(tmp_path: Path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    q = intake_queue(ledger)
    await q.put(_env("A", files=("f.py",)))
    running = await q.pop_ready()
    assert running is not None and running.dedup_key == "A"
    assert await q.put(_env("B", files=("f.py", "g.py"), urgency=Urgency.HIGH))
    assert await q.pop_ready() is None  # B waits for A's f.py
    assert q.snapshot()[0]["waiting_for"] == "A"
    await q.finished(running, "op-a", "COMPLETE", "")
    nxt = await q.pop_ready()
    assert nxt is not None and nxt.dedup_key == "B"
    await ledger.close()


async def test_coalesced_signals_dispatch_together_and_survive_a_restart(tmp_path: Path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    q = intake_queue(ledger)
    assert await q.put(_env("t1", files=("f.py",)))
    assert await q.put(_env("t2", files=("f.py",)))  # same file, same session: merged
    assert len(q) == 1
    again = intake_queue(ledger)  # a restart before dispatch: both come back, merged again
    assert await again.rehydrate(86400) == 2 and len(again) == 1
    merged = await q.pop_ready()
    assert merged.evidence["goals"] == ["t1", "t2"]
    assert await intake_queue(ledger).rehydrate(86400) == 0  # both keys were dispatched
    await ledger.close()


async def test_watcher_sees_work_but_not_its_own_state_dir(repo):
    import asyncio

    batches: list[set[str]] = []
    git_events: list[int] = []

    async def on_paths(paths):
        batches.append(paths)

    async def on_git():
        git_events.append(1)

    state = repo / ".ouroboros"
    state.mkdir()
    watcher = RepoWatcher(repo, state, 0.05, on_paths, on_git)
    task = asyncio.create_task(watcher.run())
    await asyncio.wait_for(watcher.watching.wait(), 10)
    (state / "sandboxes" / "op-x" / "calc").mkdir(parents=True)
    (state / "sandboxes" / "op-x" / "calc" / "ops.py").write_text("# TODO: noise\n")
    (repo / "newpkg").mkdir()
    # The batch naming a new top-level directory is delivered after its watch is added.
    await wait_for(lambda: any("newpkg" in b for b in batches), 10, "the new directory")
    (repo / "newpkg" / "mod.py").write_text("# TODO: real\n")
    (repo / "calc" / "ops.py").write_text("x = 1\n")
    git(repo, "add", "calc/ops.py")
    await wait_for(lambda: {"newpkg/mod.py", "calc/ops.py"} <= set().union(*batches)
                   and git_events, 10, "the files and the staging")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    seen = set().union(*batches)
    assert {"newpkg/mod.py", "calc/ops.py"} <= seen
    assert not any(p.startswith(".ouroboros") or p.startswith(".git") for p in seen)
    assert git_events


async def test_watching_is_set_while_the_watcher_runs_and_a_change_after_it_is_seen(repo):
    batches: list[set[str]] = []

    async def on_paths(paths):
        batches.append(paths)

    async def on_git():
        return None

    watcher = RepoWatcher(repo, repo / ".ouroboros", 0.05, on_paths, on_git)
    assert not watcher.watching.is_set()
    task = asyncio.create_task(watcher.run())
    await asyncio.wait_for(watcher.watching.wait(), 10)
    (repo / "calc" / "ops.py").write_text("x = 2\n")  # no pause: the watch already exists
    await wait_for(lambda: any("calc/ops.py" in b for b in batches), 10, "the change")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert not watcher.watching.is_set()  # a stopped watcher says so


async def test_status_shows_what_waits_behind_a_running_op(tmp_path: Path):
    from daemon.status.text import status_text

    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    q = intake_queue(ledger)
    await q.put(_env("A", files=("f.py",)))
    await q.pop_ready()
    await q.put(_env("B", files=("f.py",)))
    await q.put(_env("C", files=("g.py",), source="backlog"))
    text = status_text(sample_status(queue=q.snapshot()))
    assert "queue:    2 waiting" in text
    assert "  - [3] backlog: C" in text and "  - [after A] todo_scanner: B" in text
    await ledger.close()


async def test_scan_once_picks_up_markers_committed_before_the_daemon_started(tmp_path: Path):
    from tests.helpers import commit_files

    repo = commit_files(tmp_path / "repo", {
        "pkg/a.py": "x = 1  # TODO: make x configurable\n", "pkg/b.py": "y = 2\n",
        "pkg/c.py": "# FIXME: c is wrong\n", "notes.md": "TODO: not python\n"})
    (repo / "pkg/c.py").write_text("# FIXME: c is wrong\nz = 3\n")  # uncommitted: held
    emitted: list[SignalEnvelope] = []

    async def emit(e: SignalEnvelope) -> bool:
        emitted.append(e)
        return True

    async def dirty(paths: list[str]) -> list[str]:
        return [p for p in paths if p == "pkg/c.py"]

    sensor = TodoSensor(repo, "s", emit, dirty)
    found = await sensor.scan_once(["pkg/a.py", "pkg/b.py", "pkg/c.py", "notes.md"])
    assert found == 2
    assert [e.target_files for e in emitted] == [("pkg/a.py",)]
    assert sensor.pending == {"pkg/c.py"}  # held until committed, as for a file event
