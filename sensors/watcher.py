"""Watchdog bridge: file-system events from the watcher thread become debounced batches of
repo-relative paths on the event loop.

Only what can carry work is watched: the root (non-recursively), each top-level directory
except `.git`, the state dir and those sensors never look at (a `.venv/`, `node_modules/`,
...: sensors.repo_tree) (recursively, including ones created later), and `.git/` plus
`.git/refs` for commits and staging. The daemon's own churn (sandboxes, rollback
snapshots, the ledger) and `.git/objects` never reach inotify. A batch's paths are then
those sensors.repo_tree admits: tracked, or untracked and neither ignored by git nor inside
a skipped directory (a virtual environment, a nested repository, installed packages, a
build's output or a cache, wherever it lies), so a write inside `.venv/` reaches no sensor.

Nothing a sensor or the file system does stops the watcher: a failing callback is logged and
the loop goes on; an event the handler cannot turn into a path is logged, never raised in
watchdog's thread (which would end event delivery for good); a directory that cannot be
watched is logged. After `rescan_s` without events the watcher calls `on_git` anyway, so files
a sensor keeps pending (held for a commit, or unreadable a moment ago) are looked at again
even in a quiet repository, and a missed inotify event is not lost forever.

`watching` is set once every watch is in place (watchdog's `Observer.start()` adds the
inotify watches before it returns), and cleared when the watcher stops: a change made after
it is set is seen. Tests and callers wait on it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from sensors.repo_tree import RepoTree, row_for

log = structlog.get_logger("sensors.watcher")
GIT_SIGNALS = ("HEAD", "index", "ORIG_HEAD")  # basenames under .git that mean a commit/stage
RESCAN_S = 30.0  # quiet time after which pending files are looked at again
MAX_BATCH_S = 2.0  # a storm that never goes quiet is still delivered this often


class _Inbox:
    """Raw paths from watchdog's thread, collected under a lock. The loop is woken once per
    batch, not once per event: a formatter rewriting 50 files every 5 ms is ~20,000 events/s,
    and a loop wake-up for each starved every other task (status answers included)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._last = 0.0
        self.ready = asyncio.Event()

    def push(self, path: str) -> None:
        """Runs in watchdog's thread."""
        with self._lock:
            first = not self._paths
            self._paths.add(path)
            self._last = time.monotonic()
        if first:
            self._loop.call_soon_threadsafe(self.ready.set)

    def quiet_s(self) -> float:
        with self._lock:
            return time.monotonic() - self._last

    def take(self) -> set[str]:
        with self._lock:
            paths, self._paths = self._paths, set()
            self.ready.clear()  # a push after this sees an empty set and wakes us again
        return paths


class _Handler(FileSystemEventHandler):
    def __init__(self, push: Callable[[str], None]):
        self.push = push

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Runs in watchdog's thread: an exception here would stop all event delivery."""
        if event.event_type in ("opened", "closed_no_write"):
            return
        for attr in ("src_path", "dest_path"):
            path = getattr(event, attr, "")
            if not path:
                continue
            try:
                self.push(os.fsdecode(path))
            except Exception as exc:  # e.g. the loop is closing; the event is dropped, said
                log.warning("watch event dropped", error=f"{type(exc).__name__}: {exc}")


