"""How near a call passes to a change's edges (governance.oracle.replay_edges): the sides of
a rewritten comparison read in the running frame without running the tree's code, found
again in a text the mutants' switches rewrote, and the captured arguments a step moves."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from governance.oracle.replay_edges import Edges, nudgeable, nudged
from governance.proof.edges import edges

MODULE = '''import collections

LIMITS = {"a": 10}
SEEN = collections.defaultdict(int)


class Box:
    reads = 0

    def __init__(self, size):
        self.size = size

    @property
    def room(self):
        Box.reads += 1
        return self.size * 2


def fits(box, n, key):
    if n <= box.size and n < len(LIMITS) + LIMITS[key]:
        return True
    return n < box.room or n > SEEN[key]
'''


def _loaded(tmp_path: Path):
    path = tmp_path / "boxes.py"
    path.write_text(MODULE)
    spec = importlib.util.spec_from_file_location("boxes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return path, module


def test_the_sides_are_read_in_the_frame_and_the_least_distance_kept(tmp_path):
    path, m = _loaded(tmp_path)
    pairs = [("n", "box.size"), ("n", "len(LIMITS) + LIMITS[key]")]
    measure = Edges(str(path), path.read_text(), pairs)
    assert measure.measured(lambda: m.fits(m.Box(5), 3, "a")) == (True, 2.0)
    assert measure.measured(lambda: m.fits(m.Box(5), 9, "a")) == (True, 2.0)  # 11 - 9
    assert measure.measured(lambda: m.fits(m.Box(10), 10, "a")) == (True, 0.0)  # at it
    assert Edges(str(path), path.read_text(), []).measured(lambda: 7) == (7, None)


def test_no_code_of_the_tree_runs_for_a_reading(tmp_path):
    # a property runs the tree's code and a defaultdict's missing key writes into it: both
    # sides are left unread, and the answer is the one the call gives untraced
    path, m = _loaded(tmp_path)
    measure = Edges(str(path), path.read_text(), [("n", "box.room"), ("n", "SEEN[key]")])
    assert measure.measured(lambda: m.fits(m.Box(5), 7, "b")) == (True, None)
    assert m.Box.reads == 1 and dict(m.SEEN) == {}  # the call's own read; no key added


def test_edges_are_found_again_in_a_text_the_mutants_rewrote(tmp_path):
    old = ast.parse("def f(n, t):\n    return n <= t.end\n").body[0]
    new = ast.parse("def f(n, t):\n    return n < t.end\n").body[0]
    assert edges(new, old) == (("n", "t.end"),)
    assert edges(old, old) == ()  # nothing rewritten
    call = ast.parse("def f(s):\n    return s.strip() < 'x'\n").body[0]
    assert edges(old, call) == ()  # a side that calls the tree's code is never read
    switched = "x = 1\n\n\ndef f(n, t):\n    return n < t.end if S == 3 else n <= t.end\n"
    path = tmp_path / "switched.py"
    assert Edges(str(path), switched, [("n", "t.end")]).at.keys() == {5}


def test_a_step_moves_a_number_or_a_character_never_a_methods_object():
    calls = [((object(), 3, "a", True, "ab"), {"x": 1.5, "flag": False})]
    assert nudgeable(calls, receiver=True) == [(0, ("a", 1)), (0, ("a", 2)), (0, ("k", "x"))]
    assert nudged(calls[0], ("a", 2), 30)[0][2] == chr(ord("a") + 30)
    assert nudged(calls[0], ("a", 2), -1000)[0][2] == "\x00"
    assert nudged(calls[0], ("k", "x"), -2)[1]["x"] == -0.5
    assert calls[0][0][1] == 3  # the captured call itself is left as it was


def test_a_getter_named_like_a_named_tuples_field_is_not_run(tmp_path):
    # only the real C getters are read through; a tree's own class named `_tuplegetter`
    # with a Python `__get__` is code of the tree, so that side is left unread
    text = ("class _tuplegetter:\n    runs = 0\n    def __get__(self, obj, owner):\n"
            "        _tuplegetter.runs += 1\n        return 1\n\n\n"
            "class Box:\n    size = _tuplegetter()\n\n\n"
            "def fits(box, n):\n    return n <= box.size\n")
    path = tmp_path / "hostile.py"
    path.write_text(text)
    scope: dict = {}
    exec(compile(text, str(path), "exec"), scope)
    measure = Edges(str(path), text, [("n", "box.size")])
    assert measure.measured(lambda: scope["fits"](scope["Box"](), 0)) == (True, None)
    assert scope["_tuplegetter"].runs == 1  # the call's own read, none of the reader's


def test_a_text_too_deep_to_walk_steers_nothing():
    deep = "x = " + "(" * 300 + "1" + ")" * 300 + "\n"

    def here():
        return 0
    assert Edges.of(here, Path(__file__).name, [("n", "m")], lambda path: deep).at == {}

    def gone(path):
        raise FileNotFoundError(path)
    assert Edges.of(here, Path(__file__).name, [("n", "m")], gone).at == {}
    assert Edges("f.py", deep, [("n", "m")]).at == {}
