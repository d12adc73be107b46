"""A value holding a module's namespace, or a copy of one, written by that module's name
(governance.oracle.pickler.namespaced) and read back as the loading process's
(governance.oracle.unpickle): pure-eval's Evaluator holds copies of a test's globals, whose
`__loader__` reaches all of pytest's state, and none of its 55 captured calls was pickled
(wave 31)."""

from __future__ import annotations

import io
import pickle
import sys
import threading
import types

import pytest

from governance.oracle import pickler
from governance.oracle.unpickle import NAMESPACE, loads

cloudpickle = pytest.importorskip("cloudpickle")


class Scope:
    """Names looked up in a mapping, as pure-eval's Evaluator is made from a frame."""

    def __init__(self, names: dict) -> None:
        self.names = names


@pytest.fixture
def module() -> types.ModuleType:
    """A loaded module whose namespace holds what neither pickle nor cloudpickle writes."""
    made = types.ModuleType("ouro_ns_sample")
    made.LOCK = threading.Lock()
    made.LIMIT = 7
    sys.modules[made.__name__] = made
    yield made
    del sys.modules[made.__name__]


def test_the_premise_neither_pickle_nor_cloudpickle_writes_such_a_value(module) -> None:
    value = Scope(dict(vars(module)))
    with pytest.raises(TypeError):
        pickler.by_name(value)
    with pytest.raises(TypeError):
        cloudpickle.dumps(value)


def test_a_copy_of_a_namespace_loads_as_a_copy_of_the_loading_processs(module) -> None:
    blob = pickler.dumped(Scope(dict(vars(module))))
    assert blob is not None
    module.LIMIT = 8  # the loading process's module, as it is there
    got = loads(blob)
    assert got.names is not vars(module) and got.names["LIMIT"] == 8
    assert got.names["LOCK"] is module.LOCK and list(got.names) == list(vars(module))


def test_a_namespace_itself_loads_as_the_module_namespace(module) -> None:
    got = loads(pickler.dumped(Scope(vars(module))))
    assert got.names is vars(module)


def test_names_the_loading_process_lacks_or_adds_are_left_out(module) -> None:
    """pytest's assertion rewriting adds `@py_builtins` to the test module it captured in;
    the replay runner adds its mutant switch to `builtins`: neither is the call's input."""
    blob = pickler.dumped(Scope(dict(vars(module))))
    del module.LIMIT
    module.SWITCH = object()
    got = loads(blob)
    assert "LIMIT" not in got.names and "SWITCH" not in got.names and "LOCK" in got.names
    live = loads(pickler.dumped(Scope(vars(module))))
    assert live.names is vars(module)


def test_a_dict_that_only_looks_like_a_namespace_is_written_by_value(module) -> None:
    """A dict naming a module but holding other values is the call's own: by value, and
    here it cannot be, so it is not pickled at all (no evidence)."""
    other = {**vars(module), "LIMIT": 9}
    assert pickler.dumped(Scope(other)) is None
    plain = pickler.dumped(Scope({"__name__": module.__name__, "LIMIT": 9}))
    assert loads(plain).names == {"__name__": module.__name__, "LIMIT": 9}


def test_an_unknown_persistent_id_is_refused() -> None:
    class Odd(pickle.Pickler):
        def persistent_id(self, obj: object) -> object:
            return ("elsewhere", "os", False, ()) if obj == "mark" else None

    buffer = io.BytesIO()
    Odd(buffer, protocol=4).dump(["mark"])
    with pytest.raises(pickle.UnpicklingError):
        loads(buffer.getvalue())


def test_a_namespace_id_of_another_shape_is_refused() -> None:
    class Short(pickle.Pickler):
        def persistent_id(self, obj: object) -> object:
            return (NAMESPACE, "os", False) if obj == "mark" else None

    buffer = io.BytesIO()
    Short(buffer, protocol=4).dump(["mark"])
    with pytest.raises(pickle.UnpicklingError):
        loads(buffer.getvalue())
