"""An `and`/`or` operand another operand implies is no mutation when dropped or added
(governance.proof.implied_operands): which guards are redundant, and which careless drops
of a guard keep their mutant's shape."""

from __future__ import annotations

import textwrap

import pytest

from governance.proof.mutant_shaped import mutant_shaped


def _function(test: str, body: str = "return 1") -> str:
    return textwrap.dedent(f'''\
        def pick(x, y, obj):
            if {test}:
                {body}
            return 0
        ''')


REDUNDANT = [  # (base test, candidate test): the candidate's test reads the same truth
    # json-merge-patch's merge_obj (wave 26): 'first' is true
    ("x and x == 'first'", "x == 'first'"),
    # termcolor's can_colorize (wave 10): None is false
    ("x is not None and x", "x"),
    ("x is not None and x == 0", "x == 0"),
    ("'first' == x and x", "'first' == x"),
    ("x is not None and x in ('a', 'b')", "x in ('a', 'b')"),
    ("x is not None and x and x == 'a'", "x == 'a'"),
    ("y > 1 and x and x == 'a'", "y > 1 and x == 'a'"),
    ("x == 'a' and x", "x == 'a'"),
    # in an `or`, what is dropped implies what is kept
    ("x is None or not x", "not x"),
    ("not x or x != 'a'", "x != 'a'"),
    ("x is None or x != 3", "x != 3"),
    # added, not dropped
    ("x == 'first'", "x and x == 'first'"),
    # under `not`, in a comprehension's condition
    ("not (x is not None and x)", "not x"),
]

STILL_SHAPED = [  # (base test, candidate test): what is dropped is not implied
    ("x is not None and x > 0", "x > 0"),  # `None > 0` raises
    ("x and x == ''", "x == ''"),  # '' is false
    ("x is not None and x == None", "x == None"),
    ("x is not None and x in ('a', None)", "x in ('a', None)"),
    ("x and x in ('a', y)", "x in ('a', y)"),  # y is not a literal
    ("x and y == 'a'", "y == 'a'"),  # another subject
    ("x and x.y and x == 'a'", "x.y and x == 'a'"),
    ("x is not None and x.y and x", "x.y and x"),  # `x.y` now runs on None
    ("x and x in 'abc'", "x in 'abc'"),  # a substring test, not a member of literals
    ("x is not None or x", "x"),
    ("x or x == 'a'", "x == 'a'"),
    ("x is not None and x", "x is not None"),  # the truth is dropped: 0 and '' differ
]


@pytest.mark.parametrize(("before", "after"), REDUNDANT, ids=[a for a, _ in REDUNDANT])
def test_a_guard_the_kept_operand_implies_is_no_mutation(before, after):
    assert mutant_shaped(_function(before), _function(after), "m.py") == []


@pytest.mark.parametrize(("before", "after"), STILL_SHAPED, ids=[a for a, _ in STILL_SHAPED])
def test_a_guard_nothing_kept_implies_stays_a_mutants_shape(before, after):
    (found,) = mutant_shaped(_function(before), _function(after), "m.py")
    assert found.what.endswith("dropped")


def test_outside_a_test_the_operator_answers_an_operand_not_a_truth():
    """`x and x == 'a'` answers '' for x = '', where `x == 'a'` answers False."""
    base = "def pick(x):\n    return x and x == 'a'\n"
    cand = "def pick(x):\n    return x == 'a'\n"
    assert [f.what for f in mutant_shaped(base, cand, "m.py")] == ["`and x` dropped"]
    held = "def pick(x):\n    return [v for v in x if v and v == 'a']\n"
    also = "def pick(x):\n    return [v for v in x if v == 'a']\n"
    assert mutant_shaped(held, also, "m.py") == []
    ternary = "def pick(x):\n    return 1 if x is not None and x else 2\n"
    assert mutant_shaped(ternary, ternary.replace("x is not None and ", ""), "m.py") == []


@pytest.mark.parametrize(("before", "after"), REDUNDANT + STILL_SHAPED,
                         ids=[a for a, _ in REDUNDANT + STILL_SHAPED])
def test_each_table_row_is_true_of_the_values_it_names(before, after):
    """The rule read off the text agrees with running both tests on builtin values: each
    redundant pair answers the same truth for every value tried, and each pair left a
    mutant's shape differs on one or raises where the base did not."""
    values = [None, 0, 1, -1, 0.0, 2.5, "", "a", "b", "first", "r", [], ["a"], (), 3, True,
              False]

    class Obj:
        def __init__(self, mode):
            self.mode, self.y = mode, mode

    def truth(test, x, y):
        try:
            return bool(eval(test, {}, {"x": x, "y": y, "obj": Obj(x)}))
        except Exception as exc:  # a raise is an answer here
            return type(exc)
    differs = any(truth(before, x, y) != truth(after, x, y) for x in values for y in values)
    assert differs == ((before, after) in STILL_SHAPED)


def test_an_attributes_guard_keeps_the_shape_a_property_may_answer_otherwise() -> None:
    """Found attacking the rule: `obj.mode` may be a property whose every read runs code,
    so `obj.mode is not None and obj.mode` reads it twice and `obj.mode` once; a mode that
    is None on its first read and set on its second tells the two apart."""
    before, after = "obj.mode is not None and obj.mode", "obj.mode"
    (found,) = mutant_shaped(_function(before), _function(after), "m.py")
    assert found.what == "`and obj.mode is not None` dropped"

    class Flipping:
        reads = 0

        @property
        def mode(self):
            Flipping.reads += 1
            return "r" if Flipping.reads % 2 else None

    answers = []
    for test in (before, after):
        Flipping.reads = 0
        answers.append(bool(eval(test, {}, {"obj": Flipping()})))
    assert answers == [False, True]
