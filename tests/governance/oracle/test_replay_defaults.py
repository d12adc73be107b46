"""A changed default (governance.proof.behaviour.changed_defaults, governance.oracle.
replay_defaults): the capture reads a call's arguments from its frame, so every captured call
passes the default itself and the candidate's new default is never used. Each call passing
the changed parameter is answered left to it too, on both trees alike, and the inputs made
from those calls tell it (marko's `partition_by_spaces` widened from ' \\t', jaconv's
`normalize` from 'NFKC' to 'NFC': wave 12, both waiting without a counterexample)."""

from __future__ import annotations

import ast
from pathlib import Path

from governance.oracle.differential import Target, compare
from governance.proof.behaviour import changed_defaults
from tests.governance.oracle.replayed import replayed

PARTITION = '''def partition(text, spaces=" \\t"):
    start = end = -1
    for i, c in enumerate(text):
        if c in spaces:
            if start < 0:
                start = i
        elif start >= 0:
            end = i
            break
    if start < 0:
        return text, "", ""
    return text[:start], text[start:end if end >= 0 else None], text[end:] if end >= 0 else ""
'''
PARTITION_WIDENED = PARTITION.replace('spaces=" \\t"', 'spaces=" \\t\\n\\r\\x0b"')


def _def(text: str) -> ast.FunctionDef:
    node = ast.parse(text).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_the_parameters_whose_default_is_added_altered_or_removed() -> None:
    old = _def("def f(a, b=' \\t', *, c=1, d=None): pass")
    assert changed_defaults(_def("def f(a, b=' \\t\\n', *, c=1, d=None): pass"), old) == ("b",)
    assert changed_defaults(_def("def f(a, b, *, c=2, d=None): pass"), old) == ("b", "c")
    assert changed_defaults(_def("def f(a=0, b=' \\t', *, c=1, d=None): pass"), old) == ("a",)
    assert changed_defaults(old, old) == ()


def _check(where: Path, redefaulted: list[str]):
    """Ten calls captured as the frame holds them, the default passed by each."""
    texts = [(f"w{i} x{i}", " \t") for i in range(10)]
    constants = (" \t", " \t\n\r\x0b", -1, 0)
    answers = [replayed(where / side, text, "partition", texts, 300, constants,
                        spec={"redefaulted": redefaulted})
               for side, text in (("base", PARTITION), ("cand", PARTITION_WIDENED))]
    return compare(Target("pkg/m.py", "partition", frozenset(range(1, 20)), constants),
                   len(texts), *answers)


def test_a_widened_default_is_told_on_calls_left_to_it(tmp_path: Path) -> None:
    check = _check(tmp_path / "left", ["spaces"])
    assert check.counterexamples, check
    assert all(", ' \\t'" not in c.input for c in check.counterexamples)  # left to it
    # as before: every captured call passes ' \t' itself, and no input tells the trees
    assert not _check(tmp_path / "passed", []).counterexamples
