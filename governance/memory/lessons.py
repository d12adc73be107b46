"""Session lessons (seed §49, refinements R8 and R18): one line per finished op of this daemon
run, shown to the model before GENERATE so the next op can avoid a mistake or build on a
success:

    [OK] <goal> (<file>)
    [FAIL:<class>] <goal> — <why> (<file>)

Rules (all here, as data and small pure functions):
- The class is governance.memory.memory's failure class. Only ops whose outcome is about the code
  teach (LESSON_CLASSES): a landed op, a candidate VALIDATE refused, one that was rolled back
  after its tests broke, an unusable reply. Infrastructure teaches nothing (R8): a timeout, a
  cancel, a block, and whatever terminal transition says it ended for a reason not about the
  code (its `infra`: a provider failure, no turn at the model, a collapse, L2 stopped by its
  provider or an environment failure, a daemon error); such an op leaves no lesson and is
  not counted below.
- At most `cap` (20) lessons; the oldest goes first.
- Convergence (R18): the ops that teach are tallied by whether lessons were in their prompt.
  Every `interval` (10) ops run with lessons, the success rate of those ops is compared with
  the rate of the ops run without any; when it is lower, the lessons made things worse: the
  buffer is cleared and the with-lessons tally starts afresh (the new lessons get a fresh
  trial; the baseline keeps growing).
- The baseline, and where this departs from the seed: the seed compares with the ops before
  the first lesson, but the first op that ends teaches, so that baseline is one op, and a
  bench run (bench/grounding.py) cleared the buffer at 19 of 19 checkpoints against it. So
  one op in `holdout` (5, chosen by a hash of the op id, the same on every retry) runs
  without lessons: a small, steady control group. A checkpoint clears only once that group
  has MIN_BASELINE (5) ops; before, the lessons are kept and the checkpoint says why.
- Goals, reasons and paths come from hostile repository files and model replies: a lesson is
  one line (control, format and line-separator characters become spaces), each part is
  capped, and the line is capped at MAX_LINE. Lessons are advisory: prompt text only; they
  never change a tier, a gate or a check.

The buffer lives in the daemon (one per run, not persisted as a buffer). governance.memory.memory
writes each lesson and each checkpoint to the ledger as a thought, and `replay` rebuilds a
run's buffer from those rows (what `ouroboros stats` shows).
"""

from __future__ import annotations

import unicodedata
import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LESSON_CLASSES = frozenset({"", "validation_failed", "rolled_back", "model"})
MAX_GOAL = 100
MAX_WHY = 120
MAX_FILE = 80
MAX_LINE = 300
MIN_BASELINE = 5
HOLDOUT = 5
THOUGHT_LESSON = "lesson"
THOUGHT_CHECK = "lessons checkpoint"


def one_line(text: object, cap: int) -> str:
    """`text` as one printable line of at most `cap` characters: every control, format,
    surrogate, private or unassigned character and every line or paragraph separator
    becomes a space, runs of whitespace collapse."""
    out = "".join(" " if unicodedata.category(ch)[0] == "C" or
                  unicodedata.category(ch) in ("Zl", "Zp") else ch for ch in str(text))
    out = " ".join(out.split())
    return out if len(out) <= cap else out[: cap - 1] + "…"


def lesson(goal: str, files: Iterable[str], failure_class: str, reason: str,
           infra: bool = False) -> str | None:
    """The lesson one finished op teaches, or None when it teaches nothing: its failure
    class is not one that teaches, or its terminal transition says it ended for a reason
    not about the code (R8: governance.phase.Transition.infra)."""
    if infra or failure_class not in LESSON_CLASSES:
        return None
    names = list(dict.fromkeys(files))  # the first target first
    where = one_line(names[0], MAX_FILE) if names else "no file"
    if len(names) > 1:
        where += f" +{len(names) - 1} more"
    what = one_line(goal, MAX_GOAL) or "(no goal)"
    if failure_class == "":
        line = f"[OK] {what} ({where})"
    else:
        line = f"[FAIL:{failure_class}] {what} — {one_line(reason, MAX_WHY) or '-'} ({where})"
    return one_line(line, MAX_LINE)


