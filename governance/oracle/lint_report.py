"""The lint gate's verdict on one candidate (governance.proof.lint_gate runs it): the
tools that judged, the findings the candidate adds that nothing fixed, and what the
repository's own fixer rewrote (governance.oracle.lint_fix).

A finding left standing does not refuse the candidate: it is a reason the change is not
proven (governance.proof.rules reads `reasons()`), so the change waits on a review branch
with the finding named instead of being thrown away for want of an attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from governance.oracle.lint_fix import Rewrite
from governance.oracle.linters import MAX_KEPT, MAX_NAMED, Finding


@dataclass(frozen=True)
class LintReport:
    judged: tuple[str, ...] = ()  # the tools that ran on both sides
    new: tuple[Finding, ...] = ()  # what the candidate adds and nothing fixed
    skipped: Mapping[str, str] = field(default_factory=dict)  # tool -> why it judged nothing
    seconds: float = 0.0
    problem: str | None = None  # the gate itself could not run: not proven
    fixed: tuple[Finding, ...] = ()  # what the candidate added and its fixer removed
    texts: Mapping[str, str] = field(default_factory=dict)  # file -> its fixed text
    rewritten: tuple[Rewrite, ...] = ()  # the lines the fix changed, file by file
    not_fixed: Mapping[str, str] = field(default_factory=dict)  # file -> why its fix was dropped
    # tool -> why it judged the base and not the candidate: it could not decide, a reason
    unjudged: Mapping[str, str] = field(default_factory=dict)

    def reasons(self) -> list[str]:
        """Why the candidate is not proven ([] when it adds no finding left standing)."""
        if self.problem:
            return [f"the repository's linters could not be run: {self.problem}"]
        out = [f"the repository's linters could not judge the candidate: {name} {why}"[:300]
               for name, why in sorted(self.unjudged.items())]
        if not self.new:
            return out
        named = "; ".join(f.text() for f in self.new[:MAX_NAMED])
        more = len(self.new) - MAX_NAMED
        return [*out, f"the repository's linters find {len(self.new)} new finding(s) nothing "
                f"fixes: {named}" + (f" and {more} more" if more > 0 else "")]

    def payload(self) -> dict:
        out = {"judged": list(self.judged), "skipped": dict(self.skipped),
               "unjudged": dict(self.unjudged),
               "problem": self.problem,
               "new": [f.text() for f in self.new[:MAX_KEPT]],
               "seconds": round(self.seconds, 3)}
        if self.rewritten or self.not_fixed:  # what the fixer did, and what it was not let do
            out |= {"fixed": [f.text() for f in self.fixed[:MAX_KEPT]],
                    "rewritten": [r.record() for r in self.rewritten[:MAX_KEPT]],
                    "not_fixed": dict(self.not_fixed)}
        return out
