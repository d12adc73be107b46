"""A captured call's pickle and the wrapper `ambient` puts around it (governance.oracle.
canon): reading whether a pickle is wrapped never loads the call itself. pure-eval's test
gave its class an attribute at run time, a pickle of a call holding it does not load in
the replay, and reading it whole there failed the replay run of every function (wave 31)."""

from __future__ import annotations

import pickle

import pytest

from governance.oracle.canon import ambient, unwrapped


class Thing:
    pass


def _method() -> None:
    pass


_method.__qualname__ = "Thing.x"  # pickled by that name, as a method set on the class


def _unloadable() -> bytes:
    """A call's pickle naming an attribute its class has only while it is written."""
    Thing.x = _method
    try:
        blob = pickle.dumps(((Thing.x,), {}), protocol=4)
    finally:
        del Thing.x
    with pytest.raises(AttributeError):
        pickle.loads(blob)
    return blob


def test_a_plain_call_that_does_not_load_is_read_as_unwrapped() -> None:
    blob = _unloadable()
    assert unwrapped(blob) == (blob, None)


def test_a_wrapped_call_gives_its_own_pickle_and_argv_unloaded() -> None:
    blob = _unloadable()
    assert unwrapped(ambient(blob, ["prog", "-v"])) == (blob, ["prog", "-v"])
