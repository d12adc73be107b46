"""Which functions a fail-to-pass test enters, as the proof counts them (governance.proof.
rules' coverage rule; the missing-test step asks only about what this leaves out,
governance.proof.missing_test_rules). Pure: a file's texts, coverage and the import-time
mutants in, symbols out."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from governance.oracle.mutants import MutantResult
from governance.oracle.oracle import Coverage
from governance.proof.moved import Text
from governance.proof.symbols import added_classes, enclosing, symbol_of_line


def entered(f: Text, reports: Sequence[Coverage], f2p: AbstractSet[str],
            at_import: Sequence[MutantResult]) -> set[str]:
    """The symbols of `f` (its candidate text) a test of `f2p` ran a line of; a class body
    or decorator that ran at import, where an import-time mutant of one of its lines was
    killed by those tests (they depend on it), with what encloses it; and a class the
    change adds whose method one of them enters (it had no behaviour to keep)."""
    assert f.new is not None
    owner = symbol_of_line(f.new)
    found = {owner(n) for cov in reports for n, tests in cov.lines.get(f.path, {}).items()
             if tests & f2p}
    found |= {sym for r in at_import if r.file == f.path for sym in enclosing(owner(r.line))}
    found |= {c for c in added_classes(f.old, f.new) if any(e.startswith(f"{c}.")
                                                             for e in found)}
    return found
