"""An object as an instance of a subclass of its class (governance.oracle.replay_subclass):
the same state, `isinstance` true and `type() is` false, pickled and rebuilt as such, and
none where the object does not describe itself by the copy protocol."""

from __future__ import annotations

import io
import pickle
from collections import OrderedDict

from governance.oracle.replay_subclass import subclassed
from governance.oracle.replay_values import Context, near


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class Slotted:
    __slots__ = ("a",)

    def __init__(self, a):
        self.a = a


def _is_subclassed(obj, cls) -> bool:
    return isinstance(obj, cls) and type(obj) is not cls and type(obj).__name__ == cls.__name__


def test_state_kept_type_check_parts_and_a_round_trip_keeps_it():
    for value, read in ((io.BytesIO(b"abc"), lambda b: b.getvalue()),
                        (Point(1, 2), lambda p: (p.x, p.y)),
                        (Slotted(7), lambda s: s.a)):
        sub = subclassed(value)
        assert _is_subclassed(sub, type(value)) and read(sub) == read(value)
        back = pickle.loads(pickle.dumps(sub, protocol=4))
        assert _is_subclassed(back, type(value)) and read(back) == read(value)


def test_none_where_the_class_cannot_be_extended_or_rebuilt():
    assert subclassed(True) is None  # bool cannot be subclassed
    assert subclassed(iter([1])) is None  # reduced by its own function, not __newobj__
    assert subclassed(OrderedDict(a=1)) is None  # by its class and its items


def test_an_object_argument_gets_one_among_its_first_neighbours():
    firsts = near(Point(1, 2), Context([]))[:2]
    assert any(_is_subclassed(v, Point) for v in firsts)
