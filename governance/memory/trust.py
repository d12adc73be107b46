"""Trust calibration (seed 003): how often work of one kind actually landed, against the
confidence it was stated with. The grounding log is the ledger's outcome records
(replayable: the same records give the same table).

    trust(key) = (1 + hits) / (2 + n)       key = provider x source x route
    brier      = mean((stated confidence - landed)^2)   over records with a confidence
    drift      = trust over the newest DRIFT_WINDOW records - trust over all of them

A record counts when its class is about the work (COUNTED_OUT excludes a cancel or a
block) and its op was decided: a hit is a COMPLETE op, a miss one that ended otherwise. An
op waiting on a review branch (PROPOSED) is neither yet; its human decides. Counting it a
miss would feed on itself: once trust dips under the low-confidence line, the risk rules
send the next proven changes to review, each review lowers trust again, and nothing lands
any more (a two-hour soak went there at trust 0.49: 185 of 961 proven items proposed).

Trust is consulted at CLASSIFY only once a key has MIN_EVIDENCE records, and only
downwards: the confidence the risk rules see is min(stated, trust), so a kind of work that
keeps failing reaches the low-confidence rule sooner; trust never makes an op look safer
than its sensor said.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

COUNTED_OUT = frozenset({"cancelled", "blocked"})
UNDECIDED = frozenset({"PROPOSED"})  # the human's to decide: neither a hit nor a miss
MIN_EVIDENCE = 5
DRIFT_WINDOW = 20
ANY_ROUTE = "*"


@dataclass(frozen=True)
class Trust:
    hits: int = 0
    n: int = 0

    @property
    def value(self) -> float:
        return (1 + self.hits) / (2 + self.n)


def _counted(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in records if str(r.get("failure_class", "")) not in COUNTED_OUT
            and r.get("result") not in UNDECIDED]


def _landed(rec: Mapping[str, Any]) -> bool:
    return rec.get("result") == "COMPLETE"


def key_of(rec: Mapping[str, Any], *, any_route: bool = False) -> tuple[str, str, str]:
    route = ANY_ROUTE if any_route else str(rec.get("route") or "")
    return str(rec.get("provider") or ""), str(rec.get("source") or ""), route


def table(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], Trust]:
    """Per provider x source x route, and per provider x source over every route ('*')."""
    tally: dict[tuple[str, str, str], list[int]] = {}
    for rec in _counted(records):
        for key in (key_of(rec), key_of(rec, any_route=True)):
            t = tally.setdefault(key, [0, 0])
            t[0] += _landed(rec)
            t[1] += 1
    return {k: Trust(*t) for k, t in tally.items()}


def brier(records: Iterable[Mapping[str, Any]]) -> float | None:
    scored = [(float(r["confidence"]), 1.0 if _landed(r) else 0.0)
              for r in _counted(records) if r.get("confidence") is not None]
    if not scored:
        return None
    return sum((c - o) ** 2 for c, o in scored) / len(scored)


def drift(records: list[Mapping[str, Any]]) -> float | None:
    counted = _counted(records)
    if len(counted) < DRIFT_WINDOW:
        return None
    overall = Trust(sum(map(_landed, counted)), len(counted)).value
    recent = counted[-DRIFT_WINDOW:]
    return Trust(sum(map(_landed, recent)), len(recent)).value - overall


def calibrated(stated: float, trust: Trust | None) -> float:
    """The confidence the risk rules see: never above what was stated."""
    if trust is None or trust.n < MIN_EVIDENCE:
        return stated
    return min(stated, trust.value)
