"""line_opcodes: the line diff under the proof analyses, bounded on hostile texts.

difflib's SequenceMatcher (autojunk off) is exact but quadratic in repeated lines (blank
lines are everywhere) and in the number of matching blocks it finds; a candidate can be a
few megabytes. So the common head and tail are cut off first, and a middle too costly to
diff exactly is diffed more coarsely: every coarsening only counts more lines as changed,
never fewer, so a proof built on it can only get harder, never falsely easy.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence

DIFF_BUDGET = 3_000_000  # line pairs one diff may compare; past it, a coarser diff
Opcode = tuple[str, int, int, int, int]


class _TooCostly(Exception):
    """The diff would pass DIFF_BUDGET: a coarser one is taken instead."""


class _BudgetMatcher(difflib.SequenceMatcher):
    """SequenceMatcher (autojunk off) that gives up past DIFF_BUDGET line comparisons: its
    matching is quadratic in repeated lines and in the matching blocks it finds."""

    def __init__(self, a: list[object], b: list[object]) -> None:
        super().__init__(None, a, b, autojunk=False)
        counts = Counter(b)
        self.prefix = [0]
        for line in a:  # comparisons the scan of a[i] costs: b's copies of it, at least one
            self.prefix.append(self.prefix[-1] + max(1, counts.get(line, 0)))
        self.spent = 0

    def find_longest_match(self, alo=0, ahi=None, blo=0, bhi=None):
        ahi = len(self.a) if ahi is None else ahi
        self.spent += self.prefix[ahi] - self.prefix[alo]
        if self.spent > DIFF_BUDGET:
            raise _TooCostly
        return super().find_longest_match(alo, ahi, blo, bhi)


def _keyed(a: list[str], b: list[str]) -> tuple[list[int], list[int]]:
    """Lines as ids, where a blank or repeated line's id also says which line came before
    it: diffing these compares far fewer pairs, and such a line counts as changed when the
    line before it changed (more changed lines, never fewer)."""
    popular = {line for line, n in Counter(b).items() if n > 2}
    ids: dict[tuple[str, int], int] = {}

    def run(lines: list[str]) -> list[int]:
        out, before = [], -1
        for line in lines:
            common = line in popular or not line.strip()
            out.append(ids.setdefault((line, before if common else -1), len(ids)))
            before = out[-1] if line.strip() else before
        return out

    return run(a), run(b)


def common_ends(a: Sequence[str], b: Sequence[str]) -> tuple[int, int]:
    """How many leading and (then) trailing lines two texts share: diffs run on the rest."""
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, tail


def line_opcodes(a: list[str], b: list[str]) -> list[Opcode]:
    """difflib's opcodes (autojunk off) for two texts' lines, the common head and tail cut
    off first. A middle too costly to diff exactly is diffed by _keyed ids or, if that is
    still too costly, not at all: then all of it counts as changed."""
    head, tail = common_ends(a, b)
    mid_a, mid_b = a[head:len(a) - tail], b[head:len(b) - tail]
    ops: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    middle = [("replace", 0, len(mid_a), 0, len(mid_b))] if mid_a or mid_b else []
    for x, y in ((mid_a, mid_b), _keyed(mid_a, mid_b)):
        try:
            middle = _BudgetMatcher(x, y).get_opcodes()
            break
        except _TooCostly:
            continue
    ops += [(tag, i1 + head, i2 + head, j1 + head, j2 + head)
            for tag, i1, i2, j1, j2 in middle]
    if tail:
        ops.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return ops
