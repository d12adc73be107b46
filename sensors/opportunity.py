"""OpportunityMiner: functions whose cyclomatic complexity is over a threshold become
refactor envelopes (low urgency: an opportunity, never a fault).

Complexity is McCabe's, measured by the `mccabe` package (what flake8's C901 reports): a
nested function counts towards the function that holds it, a method is named
`Class.method`. The threshold is `intake.complexity_threshold` (default 10).

"Changed" is read simply and honestly: on a `.py` file event the whole file is measured, and
a function over the threshold is emitted when its complexity is higher than the last value
this sensor saw for it (a small in-memory map per file and function). An unchanged complex
function is therefore not re-emitted on every save, a function that grew is, and one that
shrank and grew again is. scan_once measures every listed `.py` file once (a file whose
inode, size and mtime are those it was last measured with is not parsed again, so the
safety-net poll costs a stat per file): at start every
function over the threshold is reported once (the memory is not kept across restarts; the
envelope's dedup key, over file, function and complexity, stops the router queueing the same
finding twice while it is queued).

A file that is missing, binary, huge, not UTF-8, or does not parse (a syntax error, nesting
deep enough to exhaust the parser) has no functions to measure: nothing is emitted and its
memory is dropped. A file that exists but cannot be read raises inside the measurement and
is logged; it is looked at again on its next event or the next scan.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import mccabe
import structlog

from governance.python_ast import parse_python
from governance.schemas import SignalEnvelope, Source, Urgency
from sensors.errors import SourceReadError
from sensors.todo import is_source_path, read_source

log = structlog.get_logger("sensors.opportunity")

SOURCE = Source.OPPORTUNITY
CONFIDENCE = 0.7  # the number is exact; whether a refactor pays is a judgement


@dataclass(frozen=True)
class Complexity:
    function: str  # "name" or "Class.method"
    line: int
    complexity: int


def measure(text: str) -> list[Complexity] | None:
    """Every function's complexity, or None when the text is not parseable Python."""
    try:
        tree = parse_python(text)
        visitor = mccabe.PathGraphingAstVisitor()
        visitor.preorder(tree, visitor)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return [Complexity(g.entity, g.lineno, g.complexity()) for g in visitor.graphs.values()]


def envelope_for(rel: str, c: Complexity, threshold: int, session_id: str) -> SignalEnvelope:
    key = hashlib.sha256(f"{rel}\0{c.function}\0{c.complexity}".encode()).hexdigest()[:24]
    return SignalEnvelope(
        source=SOURCE, urgency=Urgency.LOW, target_files=(rel,),
        goal=(f"Refactor {c.function} (line {c.line}) in {rel}: its cyclomatic complexity "
              f"is {c.complexity}, over the threshold of {threshold}; split it into smaller "
              "functions without changing behaviour"),
        confidence=CONFIDENCE, dedup_key=f"opportunity:{key}", session_id=session_id,
        focus_lines=(c.line,),
        evidence={"function": c.function, "line": c.line, "complexity": c.complexity,
                  "threshold": threshold})


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


class OpportunitySensor:
    def __init__(self, root: Path, session_id: str,
                 emit: Callable[[SignalEnvelope], Awaitable[bool]], threshold: int = 10):
        if threshold < 1:
            raise ValueError(f"complexity threshold must be 1 or more, not {threshold}")
        self.root = root
        self.session_id = session_id
        self.emit = emit
        self.threshold = threshold
        self.seen: dict[str, dict[str, int]] = {}  # file -> function -> last complexity
        self.stamps: dict[str, tuple[int, int, int]] = {}  # file -> (inode, size, mtime_ns)
        self.problem: str | None = None  # an unreadable file is logged per file, not here

    async def on_paths(self, paths: Iterable[str]) -> None:
        """An event says the file changed: it is measured whatever its stamp says (a
        same-size rewrite within the filesystem's timestamp granularity keeps its mtime)."""
        await self._measure_and_emit(sorted({p for p in paths if is_source_path(p)}),
                                     trust_stamps=False)

    async def scan_once(self, files: Iterable[str]) -> int:
        """Measure every listed .py file once; returns how many envelopes were emitted."""
        return await self._measure_and_emit(sorted({p for p in files if is_source_path(p)}),
                                            trust_stamps=True)

    async def _measure_and_emit(self, rels: list[str], trust_stamps: bool) -> int:
        if not rels:
            return 0
        measured = await asyncio.to_thread(self._measure_files, rels, trust_stamps)
        emitted = 0
        for rel, found in measured.items():
            for c in self._grown(rel, found):
                await self.emit(envelope_for(rel, c, self.threshold, self.session_id))
                emitted += 1
        return emitted

    def _measure_files(self, rels: list[str], trust_stamps: bool) -> dict[str, list[Complexity]]:
        out: dict[str, list[Complexity]] = {}
        for rel in rels:
            stamp = _stamp(self.root / rel)
            if trust_stamps and stamp is not None and self.stamps.get(rel) == stamp:
                continue  # measured as it is: the same numbers would change nothing
            try:
                text = read_source(self.root / rel, self.root)
            except SourceReadError as exc:  # there but unreadable: keep the memory, retry later
                log.warning("complexity not measured: file unreadable", file=rel, error=str(exc))
                continue
            out[rel] = (measure(text) if text is not None else None) or []
            if stamp is None:
                self.stamps.pop(rel, None)
            else:
                self.stamps[rel] = stamp
        return out

    def _grown(self, rel: str, found: list[Complexity]) -> list[Complexity]:
        """Those over the threshold and higher than last seen; the memory becomes `found`."""
        before = self.seen.get(rel, {})
        grown = [c for c in found
                 if c.complexity > self.threshold and c.complexity > before.get(c.function, 0)]
        if found:
            self.seen[rel] = {c.function: c.complexity for c in found}
        else:
            self.seen.pop(rel, None)
        return grown
