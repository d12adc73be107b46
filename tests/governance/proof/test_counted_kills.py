"""A mutant counts as killed only by an input both trees answered and the check compared
(governance.proof.check_record.counted_kills): each tree's replay runner judges its own
mutants on its own answers, and the two trees stop answering at different points (a budget
of CPU seconds, an order steered by each tree's own changed lines). The runner is run as
the jail runs it, once per tree, with the base cut before its generated inputs: the
candidate's runner kills its changed line's mutants on inputs the base never answered, and
that line must stay unnoticed."""

from __future__ import annotations

from pathlib import Path

from governance.oracle.differential import Target, compare
from governance.proof.check_record import counted_kills
from governance.proof.noticed import sides, unnoticed
from tests.governance.oracle.replayed import replayed

BASE = '''def scale(x, k=1):
    if k != 1:
        return x * k
    return x
'''
CAND = BASE.replace("return x * k", "return k * x")  # reached only where k is not 1
GENERATED = 40


def _answer(where: Path, tree: int, generate: int) -> dict:
    """One tree's runner answer for `scale`'s two captured calls (k left at 1) and up to
    `generate` inputs made from them, its changed line's mutants installed."""
    side = sides([("pkg/m.py", BASE, CAND)])[tree]
    return replayed(where / ("base", "cand")[tree], (BASE, CAND)[tree], "scale",
                    [(2,), (3,)], generate, sources=side.sources, mutants=side.ids)


def _unnoticed(where: Path, base_generates: int) -> tuple[list[str], dict]:
    """The candidate's unnoticed lines after both runs, and its runner's own kills."""
    base, cand = _answer(where, 0, base_generates), _answer(where, 1, GENERATED)
    check = compare(Target("pkg/m.py", "scale", frozenset({1, 2, 3, 4}), ()), 2, base, cand)
    side = sides([("pkg/m.py", BASE, CAND)])[1]
    return unnoticed(side, counted_kills(cand, check.keys)), cand["killed"]


def test_a_kill_on_an_input_both_trees_compared_counts(tmp_path: Path) -> None:
    missed, _ = _unnoticed(tmp_path, GENERATED)
    assert missed == []


def test_a_kill_on_an_input_the_other_tree_never_answered_does_not(tmp_path: Path) -> None:
    missed, own = _unnoticed(tmp_path, 0)
    # the candidate's runner did kill the line's mutants, on generated inputs (k not 1)
    assert own and all(key.startswith("g") for key in own.values())
    assert [line.split(" ")[0] for line in missed] == ["pkg/m.py:3"]


def test_what_a_trees_code_could_write_there_counts_nothing() -> None:
    compared = frozenset({"c0", "g1"})
    assert counted_kills({"killed": {"4": "c0", "5": "g1", "6": "g2"}}, compared) == {4, 5}
    for hostile in ([4, 5], {4: "c0"}, {"²": "c0"}, {"-4": "c0"}, {"4": ["c0"]}, "4", None):
        assert counted_kills({"killed": hostile}, compared) == set()
