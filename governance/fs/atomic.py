"""Atomic file writes: temp file in the same directory, fsync, rename, fsync the directory.

For the daemon's own files (rollback snapshots and manifests) at paths it chose. The live
tree is never written through here: APPLY and rollback use governance.fs.nofollow, which
refuses a symlink anywhere on the way. Temp files are `.<name>.<random>.tmp` in both, the
pattern crash recovery removes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from governance.crashpoints import crashpoint


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data`: a reader (or a crash) sees the old or new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        crashpoint("atomic_before_rename", str(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def write_text(path: Path, text: str, mode: int | None = None) -> None:
    write_bytes(path, text.encode("utf-8"), mode)


def remove(path: Path) -> None:
    """Delete `path` if present and make the deletion durable."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    _fsync_dir(path.parent)
