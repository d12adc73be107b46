"""The search answers each input it tries once on each tree (governance.oracle.replay_search):
only the base's replay runner searches, beside a peer holding the candidate's code, and
writes the peer's rows beside its own; the daemon reads them as the candidate's
(governance.proof.check_record.with_searched), and the candidate's mutants the peer tells
apart on them. Each runner used to search with a peer of the other tree, the same inputs
on both sides: every pair was answered twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle.differential import Target, compare
from governance.oracle.replay_search import search_path
from governance.proof.check_record import Record, counted_kills, with_searched
from governance.proof.noticed import sides, unnoticed
from tests.governance.oracle.replayed import replayed

pytest.importorskip("hypothesis")

BASE = '''def scale(x):
    return x * 2
'''
# alike on the captured calls (2, 3) and the one input generated (1): only the search tells
CAND = BASE.replace("return x * 2", "return x * 2 if x > 0 else x * 2 - 1")
TARGET = Target("pkg/m.py", "scale", frozenset({1, 2}), ())


def _answer(where: Path, source: str, **job: object) -> dict:
    return replayed(where, source, "scale", [(2,), (3,)], 0, search_path=search_path(), **job)


def test_the_base_runner_writes_the_candidates_rows_of_each_input_it_searched(tmp_path):
    base = _answer(tmp_path / "base", BASE, peer={"pkg/m.py": CAND})
    cand = _answer(tmp_path / "cand", CAND)  # no peer: the candidate's runner never searches
    searched = [r["key"] for r in base["results"] if r["key"].startswith("s")]
    assert searched and [r["key"] for r in base["peer_results"]] == searched
    assert not any(r["key"].startswith("s") for r in cand["results"])
    assert cand["peer_results"] == [] and cand["peer_killed"] == {}
    check = compare(TARGET, 2, base, with_searched(cand, base))
    exotic = {r["key"] for r in base["results"] if r.get("exotic") is True}  # not compared
    assert check.counterexamples and set(searched) - exotic <= check.keys
    # without the peer's rows, the captured calls alone: alike
    alone = compare(TARGET, 2, base, cand)
    assert not alone.counterexamples and not any(k.startswith("s") for k in alone.keys)


def test_only_search_rows_are_taken_from_the_base_runner_and_the_candidates_own_stay():
    cand = {"results": [{"key": "c0", "answer": "mine"}, {"key": "s1", "answer": "mine"}]}
    base = {"peer_results": [{"key": "c0", "answer": "peer"}, {"key": "s1", "answer": "peer"},
                             {"key": "s2", "answer": "peer"}, "s3", {"key": 4}]}
    rows = with_searched(cand, base)["results"]
    assert [(r["key"], r["answer"]) for r in rows] == [("c0", "mine"), ("s1", "mine"),
                                                        ("s2", "peer")]
    for hostile in (None, "rows", {"key": "s5"}):
        assert with_searched(cand, {"peer_results": hostile})["results"] == cand["results"]


def test_only_the_base_runner_gets_a_peer(tmp_path):
    for tree, text in (("base", BASE), ("cand", CAND)):
        (tmp_path / tree / "pkg").mkdir(parents=True)
        (tmp_path / tree / "pkg" / "m.py").write_text(text)
    record = Record(None, tmp_path / "base", tmp_path / "cand", [TARGET], ["t"], tmp_path,
                    changed=("pkg/m.py",))
    assert record.peers() == ({"pkg/m.py": CAND}, {})
    record.sides = sides([("pkg/m.py", BASE, CAND)])  # the peer judges the candidate's
    assert record.peers() == ({"pkg/m.py": record.sides[1].sources["pkg/m.py"]}, {})


# the base's answers on every input, its changed lines' `*` reached only by a negative int,
# which the captured calls (2, 3) and the one input generated (1) are not
KEPT = '''def scale(x):
    if type(x) is int and x < 0:
        return -(abs(x) * 2)
    return x * 2
'''


def test_the_candidates_mutants_are_judged_on_the_searched_inputs_by_the_peer(tmp_path):
    side = sides([("pkg/m.py", BASE, KEPT)])[1]
    times = next(m.id for m in side.mutants if m.line == 3)
    base = _answer(tmp_path / "base", BASE, peer={"pkg/m.py": KEPT, **side.sources},
                   peer_mutants=side.ids)
    cand = _answer(tmp_path / "cand", KEPT, sources=side.sources, mutants=side.ids)
    assert times not in {int(k) for k in cand["killed"]}  # its own inputs never reach it
    merged = with_searched(cand, base)
    check = compare(TARGET, 2, base, merged)
    assert not check.counterexamples
    assert base["peer_killed"][str(times)].startswith("s")
    assert times in counted_kills(merged, check.keys)
    assert unnoticed(side, counted_kills(merged, check.keys)) == []
