"""Sandbox copies of the repository: candidates are tested here, never in the live tree.

A sandbox holds the tracked and untracked-not-ignored files exactly as they are in the
working tree (so the human's uncommitted state is what gets tested), minus the state dir
and protected files, with the candidate written over it.

Every read of the live tree and every write into the sandbox goes through
governance.fs.nofollow, so no symlink is ever followed on the host. A symlink of the live
tree is copied only when it is relative and can only resolve inside the tree
(nofollow.link_stays_inside); any other is left out (recorded in `skipped`), so a test
that needs it fails honestly instead of reaching outside through it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from governance.fs import nofollow, nofollow_write
from governance.fs.protected import PathEscape, protected_reason
from governance.schemas import FileChange


class Sandbox:
    def __init__(self, root: Path, skipped: list[str] | None = None):
        self.root = root
        self.skipped = skipped or []  # "path: why" for live entries that were left out

    @classmethod
    def create(cls, live_root: Path, files: list[str], dest: Path,
               skip_prefix: str, protected_globs: tuple[str, ...] = ()) -> Sandbox:
        """Copy `files` (never protected ones: no secret reaches a test run)."""
        if os.path.lexists(dest):
            nofollow_write.remove_tree(dest)
        dest.mkdir(parents=True)
        skipped = []
        for rel in files:
            try:
                if protected_reason(rel, skip_prefix, protected_globs):
                    continue
                why = _copy_one(live_root, rel, dest)
            except (OSError, PathEscape) as exc:
                why = str(exc)
            if why:
                skipped.append(f"{rel}: {why}")
        return cls(dest, skipped)

    def apply(self, changes: list[FileChange]) -> None:
        write_changes(self.root, changes)

    def destroy(self) -> None:
        nofollow_write.remove_tree(self.root)  # however deep a jailed process made it


def left_out_links(live_root: Path, files: list[str]) -> list[str]:
    """The listed symlinks of the live tree that a sandbox leaves out (copy_link): what
    the live tree has and no sandbox's test run ever saw."""
    out = []
    for rel in files:
        try:
            st = nofollow.lstat(live_root, rel)
            if st is not None and stat.S_ISLNK(st.st_mode) and \
                    not nofollow.link_stays_inside(rel, nofollow.readlink(live_root, rel)):
                out.append(rel)
        except (OSError, PathEscape):
            continue  # beneath a link or gone: not collected through on its own
    return out


def copy_link(dest: Path, rel: str, target: str) -> str | None:
    """Recreate the symlink `rel -> target` under `dest` if it can only resolve inside the
    tree (relative, never climbing above its own directory); else why it was left out."""
    if not nofollow.link_stays_inside(rel, target):
        return f"symlink to {target!r} left out: only relative links that stay inside are kept"
    parent, _, name = rel.rpartition("/")
    with nofollow.open_dir(dest, parent or ".", create=True) as dfd:
        os.symlink(target, name, dir_fd=dfd)
    return None


def _copy_one(live_root: Path, rel: str, dest: Path) -> str | None:
    """Copy one live entry into `dest`; why it was left out, or None."""
    st = nofollow.lstat(live_root, rel)
    if st is None:
        return None  # listed but deleted in the working tree: the sandbox has it deleted too
    if stat.S_ISLNK(st.st_mode):
        return copy_link(dest, rel, nofollow.readlink(live_root, rel))
    if not stat.S_ISREG(st.st_mode):
        return f"{nofollow.kind_of(st.st_mode)} left out (not a regular file)"
    data = nofollow.read_bytes(live_root, rel, allow_hardlinks=True)
    _write_new(dest, rel, data, stat.S_IMODE(st.st_mode))
    return None


def _write_new(dest: Path, rel: str, data: bytes, mode: int) -> None:
    """Create `rel` in a sandbox being built: exclusive, never through a link, and without
    fsync — a sandbox is scratch that no crash recovery reads, so durability would only
    cost time (an fsync per file and directory was most of a small op's overhead)."""
    parent, _, name = rel.rpartition("/")
    with nofollow.open_dir(dest, parent or ".", create=True) as dfd:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600, dir_fd=dfd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode & 0o777)  # never a setuid file
        finally:
            os.close(fd)


def write_changes(root: Path, changes: list[FileChange]) -> None:
    """Write candidate changes into a scratch tree (never the live one).

    Every path is checked before anything is written: no symlink on the way (the target
    included, for writes), no directory where a file is to go. The writes themselves go
    through nofollow, which re-checks at the moment of writing. Raises PathEscape
    (nofollow.UnsafePath), UnicodeEncodeError or OSError."""
    for change in changes:
        st = nofollow.lstat(root, change.file_path)  # refuses symlinked parents
        if st is None:
            continue
        if change.action != "delete" and not stat.S_ISREG(st.st_mode):
            raise nofollow.UnsafePath(f"{change.file_path!r} is a {nofollow.kind_of(st.st_mode)}"
                                      ", not a regular file; it is never written through")
        if change.action == "delete" and stat.S_ISDIR(st.st_mode):
            raise nofollow.UnsafePath(f"{change.file_path!r} is a directory")
    for change in changes:
        if change.action == "delete":
            nofollow_write.remove(root, change.file_path)
        else:
            data = (change.full_content or "").encode("utf-8")
            nofollow_write.write_bytes_atomic(root, change.file_path, data)
