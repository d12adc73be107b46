"""Writes and removals beneath a root that never follow a symlink (governance.fs.nofollow
resolves the path, one component at a time from a directory file descriptor).

Writes never write through a link of any kind: they replace the name with a fresh inode
(temp file, fsync, rename, fsync the directory). A symlinked parent, or a leaf that is not
a regular file, is refused. remove_tree deletes a scratch tree without following symlinks.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
import subprocess
from pathlib import Path

from governance.crashpoints import crashpoint
from governance.fs.nofollow import UnsafePath, kind_of, lstat_at, open_parent, os_failure

_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_DEFAULT_MODE = 0o644


def write_bytes_atomic(root: Path, rel: str, data: bytes, mode: int | None = None, *,
                       make_parents: bool = True) -> None:
    """Replace `rel` with `data` atomically: temp file, fsync, rename, fsync the directory.

    The temp file is `.<basename>.<random>.tmp` in the same directory (crash recovery
    looks for that pattern). A symlink or non-regular leaf is refused, never written
    through; `mode` defaults to the existing file's permission bits, else 0o644, and is
    masked to 0o777 (a host-side write never makes a setuid file).
    """
    with open_parent(root, rel, create=make_parents) as (dfd, name):
        st = lstat_at(dfd, name, rel)
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise UnsafePath(f"{rel!r}: {name!r} is a {kind_of(st.st_mode)}, not a regular file")
        if mode is None:
            mode = stat.S_IMODE(st.st_mode) if st is not None else _DEFAULT_MODE
        tmp = _write_temp(dfd, name, rel, data, mode)
        crashpoint("atomic_before_rename", str(root / rel))
        try:
            os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except OSError as exc:
            _unlink_quiet(dfd, tmp)
            raise os_failure(exc, rel, name, "rename") from None
        _fsync_dir(dfd)


def is_temp_name(entry: str, name: str) -> bool:
    """Whether `entry` is a temp file write_bytes_atomic makes for `name` (crash leftovers)."""
    if len(os.fsencode(f".{name}.{'0' * 12}.tmp")) > 255:
        return re.fullmatch(r"\.[0-9a-f]{16}\.tmp", entry) is not None
    return re.fullmatch(rf"\.{re.escape(name)}\.[0-9a-f]{{12}}\.tmp", entry) is not None


def _write_temp(dfd: int, name: str, rel: str, data: bytes, mode: int) -> str:
    tmp = f".{name}.{secrets.token_hex(6)}.tmp"  # is_temp_name() recognises exactly these
    if len(tmp.encode("utf-8", "surrogateescape")) > 255:
        tmp = f".{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(tmp, _TMP_FLAGS, 0o600, dir_fd=dfd)
    except OSError as exc:
        raise os_failure(exc, rel, name, "create temp file") from None
    try:
        os.fchmod(fd, mode & 0o777)  # never setuid, setgid or sticky, whatever was there
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        _unlink_quiet(dfd, tmp)
        raise os_failure(exc, rel, name, "write temp file") from None
    os.close(fd)
    return tmp


def _unlink_quiet(dfd: int, name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=dfd)


def _fsync_dir(dfd: int) -> None:
    with contextlib.suppress(OSError):  # some filesystems refuse fsync on directories
        os.fsync(dfd)


def remove(root: Path, rel: str) -> bool:
    """Unlink `rel`; False if it was missing. A leaf symlink is removed itself (unlink
    does not follow); a symlinked parent is refused; a directory leaf is refused."""
    try:
        with open_parent(root, rel) as (dfd, name):
            st = lstat_at(dfd, name, rel)
            if st is None:
                return False
            if stat.S_ISDIR(st.st_mode):
                raise UnsafePath(f"{rel!r}: {name!r} is a directory")
            try:
                os.unlink(name, dir_fd=dfd)
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise os_failure(exc, rel, name, "unlink") from None
            _fsync_dir(dfd)
            return True
    except FileNotFoundError:
        return False


def remove_tree(path: Path) -> None:
    """Delete a scratch tree without following symlinks, however deep (and however
    read-only) a jailed process made it; whatever cannot be removed is left in place.
    shutil.rmtree (fd-based, never follows links) recurses once per level and raises
    RecursionError past ~1,000; GNU rm walks with fts and has no such limit."""
    try:
        shutil.rmtree(path)
        return
    except FileNotFoundError:
        return
    except (OSError, RecursionError):
        pass
    target = os.fspath(path)
    # A jailed test may leave read-only directories: make the tree's own directories
    # writable (chmod -R never follows the symlinks it meets) and remove again.
    for argv in (["rm", "-rf", "--one-file-system", "--", target],
                 ["chmod", "-R", "u+rwx", "--", target],
                 ["rm", "-rf", "--one-file-system", "--", target]):
        if not os.path.lexists(target):
            return
        subprocess.run(argv, capture_output=True, timeout=300, check=False)
