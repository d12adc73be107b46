"""The mutation check's findings: which changed lines a test would notice (issue 30,
item 2; governance.proof.mutation makes the mutants, governance.oracle.mutation_plugin
judges them, governance.phases.mutation_check runs the two).

A mutant is *killed* when a test that ran its line fails with it (or hangs, or crashes),
*survived* when every such test still passes. A line is covered but unchecked when every
mutant of it survived: it ran, but nothing checked it.

A line that ran only while modules were imported or tests collected (a keyword table, a
class attribute, the body of a decorator a test module applies) ran under no test. Its
mutant is judged *at import*: the switch set before anything is imported, in a fresh
session of the tests that failed before the change and pass now. Killed, it shows those
tests depend on the line (the fix's file is reached, its class or function entered);
survived, it says nothing either way: such lines were never required to be checked.
"""

from __future__ import annotations

from dataclasses import dataclass

MUTANT_TIMEOUT_S = 10.0  # one mutant's tests, in its forked child
MAX_NAMED = 10


@dataclass(frozen=True)
class MutantResult:
    file: str
    line: int
    what: str  # "`>=` to `>`", "statement removed", ...
    outcome: str  # killed | survived | untested (no test ran the line)
    at_import: bool = False  # judged by the fail-to-pass tests in a fresh session


@dataclass(frozen=True)
class MutationReport:
    results: tuple[MutantResult, ...] = ()
    problem: str | None = None  # the check itself could not run
    seconds: float = 0.0

    def survivors(self) -> list[MutantResult]:
        """One per line whose every mutant survived (a line's second mutant stands in for
        a first that may be equivalent: governance.proof.mutation)."""
        lines: dict[tuple[str, int], list[MutantResult]] = {}
        for r in self.results:
            if r.at_import:
                continue  # evidence when killed, never a finding
            lines.setdefault((r.file, r.line), []).append(r)
        return [found[0] for found in lines.values()
                if all(r.outcome == "survived" for r in found)]

    def payload(self) -> dict:
        return {"seconds": round(self.seconds, 3), "problem": self.problem,
                "killed": sum(r.outcome == "killed" for r in self.results),
                "survived": [f"{r.file}:{r.line} ({r.what})" for r in self.survivors()],
                "untested": sum(r.outcome == "untested" for r in self.results),
                "shown_at_import": [f"{r.file}:{r.line}" for r in self.shown_at_import()]}

    def shown_at_import(self) -> list[MutantResult]:
        """The import-time lines the fail-to-pass tests were shown to depend on."""
        return [r for r in self.results if r.at_import and r.outcome == "killed"]
