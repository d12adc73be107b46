"""The literals of a function's changed statements come first among the constants its inputs
are made near (governance.proof.behaviour.changed_literals). jaconv's `hiragana2julius`
(wave 12) runs fifty replacements; one dropped as redundant changes only texts holding its
'〜', and that literal sat past the words an input is made of, so no input held it and the
careless change waited without a counterexample."""

from __future__ import annotations

from pathlib import Path

from governance.oracle.differential import compare
from governance.proof.behaviour import touched_functions
from tests.governance.oracle.replayed import replayed

PAIRS = [(chr(0x3042 + i), f"k{i}") for i in range(40)]  # あ -> k0, ぃ -> k1, ...
BASE = "def julius(text):\n" + "".join(
    f"    text = text.replace({k!r}, {v!r})\n" for k, v in PAIRS) \
    + "    text = text.replace('〜', ':')\n    return text\n"
CARELESS = BASE.replace("    text = text.replace('〜', ':')\n", "")


def test_the_dropped_statements_literals_come_first() -> None:
    [target], problems = touched_functions(BASE, CARELESS, "pkg/m.py")
    assert not problems
    assert list(target.constants[:2]) == ["〜", ":"]


def test_a_dropped_replacement_is_refused_at_a_text_holding_its_literal(
        tmp_path: Path) -> None:
    [target], _ = touched_functions(BASE, CARELESS, "pkg/m.py")
    answers = [replayed(tmp_path / side, text, "julius", [("あい",)], 300, target.constants)
               for side, text in (("base", BASE), ("cand", CARELESS))]
    check = compare(target, 1, *answers)
    assert any("〜" in c.line() for c in check.counterexamples)



SNAKE = '''def to_snake(name):
    def mark(c):
        if c.isupper():
            return "_" + c
        return c

    return "".join(mark(c) for c in name).lstrip("_").lower()
'''
INLINED = '''def to_snake(name):
    return "".join("_" + c if c.isupper() else c for c in name).lstrip("_").lower()
'''


def test_a_changed_texts_mutant_text_is_among_the_words_and_an_input_tells_it(
        tmp_path: Path) -> None:
    """camel-converter's `to_snake` helper inlined (wave 14): the mutant `lstrip("_X")` of
    its changed line is told only by a name starting with a capital X, and no input held
    one, so the correct refactor waited."""
    [target], _ = touched_functions(SNAKE, INLINED, "pkg/m.py")
    assert "_X" in target.constants
    mutant = SNAKE.replace('lstrip("_")', 'lstrip("_X")')
    answers = [replayed(tmp_path / side, text, "to_snake", [("someValue",), ("ab",)], 300,
                        target.constants)
               for side, text in (("base", SNAKE), ("mutant", mutant))]
    check = compare(target, 1, *answers)
    assert any("X" in c.line() for c in check.counterexamples), check


LOCATE = '''def locate(code):
    code = code.strip().upper()
    if len(code) < 2 or len(code) % 2:
        raise ValueError("a locator has an even length")
    first = ord(code[0]) - ord("A")
    if first >= 18:
        raise ValueError("the first letter is A to R")
    return first * 10 + int(code[1])
'''
PAST_R = LOCATE.replace("first >= 18", "first > 18")


def test_a_letter_an_ord_computation_compares_is_written_over_a_texts_own(
        tmp_path: Path) -> None:
    """maidenhead's first pair checked `>= 18` made `> 18` (wave 15): only a locator whose
    first letter is 'S' tells, and a letter put in makes its length odd, refused alike."""
    [target], _ = touched_functions(LOCATE, PAST_R, "pkg/m.py")
    assert {"S", "R", "T"} <= set(target.constants)
    answers = [replayed(tmp_path / side, text, "locate", [("F3",), ("B7",)], 300,
                        target.constants)
               for side, text in (("base", LOCATE), ("cand", PAST_R))]
    check = compare(target, 1, *answers)
    assert any("'S" in c.line() for c in check.counterexamples), check


VOWELS = '''import re


def decode(word):
    match = re.search("[aoeiuvü]+", word.lower())
    if match is None:
        return word.lower()
    return word.lower().replace(match.group(), match.group().upper(), 1)
'''
NARROWED = VOWELS.replace('"[aoeiuvü]+"', '"[aeiouü]+"')


def test_a_character_one_changed_text_holds_and_the_other_lacks_is_put_in_a_text(
        tmp_path: Path) -> None:
    """xpinyin's vowel class without `v` (wave 21): only a syllable holding a `v` tells, and
    no test's did; the characters the base's and candidate's changed texts part on are
    one-character constants, put over an input text's own."""
    [target], _ = touched_functions(VOWELS, NARROWED, "pkg/m.py")
    assert "v" in target.constants[:4]
    [same], _ = touched_functions(VOWELS, VOWELS.replace("[aoeiuvü]+", "[aoeiuüv]+"),
                                  "pkg/m.py")
    assert not any(len(c) == 1 for c in same.constants[:2] if isinstance(c, str))
    answers = [replayed(tmp_path / side, text, "decode", [("LE6",), ("SHANG4",)], 300,
                        target.constants)
               for side, text in (("base", VOWELS), ("cand", NARROWED))]
    check = compare(target, 1, *answers)
    assert any("v" in c.input.lower() for c in check.counterexamples), check
