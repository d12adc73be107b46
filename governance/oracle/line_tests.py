"""The tests that ran a line, as the oracle plugin writes them: ranges of indexes into the
session's test order, read back as a set that keeps the ranges.

The plugin records every test that ran each watched line, and writes each distinct set
once (governance/oracle/oracle_plugin.py): `[first, last, first, last, ...]`, inclusive,
-1 standing for "outside any test" (import and collection). A line that ten thousand
tests ran costs a few integers here too: membership is a lookup and a bisection, and only
iterating a set names its tests one by one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set


class LineTests(Set[str | None]):
    """The tests (None: outside any test) that ran a line; a read-only set."""

    __slots__ = ("_firsts", "_index", "_lasts", "_order", "_size")

    def __init__(self, ranges: Sequence[tuple[int, int]], order: Sequence[str],
                 index: Mapping[str, int]):
        self._firsts = tuple(first for first, _ in ranges)
        self._lasts = tuple(last for _, last in ranges)
        self._order, self._index = order, index
        self._size = sum(last - first + 1 for first, last in ranges)

    @classmethod
    def _from_iterable(cls, it: Iterable[str | None]) -> frozenset[str | None]:
        return frozenset(it)  # what `&`, `|` and `-` answer

    def __contains__(self, test: object) -> bool:
        i = -1 if test is None else self._index.get(test) if isinstance(test, str) else None
        if i is None:
            return False
        k = bisect_right(self._firsts, i) - 1
        return k >= 0 and i <= self._lasts[k]

    def __iter__(self) -> Iterator[str | None]:
        for first, last in zip(self._firsts, self._lasts, strict=True):
            for i in range(first, last + 1):
                yield None if i == -1 else self._order[i]

    def __len__(self) -> int:
        return self._size

    __hash__ = Set._hash  # hashable, as the frozenset it stands for

    def __repr__(self) -> str:
        return f"LineTests({sorted(self, key=str)!r})"


def line_tests(sets: Sequence[object], order: Sequence[str]) -> list[LineTests]:
    """The plugin's distinct sets: each list of pairs becomes a LineTests; indexes outside
    the session's tests are dropped, and a set that is not a list of integer pairs reads
    as no test (a line no test ran proves nothing)."""
    index = {test: i for i, test in enumerate(order)}
    return [LineTests(_ranges(raw, len(order)), order, index) for raw in sets]


def _ranges(raw: object, tests: int) -> list[tuple[int, int]]:
    """Sorted, disjoint, clamped to [-1, tests - 1]."""
    if not (isinstance(raw, list) and len(raw) % 2 == 0 and all(type(i) is int for i in raw)):
        return []
    pairs = sorted((max(first, -1), min(last, tests - 1))
                   for first, last in zip(raw[::2], raw[1::2], strict=True))
    out: list[tuple[int, int]] = []
    for first, last in pairs:
        if first > last:
            continue
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out
