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
import struct
from pathlib import Path

from governance.index_sync import process_alive


class AlreadyRunning(OSError):
    """Another live daemon holds this state dir."""


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
