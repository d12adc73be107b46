"""The real index after an auto-commit: moved to HEAD for the op's paths only, crash-safe.

The commit is built on a temporary index, so after `update-ref` the human's real index
still holds the op's pre-commit entries: left so, `git status` shows `MM` and the human's
next commit silently reverts the op. `sync_op_paths` points those entries at HEAD's, one
`git update-index --index-info` run, and only where an entry still holds exactly what the
op's parent commit held: anything else on that path was staged by someone else and is
left alone (and named in the returned note).

A kill while git holds `.git/index.lock` for that update leaves the lock behind, and every
later git command fails on it. So before the update we write a marker into the git dir,
and remove it after. `clear_stale_lock` (start-up recovery) deletes the lock only when all
of these hold, and otherwise leaves it and says so:
- our marker exists and the process that wrote it is dead;
- the lock was created within LOCK_WINDOW_S of the marker (by our update, not a later git);
- no live process has the lock open.
A lock a human's git holds (say `git commit` with its editor open) fails one of these.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from governance.crashpoints import crashpoint

MARKER = "ouroboros-index-sync"
# The auto-commit's own index (gitops._make_commit): `<prefix><pid>.<random>` in the git dir,
# and git's `<that>.lock` while it writes it.
TEMP_INDEX_PREFIX = "ouroboros-index."
LOCK_WINDOW_S = 10.0
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO = "0" * 40
RETRIES = 3  # a human's git may hold the index for a moment

Entry = tuple[str, str]  # (mode, object id)


def run_git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run git with literal pathspecs; raise CalledProcessError on failure."""
    return subprocess.run(["git", "--literal-pathspecs", *args], cwd=root, input=stdin,
                          capture_output=True, check=True).stdout


def tree_entries(root: Path, rev: str | None, paths: Sequence[str]) -> dict[str, Entry]:
    """{path: (mode, blob)} of `paths` in `rev` (absent paths are missing from the map)."""
    if rev is None or not paths:
        return {}
    out = run_git(root, "ls-tree", "-z", "--full-tree", rev, "--", *paths)
    entries = {}
    for record in out.decode("utf-8", "surrogateescape").split("\0"):
        if record:
            meta, path = record.split("\t", 1)
            mode, _kind, oid = meta.split()
            entries[path] = (mode, oid)
    return entries


