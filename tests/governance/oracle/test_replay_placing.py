"""A guarded comparison's values tried with the values its guards hold for (governance.
proof.guards finds them, governance.oracle.replay_placing places them): utm's Svalbard
zones compare the longitude only for a latitude from 72 to 84, and the captured call
nearest longitude 9 lay at latitude 60 (wave 11)."""

from __future__ import annotations

import ast
import json
import pickle

from governance.oracle.replay_inputs import generated
from governance.proof.boundaries import boundaries

ZONE = '''def zone(latitude, longitude):
    if 56 <= latitude < 64 and 3 <= longitude < 12:
        return 32
    if 72 <= latitude <= 84 and longitude >= 0:
        if longitude < 9:
            return 31
        elif longitude < 21:
            return 33
    return int((longitude + 180) / 6) + 1
'''
CAPTURED = [(60.0, 5.0), (84.0, 18.76), (40.7, -74.0), (84.0, -5.0)]


def _made(source: str) -> list[tuple]:
    found = boundaries([ast.parse(source).body[0]])
    job = json.loads(json.dumps([{"param": p, "values": list(v)} for p, v in found]))
    ns: dict = {}
    exec(source, ns)
    calls = [pickle.dumps((c, {})) for c in CAPTURED]
    return [pickle.loads(b)[0] for b in generated(calls, [], 400, job, ns["zone"])]


def _in_band(args: tuple, lo: float, hi: float) -> bool:
    lat, lon = args
    return all(isinstance(x, int | float) and not isinstance(x, bool) for x in args) \
        and 72 <= lat <= 84 and lo <= lon < hi


def test_a_guarded_comparisons_values_come_with_their_guards_values() -> None:
    found = dict(boundaries([ast.parse(ZONE).body[0]]))
    assert ("given", (("latitude", 72),), 9) in found["longitude"]
    assert ("given", (("longitude", 0),), 72) in found["latitude"]  # an `and`'s operand
    assert ("given", (("latitude", 56),), 3) in found["longitude"]
    plain = [v for v in found["longitude"] if not (isinstance(v, tuple) and v[0] == "given")]
    assert plain[:6] == [3, 12, 0, 9, 21, 2]  # the plain values first, as before


def test_the_runner_places_the_value_with_its_guards_values_on_one_call() -> None:
    made = _made(ZONE)
    assert [list(a) for a in made[:80] if _in_band(a, 9, 10)] == [[72.0, 9.0]]


def test_a_guard_the_call_cannot_hold_leaves_the_plain_value_alone() -> None:
    bad = json.loads(json.dumps([{"param": "longitude", "values": [
        ["given", [["nowhere", 1]], 9], ["given", "garbage", 9], ["given"], 9]}]))
    calls = [pickle.dumps((c, {})) for c in CAPTURED]
    ns: dict = {}
    exec(ZONE, ns)
    made = [pickle.loads(b)[0] for b in generated(calls, [], 50, bad, ns["zone"])]
    assert list(made[0]) == [60.0, 9.0]  # the plain 9 on its nearest call, nothing else of it
    assert not any(isinstance(x, list) for a in made for x in a)