@dataclass(frozen=True)
class Checkpoint:
    """One convergence check: the rates compared and whether the buffer was cleared."""

    with_hits: int
    with_n: int
    without_hits: int
    without_n: int
    cleared: bool
    why: str

    @property
    def rate_with(self) -> float:
        return self.with_hits / self.with_n

    @property
    def rate_without(self) -> float | None:
        return self.without_hits / self.without_n if self.without_n else None

    def describe(self) -> dict[str, Any]:
        without = self.rate_without
        return {"rate_with": round(self.rate_with, 4),
                "rate_without": None if without is None else round(without, 4),
                "with": [self.with_hits, self.with_n],
                "without": [self.without_hits, self.without_n], "cleared": self.cleared,
                "why": self.why}


@dataclass
class Lessons:
    """The buffer of one daemon run (the session) and its convergence tallies."""

    session: str
    cap: int  # governance.lessons_max (the settings hold the defaults)
    interval: int  # governance.lessons_check_interval
    holdout: int = HOLDOUT  # one op in this many goes without lessons (0: none does)
    _lines: deque[str] = field(init=False)
    with_tally: list[int] = field(default_factory=lambda: [0, 0])  # [hits, n]
    without_tally: list[int] = field(default_factory=lambda: [0, 0])
    cleared: int = 0  # how many times R18 cleared the buffer this run

    def __post_init__(self) -> None:
        if self.cap < 1 or self.interval < 1 or self.holdout < 0:
            raise ValueError(f"lessons need cap >= 1, interval >= 1 and holdout >= 0 (got "
                             f"{self.cap}, {self.interval}, {self.holdout})")
        self._lines = deque(maxlen=self.cap)

    def lines(self) -> list[str]:
        """The buffer, oldest first."""
        return list(self._lines)

    def for_op(self, op_id: str) -> list[str]:
        """The lessons for this op's prompt: none for a held-out op (the baseline)."""
        if self.holdout and zlib.crc32(op_id.encode()) % self.holdout == 0:
            return []
        return self.lines()

    def observe(self, line: str, landed: bool, shown: bool) -> Checkpoint | None:
        """One teaching op ended: tally it (with lessons in its prompt or not), keep its
        lesson, and every `interval` ops with lessons run the convergence check."""
        tally = self.with_tally if shown else self.without_tally
        tally[0] += landed
        tally[1] += 1
        check = None
        if shown and self.with_tally[1] % self.interval == 0:
            check = self._check()
        self._lines.append(one_line(line, MAX_LINE))
        return check

    def _check(self) -> Checkpoint:
        (wh, wn), (oh, on) = self.with_tally, self.without_tally
        if on < MIN_BASELINE:
            return Checkpoint(wh, wn, oh, on, False,
                              f"kept: only {on} ops without lessons to compare with")
        if wh / wn >= oh / on:
            return Checkpoint(wh, wn, oh, on, False, "kept: not worse than without")
        self._lines.clear()
        self.with_tally = [0, 0]
        self.cleared += 1
        return Checkpoint(wh, wn, oh, on, True, "cleared: ops with lessons landed less often")

    def describe(self) -> dict[str, Any]:
        return {"count": len(self._lines), "cap": self.cap, "cleared": self.cleared,
                "with": list(self.with_tally), "without": list(self.without_tally)}


def replay(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The newest session's buffer rebuilt from its ledger thoughts (`msg`, `data` with
    'session', 'line' and 'cap' / 'cleared'), oldest row first: what `ouroboros stats`
    shows. The cap is the one each lesson row says was in force."""
    rows = [r for r in rows if isinstance(r.get("data"), Mapping)]
    if not rows:
        return {"session": None, "lessons": [], "cleared": 0, "checkpoints": []}
    session = rows[-1]["data"].get("session")
    lines: list[str] = []
    checks: list[dict[str, Any]] = []
    for r in rows:
        data = r["data"]
        if data.get("session") != session:
            continue
        if r.get("msg") == THOUGHT_LESSON and isinstance(data.get("line"), str):
            lines.append(one_line(data["line"], MAX_LINE))
            cap = data.get("cap")
            if isinstance(cap, int) and cap >= 1:
                del lines[:-cap]
        elif r.get("msg") == THOUGHT_CHECK:
            checks.append({k: data.get(k)
                           for k in ("rate_with", "rate_without", "cleared", "why")})
            if data.get("cleared"):
                lines.clear()
    return {"session": session, "lessons": list(lines),
            "cleared": sum(bool(c["cleared"]) for c in checks), "checkpoints": checks}
