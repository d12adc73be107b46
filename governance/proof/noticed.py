"""Which changed lines the differential check's inputs notice (issue 42: a careless
refactor must not land because no input went where it differs).

Pure: texts in, data out. Each side of a change (the base's statements the change alters or
removes, the candidate's it alters or adds) gets the mutation check's mutants
(governance.proof.mutation), all behind its switch in one text per file, which the replay
runner loads instead of the tree's own (governance.oracle.replay_mutants) and answers the
same inputs with each mutant switched on. A line is noticed when one of its mutants answers
otherwise on one input; a line none of whose mutants does is one the inputs never looked
at, so agreeing on them says nothing about it: `a decimal comma dropped` answers as the
base on every input without a comma, and so does its mutant. Only lines inside functions
are judged: a module-level or class-body line runs at import, before any switch.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from governance.proof.ast_helpers import FUNCS
from governance.proof.boundary_wires import WHAT, Wire
from governance.proof.mutation import Mutant, plan, switched, unplanned
from governance.python_ast import parse_python

BASE_FIRST_ID = 100_001  # the base side's mutant ids (the candidate's count from 1)
MAX_NAMED = 3


@dataclass(frozen=True)
class Side:
    """One tree's mutants and the texts that carry them."""

    name: str  # "base" or "candidate"
    mutants: tuple[Mutant, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)  # file -> switched text
    # (file, line) of changed statements past the mutant cap (governance.proof.mutation's
    # unplanned): no input can be shown to notice them, so they count as unnoticed
    unjudged: tuple[tuple[str, int], ...] = ()

    @property
    def ids(self) -> list[int]:
        return [m.id for m in self.mutants]


def sides(texts: Iterable[tuple[str, str, str]], wires: Sequence[Wire] = ()
          ) -> tuple[Side, Side]:
    """(base side, candidate side) for the changed files' (path, base text, candidate
    text); the candidate's carries `wires` too (governance.proof.boundary_wires), as
    mutants whose `what` is boundary_wires.WHAT, which no line's evidence counts."""
    base: list[Mutant] = []
    cand: list[Mutant] = []
    base_src: dict[str, str] = {}
    cand_src: dict[str, str] = {}
    left: tuple[list[tuple[str, int]], list[tuple[str, int]]] = ([], [])
    for path, old, new in texts:
        left[0].extend((path, n) for n in _lines_in_functions(old, unplanned(new, old, path)))
        left[1].extend((path, n) for n in _lines_in_functions(new, unplanned(old, new, path)))
        mine = _in_functions(new, plan(old, new, path, 1 + max((m.id for m in cand),
                                                                default=0)))
        theirs = _in_functions(old, plan(new, old, path, 1 + max(
            (m.id for m in base), default=BASE_FIRST_ID - 1)))
        tripped = [w for w in wires if w.file == path]
        if mine or tripped:
            # the tripwires first: a surviving mutant answers every input, and the
            # runner's budget for them ran out before a tripwire after it was judged
            cand += [Mutant(w.id, path, w.line, frozenset({w.line}), WHAT)
                     for w in tripped] + mine
            cand_src[path] = switched(new, mine, old, tripped)
        if theirs:
            base += theirs
            base_src[path] = switched(old, theirs, new)
    return (Side("base", tuple(base), base_src, tuple(left[0])),
            Side("candidate", tuple(cand), cand_src, tuple(left[1])))


def unnoticed(side: Side, killed: set[int]) -> list[str]:
    """`file:line (side: what)` for each line of `side` none of whose mutants was killed."""
    lines = _by_line(side)
    return [f"{file}:{line} ({side.name}: {', '.join(m.what for m in ms)})"
            for (file, line), ms in sorted(lines.items())
            if not any(m.id in killed for m in ms)] + [
        f"{file}:{line} ({side.name}: no mutant, past the cap of its file)"
        for file, line in side.unjudged]


def reason(found: Sequence[str]) -> str:
    """The review's sentence for lines no input noticed."""
    named = "; ".join(found[:MAX_NAMED]) + (f" and {len(found) - MAX_NAMED} more"
                                            if len(found) > MAX_NAMED else "")
    return f"no input tried tells a change at these lines from the code as it is: {named}"


def _by_line(side: Side) -> dict[tuple[str, int], list[Mutant]]:
    """Each line's mutants (a tripwire is none: it tells whether a boundary was reached,
    not whether the inputs notice the line)."""
    lines: dict[tuple[str, int], list[Mutant]] = {}
    for m in side.mutants:
        if m.what != WHAT:
            lines.setdefault((m.file, m.line), []).append(m)
    return lines


def _in_functions(text: str, mutants: list[Mutant]) -> list[Mutant]:
    """The mutants on lines inside a function's body (the switch is read as it runs)."""
    inside = set(_lines_in_functions(text, [m.line for m in mutants]))
    return [m for m in mutants if m.line in inside]


def _lines_in_functions(text: str, lines: list[int]) -> list[int]:
    if not lines:
        return []
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    bodies = [range(n.body[0].lineno, (n.end_lineno or n.lineno) + 1)
              for n in ast.walk(tree) if isinstance(n, FUNCS) and n.body]
    return [n for n in lines if any(n in body for body in bodies)]


def told_apart(side: Side, killed: set[int]) -> list[str]:
    """`file:line` of each line of `side` every one of whose mutants some replayed input
    told from the code as it is: for a preserve change, the base is the oracle there
    (governance.proof.rules: a line no test runs, shown preserved)."""
    lines = _by_line(side)
    return [f"{file}:{line}" for (file, line), ms in sorted(lines.items())
            if all(m.id in killed for m in ms)]
