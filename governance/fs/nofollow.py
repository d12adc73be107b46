"""Resolving and reading beneath a root without ever following a symlink; the writes and
removals built on it are governance.fs.nofollow_write.

Every path is resolved one component at a time from a directory file descriptor:
each parent is opened with ``O_DIRECTORY | O_NOFOLLOW`` relative to the previous one and
the leaf is stat'ed with ``follow_symlinks=False`` and opened with ``O_NOFOLLOW``. A
symlink anywhere in the path is refused, not resolved, so a process that swaps a directory
for a symlink between a check and a use cannot redirect the use: the use is the check.
Once a directory fd is held, renaming that directory elsewhere cannot move the operation
outside the tree the jailed process can see.

Path text rules (mechanism, not policy; protection is governance.fs.protected's job):
relative POSIX text, no NUL, no backslash, no ``..`` component (no "dir_link/../x"
games: a path names exactly the file it will touch), at most PATH_MAX bytes in all.

Errors: every OSError becomes either FileNotFoundError (a component is missing) or
UnsafePath (a symlink, a non-directory parent, a non-regular leaf, ENAMETOOLONG, ELOOP,
EACCES, ...), each naming the component and the reason. UnsafePath is a PathEscape, so
callers that already refuse PathEscape refuse these too.

Hard links: a regular file with more than one link may share its inode with a file
outside the tree; read_bytes refuses it unless ``allow_hardlinks=True``. Writes never
write through a link of any kind (governance.fs.nofollow_write).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from governance.fs.protected import PathEscape, from_the_root

PATH_MAX = 4096
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = (os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
               | getattr(os, "O_NOCTTY", 0))
_KINDS = ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "symlink"))


class UnsafePath(PathEscape):
    """A path that cannot be used without following a symlink or leaving the root."""


class TooLarge(UnsafePath):
    """A file larger than the caller's limit."""


