"""The module state a function's calls leave behind (governance.oracle.replay_state, the
runner's side; governance.oracle.state_diff, the daemon's): a careless change that writes
into its module's own table answers alike on every call and is refused; tables a memo fills
on both trees, or that a call only adds to, are no difference; a write seen only after
inputs the other tree never answered tells nothing (emoji's EMOJI_DATA, wave 11)."""

from __future__ import annotations

import os
import sys
import time
import types
from pathlib import Path

from governance.oracle import replay_state
from governance.oracle.differential import Target, compare
from governance.oracle.replay_state import Writes
from tests.governance.oracle.replayed import replayed

COPIED = '''TABLE = {"a": {"n": 1}, "b": {"n": 2}}
MEMO = {}


def lookup(k, hook=None):
    d = TABLE[k].copy()
    d["at"] = 0
    MEMO[k] = d["n"]
    return d["n"] if hook is None else hook(d)
'''
UNCOPIED = COPIED.replace("TABLE[k].copy()", "TABLE[k]")
MEMO_AS_SETDEFAULT = COPIED.replace('MEMO[k] = d["n"]', 'MEMO.setdefault(k, d["n"])')
REBUILT = '''class Rule:
    def __init__(self, n):
        self.n = n


RULES = {"a": Rule(1)}


def rule(k):
    RULES[k] = Rule(RULES[k].n)  # built anew on every call: alike, at another address
    return RULES[k].n
'''
KEPT = "\n".join(line for line in REBUILT.splitlines() if "built anew" not in line) + "\n"
LATE = '''TABLE = {"a": 1}


def bump(n):
    if n > 1000:
        TABLE["a"] = n
    return n * 2
'''
TARGET = Target("pkg/m.py", "lookup", frozenset(range(1, 10)), ())


def _check(where: Path, base: str, cand: str, generate: tuple[int, int] = (0, 0),
           target: Target = TARGET, arguments: tuple = (("a",), ("b",))):
    answers = [replayed(where / side, text, target.qualname, list(arguments), n)
               for side, text, n in zip(("base", "cand"), (base, cand), generate,
                                        strict=True)]
    return compare(target, len(arguments), *answers)


def test_a_copy_dropped_writes_into_the_modules_table_and_is_refused(tmp_path: Path) -> None:
    check = _check(tmp_path, COPIED, UNCOPIED)
    assert [c.candidate for c in check.counterexamples] == ["changes entries it held"]
    assert "pkg.m.TABLE" in check.counterexamples[0].line()
    # the other way round too: a write the base made that the candidate drops
    back = _check(tmp_path / "back", UNCOPIED, COPIED)
    assert [c.base for c in back.counterexamples] == ["changes entries it held"]


def test_a_memo_filled_on_both_trees_is_no_difference(tmp_path: Path) -> None:
    check = _check(tmp_path, COPIED, MEMO_AS_SETDEFAULT)
    assert check.counterexamples == () and check.compared >= 2


def test_an_entry_built_anew_alike_at_another_address_is_no_write(tmp_path: Path) -> None:
    target = Target("pkg/m.py", "rule", frozenset(range(1, 12)), ())
    check = _check(tmp_path, REBUILT, KEPT, target=target, arguments=(("a",), ("a",)))
    assert check.counterexamples == () and check.compared >= 1


def test_a_write_after_inputs_one_tree_never_answered_tells_nothing(tmp_path: Path) -> None:
    target = Target("pkg/m.py", "bump", frozenset(range(1, 6)), ())
    calm = LATE.replace('TABLE["a"] = n', "pass")
    # the candidate's generated inputs reach the write; the base answered none of them
    check = _check(tmp_path, calm, LATE, (0, 200), target, ((3,), (5,)))
    assert not any("TABLE" in c.line() for c in check.counterexamples)
    both = _check(tmp_path / "both", calm, LATE, (200, 200), target, ((3,), (5,)))
    assert any("pkg.m.TABLE" in c.line() for c in both.counterexamples)


def test_entries_added_are_no_write_and_entries_changed_or_gone_are(tmp_path: Path) -> None:
    module = types.ModuleType("tree_mod")
    module.__file__ = str(tmp_path / "tree_mod.py")
    module.D, module.L, module.S = {"k": [1]}, [1, 2], {1, 2}
    sys.modules["tree_mod"] = module
    try:
        writes = Writes(str(tmp_path))
        module.D["new"] = [0]
        module.L.append(3)
        module.S.add(3)
        writes.check("g1")
        assert writes.answer()["wrote"] == {}
        module.D["k"].append(2)
        module.L.pop(0)
        module.S.discard(1)
        writes.check("g2")
        assert writes.answer() == {"watched": ["tree_mod.D", "tree_mod.L", "tree_mod.S"],
                                   "wrote": dict.fromkeys(("tree_mod.D", "tree_mod.L",
                                                           "tree_mod.S"), "g2")}
    finally:
        del sys.modules["tree_mod"]


def test_a_process_holding_many_modules_still_watches_the_trees_tables(
        tmp_path: Path, monkeypatch) -> None:
    """Resolving every imported module's path is not the fingerprint's CPU bound: an xdist
    worker holding thousands of modules once spent the whole bound on it and watched
    nothing (CI at 1895367)."""
    slow_realpath = os.path.realpath

    def realpath(path: str) -> str:
        end = time.process_time() + 0.001  # a slow filesystem's path resolution
        while time.process_time() < end:
            pass
        return slow_realpath(path)

    others = {f"other_mod_{i}": types.ModuleType(f"other_mod_{i}") for i in range(800)}
    for name, other in others.items():
        other.__file__ = f"/elsewhere/{name}.py"
    module = types.ModuleType("tree_mod")
    module.__file__ = str(tmp_path / "tree_mod.py")
    module.D = {"k": 1}
    monkeypatch.setattr(replay_state.os.path, "realpath", realpath)
    monkeypatch.setattr(sys, "modules", {**sys.modules, **others, "tree_mod": module})
    writes = Writes(str(tmp_path))
    module.D["k"] = 2
    writes.check("g1")
    assert writes.answer() == {"watched": ["tree_mod.D"], "wrote": {"tree_mod.D": "g1"}}


def test_what_a_trees_code_could_write_in_the_state_field_tells_nothing() -> None:
    """A tree's code can write the answer file: a table only one side names watched, a key
    no comparison looked at, or a field of another shape is no counterexample, and no
    crash."""
    from governance.oracle.state_diff import state_written
    keys, texts = {"c0"}, {"c0": "x"}
    calm = {"state": {"watched": ["m.T"], "wrote": {}}}
    for hostile in ({"state": {"watched": ["m.U"], "wrote": {"m.U": "c0"}}},
                    {"state": {"watched": ["m.T"], "wrote": {"m.T": "g9"}}},
                    {"state": {"watched": "m.T", "wrote": {"m.T": "c0"}}},
                    {"state": {"watched": ["m.T"], "wrote": {"m.T": ["c0"]}}},
                    {"state": ["m.T"]}, {}):
        assert state_written(calm, hostile, keys, texts) == []
        assert state_written(hostile, calm, keys, texts) == []
    written = {"state": {"watched": ["m.T"], "wrote": {"m.T": "c0"}}}
    assert [c[2] for c in state_written(calm, written, keys, texts)] == [
        "changes entries it held"]
