"""The mutation check's findings: which changed lines a test would notice (issue 30,
item 2; governance.proof.mutation makes the mutants, governance.oracle.mutation_plugin
judges them, governance.phases.mutation_check runs the two).

A mutant is *killed* when a test that ran its line fails with it (or hangs, or crashes),
*survived* when every such test still passes. A line is covered but unchecked when every
mutant of it survived: it ran, but nothing checked it.
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
            lines.setdefault((r.file, r.line), []).append(r)
        return [found[0] for found in lines.values()
                if all(r.outcome == "survived" for r in found)]

    def payload(self) -> dict:
        return {"seconds": round(self.seconds, 3), "problem": self.problem,
                "killed": sum(r.outcome == "killed" for r in self.results),
                "survived": [f"{r.file}:{r.line} ({r.what})" for r in self.survivors()],
                "untested": sum(r.outcome == "untested" for r in self.results)}