def index_entries(root: Path, paths: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    """{path: (mode, blob, stage)} of `paths` in the real index."""
    out = run_git(root, "ls-files", "-s", "-z", "--", *paths)
    entries = {}
    for record in out.decode("utf-8", "surrogateescape").split("\0"):
        if record:
            meta, path = record.split("\t", 1)
            mode, oid, stage = meta.split()
            entries[path] = (mode, oid, stage)
    return entries


def parent_of(root: Path, commit: str) -> str | None:
    try:
        return run_git(root, "rev-parse", "--verify", "-q", f"{commit}^1").decode().strip()
    except subprocess.CalledProcessError:
        return None  # a root commit


def plan_updates(paths: Sequence[str], before: dict[str, Entry], committed: dict[str, Entry],
                 head: dict[str, Entry], index: dict[str, tuple[str, str, str]]
                 ) -> tuple[list[str], list[str]]:
    """(index-info records to write, paths left alone). Pure: the rule in one place."""
    records, left = [], []
    for path in paths:
        want = head.get(path)
        if want != committed.get(path):
            left.append(path)  # HEAD changed this path after the op's commit: not ours now
            continue
        entry = index.get(path)
        if entry is not None and entry[2] != "0":
            left.append(path)  # a merge conflict: the human's business
            continue
        have = entry[:2] if entry else None
        if have == want:
            continue
        if have != before.get(path):
            left.append(path)  # someone staged something else here meanwhile
            continue
        mode, oid = want if want else ("0", ZERO)  # mode 0 removes the entry
        records.append(f"{mode} {oid}\t{path}")
    return records, left


def raw_entries(raw: bytes) -> tuple[dict[str, Entry], dict[str, Entry]]:
    """({path: entry} before, {path: entry} after) from `git diff-tree -r -z --raw` records
    (`:oldmode newmode oldoid newoid status NUL path NUL`, full object ids)."""
    fields = raw.decode("utf-8", "surrogateescape").split("\0")
    before: dict[str, Entry] = {}
    after: dict[str, Entry] = {}
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(":"):
            continue
        old_mode, new_mode, old_oid, new_oid, _status = meta[1:].split()
        if old_oid != ZERO:
            before[path] = (old_mode, old_oid)
        if new_oid != ZERO:
            after[path] = (new_mode, new_oid)
    return before, after


def changed_entries(root: Path, parent: str | None, commit: str, paths: Sequence[str],
                    raw: bytes | None = None) -> tuple[dict[str, Entry], dict[str, Entry]]:
    """({path: entry} in `parent`, {path: entry} in `commit`) for `paths`, from the commit's
    raw diff (`raw`, or one `git diff-tree`); a path the commit left as it was costs one
    `ls-tree`."""
    if parent is None:
        return {}, tree_entries(root, commit, paths)
    if raw is None:
        raw = run_git(root, "diff-tree", "-r", "-z", "--raw", "--full-index", parent, commit,
                      "--", *paths)
    before, after = raw_entries(raw)
    wanted = set(paths)
    before = {p: e for p, e in before.items() if p in wanted}
    after = {p: e for p, e in after.items() if p in wanted}
    same = [p for p in paths if p not in before and p not in after]
    if same:  # unchanged by the commit: the same entry (or none) on both sides
        kept = tree_entries(root, commit, same)
        before.update(kept)
        after.update(kept)
    return before, after


def sync_op_paths(root: Path, git_dir: Path, commit: str, paths: Sequence[str], *,
                  parent: str | None, head: str | None = None, raw: bytes | None = None
                  ) -> str:
    """Point the real index at HEAD for the op's `paths`; return a note ('' when all done).
    `parent` is the commit's first parent (None for a root commit; `parent_of` finds it).
    What the caller already knows spares git processes: `head`, HEAD as just read (no
    `ls-tree` when it is `commit`), and `raw`, the commit's raw diff against `parent`."""
    try:
        before, committed = changed_entries(root, parent, commit, paths, raw)
        current = committed if head == commit else tree_entries(root, "HEAD", paths)
        records, left = plan_updates(paths, before, committed, current,
                                     index_entries(root, paths))
        if records:
            _write_index(root, git_dir, "".join(r + "\0" for r in records).encode(
                "utf-8", "surrogateescape"))
    except (subprocess.CalledProcessError, OSError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        why = stderr.decode("utf-8", "replace").strip() or str(exc)
        return f"index not refreshed ({why}); run `git reset -q -- {' '.join(paths)}`"
    if left:
        return ("index left alone for " + ", ".join(left)
                + " (staged by someone else, or changed in HEAD since)")
    return ""


def _write_index(root: Path, git_dir: Path, data: bytes) -> None:
    marker = git_dir / MARKER
    marker.write_text(json.dumps({"pid": os.getpid(), "time": time.time()}))
    try:
        for attempt in range(RETRIES):
            proc = subprocess.Popen(["git", "update-index", "-z", "--index-info"], cwd=root,
                                    stdin=subprocess.PIPE, stderr=subprocess.PIPE)
            assert proc.stdin is not None
            proc.stdin.write(data)
            proc.stdin.flush()
            crashpoint("index_sync_locked", ready=(git_dir / "index.lock").exists)
            _, err = proc.communicate()
            if proc.returncode == 0:
                return
            if attempt == RETRIES - 1:
                raise subprocess.CalledProcessError(proc.returncode, "git update-index", b"",
                                                    err)
            time.sleep(0.1)
    finally:
        marker.unlink(missing_ok=True)


def clear_stale_lock(git_dir: Path) -> str:
    """Remove an index.lock our killed index update left; return what was done ('' if
    there was nothing to do). The rule is in the module docstring."""
    marker = git_dir / MARKER
    lock = git_dir / "index.lock"
    try:
        info = json.loads(marker.read_text())
        pid, when = int(info["pid"]), float(info["time"])
    except FileNotFoundError:
        return ""
    except (OSError, ValueError, KeyError, TypeError):
        pid, when = 0, marker.lstat().st_mtime  # a torn marker: its pid is unknown
    if pid and pid != os.getpid() and process_alive(pid):
        return f"index update marker of live process {pid} left alone"
    note = ""
    try:
        st = lock.lstat()
    except FileNotFoundError:
        st = None
    if st is not None:
        ours = (stat.S_ISREG(st.st_mode) and when - 2 <= st.st_mtime <= when + LOCK_WINDOW_S
                and not _held_open(lock))
        if ours:
            lock.unlink()
            note = f"removed {lock} left by a killed index update"
        else:
            note = (f"{lock} left in place: not ours or still in use (remove it yourself if "
                    "no git command is running)")
    marker.unlink(missing_ok=True)
    return note


HELD_GRACE_S = 5.0  # how long a dead writer's git child may keep its temporary index open


def clear_temp_indexes(git_dir: Path, grace_s: float = HELD_GRACE_S) -> list[str]:
    """Remove the auto-commit's temporary indexes (and their `.lock`) that a killed run
    left in the git dir; return what was removed. One whose writer still lives is left; a
    name with no pid (an older daemon's) counts as dead. One a live process holds open is
    waited for, `grace_s` at most: a `git` the killed daemon started outlives it by the
    moment it takes, and the file it then leaves was found by the soak after a kill -9
    (the recovery had looked while that git still held it)."""
    removed = []
    try:
        names = sorted(n for n in os.listdir(git_dir) if n.startswith(TEMP_INDEX_PREFIX))
    except OSError:
        return removed
    deadline = time.monotonic() + grace_s
    for name in names:
        path = git_dir / name
        pid_part = name[len(TEMP_INDEX_PREFIX):].split(".", 1)[0]
        pid = int(pid_part) if pid_part.isdigit() else 0
        if pid and (pid == os.getpid() or process_alive(pid)):
            continue
        try:
            if not stat.S_ISREG(path.lstat().st_mode) or not _let_go(path, deadline):
                continue
            path.unlink()
        except OSError:
            continue
        removed.append(f"removed {path} left by a killed auto-commit")
    return removed


def _let_go(path: Path, deadline: float) -> bool:
    """Whether no process holds `path` open, waiting until `deadline` for one that does."""
    while _held_open(path):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def process_alive(pid: int) -> bool:
    """Whether `pid` is a live (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return Path(f"/proc/{pid}").exists() and not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _held_open(path: Path) -> bool:
    """Whether any process we can see has `path` open (best effort, Linux /proc)."""
    target = str(path)
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            for fd in fd_dir.iterdir():
                try:
                    if os.readlink(fd) == target:
                        return True
                except OSError:
                    continue
        except OSError:
            continue
    return False
