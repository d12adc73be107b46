"""TodoScanner: TODO/FIXME/HACK comments in Python files become envelopes.

A marker in a file with uncommitted human edits is held back until the file is clean
(committed): the daemon never works on top of someone's in-progress edit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog

from governance.schemas import SignalEnvelope, Urgency

MARKER = re.compile(r"#\s*(TODO|FIXME|HACK)\b[:\s]*(.*)$")
URGENCY = {"FIXME": Urgency.NORMAL, "TODO": Urgency.LOW, "HACK": Urgency.LOW}
MAX_SCAN_BYTES = 1_000_000
SOURCE = "todo_scanner"

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


def read_source(path: Path) -> str | None:
    """The file's text, or None when it is missing, binary, huge or not UTF-8."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_SCAN_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def envelope_for(rel: str, hits: list[TodoHit], session_id: str) -> SignalEnvelope:
    """One envelope per file, so two ops never race on the same file's markers."""
    listed = "; ".join(f"line {h.line}: {h.marker} {h.text}".rstrip() for h in hits)
    urgency = max((URGENCY[h.marker] for h in hits), key=list(Urgency).index)
    key = hashlib.sha256(f"{rel}\0{listed}".encode()).hexdigest()[:24]
    return SignalEnvelope(
        source=SOURCE, urgency=urgency, target_files=(rel,),
        goal=f"Resolve the {'/'.join(sorted({h.marker for h in hits}))} in {rel} ({listed})",
        confidence=0.8, dedup_key=f"todo:{key}", session_id=session_id,
        evidence={"markers": [h.__dict__ for h in hits]})


Emit = Callable[[SignalEnvelope], Awaitable[bool]]


class TodoSensor:
    def __init__(self, root: Path, session_id: str, emit: Emit,
                 is_dirty: Callable[[list[str]], Awaitable[list[str]]]):
        self.root = root
        self.session_id = session_id
        self.emit = emit
        self.is_dirty = is_dirty
        self.pending: set[str] = set()  # files with markers waiting for a commit

    async def on_paths(self, paths: Iterable[str]) -> None:
        """React to changed repo-relative paths (already debounced)."""
        for rel in sorted({p for p in paths if p.endswith(".py")} | self.pending):
            await self._consider(rel)

    async def on_git_change(self) -> None:
        """A commit or index change may have made held-back files clean."""
        for rel in sorted(self.pending):
            await self._consider(rel)

    async def _consider(self, rel: str) -> None:
        text = read_source(self.root / rel)
        hits = scan_text(text) if text is not None else []
        if not hits:
            self.pending.discard(rel)
            return
        if await self.is_dirty([rel]):
            if rel not in self.pending:
                log.info("todo held until committed", file=rel, markers=len(hits))
            self.pending.add(rel)
            return
        self.pending.discard(rel)
        await self.emit(envelope_for(rel, hits, self.session_id))
