"""cloudpickle's module lookup remembered per object (governance.oracle.pickler.remembering):
a function whose `__module__` is None (dissect.cstruct's parsers, compiled by exec) sent
cloudpickle through every loaded module's names on each dump, and the replay runner, which
keys thousands of inputs by their pickles, timed out on such a library."""

from __future__ import annotations

import importlib
import sys

import cloudpickle

from governance.oracle.pickler import remembering


def _moduleless():
    scope: dict = {}
    exec("def parse(data):\n    return data[::-1]\n", scope)  # no __name__: no module
    parse = scope["parse"]
    assert parse.__module__ is None
    return parse


def test_an_object_without_a_module_is_looked_up_once_and_pickles_alike(monkeypatch) -> None:
    fresh = sys.modules["cloudpickle.cloudpickle"]  # monkeypatch puts its lookup back
    looked: list = []
    find = fresh._whichmodule

    def counting(obj, name):
        looked.append(name)
        return find(obj, name)
    monkeypatch.setattr(fresh, "_whichmodule", counting)
    parse = _moduleless()
    before = fresh.dumps(parse, protocol=4)
    assert len(looked) >= 1
    assert remembering(cloudpickle) is cloudpickle
    assert remembering(cloudpickle) is cloudpickle  # once: not wrapped twice
    looked.clear()
    pickles = {fresh.dumps([parse, n], protocol=4)[-40:] for n in range(3)}
    assert looked.count("parse") == 1 and len(pickles) == 3
    assert fresh.dumps(parse, protocol=4) == before
    assert cloudpickle.loads(before)("abc") == "cba"
    named = fresh.dumps(importlib.import_module, protocol=4)  # a module's own: by name
    assert cloudpickle.loads(named) is importlib.import_module


def test_no_cloudpickle_is_no_cloudpickle() -> None:
    assert remembering(None) is None
