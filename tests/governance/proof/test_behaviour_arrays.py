"""An array's items are varied as items. asteval's safe_pow (held out in wave 9) refuses
an array exponent whose largest value, NaN ignored (numpy.nanmax), passes its limit; taken
with max() instead, a NaN among the items makes the largest NaN, which compares False, and
the power is computed where it was refused. No input varied an item of an array, so no
NaN was ever among them, and the change landed. The generated inputs now move each of an
array's first items to NaN, the infinities, 0 and its negation
(governance.oracle.replay_values.near), and the search varies one item as a number
(governance.oracle.replay_widen.widened)."""

from __future__ import annotations

import math

from hypothesis import given, settings

from governance.oracle.replay_values import near
from governance.oracle.replay_widen import widened


class Floats:
    """An array of its own: lists its items, sets one by index, copies."""

    def __init__(self, items):
        self.items = list(items)

    def tolist(self):
        return list(self.items)

    def __len__(self):
        return len(self.items)

    def __setitem__(self, i, value):
        self.items[i] = float(value)

    def __copy__(self):
        return Floats(self.items)


class _Ctx:
    numbers, siblings, names, depth, dropped = (), (), (), 0, frozenset()

    def deeper(self):
        return self


def _has_nan(value):
    return isinstance(value, Floats) and any(math.isnan(x) for x in value.items)


def test_an_arrays_items_move_to_nan_in_the_generated_inputs():
    seed = Floats([0.0, 10000.0, 20000.0])
    moved = near(seed, _Ctx())
    assert any(_has_nan(m) for m in moved)
    assert seed.items == [0.0, 10000.0, 20000.0]  # the seed itself is left as it was


def test_the_search_varies_an_arrays_item_as_a_number():
    seed, found = Floats([0.0, 10000.0, 20000.0]), []

    @settings(max_examples=100, database=None, derandomize=True)
    @given(widened(seed, [10000], keep=False))
    def draw(value):
        found.append(value)
    draw()
    assert any(_has_nan(v) for v in found)