class RepoWatcher:
    """Owns the watchdog observer. `run()` delivers batches until cancelled."""

    def __init__(self, root: Path, state_dir: Path, debounce_s: float,
                 on_paths: Callable[[set[str]], Awaitable[None]],
                 on_git: Callable[[], Awaitable[None]], *, rescan_s: float = RESCAN_S,
                 watching: asyncio.Event | None = None, tree: RepoTree | None = None):
        self.root = root.resolve()
        self.tree = tree or RepoTree(self.root, state_dir)
        self._git_problem: str | None = None
        self.rescan_s = rescan_s
        self.state_dir = state_dir.resolve()
        self.debounce_s = debounce_s
        self.on_paths = on_paths
        self.on_git = on_git
        self._inbox: _Inbox | None = None
        self._watched: set[Path] = set()
        # Every watch is in place; cleared when run() ends. An owner may pass its own.
        self.watching = watching if watching is not None else asyncio.Event()

    def classify(self, raw: str) -> str | None:
        """'git' for commit-ish git events, a repo-relative path, or None to ignore."""
        path = Path(raw)
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            return None
        if path == self.state_dir or self.state_dir in path.parents:
            return None
        parts = rel.parts
        if not parts:
            return None
        if parts[0] == ".git":
            tail = parts[-1]
            is_ref = len(parts) > 1 and parts[1] in ("refs", "logs")
            return "git" if (tail in GIT_SIGNALS or is_ref) and not tail.endswith(".lock") \
                else None
        if any(row_for(p, tracked=True) for p in parts[:-1]) \
                or parts[-1].endswith((".tmp", "~", ".swp")):
            return None  # a cache, installed packages: skipped tracked or not (no git asked)
        return rel.as_posix()

    def _watchable(self, child: Path) -> bool:
        return (child.is_dir() and not child.is_symlink() and child.name != ".git"
                and child.resolve() != self.state_dir
                and not self.tree.top_level_skipped(child.name))

    def _schedule(self, observer: Observer, handler: _Handler) -> None:
        observer.schedule(handler, str(self.root), recursive=False)
        for child in sorted(self.root.iterdir()):
            self._watch_dir(observer, handler, child)
        git_dir = self.root / ".git"
        if git_dir.is_dir():
            observer.schedule(handler, str(git_dir), recursive=False)
            if (git_dir / "refs").is_dir():
                observer.schedule(handler, str(git_dir / "refs"), recursive=True)

    def _watch_dir(self, observer: Observer, handler: _Handler, child: Path) -> None:
        """Watch a top-level directory; one that vanished or cannot be watched (inotify
        limits) is logged and skipped, never allowed to end the watcher."""
        try:
            if child not in self._watched and self._watchable(child):
                observer.schedule(handler, str(child), recursive=True)
                self._watched.add(child)
        except (OSError, RuntimeError) as exc:
            log.warning("directory not watched", path=str(child),
                        error=f"{type(exc).__name__}: {exc}")

    async def run(self) -> None:
        await asyncio.to_thread(self._admit, [])  # what git tracks: which dirs to watch
        self._inbox = _Inbox(asyncio.get_running_loop())
        observer = Observer()
        handler = _Handler(self._inbox.push)
        self._schedule(observer, handler)
        observer.start()  # returns once the inotify watches exist
        self.watching.set()
        log.info("watching", root=str(self.root))
        try:
            while True:
                batch = await self._batch()
                if not batch:  # quiet for rescan_s: let sensors look at pending files again
                    await self._safe(self.on_git())
                    continue
                for raw in batch:  # a new top-level directory gets its own recursive watch
                    path = Path(raw)
                    if path.parent == self.root:
                        self._watch_dir(observer, handler, path)
                await self._deliver(batch)
        finally:
            self.watching.clear()
            observer.stop()
            await asyncio.to_thread(observer.join, 5)

    async def _batch(self) -> set[str]:
        """Wait for one event, then until `debounce_s` of quiet (at most MAX_BATCH_S, so a
        storm cannot starve the sensors); empty when no event came for `rescan_s`."""
        assert self._inbox is not None
        try:
            async with asyncio.timeout(self.rescan_s):
                await self._inbox.ready.wait()
        except TimeoutError:
            return set()
        deadline = time.monotonic() + max(MAX_BATCH_S, self.debounce_s)
        while (quiet := self._inbox.quiet_s()) < self.debounce_s:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await asyncio.sleep(min(self.debounce_s - quiet, left))
        return self._inbox.take()

    async def _deliver(self, raw: set[str]) -> None:
        kinds = {self._classify_safely(p) for p in raw} - {None}
        paths = {k for k in kinds if k != "git"}
        if paths:
            paths = set(await asyncio.to_thread(self._admit, sorted(paths)))
        if paths:
            await self._safe(self.on_paths(paths))
        if "git" in kinds:
            await self._safe(self.on_git())

    def _admit(self, paths: list[str]) -> list[str]:
        """sensors.repo_tree's verdict (a thread's work: it asks git); where git cannot be
        asked (no repository, a broken index), the directory rules alone."""
        try:
            return self.tree.admit(paths)
        except (OSError, subprocess.SubprocessError) as exc:
            if str(exc) != self._git_problem:  # once per distinct error, not every batch
                self._git_problem = str(exc)
                log.warning("git not asked which events to keep; directory rules only",
                            error=str(exc)[:300])
            return [p for p in paths if self.tree.skipped_path(p) is None]

    def _classify_safely(self, raw: str) -> str | None:
        try:
            return self.classify(raw)
        except (OSError, ValueError) as exc:  # an odd path is one lost event, not the loop
            log.warning("watch event not understood", path=ascii(raw), error=str(exc))
            return None

    async def _safe(self, work: Awaitable[None]) -> None:
        """A sensor error is logged, never allowed to stop the watcher."""
        try:
            await work
        except Exception:
            log.exception("sensor failed on a batch")
