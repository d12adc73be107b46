"""Which files of the working tree the sensors look at: the one source of truth for the
start-up scan, the safety-net rescan and the file watcher's events.

A file is looked at when git tracks it, or when it is new, untracked and not excluded by
`.gitignore` (and `.git/info/exclude`, the global excludes file): `git ls-files --cached
--others --exclude-standard`. Never, whether git ignores it or not, a file inside a
directory that SKIPPED_DIRS names or that MARKERS identify: a virtual environment (a
`pyvenv.cfg`), a conda environment, a nested repository (its own `.git`), installed
packages, a build's output, a tool's cache. A user's `.venv/`, which no `.gitignore` of
theirs lists, held 1,310 files of pytest's own internals: 131 "todo held" lines, 437 queue
evictions and 16 refactor ops on code that is not theirs (issue 51).

What a row costs is paid once per directory, not per file, and a rescan of an unchanged
tree pays one `lstat` per directory: each verdict is kept with the directory's inode and
mtime (a marker created or removed changes its directory's mtime). A skipped directory
found once is handed to git as an exclude pattern from then on, so git does not walk it
again.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger("sensors.repo_tree")


@dataclass(frozen=True)
class Skip:
    """One row: directories named `pattern` (fnmatch, one path component) are not looked
    at; `tracked_too`: not even where git tracks files under it (a `build/` the project
    commits is its own code, as the PyPA `build` package's `src/build/` is)."""

    pattern: str
    why: str
    tracked_too: bool = True


SKIPPED_DIRS: tuple[Skip, ...] = (
    Skip("site-packages", "installed packages"),
    Skip("dist-packages", "installed packages"),
    Skip("node_modules", "installed JavaScript packages"),
    Skip("__pycache__", "compiled bytecode"),
    Skip("*.egg-info", "packaging metadata"),
    Skip(".eggs", "setuptools' downloaded eggs"),
    Skip(".tox", "tox's environments"),
    Skip(".nox", "nox's environments"),
    Skip(".mypy_cache", "a tool's cache"),
    Skip(".pytest_cache", "a tool's cache"),
    Skip(".ruff_cache", "a tool's cache"),
    Skip(".hypothesis", "a tool's cache"),
    Skip(".ipynb_checkpoints", "a tool's cache"),
    Skip("build", "a build's output", tracked_too=False),
    Skip("dist", "built distributions", tracked_too=False),
    Skip(".venv", "a virtual environment", tracked_too=False),
    Skip("venv", "a virtual environment", tracked_too=False),
)
# A directory holding one of these names is not the project's code, wherever it is and
# whatever it is called.
MARKERS: tuple[tuple[str, str], ...] = (
    ("pyvenv.cfg", "a virtual environment"),
    ("conda-meta", "a conda environment"),
    (".git", "a nested repository"),
)
GIT_TIMEOUT_S = 120.0


def row_for(name: str, tracked: bool) -> Skip | None:
    """The row that skips a directory called `name` (None: none does)."""
    return next((r for r in SKIPPED_DIRS if fnmatch.fnmatchcase(name, r.pattern)
                 and (r.tracked_too or not tracked)), None)


def _git_pattern(rel_dir: str) -> str:
    """An anchored exclude pattern for exactly `rel_dir` (its glob characters escaped)."""
    escaped = "".join("\\" + c if c in "*?[]\\!#" else c for c in rel_dir)
    return f"/{escaped}/"


class RepoTree:
    """The files sensors look at under `root` (a git work tree). `state_dir`, when inside
    it, is never looked at either. Methods run git and stat files: call them off the
    event loop."""

    def __init__(self, root: Path, state_dir: Path | None = None):
        self.root = root
        state = state_dir.resolve() if state_dir is not None else None
        self.state_rel = state.relative_to(root.resolve()).as_posix() \
            if state is not None and state.is_relative_to(root.resolve()) else None
        # directory -> ((inode, mtime_ns), why it is skipped by its markers or None)
        self._markers: dict[str, tuple[tuple[int, int], str | None]] = {}
        self._tracked: frozenset[str] = frozenset()
        self._tracked_dirs: frozenset[str] = frozenset()
        self._index: Path | None = None  # git's index file (a worktree's is elsewhere)
        self._index_stamp: tuple[int, int, int] | None = None
        self.skipped: dict[str, str] = {}  # untracked directory -> why, from the last listing
        self.marker_checks = 0  # directories whose markers were looked up (the bench's count)
        self._lock = threading.RLock()  # the scan and the watcher ask from their threads

    # -- git ------------------------------------------------------------------------

    def _git(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(self.root), *args], input=stdin,
                              capture_output=True, timeout=GIT_TIMEOUT_S, check=False)

    def tracked(self) -> frozenset[str]:
        """What git's index holds (gitlinks, a submodule's directory, left out), read again
        only when the index file changed."""
        with self._lock:
            return self._read_tracked()

    def _read_tracked(self) -> frozenset[str]:
        if self._index is None:
            out = self._git("rev-parse", "--git-path", "index")
            if out.returncode != 0:
                raise OSError(f"git rev-parse: {out.stderr.decode(errors='replace').strip()}")
            self._index = self.root / os.fsdecode(out.stdout.strip())  # relative: to root
        stamp = _stamp(self._index)
        if stamp is not None and stamp == self._index_stamp:
            return self._tracked
        out = self._git("ls-files", "-z", "--stage")
        if out.returncode != 0:
            raise OSError(f"git ls-files: {out.stderr.decode(errors='replace').strip()}")
        files = set()
        for entry in out.stdout.split(b"\0"):
            head, _, path = entry.partition(b"\t")
            if path and not head.startswith(b"160000"):
                files.add(os.fsdecode(path))
        self._tracked = frozenset(files)
        self._tracked_dirs = frozenset(d for f in files for d in _parents(f))
        self._index_stamp = stamp
        return self._tracked

    def _others(self) -> list[str]:
        """Untracked files `.gitignore` does not exclude, git told to skip the directories
        known to be skipped (every table row, and those found by their markers)."""
        # a row that spares tracked directories goes to git only where none is tracked
        named = {d.rpartition("/")[2] for d in self._tracked_dirs}
        patterns = [f"{r.pattern}/" for r in SKIPPED_DIRS if r.tracked_too
                    or not any(fnmatch.fnmatchcase(n, r.pattern) for n in named)]
        patterns += [_git_pattern(d) for d in sorted(self.skipped)]
        if self.state_rel:
            patterns.append(_git_pattern(self.state_rel))
        out = self._git("ls-files", "-z", "--others", "--exclude-standard",
                        *(f"--exclude={p}" for p in patterns))
        if out.returncode != 0:
            raise OSError(f"git ls-files: {out.stderr.decode(errors='replace').strip()}")
        # a nested repository shows as its directory ("sub/"): git never enters it
        return [os.fsdecode(p) for p in out.stdout.split(b"\0") if p and not p.endswith(b"/")]

    # -- the verdicts ---------------------------------------------------------------

    def listing(self) -> list[str]:
        """Every file the sensors look at, sorted (the scan's and the rescan's list)."""
        with self._lock:
            return self._listing()

    def _listing(self) -> list[str]:
        tracked = self._read_tracked()
        verdicts: dict[str, str | None] = {}
        self.skipped = {d: why for d, why in self.skipped.items()
                        if self._why_dir(d, verdicts) is not None}
        keep = [f for f in tracked if self._why_dir(_dir_of(f), verdicts) is None]
        for rel in self._others():
            if rel in tracked:
                continue
            if self._why_dir(_dir_of(rel), verdicts) is None:
                keep.append(rel)
            else:
                self._remember(rel, verdicts)
        return sorted(keep)

    def admit(self, paths: Iterable[str]) -> list[str]:
        """Of the repo-relative `paths` (the watcher's events), those the sensors look at:
        tracked, or untracked and neither ignored by git nor under a skipped directory. A
        path git cannot be asked about is passed on, under the directory rules alone."""
        with self._lock:
            return self._admit(paths)

    def _admit(self, paths: Iterable[str]) -> list[str]:
        tracked = self._read_tracked()
        verdicts: dict[str, str | None] = {}
        kept, untracked = [], []
        for rel in paths:
            if self._why_dir(_dir_of(rel), verdicts) is not None or (
                    os.path.isdir(self.root / rel) and self._why_dir(rel, verdicts)):
                continue  # inside a skipped directory, or that directory itself
            (kept if rel in tracked else untracked).append(rel)
        return kept + self._not_ignored(untracked)

    def _not_ignored(self, rels: list[str]) -> list[str]:
        if not rels:
            return []
        out = self._git("check-ignore", "-z", "--stdin",
                        stdin=b"".join(os.fsencode(r) + b"\0" for r in rels))
        if out.returncode not in (0, 1):  # 1: none ignored
            log.warning("git check-ignore failed; events passed on",
                        error=out.stderr.decode(errors="replace").strip()[:300])
            return rels
        ignored = {os.fsdecode(p) for p in out.stdout.split(b"\0") if p}
        return [r for r in rels if r not in ignored]

    def skipped_path(self, rel: str) -> str | None:
        """Why `rel` is under a skipped directory (None: it is not); no git."""
        return self._why_dir(_dir_of(rel), {})

    def top_level_skipped(self, name: str) -> bool:
        """Whether the watcher may leave top-level directory `name` unwatched: skipped,
        and nothing git tracks lies under it."""
        return name not in self._tracked_dirs and self._why_dir(name, {}) is not None

    def _why_dir(self, rel_dir: str, verdicts: dict[str, str | None]) -> str | None:
        """Why directory `rel_dir` (or one above it) is skipped; None: it is not ('' is the
        root). The rows that spare a tracked directory spare one git tracks files under."""
        if not rel_dir:
            return None
        if rel_dir in verdicts:
            return verdicts[rel_dir]
        parent, _, name = rel_dir.rpartition("/")
        why = self._why_dir(parent, verdicts)
        if why is None:
            row = row_for(name, rel_dir in self._tracked_dirs)
            why = f"{rel_dir}/: {row.why}" if row else None
        if why is None and rel_dir == self.state_rel:
            why = f"{rel_dir}/: the daemon's state directory"
        if why is None:
            why = self._marker(rel_dir)
        verdicts[rel_dir] = why
        return why

    def _marker(self, rel_dir: str) -> str | None:
        """Why the directory's own markers skip it, kept while its stamp holds."""
        stamp = _dir_stamp(self.root / rel_dir)
        cached = self._markers.get(rel_dir)
        if cached is not None and stamp is not None and cached[0] == stamp:
            return cached[1]
        self.marker_checks += 1
        why = next((f"{rel_dir}/: {what}" for name, what in MARKERS
                    if os.path.lexists(self.root / rel_dir / name)), None)
        if stamp is not None:
            self._markers[rel_dir] = (stamp, why)
        return why

    def _remember(self, rel: str, verdicts: dict[str, str | None]) -> None:
        """Hand the outermost skipped directory above an untracked `rel` to git next time."""
        parts = rel.split("/")[:-1]
        for n in range(1, len(parts) + 1):
            rel_dir = "/".join(parts[:n])
            why = verdicts.get(rel_dir)
            if why is not None:
                self.skipped.setdefault(rel_dir, why)  # said nowhere: not the project's
                return


def _dir_of(rel: str) -> str:
    return rel.rpartition("/")[0]


def _parents(rel: str) -> Iterable[str]:
    parts = rel.split("/")[:-1]
    return ("/".join(parts[:n]) for n in range(1, len(parts) + 1))


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _dir_stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns
