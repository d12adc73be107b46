"""TodoScanner: TODO/FIXME/HACK comments in Python files become envelopes.

A marker in a file with uncommitted human edits is held back until the file is clean
(committed): the daemon never works on top of someone's in-progress edit.

"Could not look" is never read as "nothing to do": a file that exists but cannot be read
(EMFILE, EIO, EACCES, ...) or whose git state cannot be asked raises instead of looking
empty; the sensor retries it with a short bounded backoff, and if it still fails the file
stays pending, is logged, and is looked at again on the next file or git event (the watcher
also sends a periodic one). Only a file that is gone, not a regular file, binary, huge or
not UTF-8 counts as having no markers.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import re
import stat
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from governance.schemas import MAX_FOCUS_LINES, SignalEnvelope, Source, Urgency
from sensors.errors import SourceReadError

MARKER = re.compile(r"#\s*(TODO|FIXME|HACK)\b[:\s]*(.*)$")
URGENCY = {"FIXME": Urgency.NORMAL, "TODO": Urgency.LOW, "HACK": Urgency.LOW}
MAX_SCAN_BYTES = 1_000_000
SOURCE = Source.TODO
RETRY_DELAYS_S = (0.1, 0.5, 2.0)  # after a failed look, within one batch; then "pending"
# open() errors that mean "there is no readable source here", not "could not read it now"
NOT_A_SOURCE = {errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.ENXIO, errno.ENAMETOOLONG}

log = structlog.get_logger("sensors.todo")


@dataclass(frozen=True)
class TodoHit:
    line: int
    marker: str
    text: str


def scan_text(text: str) -> list[TodoHit]:
    hits = []
    for n, line in enumerate(text.splitlines(), 1):
        m = MARKER.search(line)
        if m:
            hits.append(TodoHit(n, m.group(1), m.group(2).strip()))
    return hits


def read_source(path: Path, root: Path | None = None) -> str | None:
    """The file's text, or None when it is not a scannable source: missing, a symlink (the
    file it names is scanned under its own name; a link out of the repo is never read), not
    a regular file (a FIFO is never opened for a blocking read), outside `root` through a
    symlinked parent, binary, huge or not UTF-8.
    Raises SourceReadError when the file is there but reading it failed."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode) or not _inside(path, root):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in NOT_A_SOURCE:
            return None
        raise SourceReadError(path, exc) from exc
    try:
        info = os.fstat(fd)  # what was opened, not what was stat'ed a moment ago
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SCAN_BYTES:
            return None
        data = _read_at_most(fd, MAX_SCAN_BYTES + 1)
    except OSError as exc:
        raise SourceReadError(path, exc) from exc
    finally:
        os.close(fd)
    if len(data) > MAX_SCAN_BYTES or b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime_ns) of the file itself (never through a symlink); None: gone."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _inside(path: Path, root: Path | None) -> bool:
    return root is None or Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0 and (chunk := os.read(fd, min(left, 1 << 16))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def is_source_path(rel: str) -> bool:
    """A Python file whose name is valid UTF-8 (the watcher hands on undecodable names as
    surrogate escapes; such a module cannot be imported and its name cannot be logged)."""
    if not rel.endswith(".py"):
        return False
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        log.info("todo scan skips a file whose name is not UTF-8", file=ascii(rel))
        return False
    return True


def envelope_for(rel: str, hits: list[TodoHit], session_id: str) -> SignalEnvelope:
    """One envelope per file, so two ops never race on the same file's markers."""
    listed = "; ".join(f"line {h.line}: {h.marker} {h.text}".rstrip() for h in hits)
    urgency = max((URGENCY[h.marker] for h in hits), key=list(Urgency).index)
    key = hashlib.sha256(f"{rel}\0{listed}".encode()).hexdigest()[:24]
    return SignalEnvelope(
        source=SOURCE, urgency=urgency, target_files=(rel,),
        goal=f"Resolve the {'/'.join(sorted({h.marker for h in hits}))} in {rel} ({listed})",
        confidence=0.8, dedup_key=f"todo:{key}", session_id=session_id,
        focus_lines=tuple(h.line for h in hits[:MAX_FOCUS_LINES]),
        evidence={"markers": [h.__dict__ for h in hits]})


Emit = Callable[[SignalEnvelope], Awaitable[bool]]


class TodoSensor:
    def __init__(self, root: Path, session_id: str, emit: Emit,
                 is_dirty: Callable[[list[str]], Awaitable[list[str]]],
                 retry_delays_s: Sequence[float] = RETRY_DELAYS_S):
        self.root = root
        self.session_id = session_id
        self.emit = emit
        self.is_dirty = is_dirty
        self.retry_delays_s = tuple(retry_delays_s)
        self.pending: set[str] = set()  # files with markers waiting for a commit, or unread
        self.unreadable: dict[str, str] = {}  # pending because the last look failed: why
        self._reported: dict[str, str] = {}  # the error last logged per file
        self.problem: str | None = None  # unreadable files are logged and retried per file
        # file -> (its stamp when read, its markers then): what a rescan need not read again
        self._read: dict[str, tuple[tuple[int, int, int], list[TodoHit]]] = {}

    async def on_paths(self, paths: Iterable[str]) -> None:
        """React to changed repo-relative paths (already debounced)."""
        fresh = {p for p in paths if p.endswith(".py") and p not in self.pending}
        await self._consider_all(sorted({p for p in fresh if is_source_path(p)}
                                        | self.pending), trust_stamps=False)

    async def scan_once(self, files: Iterable[str]) -> int:
        """Look at every source file named (the daemon passes git's listed files): markers
        already committed when the daemon starts are picked up, and the slow safety-net poll
        catches events the watcher missed. Reading happens off the event loop; files with
        markers then go through the same path as an event. A file whose inode, size and
        mtime are those it was last read with is not read again: its markers are those it
        had, so a rescan of an unchanged tree costs a stat per file (bench/rescan.py).
        Returns how many had markers."""
        rels = sorted({p for p in files if is_source_path(p)})
        marked = await asyncio.to_thread(self._with_markers, rels)
        await self._consider_all(sorted(set(marked) | self.pending), trust_stamps=True)
        return len(marked)

    def _with_markers(self, rels: list[str]) -> list[str]:
        out = []
        for rel in rels:
            try:
                hits = self._hits_of(rel, trust_stamps=True)
            except SourceReadError:
                out.append(rel)  # _consider_all retries it and reports why
                continue
            if hits:
                out.append(rel)
        return out

    def _hits_of(self, rel: str, trust_stamps: bool) -> list[TodoHit]:
        """The file's markers; with `trust_stamps`, those of its last reading while its
        inode, size and mtime are the same (an event reads: a same-size rewrite within the
        timestamp's granularity keeps its mtime). The stamp is taken before the read, so a
        change during it is read again next time. SourceReadError: could not read."""
        stamp = file_stamp(self.root / rel)
        cached = self._read.get(rel)
        if trust_stamps and stamp is not None and cached is not None and cached[0] == stamp:
            return cached[1]
        text = read_source(self.root / rel, self.root)
        hits = scan_text(text) if text is not None else []
        if stamp is None:
            self._read.pop(rel, None)
        else:
            self._read[rel] = (stamp, hits)
        return hits

    async def on_git_change(self) -> None:
        """A commit or index change may have made held-back files clean."""
        await self._consider_all(sorted(self.pending), trust_stamps=True)

    async def _consider_all(self, rels: list[str], trust_stamps: bool) -> None:
        """Look at each file; retry the failed ones with a bounded backoff; what still
        fails stays pending and is logged, so the next event looks again."""
        failed = await self._look(rels, trust_stamps)
        for delay in self.retry_delays_s:
            if not failed:
                return
            await asyncio.sleep(delay)
            failed = await self._look(sorted(failed), trust_stamps=False)
        for rel, why in failed.items():
            if self._reported.get(rel) != why:  # once per distinct error, not every rescan
                self._reported[rel] = why
                log.warning("todo file could not be read; kept pending for the next event",
                            file=rel, error=why, attempts=1 + len(self.retry_delays_s))

    async def _look(self, rels: list[str], trust_stamps: bool) -> dict[str, str]:
        """One pass; {file: error} for those that could not be looked at."""
        failed: dict[str, str] = {}
        for rel in rels:
            try:
                await self._consider(rel, trust_stamps)
            except Exception as exc:  # a read, git or emit failure: keep it, say why
                why = str(exc) if isinstance(exc, SourceReadError) \
                    else f"{type(exc).__name__}: {exc}"
                failed[rel] = self.unreadable[rel] = why
                self.pending.add(rel)
            else:
                self.unreadable.pop(rel, None)
                self._reported.pop(rel, None)
        return failed

    async def _consider(self, rel: str, trust_stamps: bool) -> None:
        # Off the event loop: a storm of saves must not hold up `status` or the dispatcher.
        hits = await asyncio.to_thread(self._hits_of, rel, trust_stamps)
        if not hits:
            self.pending.discard(rel)
            return
        if await self.is_dirty([rel]):
            if rel not in self.pending:
                log.info("todo held until committed", file=rel, markers=len(hits))
            self.pending.add(rel)
            return
        await self.emit(envelope_for(rel, hits, self.session_id))
        self.pending.discard(rel)  # only once the envelope is out
