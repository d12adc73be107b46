"""How many cases the corpus suites run (the hostile and quiet-harm candidates, the hostile
repairs): in CI a fixed share of each stratum, so the whole suite keeps to its 15 minutes;
every case with OUROBOROS_TRIALS=full (`make test-full`), as before each release.

The share is chosen by a hash of each case's name, not at random: a CI failure names a case
that fails again on the next run, and the same cases run on every machine."""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")

FULL = os.environ.get("OUROBOROS_TRIALS", "").lower() == "full"
# of each stratum: 0.4 until CI neared its 15 minutes (911 s at stop 38), 0.3 until the suite
# took 23 min on a 2-core AVX2 EPYC (quiet harm 40 of 123 cases in 47 s, hostile candidates
# 54 of 172 in 33 s); at 0.15 they ran 27 and 30 (CI_LEAST keeps the small strata), 0.1
# once the suite neared 15 minutes again (15:11 on a quiet 2-core EPYC at stop 57); each
# stratum's least 2, then 1 (15:42 at stop 57's end: quiet harm 27 cases became 19)
CI_SHARE = 0.1
CI_LEAST = 1  # cases of each stratum, however small


def _rank(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def chosen(cases: Sequence[T], name: Callable[[T], str], stratum: Callable[[T], Hashable],
           keep: Iterable[str] = (), share: float = CI_SHARE) -> list[T]:
    """`cases` in their order: all with FULL, else `share` of each stratum (at least
    CI_LEAST), and every case named in `keep` (a warm-up wave)."""
    if FULL:
        return list(cases)
    groups: dict[Hashable, list[T]] = defaultdict(list)
    for c in cases:
        groups[stratum(c)].append(c)
    picked = set(keep)
    for members in groups.values():
        ranked = sorted(members, key=lambda c: _rank(name(c)))
        size = max(CI_LEAST, round(len(members) * share))
        picked.update(name(c) for c in ranked[:size])
    return [c for c in cases if name(c) in picked]


def said(run: Sequence[object], every: Sequence[object]) -> str:
    """'41 of 103 (OUROBOROS_TRIALS=full runs all)' or 'all 103'."""
    if len(run) == len(every):
        return f"all {len(every)}"
    return f"{len(run)} of {len(every)} (OUROBOROS_TRIALS=full runs all)"
