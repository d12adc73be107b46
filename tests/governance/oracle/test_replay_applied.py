"""A callable a function answers is called with the captured arguments of the functions it
defines (governance.oracle.replay_answer.applied): a factory's answer is its closure, alike
by name on both trees whatever the closure does. parsy's `regex` wrapping a list of groups
as one group, careless, answered a parser as its base did and waited without a
counterexample (wave 21)."""

from __future__ import annotations

import base64
import pickle
from pathlib import Path

from governance.oracle.differential import OPAQUE, Target, compare
from governance.proof.behaviour import touched_functions
from tests.governance.oracle.replayed import replayed

FACTORY = '''import re


def matcher(pattern, group=0):
    exp = re.compile(pattern)
    if isinstance(group, (str, int)):
        group = (group,)

    def match(text):
        found = exp.match(text)
        return found.group(*group) if found else None

    return match
'''
CARELESS = FACTORY.replace("    if isinstance(group, (str, int)):",
                           "    if not isinstance(group, (list, tuple)):")


def _pickled(*args) -> str:
    return base64.b64encode(pickle.dumps((args, {}))).decode()


def test_a_factorys_own_functions_are_its_targets_inner() -> None:
    [target], _ = touched_functions(FACTORY, CARELESS, "pkg/m.py")
    assert target.inner == ("matcher.<locals>.match",)
    [plain], _ = touched_functions(CARELESS, CARELESS.replace("group=0", "group=1"), "pkg/m.py")
    assert plain.inner == ("matcher.<locals>.match",)


def test_a_callable_answer_is_compared_by_what_it_answers(tmp_path: Path) -> None:
    [target], _ = touched_functions(FACTORY, CARELESS, "pkg/m.py")
    spec = {"applied": [_pickled("10-20"), _pickled("x")]}
    calls = [(r"(\d+)-(\d+)", 1), (r"(\d+)-(\d+)", (1, 2))]
    answers = [replayed(tmp_path / side, text, "matcher", calls, 40, target.constants, spec)
               for side, text in (("base", FACTORY), ("cand", CARELESS))]
    check = compare(target, len(calls), *answers)
    [first, *_] = check.counterexamples
    assert "answering" in first.base and "IndexError" in first.candidate, first.line()
    assert " at 0x" not in first.base  # alike on both trees but for the closure's answers
    without = [replayed(tmp_path / f"plain-{side}", text, "matcher", calls, 40,
                        target.constants)
               for side, text in (("base", FACTORY), ("cand", CARELESS))]
    plain = compare(target, len(calls), *without)
    assert plain.counterexamples == () and plain.problem == OPAQUE  # no evidence, no pass


def test_a_target_without_inner_functions_is_answered_as_before(tmp_path: Path) -> None:
    source = "def double(n):\n    return n * 2\n"
    answer = replayed(tmp_path, source, "double", [(3,)], 0, (),
                      {"applied": [_pickled(1)]})
    assert {r["shown"] for r in answer["results"]} == {"6"}
    assert Target("pkg/m.py", "double", frozenset({1, 2}), ()).inner == ()


def test_the_inner_functions_are_captured_beside_and_their_arguments_go_in_the_job(
        tmp_path: Path) -> None:
    from governance.proof.check_record import MAX_APPLIED, Record
    [target], _ = touched_functions(FACTORY, CARELESS, "pkg/m.py")
    record = Record(None, tmp_path, tmp_path, [target], ["t::x"], tmp_path)  # type: ignore[arg-type]
    assert record.kin() == [("pkg/m.py", "matcher.<locals>.match")]
    calls = [{"pickle": _pickled(f"{n}-{n}")} for n in range(MAX_APPLIED + 3)]
    record.captured = {"kin": {("pkg/m.py", "matcher.<locals>.match"): {"calls": calls}}}
    assert record.applied(target) == [c["pickle"] for c in calls[:MAX_APPLIED]]
    record.captured = {}
    assert record.applied(target) == []
