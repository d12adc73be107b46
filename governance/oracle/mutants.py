"""The mutation check's findings: which changed lines a test would notice (issue 30,
item 2; governance.proof.mutation makes the mutants, governance.oracle.mutation_plugin
judges them, governance.proof.mutation_run runs the two).

A mutant is *killed* when a test that ran its line fails with it (or hangs, or crashes),
*survived* when every such test still passes. A line is covered but unchecked when every
mutant of it survived: it ran, but nothing checked it.

A line that ran only while modules were imported or tests collected (a keyword table, a
class attribute, the body of a decorator a test module applies) ran under no test. Its
mutant is judged *at import*: the switch set before anything is imported, in a fresh
session of the tests that failed before the change and pass now. Killed, it shows those
tests depend on the line (the fix's file is reached, its class or function entered);
survived, it says nothing either way: such lines were never required to be checked.

A mutant that survived is *equivalent* when the differential check shows the function
around its line answering with it as the candidate does, on every call the tests made and
on inputs generated from them (governance.proof.mutant_equivalence): no test could kill
it, so it says nothing about the tests. A line whose every mutant is equivalent is not
unchecked. One the check shows answering otherwise stays unchecked, and the input is named:
what no test asserts. Equivalent means no difference was found, not that none exists.
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
    outcome: str  # killed | survived | equivalent | untested (no test ran the line)
    at_import: bool = False  # judged by the fail-to-pass tests in a fresh session
    note: str = ""  # equivalent: on how many calls; survived: an input that tells it apart

    def named(self) -> str:
        """`calc.py:20 (`>=` to `>`)`, and what the equivalence check found."""
        return f"{self.file}:{self.line} ({self.what})" + (f": {self.note}" if self.note
                                                           else "")


@dataclass(frozen=True)
class MutationReport:
    results: tuple[MutantResult, ...] = ()
    problem: str | None = None  # the check itself could not run
    seconds: float = 0.0
    equivalence_seconds: float = 0.0  # of `seconds`, spent telling equivalent mutants apart
    # "file:line" of changed statements no mutant judged (past governance.proof.mutation's
    # MAX_MUTANTS in their file): a reason to wait for review, never a pass
    unjudged: tuple[str, ...] = ()

    def survivors(self) -> list[MutantResult]:
        """One per line whose every mutant survived and not every one is equivalent (a
        line's second mutant stands in for a first that may be equivalent:
        governance.proof.mutation): the one the equivalence check told apart, if any."""
        return [sorted(found, key=lambda r: (r.outcome != "survived", not r.note))[0]
                for found in self._lines().values()
                if all(r.outcome in ("survived", "equivalent") for r in found)
                and any(r.outcome == "survived" for r in found)]

    def equivalent(self) -> list[MutantResult]:
        """The mutants of lines whose every mutant is equivalent."""
        return [r for found in self._lines().values()
                if all(r.outcome == "equivalent" for r in found) for r in found]

    def _lines(self) -> dict[tuple[str, int], list[MutantResult]]:
        lines: dict[tuple[str, int], list[MutantResult]] = {}
        for r in self.results:
            if r.at_import:
                continue  # evidence when killed, never a finding
            lines.setdefault((r.file, r.line), []).append(r)
        return lines

    def payload(self) -> dict:
        return {"seconds": round(self.seconds, 3), "problem": self.problem,
                "killed": sum(r.outcome == "killed" for r in self.results),
                "survived": [r.named() for r in self.survivors()],
                "equivalent": [r.named() for r in self.equivalent()],
                "equivalence_seconds": round(self.equivalence_seconds, 3),
                "untested": sum(r.outcome == "untested" for r in self.results),
                "unjudged": list(self.unjudged),
                "shown_at_import": [f"{r.file}:{r.line}" for r in self.shown_at_import()]}

    def shown_at_import(self) -> list[MutantResult]:
        """The import-time lines the fail-to-pass tests were shown to depend on."""
        return [r for r in self.results if r.at_import and r.outcome == "killed"]
