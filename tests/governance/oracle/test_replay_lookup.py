"""The replay runner's lookup of a function defined inside another: rebuilt from a tree's
own code object with the free variables a captured call saw (governance.oracle.
replay_lookup), and the captured calls grouped by closure so the first groups span the
kinds of closure."""

from __future__ import annotations

import base64
import pickle
import sys
from pathlib import Path

import pytest

from governance.oracle import replay_lookup as lookup

MODULE = '''LIMIT = 10


def outer(check, where):
    prefix = "at " + where

    def inner(data, scale=2):
        if data > LIMIT:
            raise ValueError(prefix)
        return check(data) * scale
    return inner


class Box:
    def method(self, n):
        def twice(x):
            return x * n * 2
        return twice

    def family(self, bits, top=None):
        try:
            thresh = 1 << (bits + top)

            def validate(value):
                if value >= thresh:
                    raise OverflowError
        except TypeError:
            def validate(value):
                return None
        return validate

    @staticmethod
    def factory():
        class Local:
            def size(self):
                return 3
        return Local
'''


def _closure(cells: dict, defaults=None) -> str:
    return base64.b64encode(pickle.dumps((cells, defaults, None))).decode()


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "nest.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("nest", None)


def test_a_nested_function_is_rebuilt_from_the_trees_code_with_its_cells(tree: Path):
    fn = lookup.function_at(str(tree), "nest.py", "outer.<locals>.inner",
                            _closure({"check": abs, "prefix": "at x"}, (3,)))
    assert fn(-4) == 12 and fn(-4, 1) == 4
    with pytest.raises(ValueError, match="at x"):
        fn(11)  # the module's own globals: LIMIT is the tree's
    assert fn.__qualname__ == "outer.<locals>.inner"


def test_a_methods_closure_and_a_local_classs_method_are_found(tree: Path):
    twice = lookup.function_at(str(tree), "nest.py", "Box.method.<locals>.twice",
                               _closure({"n": 5}))
    assert twice(2) == 20
    size = lookup.function_at(str(tree), "nest.py", "Box.factory.<locals>.Local.size",
                              _closure({}))
    assert size(None) == 3


def test_a_closure_that_lacks_a_free_variable_the_tree_reads_is_refused(tree: Path):
    """The candidate's inner function reads a variable the base's did not close over: it
    cannot be rebuilt with the captured closure, and that is no evidence, not a pass."""
    with pytest.raises(LookupError, match="prefix"):
        lookup.function_at(str(tree), "nest.py", "outer.<locals>.inner",
                           _closure({"check": abs}))
    with pytest.raises(LookupError, match="no function"):
        lookup.function_at(str(tree), "nest.py", "outer.<locals>.gone", _closure({}))
    with pytest.raises(LookupError, match="closure"):
        lookup.function_at(str(tree), "nest.py", "outer.<locals>.inner")


def test_of_two_defs_of_one_name_the_one_whose_free_variables_the_closure_holds(tree: Path):
    """spfpm's `validate`, defined under `try` reading `thresh` and under `except` reading
    nothing (wave 22): each captured closure rebuilds the def it came from."""
    bound = lookup.function_at(str(tree), "nest.py", "Box.family.<locals>.validate",
                               _closure({"thresh": 8}))
    with pytest.raises(OverflowError):
        bound(8)
    assert lookup.function_at(str(tree), "nest.py", "Box.family.<locals>.validate",
                              _closure({}))(8) is None


def test_groups_put_the_first_closure_of_each_kind_first():
    calls = [{"pickle": "a", "closure": "r1", "kind": "Required"},
             {"pickle": "b", "closure": "r1", "kind": "Required"},
             {"pickle": "c", "closure": "r2", "kind": "Required"},
             {"pickle": "d", "closure": "n1", "kind": "Number"},
             {"pickle": "e", "closure": "r3", "kind": "Required"},
             {"pickle": "f", "closure": "n2", "kind": "Number"}]
    got = [(closure, [i for i, _ in members]) for closure, members in lookup.groups(calls)]
    assert got == [("r1", [0, 1]), ("n1", [3]), ("r2", [2]), ("n2", [5]), ("r3", [4])]
    assert lookup.groups([{"pickle": "a"}, {"pickle": "b"}]) == [
        (None, [(0, {"pickle": "a"}), (1, {"pickle": "b"})])]
