"""A captured call's pickle read back (governance.oracle.unpickle): an object whose
`__getattr__` reads its own state unpickles, where the C unpickler recursed without end
asking the instance for `__setstate__` before that state was set (dissect.cstruct's
`cstruct`: every call holding one was lost to the replay, wave 14)."""

from __future__ import annotations

import pickle

import pytest

from governance.oracle.unpickle import loads


class Registry:
    """Names looked up in its own table, as dissect.cstruct's `cstruct` does."""

    def __init__(self) -> None:
        self.consts = {"WORD": 2}

    def __getattr__(self, attr: str) -> object:
        return self.consts[attr]


class Stateful:
    """A class with its own __setstate__, which the fallback must still call."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __setstate__(self, state: dict) -> None:
        self.n = state["n"] + 1


def test_an_object_whose_getattr_reads_its_own_state_unpickles() -> None:
    blob = pickle.dumps(((Registry(), 3), {"k": Stateful(1)}))
    with pytest.raises(RecursionError):
        pickle.loads(blob)
    (registry, three), kwargs = loads(blob)
    assert registry.WORD == 2 and three == 3 and kwargs["k"].n == 2


class Middleware:
    """Attributes handed to its storage, read from its own __dict__ by key, as tinydb's
    `Middleware` does: KeyError, not AttributeError, before its state is set (wave 28)."""

    def __init__(self) -> None:
        self.storage = {"n": 1}

    def __getattr__(self, name: str) -> object:
        return getattr(self.__dict__["storage"], name)


def test_an_object_whose_getattr_raises_key_error_unpickles() -> None:
    blob = pickle.dumps(Middleware())
    with pytest.raises(KeyError):
        pickle.loads(blob)
    assert loads(blob).storage == {"n": 1}


def test_a_pickle_neither_unpickler_reads_raises_the_c_unpicklers_error() -> None:
    with pytest.raises(pickle.UnpicklingError):
        loads(b"not a pickle")


def test_a_plain_pickle_loads_as_pickle_loads_it() -> None:
    value = {"a": [1, 2.5, "x"], "b": Stateful(4)}
    got = loads(pickle.dumps(value))
    assert got["a"] == value["a"] and got["b"].n == 5
