"""File reputation (seed §27) and regression prophecy (§28): what the outcome records say
about the files an op is about to change. Advisory: it can raise an op's tier and put
context in its prompt, never lower a gate or skip a check.

Which outcomes count for a file (COUNTED, by failure class): a COMPLETE op is a success; an
op whose change reached disk and was rolled back ("rolled_back": its tests broke) and one
whose candidates never passed VALIDATE ("validation_failed") are failures, and the first is
also a break. Everything else says nothing about the file (a cancel, a block, a timeout, a
provider or model failure) and is left out. Records older than the TTL (168 h) are left out.

    success_rate = successes / counted                 (1.0 with no counted op)
    fragility    = breaks / counted                    (0.0 with no counted op)
    risk         = (1 - success_rate)*0.3 + fragility*0.3 + (min(dependents, 20)/20)*0.2 + 0.1
    level        = LOW < 0.3 <= MEDIUM < 0.6 <= HIGH < 0.8 <= CRITICAL
    confidence   = min(0.6, counted / 5)               (heuristic: never claims more)

Dependents are capped at 20 (the seed's scale): uncapped, a module imported by 100 files
would be CRITICAL with no failure at all. An op escalates (one tier up, never past
APPROVAL_REQUIRED) when any target's success rate is under 0.5 or its prophecy is HIGH or
CRITICAL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

COUNTED: Mapping[str, tuple[bool, bool]] = {  # failure class -> (success, break)
    "": (True, False),
    "rolled_back": (False, True),
    "validation_failed": (False, False),
}
LOW_SUCCESS = 0.5
LEVELS: tuple[tuple[float, str], ...] = ((0.3, "LOW"), (0.6, "MEDIUM"), (0.8, "HIGH"))
ESCALATING = frozenset({"HIGH", "CRITICAL"})
DEPENDENTS_SCALE = 20
CONFIDENCE_CAP = 0.6


@dataclass(frozen=True)
class FileReputation:
    file: str
    counted: int = 0
    successes: int = 0
    breaks: int = 0

    @property
    def success_rate(self) -> float:
        return self.successes / self.counted if self.counted else 1.0

    @property
    def fragility(self) -> float:
        return self.breaks / self.counted if self.counted else 0.0


@dataclass(frozen=True)
class Prophecy:
    file: str
    risk: float
    level: str
    confidence: float
    reputation: FileReputation
    dependents: int

    @property
    def escalates(self) -> bool:
        return self.level in ESCALATING or self.reputation.success_rate < LOW_SUCCESS

    def caution(self) -> str:
        r = self.reputation
        return (f"{self.file}: {r.counted - r.successes} of its last {r.counted} ops failed "
                f"({r.breaks} rolled back after tests broke); fragility {r.fragility:.2f}, "
                f"{self.dependents} dependent files, regression risk {self.level} "
                f"({self.risk:.2f}). Change it conservatively and run its tests.")


def reputations(records: Iterable[Mapping[str, Any]]) -> dict[str, FileReputation]:
    """Per file, from outcome records (already limited to the TTL window)."""
    tally: dict[str, list[int]] = {}
    for rec in records:
        counted = COUNTED.get(str(rec.get("failure_class", "")))
        if counted is None:
            continue
        success = counted[0] and rec.get("result") == "COMPLETE"
        for file in rec.get("files") or ():
            t = tally.setdefault(str(file), [0, 0, 0])
            t[0] += 1
            t[1] += success
            t[2] += counted[1]
    return {f: FileReputation(f, *t) for f, t in tally.items()}


def level_of(risk: float) -> str:
    for below, name in LEVELS:
        if risk < below:
            return name
    return "CRITICAL"


def prophecy(rep: FileReputation, dependents: int) -> Prophecy:
    risk = ((1.0 - rep.success_rate) * 0.3 + rep.fragility * 0.3
            + min(dependents, DEPENDENTS_SCALE) / DEPENDENTS_SCALE * 0.2 + 0.1)
    return Prophecy(rep.file, round(risk, 6), level_of(risk),
                    min(CONFIDENCE_CAP, rep.counted / 5), rep, dependents)
