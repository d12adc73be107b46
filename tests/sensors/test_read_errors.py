"""A file that could not be read is never read as "no markers": real fd exhaustion, real I/O
errors, a failing git, odd file types and names, and a watcher that outlives its callbacks."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from governance.git.gitops import GitOps
from ledger import Ledger
from sensors.todo import SourceReadError, TodoSensor, read_source
from sensors.watcher import RepoWatcher
from tests.helpers import git, intake_queue, wait_for

ROOT = Path(__file__).resolve().parents[2]
TODO = "def f():\n    # TODO: make f useful\n    return 1\n"

# Runs in a child with RLIMIT_NOFILE lowered: every free descriptor is taken, so open()
# really fails with EMFILE (no monkeypatching; root cannot be refused by permissions).
FD_EXHAUSTION = r'''
import asyncio, errno, json, os, resource, sys
from pathlib import Path
from structlog.testing import capture_logs
from governance.git.gitops import GitOps
from sensors.todo import TodoSensor

repo = Path(sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE,
                   (128, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def exhaust():
    held = []
    try:
        while True:
            held.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as exc:
        assert exc.errno == errno.EMFILE, exc
    return held


def release(held):
    for fd in held:
        os.close(fd)


async def main():
    gitops = GitOps(repo)
    emitted, out = [], {}

    async def emit(env):
        emitted.append(env.target_files[0])
        return True

    async def dirty(paths):
        return await asyncio.to_thread(gitops.dirty, paths)

    with capture_logs() as logs:
        sensor = TodoSensor(repo, "s", emit, dirty, retry_delays_s=(0.3, 0.3, 0.3))
        held = exhaust()
        look = asyncio.create_task(sensor.on_paths({"pkg/todo.py"}))
        for _ in range(3000):  # until the first look failed: the sensor is backing off
            if "pkg/todo.py" in sensor.unreadable:
                break
            await asyncio.sleep(0.001)
        out["while_exhausted"] = {"emitted": list(emitted), "pending": sorted(sensor.pending),
                                  "unreadable": dict(sensor.unreadable)}
        release(held)
        await look
        out["cleared_during_retries"] = {"emitted": list(emitted),
                                         "pending": sorted(sensor.pending)}
        emitted.clear()
        sensor = TodoSensor(repo, "s", emit, dirty, retry_delays_s=(0.05, 0.05))
        held = exhaust()
        await sensor.on_paths({"pkg/todo.py"})
        release(held)
        out["outlasted_retries"] = {"emitted": list(emitted), "pending": sorted(sensor.pending)}
        await sensor.on_git_change()  # the next event (or the watcher's rescan)
        out["next_event"] = {"emitted": list(emitted), "pending": sorted(sensor.pending)}
    out["warnings"] = [e["event"] + " " + e.get("error", "") for e in logs
                       if e["log_level"] == "warning"]
    print(json.dumps(out))


asyncio.run(main())
'''


def _commit_todo(repo: Path, rel: str = "pkg/todo.py", text: str = TODO) -> None:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text(text)
    git(repo, "add", "--", rel)
    git(repo, "commit", "-qm", f"add {rel}")


def _sensor(repo: Path, delays=(0.01,)) -> tuple[TodoSensor, list[str]]:
    gitops = GitOps(repo)
    emitted: list[str] = []

    async def emit(env):
        emitted.append(env.target_files[0])
        return True

    async def dirty(paths):
        return await asyncio.to_thread(gitops.dirty, paths)

    return TodoSensor(repo, "s", emit, dirty, retry_delays_s=delays), emitted


@pytest.mark.slow
def test_fd_exhaustion_keeps_the_todo_and_it_lands_once_the_error_clears(repo):
    _commit_todo(repo)
    proc = subprocess.run([sys.executable, "-c", FD_EXHAUSTION, str(repo)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    during = out["while_exhausted"]
    assert during["emitted"] == [] and during["pending"] == ["pkg/todo.py"]
    assert "Too many open files" in during["unreadable"]["pkg/todo.py"]
    assert out["cleared_during_retries"] == {"emitted": ["pkg/todo.py"], "pending": []}
    assert out["outlasted_retries"] == {"emitted": [], "pending": ["pkg/todo.py"]}
    assert out["next_event"] == {"emitted": ["pkg/todo.py"], "pending": []}
    assert any("kept pending" in w and "Too many open files" in w for w in out["warnings"])


def test_an_io_error_is_an_error_not_an_empty_file():
    # /proc/self/mem is a regular file whose read at offset 0 fails with EIO, even for root.
    with pytest.raises(SourceReadError, match="Input/output error"):
        read_source(Path("/proc/self/mem"))


async def test_links_out_of_the_repo_are_never_read(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.py").write_text("# TODO: the secret is hunter2\n")
    os.symlink(outside / "secret.py", repo / "calc" / "leak.py")
    os.symlink(outside, repo / "linked")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "links")
    sensor, emitted = _sensor(repo)
    await sensor.on_paths({"calc/leak.py", "linked/secret.py"})
    assert emitted == [] and not sensor.pending
    assert read_source(repo / "linked" / "secret.py") is not None  # only the root check stops it


async def test_a_failing_git_keeps_the_todo_reports_once_and_lands_when_git_works(repo):
    _commit_todo(repo)
    index = repo / ".git" / "index"
    good = index.read_bytes()
    index.write_bytes(b"DIRC garbage, not an index")
    sensor, emitted = _sensor(repo)
    with capture_logs() as logs:
        await sensor.on_paths({"pkg/todo.py"})
        await sensor.on_git_change()  # a second look (an event or the rescan): no new warning
    assert emitted == [] and sensor.pending == {"pkg/todo.py"}
    assert "GitCommandError" in sensor.unreadable["pkg/todo.py"]
    assert [e["file"] for e in logs if e["log_level"] == "warning"] == ["pkg/todo.py"]
    index.write_bytes(good)
    await sensor.on_git_change()
    assert emitted == ["pkg/todo.py"] and not sensor.pending and not sensor.unreadable


def _fifo(p: Path) -> None:
    os.mkfifo(p)


def _socket_file(p: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(p))
    s.close()


NOT_A_SOURCE = {
    "missing": lambda p: None,
    "directory": lambda p: p.mkdir(),
    "fifo": _fifo,
    "unix socket": _socket_file,
    "symlink loop": lambda p: os.symlink(p.name, p),
    "dangling symlink": lambda p: os.symlink("nowhere.py", p),
    "symlink to a directory": lambda p: os.symlink("/", p),
    "symlink to a device": lambda p: os.symlink("/dev/zero", p),
    "symlink to a regular file": lambda p: os.symlink("/etc/hostname", p),
    "symlink to /proc/self/mem": lambda p: os.symlink("/proc/self/mem", p),
}


@pytest.mark.parametrize("kind", sorted(NOT_A_SOURCE))
def test_what_is_not_a_source_reads_as_none_without_blocking(tmp_path, kind):
    path = tmp_path / "m.py"
    NOT_A_SOURCE[kind](path)
    result: list[object] = []
    reader = threading.Thread(target=lambda: result.append(read_source(path)), daemon=True)
    reader.start()
    reader.join(5)
    assert result == [None], f"{kind}: blocked or raised"


def test_a_name_too_long_is_not_a_source(tmp_path):
    assert read_source(tmp_path / ("x" * 300 + ".py")) is None


@pytest.mark.slow
async def test_watcher_survives_a_failing_callback_and_an_undecodable_name(repo):
    sensor, emitted = _sensor(repo)
    calls: list[set[str]] = []

    async def on_paths(paths):
        calls.append(set(paths))
        if len(calls) == 1:
            raise RuntimeError("a sensor bug")
        await sensor.on_paths(paths)

    watcher = RepoWatcher(repo, repo / ".ouroboros", 0.05, on_paths, sensor.on_git_change)
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.wait_for(watcher.watching.wait(), 10)
        (repo / "calc" / "first.py").write_text("x = 1\n")
        await wait_for(lambda: calls, 10, "the first batch")
        bad = os.path.join(os.fsencode(repo / "calc"), b"bad\xff.py")
        fd = os.open(bad, os.O_CREAT | os.O_WRONLY, 0o644)
        os.write(fd, TODO.encode())
        os.close(fd)
        _commit_todo(repo, "calc/good.py")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "a file whose name is not UTF-8")
        await wait_for(lambda: emitted, 10, "the good file's envelope")
        assert emitted == ["calc/good.py"] and not task.done()
        assert any("bad\udcff.py" in c for batch in calls for c in batch)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_quiet_watcher_rescans_pending_files(tmp_path):
    looks: list[int] = []

    async def on_paths(paths):
        return None

    async def on_git():
        looks.append(1)

    watcher = RepoWatcher(tmp_path, tmp_path / ".ouroboros", 0.05, on_paths, on_git,
                          rescan_s=0.1)
    task = asyncio.create_task(watcher.run())
    try:
        await wait_for(lambda: len(looks) >= 3, 5, "periodic rescans")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_failed_enqueue_keeps_the_todo_and_does_not_burn_its_dedup_key(repo):
    _commit_todo(repo)
    path = repo.parent / "ledger.sqlite3"
    ledger = await Ledger.open(path)
    queue = intake_queue(ledger)
    gitops = GitOps(repo)

    async def dirty(paths):
        return await asyncio.to_thread(gitops.dirty, paths)

    sensor = TodoSensor(repo, "s", queue.put, dirty, retry_delays_s=(0.01,))
    await ledger.close()  # the WAL write fails: a real closed SQLite connection
    await sensor.on_paths({"pkg/todo.py"})
    assert len(queue) == 0 and sensor.pending == {"pkg/todo.py"}
    queue.ledger = await Ledger.open(path)
    try:
        await sensor.on_git_change()
        assert [e["files"] for e in queue.snapshot()] == [["pkg/todo.py"]]
        assert not sensor.pending
    finally:
        await queue.ledger.close()
