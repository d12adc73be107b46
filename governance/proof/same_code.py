"""Functions a candidate changed that are their base's code all the same: the proof needs no
input to show them preserved, and no mutant of their lines need be told apart (issue 49:
the base as the oracle, at its strongest).

Pure: texts in, spans out. Three shapes, each its own rule:
- governance.proof.renamed: locals renamed one for one;
- governance.proof.extracted: a run of statements moved, unchanged, into a new helper
  (whose lines count as the function's);
- governance.proof.normal_form: one normal form (temporaries inlined where nothing can
  run between the value and its one read, a choice between two branches as an `if`
  statement, constant f-string parts as text; renaming allowed on top).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from governance.proof.extracted import extracted
from governance.proof.normal_form import normal_forms
from governance.proof.renamed import renamed


@dataclass(frozen=True)
class SameCode:
    """A function shown to be its base's code, and the lines it covers in each tree."""

    function: str  # qualname
    base_lines: tuple[range, ...]
    candidate_lines: tuple[range, ...]


@functools.lru_cache(maxsize=8)
def same_code(old: str, new: str) -> tuple[SameCode, ...]:
    """The functions of `new` shown to be their base's code in `old`, each once. Kept for
    the last few pairs of texts: VALIDATE asks it three times of one file (the targets, the
    mutants left out, the lines no test runs), and each asking parses both texts and brings
    every changed function to its normal forms."""
    found: dict[str, SameCode] = {}
    for r in renamed(old, new):
        found.setdefault(r.function, SameCode(r.function, (r.base_lines,),
                                              (r.candidate_lines,)))
    for e in extracted(old, new):
        found.setdefault(e.function, SameCode(e.function, (e.base_lines,), e.candidate_lines))
    for t in normal_forms(old, new):
        found.setdefault(t.function, SameCode(t.function, (t.base_lines,),
                                              (t.candidate_lines,)))
    return tuple(found.values())
