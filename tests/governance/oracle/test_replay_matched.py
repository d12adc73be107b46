"""Two parameters compared with each other, each tried at the other's value (governance.
proof.boundaries finds them, governance.oracle.replay_placing places them): configobj's
is_float(value, min=None, max=None) with `value > max` made `value >= max` answers as its
base on every call its tests make, none of which passes a value equal to its maximum
(wave 14)."""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path

from governance.oracle.differential import Target, compare
from governance.oracle.replay_inputs import generated
from governance.proof.boundaries import boundaries
from tests.governance.oracle.replayed import replayed

WITHIN = '''def within(value, max=None):
    value = float(value)
    if max is not None and value > float(max):
        raise ValueError("too big")
    return value
'''
WITHIN_EXCLUSIVE = WITHIN.replace("value > float(max)", "value >= float(max)")
# configobj's own shape: both bounds read by a helper that converts each of a tuple
IS_FLOAT = '''def _num(names, values):
    return [None if v is None else float(v) for v in values]


def is_float(value, min=None, max=None):
    (min_val, max_val) = _num(("min", "max"), (min, max))
    if not isinstance(value, float):
        value = float(value)
    if (min_val is not None) and (value < min_val):
        raise ValueError("too small")
    if (max_val is not None) and (value > max_val):
        raise ValueError("too big")
    return value
'''
IS_FLOAT_EXCLUSIVE = IS_FLOAT.replace("value > max_val", "value >= max_val")


def _check(where: Path, base: str, cand: str, qualname: str, arguments: list[tuple],
           keywords: list[dict], generate: int = 300):
    defs = [next(d for d in ast.parse(text).body
                 if isinstance(d, ast.FunctionDef) and d.name == qualname)
            for text in (cand, base)]
    found = boundaries(defs)
    spec = {"boundaries": json.loads(json.dumps(
        [{"param": p, "values": list(v)} for p, v in found]))}
    target = Target("pkg/m.py", qualname, frozenset(range(1, 20)), (), found)
    answers = [replayed(where / side, text, qualname, arguments, generate, (), spec,
                        keywords)
               for side, text in (("base", base), ("cand", cand))]
    return compare(target, len(arguments), *answers)


def test_a_maximum_made_exclusive_is_refused_at_a_value_equal_to_it(tmp_path: Path) -> None:
    """The tests pass 1.5 and 3 against a maximum of 2.5: the value given the call's own
    maximum, written as the call wrote it (text), is refused by the candidate alone, among
    the first inputs (a function this small is also told later, by two arguments moved
    to the same edge: a larger one's pairs are past its budget)."""
    check = _check(tmp_path, WITHIN, WITHIN_EXCLUSIVE, "within", [("1.5",), ("3",)],
                   [{"max": "2.5"}, {"max": "2.5"}], generate=6)
    assert any("'2.5', max='2.5'" in c.line() for c in check.counterexamples), \
        [c.line() for c in check.counterexamples]


def test_a_bound_no_call_passes_is_given_the_calls_value(tmp_path: Path) -> None:
    """configobj's tests give a minimum alone (`float(6.0)`): the maximum set to the
    value the call checks, through the helper that converts both bounds."""
    check = _check(tmp_path, IS_FLOAT, IS_FLOAT_EXCLUSIVE, "is_float",
                   [("6.5", "6.0"), ("7.25",)], [{}, {}])
    assert any("max='6.5'" in c.line() or "max='7.25'" in c.line()
               for c in check.counterexamples), [c.line() for c in check.counterexamples]


def test_the_parameters_compared_and_the_values_they_are_tried_at() -> None:
    found = dict(boundaries([ast.parse(WITHIN).body[0]]))
    assert ("same", "max") in found["value"] and ("same", "value") in found["max"]
    tree = ast.parse(IS_FLOAT).body[1]
    found = dict(boundaries([tree]))
    assert ("same", "max") in found["value"] and ("same", "min") in found["value"]
    assert ("same", "value") in found["max"] and ("same", "value") in found["min"]
    assert ("same", "min") not in found["max"]  # never compared with each other


def test_a_parameter_compared_otherwise_or_a_receiver_is_not_matched() -> None:
    source = '''def f(self, a, b, c):
    if len(a) > b or self.n < c or a is b:
        return 1
'''
    found = dict(boundaries([ast.parse(source).body[0]]))
    assert not any(isinstance(v, tuple) and v[0] == "same" for vs in found.values()
                   for v in vs), found  # a length with a value; `self`; identity


def test_the_runner_copies_the_other_value_in_its_own_kind_and_the_numbers() -> None:
    """On each call: the other's value as it is, and as a number of the kind this one
    held where the kinds differ; a call passing neither, and a bad tag, give nothing."""
    ns: dict = {}
    exec(WITHIN, ns)
    job = [{"param": "value", "values": [["same", "max"], ["same", 7], ["same"]]},
           {"param": "max", "values": [["same", "value"]]}]
    calls = [pickle.dumps(c) for c in ((("1.5",), {"max": "2.5"}), ((4.0,), {"max": "9"}),
                                       (("3",), {}))]
    report: dict = {}
    made = [pickle.loads(b) for b in generated(calls, [], 40, job, ns["within"],
                                               report=report)]
    assert made[:4] == [(["2.5"], {"max": "2.5"}), (["1.5"], {"max": "1.5"}),
                        (["9"], {"max": "9"}), ([4.0], {"max": 4.0})]
    assert {repr(c) for c in made[4:12]} >= {repr(c) for c in (
        ([9.0], {"max": "9"}), ([4.0], {"max": "4"}), (["3"], {"max": "3"}))}
    assert not any(isinstance(x, list) for args, kw in made for x in (*args, *kw.values()))
    assert report["unplaced"] == 0  # a copy nothing could hold is no boundary left untried


def test_a_guarded_comparison_of_two_parameters_is_matched_once() -> None:
    """`lo` held at 0 by the guard while `x` copies `lo` is no other input: plain only."""
    source = '''def f(x, lo):
    if lo >= 0:
        if x > lo:
            return 1
'''
    found = dict(boundaries([ast.parse(source).body[0]]))
    assert ("same", "lo") in found["x"]
    assert not any(isinstance(v, tuple) and v[0] == "given" and v[2] == ("same", "lo")
                   for v in found["x"])
