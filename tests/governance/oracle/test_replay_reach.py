"""The generated inputs steered towards the changed lines (governance.oracle.replay_reach),
the replay runner run as the jail runs it: once an input reaches a changed line no input
before it reached, its neighbours are answered first (termcolor's colour gate, wave 10: the
captured calls returned before the changed lines, and the RGBA highlight that tells a
careless unpacking came 1,692nd of 1,500); and the switch, read while no mutant is on,
leaves every answer the tree's own."""

from __future__ import annotations

import base64
import json
import pickle
import subprocess
import sys
from pathlib import Path

from governance.oracle import replay_reach as reach
from governance.oracle import replay_runner as rr
from governance.proof.noticed import sides

PAINT = '''def paint(text, rgb=None, force=False):
    if not force:
        return text
    if rgb is not None:
        text = "[%d;%d;%d]%s" % (rgb[0], rgb[1], rgb[2], text)
    return text
'''
UNPACKED = PAINT.replace("(rgb[0], rgb[1], rgb[2], text)", "(*rgb, text)")
LIMIT = 30  # the plain order tells nothing within it, the steered order several


def _rows(where: Path, tree: int, mutated: bool, generate: int,
          case: tuple = (PAINT, UNPACKED, "paint", (["x", (1, 2, 3)], ["y", (10, 20, 30)]))
          ) -> dict[str, str]:
    """One tree's answers (key -> answer) for the captured calls and the inputs generated
    from them, its changed lines' mutants installed or not: the base (0) or the candidate
    (1) of `case` (base text, candidate text, qualname, the calls' arguments; by default
    paint's two calls, the gate shut on both)."""
    base, cand, qualname, arguments = case
    where.mkdir(parents=True, exist_ok=True)
    (where / "pkg").mkdir(exist_ok=True)
    (where / "pkg" / "__init__.py").write_text("")
    (where / "pkg" / "m.py").write_text((base, cand)[tree])
    side = sides([("pkg/m.py", base, cand)])[tree]
    calls = [{"pickle": base64.b64encode(pickle.dumps((args, {}))).decode(), "repr": ""}
             for args in arguments]
    job = {"functions": [{"file": "pkg/m.py", "qualname": qualname, "calls": calls,
                          "constants": [], "generate": generate}],
           **({"sources": side.sources, "mutants": side.ids} if mutated else {})}
    (where / "job.json").write_text(json.dumps(job))
    subprocess.run([sys.executable, "-P", rr.__file__, str(where / "job.json"),
                    str(where / "out.json")], cwd=where, check=True, timeout=60)
    rows = json.loads((where / "out.json").read_text())["functions"][0]["results"]
    return {r["key"]: r["answer"] for r in rows}


def _told(where: Path, mutated: bool, generate: int) -> list[str]:
    """The generated inputs both trees answered, and answered otherwise."""
    base, cand = (_rows(where, tree, mutated, generate) for tree in (0, 1))
    assert len(base) == len(cand) == generate + 2
    return [k for k in base if k.startswith("g") and k in cand and base[k] != cand[k]]


def test_the_neighbours_of_an_input_that_opens_the_gate_come_first(tmp_path: Path) -> None:
    # a longer tuple through the opened gate: the unpacking raises where indexing did not
    assert _told(tmp_path, True, LIMIT)
    assert not _told(tmp_path, False, LIMIT)  # the same budget in the plain order


def test_the_switch_is_unequal_to_every_mutant_and_records_what_it_met() -> None:
    seen = reach.Reached()
    assert (seen == 3) is False and (seen != 4) is True and seen.ids == {3, 4}


def test_the_steered_order_is_each_input_once_within_the_limit() -> None:
    order = reach.Steered([b"a", b"b", b"c", b"d"], 4, lambda blob, n: [blob + b"1", b"c"],
                          known={1}, captured=[b"d"])
    got = []
    for blob in order:
        got.append(blob)
        order.heard(blob, {2} if blob == b"a" else {1})
    assert got == [b"a", b"a1", b"c", b"b"]  # a reached a new line: its neighbours next
    # given out of turn, on this tree's reach alone: they never judge a mutant
    assert order.steered == {b"a1", b"c"}


HEADER = '''def header(line):
    name, _, value = line.partition(":")
    value = value.strip()
    if name.lower() != "content-length":
        return (name, value)
    try:
        n = int(value)
        if n < 0 or str(n) != value:
            raise ValueError(value)
    except ValueError:
        raise ValueError("bad length") from None
    return (name, n)
'''
DIGITS = HEADER.replace('''        n = int(value)
        if n < 0 or str(n) != value:
            raise ValueError(value)
''', '''        if not (value.isascii() and value.isdigit()):
            raise ValueError(value)
        n = int(value)
''')
LINES = [f"X-Field-{i}: value {i}" for i in range(11)] + ["Content-Length: 4"]


def _header_told(where: Path, mutated: bool, generate: int) -> list[str]:
    """The generated inputs both trees answered otherwise, for `header`'s twelve captured
    lines, of which one alone runs the changed lines."""
    case = (HEADER, DIGITS, "header", [[line] for line in LINES])
    base, cand = (_rows(where / str(tree), tree, mutated, generate, case) for tree in (0, 1))
    return [k for k in base if k.startswith("g") and k in cand and base[k] != cand[k]]


def test_the_few_captured_calls_that_run_the_change_have_their_neighbours_ahead(
        tmp_path: Path) -> None:
    """Twelve header lines share 150 generated inputs alike in the plain order, and the one
    Content-Length line's dozen come nowhere near its leading zero ('04'), which a
    digits-only check lets through; its neighbours taking turns with that order reach it
    (from about 110 inputs on; the plain order from about 400)."""
    assert _header_told(tmp_path / "steered", True, 150)
    assert not _header_told(tmp_path / "plain", False, 150)
