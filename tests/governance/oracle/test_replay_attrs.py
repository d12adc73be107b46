"""An object's attributes varied where they are held (governance.oracle.replay_attrs), in
process: an object with `__slots__` gets neighbours, and a boundary value on an attribute
read through a plain property (`return self._day`) is placed on the attribute it returns
(hijridate's `Hijri`, wave 10: no neighbours, its `self.day` boundaries unplaced, a
dropped `1 <= day` landed); a value no captured call can hold is counted, so the daemon
judges the function at its callers too."""

from __future__ import annotations

import json
import pickle

from governance.oracle import replay_attrs as attrs
from governance.oracle import replay_runner as rr


class Date:
    """A date kept in slots behind read-only properties, as hijridate's Hijri keeps it."""

    __slots__ = ("_day", "_month")

    def __init__(self, month: int, day: int) -> None:
        self._month, self._day = month, day

    @property
    def day(self) -> int:
        """The day."""
        return self._day

    @property
    def month(self) -> int:
        return self._month

    @property
    def later(self) -> int:
        return self._day + 1  # computed: no attribute to set for it

    def check(self) -> None:
        if not 1 <= self.day <= 30:
            raise ValueError("day")


def _made(calls: list, boundaries: dict[str, list], limit: int = 40,
          told: dict | None = None) -> list[tuple]:
    job = json.loads(json.dumps([{"param": p, "values": v} for p, v in boundaries.items()]))
    blobs = [pickle.dumps(c, protocol=4) for c in calls]
    return [pickle.loads(b) for b in rr.generated(blobs, [1, 30], limit, job, Date.check,
                                                  receiver=True, names=["day"], report=told)]


def test_a_plain_property_is_read_and_set_through_the_attribute_it_returns() -> None:
    date = Date(8, 13)
    assert attrs.held(date, "day") == "_day" and attrs.read(date, "day") == 13
    assert attrs.held(date, "_month") == "_month"
    assert attrs.held(date, "later") is None  # what a getter computes is not set
    attrs.put(date, "_day", 0)
    assert date.day == 0


def test_a_boundary_on_a_property_of_a_slotted_object_is_placed_on_its_slot() -> None:
    told: dict = {}
    made = _made([([Date(8, 13)], {})], {"self": [["attr", "day", 0], ["attr", "day", 31]]},
                 told=told)
    assert [(a[0].month, a[0].day) for a, _ in made[:2]] == [(8, 0), (8, 31)]
    assert told == {"unplaced": 0}


def test_a_slotted_object_has_neighbours_the_attribute_the_code_reads_first() -> None:
    made = _made([([Date(8, 13)], {})], {})
    moved = [(a[0].month, a[0].day) for a, _ in made]
    assert moved and moved[0][0] == 8  # `day`, which check reads, through `_day` first
    assert (8, 0) in moved and any(m != 8 for m, _ in moved)


def test_a_boundary_value_no_captured_call_can_hold_is_counted() -> None:
    told: dict = {}
    _made([([Date(8, 13)], {})], {"self": [["attr", "later", 0], ["attr", "day", 1]],
                                  "nobody": [1, 2]}, told=told)
    assert told == {"unplaced": 3}
