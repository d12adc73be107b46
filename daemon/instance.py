"""One daemon per state dir: a POSIX record lock on `<state>/daemon.lock`, held for life.

A record lock (fcntl F_SETLK, through `lockf`) belongs to the process that took it: a
forked child does not inherit it, so an orphan caught between fork and exec cannot keep a
dead daemon's lock, and the kernel drops it when the daemon dies, however it dies (kill -9
included). Start-up recovery runs only after the lock is taken, so two daemons started at
the same instant can never both repair (or both serve) the same repository.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import stat
import struct
from collections.abc import Callable
from pathlib import Path

from daemon.errors import AlreadyRunning
from governance.git.index_sync import process_alive


class InstanceLock:
    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning naming the holder's pid."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(f"another daemon (pid {holder}) is already running on this "
                                 f"repository (lock {self.path})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing drops the record lock
            self._fd = None


def refuse_if_served(sock: Path) -> None:
    """Raise AlreadyRunning if a live process listens on `sock`. The lock covers other
    processes; this covers a second daemon in the same process (POSIX record locks do not
    conflict within one process). A socket held only by an orphan forked by a killed
    daemon counts as stale: SO_PEERCRED names the process that listened, and it is dead."""
    if not (sock.exists() or sock.is_symlink()):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(sock))
            creds = probe.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                     struct.calcsize("3i"))
        except OSError:
            return  # nobody listens: a stale socket from a dead daemon
    listener = struct.unpack("3i", creds)[0]
    if listener and not process_alive(listener):
        return
    raise AlreadyRunning(f"another daemon is already serving {sock} (pid {listener})")


def state_dir_problem(root: Path, state_dir: Path,
                      tracked: Callable[[str], list[str]]) -> str | None:
    """Why the daemon must not use `state_dir`, or None. Inside the repository the state dir
    is the daemon's own, never the repository's: a committed `.ouroboros` (a symlink out of
    the tree, a rollback manifest, a ledger) would otherwise steer start-up recovery — read
    host files into the repo, delete files, or forge ledger rows. So no component of it may
    be a symlink or a non-directory, and git may track nothing under it."""
    try:
        rel = Path(os.path.abspath(state_dir)).relative_to(os.path.abspath(root))
    except ValueError:
        return None  # outside the repository: the operator's own directory
    here = Path(os.path.abspath(root))
    for part in rel.parts:
        here = here / part
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            break  # the rest is created by the daemon itself
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            kind = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a directory"
            return (f"the state dir {state_dir} is unsafe: {here} is {kind}; the daemon never "
                    "uses a state dir the repository could have made (remove it, or set "
                    "[daemon] state_dir outside the repository)")
    if rel.parts and (files := tracked(rel.as_posix())):
        return (f"the repository tracks {len(files)} file(s) under the state dir {rel} "
                f"(e.g. {files[0]}); the daemon's state must never come from a commit: "
                f"`git rm -r --cached {rel}` or set [daemon] state_dir elsewhere")
    return None