def split(rel: str) -> list[str]:
    """The components of `rel` ('.' or '' is the root itself, i.e. []); refuse bad text."""
    if not isinstance(rel, str):
        raise UnsafePath(f"path must be text, got {type(rel).__name__}")
    if "\x00" in rel:
        raise UnsafePath(f"{rel!r}: NUL byte in path")
    if "\\" in rel:
        raise UnsafePath(f"{rel!r}: backslash in path")
    if rel.startswith("/"):
        raise UnsafePath(from_the_root(rel))
    try:
        size = len(rel.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        raise UnsafePath(f"{rel!r}: path is not encodable") from None
    if size > PATH_MAX:
        raise UnsafePath(f"{rel[:60]!r}...: path is {size} bytes, over {PATH_MAX}")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafePath(f"{rel!r}: '..' components are not allowed")
    return parts


def kind_of(mode: int) -> str:
    """'file', 'dir', 'symlink' or 'other' for an st_mode."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "other"


def os_failure(exc: OSError, rel: str, component: str, what: str) -> Exception:
    """Translate an OSError on `component` into FileNotFoundError or UnsafePath."""
    if exc.errno == errno.ENOENT:
        return FileNotFoundError(errno.ENOENT, f"{rel!r}: {component!r} does not exist")
    reasons = {
        errno.ELOOP: "is a symlink (not followed)",
        errno.ENOTDIR: "is not a directory",
        errno.ENAMETOOLONG: "name is too long",
        errno.EISDIR: "is a directory",
    }
    why = reasons.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return UnsafePath(f"{rel!r}: {component!r} {why} ({what})")


def lstat_at(dir_fd: int, name: str, rel: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_failure(exc, rel, name, "lstat") from None


def _open_root(root: Path) -> int:
    # The root is the caller's own directory (a sandbox it made), so it is opened as given.
    # A missing root is an error, never "the file is missing".
    try:
        return os.open(os.fspath(root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise UnsafePath(f"root {str(root)!r} cannot be opened: {exc.strerror or exc}") from None


def _step(fd: int, name: str, rel: str, create: bool) -> int:
    """Open directory `name` beneath `fd` without following it; optionally create it."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except FileNotFoundError:
        if not create:
            raise FileNotFoundError(errno.ENOENT, f"{rel!r}: {name!r} does not exist") from None
    except OSError as exc:
        raise _classify(exc, fd, name, rel) from None
    try:
        os.mkdir(name, 0o755, dir_fd=fd)
    except FileExistsError:
        pass  # made concurrently; the open below refuses it if it is not a real directory
    except OSError as exc:
        raise os_failure(exc, rel, name, "mkdir") from None
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except OSError as exc:
        raise _classify(exc, fd, name, rel) from None


def _classify(exc: OSError, fd: int, name: str, rel: str) -> Exception:
    """Name the reason a directory open failed, looking at what the component is."""
    st = lstat_at(fd, name, rel) if exc.errno in (errno.ELOOP, errno.ENOTDIR) else None
    if st is not None and stat.S_ISLNK(st.st_mode):
        return UnsafePath(f"{rel!r}: {name!r} is a symlink (not followed)")
    if st is not None and not stat.S_ISDIR(st.st_mode):
        return UnsafePath(f"{rel!r}: {name!r} is a {kind_of(st.st_mode)}, not a directory")
    return os_failure(exc, rel, name, "open directory")


def _open_parts(root: Path, parts: list[str], rel: str, create: bool = False) -> int:
    fd = _open_root(root)
    try:
        for name in parts:
            nxt = _step(fd, name, rel, create)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def open_dir(root: Path, rel: str = ".", *, create: bool = False) -> Iterator[int]:
    """A directory fd for `rel` beneath `root`, every component a real directory."""
    fd = _open_parts(root, split(rel), rel, create)
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def open_parent(root: Path, rel: str, create: bool = False) -> Iterator[tuple[int, str]]:
    parts = split(rel)
    if not parts:
        raise UnsafePath(f"{rel!r}: names the root, not a file")
    fd = _open_parts(root, parts[:-1], rel, create)
    try:
        yield fd, parts[-1]
    finally:
        os.close(fd)


def lstat(root: Path, rel: str) -> os.stat_result | None:
    """lstat of `rel` (a symlink leaf is described, not followed); None if it is missing."""
    parts = split(rel)
    if not parts:
        with open_dir(root) as fd:
            return os.fstat(fd)
    try:
        with open_parent(root, rel) as (fd, name):
            return lstat_at(fd, name, rel)
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def open_read(root: Path, rel: str, *, allow_hardlinks: bool = False) -> Iterator[int]:
    """A blocking read fd on regular file `rel`, opened without following anything."""
    with open_parent(root, rel) as (dfd, name):
        st = lstat_at(dfd, name, rel)
        if st is None:
            raise FileNotFoundError(errno.ENOENT, f"{rel!r}: {name!r} does not exist")
        _require_file(st, rel, name, allow_hardlinks)
        try:  # O_NONBLOCK: a FIFO swapped in after the lstat cannot block the open
            fd = os.open(name, _READ_FLAGS, dir_fd=dfd)
        except OSError as exc:
            raise os_failure(exc, rel, name, "open") from None
    try:
        st2 = os.fstat(fd)
        if (st2.st_dev, st2.st_ino) != (st.st_dev, st.st_ino):
            raise UnsafePath(f"{rel!r}: {name!r} was replaced while being opened")
        _require_file(st2, rel, name, allow_hardlinks)
        os.set_blocking(fd, True)
        yield fd
    finally:
        os.close(fd)


def read_bytes(root: Path, rel: str, limit: int | None = None, *,
               allow_hardlinks: bool = False) -> bytes:
    """The content of regular file `rel`; TooLarge if it holds more than `limit` bytes."""
    with open_read(root, rel, allow_hardlinks=allow_hardlinks) as fd:
        return _read_fd(fd, rel, limit)


def readlink(root: Path, rel: str) -> str:
    """The target text of symlink `rel` (never followed); UnsafePath if it is no symlink."""
    with open_parent(root, rel) as (dfd, name):
        try:
            return os.readlink(name, dir_fd=dfd)
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, f"{rel!r}: {name!r} does not exist") from None
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                raise UnsafePath(f"{rel!r}: {name!r} is not a symlink") from None
            raise os_failure(exc, rel, name, "readlink") from None


