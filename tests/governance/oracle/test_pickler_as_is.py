"""Objects pickle's default cannot write or load again, pickled as they are (governance.
oracle.pickler): an exception made by its builtin base's `__new__`, its attributes set,
its `__init__` never run again on load; an object whose own `__reduce__` refuses, as its
state on a bare instance of its class."""

from __future__ import annotations

import pickle

import pytest


class Retired(Exception):
    def __init__(self, **kwargs):
        self.remedy = f"Use [{kwargs['change_to']}]" if kwargs.get("change_to") else ""
        super().__init__(kwargs["name"])


def test_an_exception_built_from_keywords_pickles_as_it_is() -> None:
    """pickle's default loads an exception by calling its class with `args`: one built
    from keywords alone failed there (iso639-lang's DeprecatedLanguageValue, wave 20), so
    no call of its `__init__` was ever replayed. It loads now as it was, `__init__` unrun."""
    from governance.oracle.pickler import by_name
    fresh = Exception.__new__(Retired)  # what `__init__` is handed
    loaded = pickle.loads(by_name(([fresh], {"name": "Aariya", "change_to": ""})))
    assert type(loaded[0][0]) is Retired and loaded[0][0].args == ()
    made = Retired(name="Gascon", change_to="oci")
    again = pickle.loads(by_name(made))
    assert again.args == ("Gascon",) and again.remedy == "Use [oci]"


class Day:
    __slots__ = ("_day",)

    def __new__(cls, day):
        self = object.__new__(cls)
        self._day = day
        return self

    def __reduce__(self):
        return NotImplemented  # as nepali-datetime's date writes it

    def __add__(self, days: int) -> Day:
        return Day(self._day + days)


def test_an_object_whose_reduce_refuses_pickles_as_its_state() -> None:
    """nepali-datetime's dates answer NotImplemented to `__reduce__`: none of their
    methods' calls was replayed, and a careless `__add__` landed (wave 20)."""
    from governance.oracle.pickler import by_name
    with pytest.raises(pickle.PicklingError):
        pickle.dumps(Day(3))
    (again, days) = pickle.loads(by_name((Day(3), 2)))
    assert type(again) is Day and (again + days)._day == 5


def test_a_borrowed_receiver_pickles_as_the_capture_wrote_it() -> None:
    """A method no test calls borrows its `self` from its class's other methods' calls
    (governance.oracle.replay_kin): the borrowed call was written by plain pickle, so a
    receiver refusing it lent nothing (nepali-datetime's `datetime.isoformat`, wave 20)."""
    import inspect

    from governance.oracle.replay_kin import _borrowed

    def shown(self, sep="T"):
        return f"{self._day}{sep}"

    blob = _borrowed(list(inspect.signature(shown).parameters.values()), {"self": Day(3)},
                     Day)
    assert blob is not None
    ([again], kwargs) = pickle.loads(blob)
    assert kwargs == {} and shown(again) == "3T"