def link_stays_inside(rel: str, target: str) -> bool:
    """Whether a symlink at `rel` pointing to `target` can only ever resolve beneath the root.

    True for relative targets whose `..` components all lead (`../../pkg/x`) and climb no
    higher than the link's own directory. `..` after a name is refused because the name may
    itself be a symlink (`s -> .` makes `s/s/..` leave the root); with the rule applied to
    every link in a tree, each resolution climbs only through real directories."""
    if not target or target.startswith("/") or "\x00" in target:
        return False
    parts = [p for p in target.split("/") if p not in ("", ".")]
    ups = 0
    while ups < len(parts) and parts[ups] == "..":
        ups += 1
    if ".." in parts[ups:]:
        return False
    try:
        depth = len(split(rel)) - 1
    except UnsafePath:
        return False
    return ups <= depth


def _require_file(st: os.stat_result, rel: str, name: str, allow_hardlinks: bool) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePath(f"{rel!r}: {name!r} is a {kind_of(st.st_mode)}, not a regular file")
    if st.st_nlink > 1 and not allow_hardlinks:
        raise UnsafePath(
            f"{rel!r}: {name!r} has {st.st_nlink} hard links (may alias a file outside)")


def _read_fd(fd: int, rel: str, limit: int | None) -> bytes:
    chunks, total = [], 0
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError as exc:
            raise os_failure(exc, rel, rel, "read") from None
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if limit is not None and total > limit:
            raise TooLarge(f"{rel!r}: larger than {limit} bytes")
        chunks.append(chunk)


def read_text(root: Path, rel: str, limit: int | None = None) -> str:
    """read_bytes decoded as UTF-8 with replacement characters for bad bytes."""
    return read_bytes(root, rel, limit).decode("utf-8", "replace")


def listdir(root: Path, rel: str = ".") -> list[tuple[str, str]]:
    """Sorted (name, kind) entries of directory `rel`; kind as kind_of()."""
    with open_dir(root, rel) as fd:
        return sorted(_entries(fd, rel))


def _entries(fd: int, rel: str) -> Iterator[tuple[str, str]]:
    try:
        names = os.listdir(fd)
    except OSError as exc:
        raise os_failure(exc, rel, rel, "list directory") from None
    for name in names:
        st = lstat_at(fd, name, rel)
        if st is not None:
            yield name, kind_of(st.st_mode)


MAX_WALK_DEPTH = 100  # directories deeper than this are not descended (bounded fds and time)


def walk(root: Path, rel: str = ".", *, skip_dirs: Iterable[str] = ()) -> Iterator[str]:
    """Root-relative POSIX paths of the regular files beneath `rel`, depth first, sorted.

    Symlinked directories are listed as symlinks and never descended; directories named in
    `skip_dirs` (e.g. '.git', '__pycache__') are pruned. Iterative over a stack of
    directory fds (each opened O_NOFOLLOW from its parent's fd), so a hostile tree costs
    linear time; directories more than MAX_WALK_DEPTH levels down are not descended, so at
    most that many fds are open and no path passes PATH_MAX unnoticed."""
    skip = frozenset(skip_dirs)
    start = "/".join(split(rel))
    stack: list[tuple[int, str, list[tuple[str, str]]]] = []
    try:
        fd = _open_parts(root, split(rel), rel)
        stack.append((fd, start, sorted(_entries(fd, rel))[::-1]))
        while stack:
            fd, prefix, pending = stack[-1]
            if not pending:
                os.close(stack.pop()[0])
                continue
            name, kind = pending.pop()
            path = f"{prefix}/{name}" if prefix else name
            if kind == "file":
                yield path
            elif kind == "dir" and name not in skip and len(stack) < MAX_WALK_DEPTH:
                try:
                    sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError:
                    continue  # replaced by a symlink or removed since the listing
                try:
                    listing = sorted(_entries(sub, path))[::-1]
                except UnsafePath:  # unreadable (a jailed process may chmod 000 its dirs)
                    os.close(sub)
                    continue
                stack.append((sub, path, listing))
    finally:
        for fd, _, _ in stack:
            os.close(fd)
