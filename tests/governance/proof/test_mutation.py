"""governance.proof.mutation, pure: the mutants of changed statements, and the one text that
holds them all behind a switch (each selected mutant behaves as planned, none by default)."""

from __future__ import annotations

import builtins

import pytest

from governance.proof.mutation import SWITCH, mutated, plan, switched, without

OLD = "def f(x, lo=0):\n    return x\n"
NEW = '''def f(x, lo=0):
    """Doc."""
    log.info("x")
    if x >= 100 and lo:
        x = x * 2
    print(f"v {x}")
    y = [x]
    y.append(1)
    return x + 1
'''


class _Log:
    @staticmethod
    def info(*_args: object) -> None:
        return None


def _run(text: str, k: int, *args: object) -> object:
    scope: dict = {"log": _Log, "print": lambda *a: None}
    exec(compile(text, "m.py", "exec"), scope)
    setattr(builtins, SWITCH, k)
    try:
        return scope["f"](*args)
    except Exception as exc:
        return type(exc).__name__
    finally:
        delattr(builtins, SWITCH)


def test_each_changed_statement_gets_its_mutants_and_logging_none():
    found = [(m.line, m.what) for m in plan(OLD, NEW, "m.py")]
    assert found == [(4, "`>=` to `>`"), (4, "`>=` to `<`"), (5, "`*` to `/`"),
                     (7, "statement removed"), (8, "`1` to `2`"), (9, "`+` to `-`")]


def test_the_switched_text_is_the_candidate_unless_a_mutant_is_selected():
    mutants = plan(OLD, NEW, "m.py")
    text = switched(NEW, mutants)
    assert _run(text, 0, 100, 1) == 201
    assert [_run(text, m.id, 100, 1) for m in mutants] == [
        101, 101, 51.0, "UnboundLocalError", 201, 199]


@pytest.mark.parametrize("body", ["    out = list(xs)\n    out.sort()\n    return out\n",
                                  "    for x in xs:\n        xs.remove(x)\n        xs.append(x)\n"
                                  "    return xs\n"])
def test_statements_removed_one_after_another_in_one_block(body):
    """A guard the switch puts around a removed statement keeps its line: the walk for the
    next mutant orders blocks by line (a real fix crashed the check before)."""
    new = f"def f(xs):\n{body}"
    mutants = plan("def f(xs):\n    return xs\n", new, "m.py")
    assert len(mutants) >= 2
    compile(switched(new, mutants), "m.py", "exec")


def test_a_statement_is_mutated_where_it_changed():
    """A key added to a long table, a bound changed beside a comparison the base had: the
    mutant goes where the candidate differs from the base."""
    table_old = "KEYWORDS = {'SELECT': 1, 'FROM': 2}\n"
    table_new = "KEYWORDS = {'SELECT': 1, 'FROM': 2,\n            'MATERIALIZED': 3}\n"
    [m] = plan(table_old, table_new, "kw.py")
    assert m.what == "a string constant changed"
    scope: dict = {}
    setattr(builtins, SWITCH, m.id)
    try:
        exec(compile(switched(table_new, [m], table_old), "kw.py", "exec"), scope)
    finally:
        delattr(builtins, SWITCH)
    assert scope["KEYWORDS"] == {"SELECT": 1, "FROM": 2, "MATERIALIZEDX": 3}
    cond_old = "def f(x, y):\n    return x > 100 and y\n"
    cond_new = cond_old.replace("and y", "and y > 5")
    mutants = plan(cond_old, cond_new, "m.py")
    assert [m.what for m in mutants] == ["`>` to `>=`", "`>` to `<=`"]
    text = switched(cond_new, mutants, cond_old)
    assert [_run(text.replace("def f(x, y)", "def f(x, y=5)"), m.id, 101) for m in mutants] \
        == [True, True]  # the new `y > 5` mutated, at y == 5; the base's `x > 100` kept


def test_a_raised_exception_or_an_assert_keeps_its_message():
    """`'bad %s' % v` made `'bad %s' // v` raises a TypeError all the same: a test of the
    exception's type survives it. The raise is checked by removing it; an assert by its
    condition."""
    new = ("def f(v):\n    if v < 0:\n        raise TypeError('bad %s' % v)\n"
           "    assert v != 3, 'no %d' % v\n    raise ValueError\n")
    assert [(m.line, m.what) for m in plan(None, new, "m.py")] == [
        (2, "`<` to `<=`"), (2, "`<` to `>=`"), (3, "statement removed"),
        (4, "`!=` to `==`"), (5, "statement removed")]


def test_printing_help_or_a_traceback_only_prints():
    new = ("def main(args):\n    if not args.which:\n        args.parser.print_help()\n"
           "        traceback.print_exc()\n        raise SystemExit()\n")
    assert [(m.line, m.what) for m in plan(None, new, "m.py")] == [
        (2, "`not` dropped"), (5, "statement removed")]


def test_each_mutant_as_plain_code_answers_as_it_does_behind_the_switch():
    """What the equivalence check replays is the mutant the forked child ran."""
    mutants = plan(OLD, NEW, "m.py")
    text = switched(NEW, mutants)
    for m in mutants:
        plain = mutated(NEW, m, OLD)
        assert SWITCH not in plain
        assert [_run(plain, 0, x, 1) for x in (99, 100, 101)] == \
            [_run(text, m.id, x, 1) for x in (99, 100, 101)], m.what
    assert _run(without(NEW, 9), 0, 100, 1) is None  # the return removed


ATTRS_OLD = "T = {}\n\n\nclass Stats:\n    mean = prop('mean')\n    limit = 10\n"


@pytest.mark.parametrize(("new", "removed"), [
    # a class attribute and a table entry the candidate adds: the binding removed too
    (ATTRS_OLD + "    mode = prop('mode')\n", {7}),
    (ATTRS_OLD + "T['mode'] = 'mode'\n", {7}),
    # a binding the base had (changed, not added), and a new local in a function: not
    (ATTRS_OLD.replace("limit = 10", "limit = 11"), set()),
    (ATTRS_OLD + "\n\ndef f():\n    mode = prop('mode')\n    return mode\n", set()),
    # the base bound the name in that scope another way (a method)
    (ATTRS_OLD.replace("    limit = 10\n", "    def mode(self):\n        return 1\n"
                       ).replace("return 1", "return 2") + "    mode = prop('mode')\n",
     set()),
])
def test_an_added_import_time_binding_also_gets_the_binding_removed(new, removed):
    old = ATTRS_OLD.replace("    limit = 10\n", "    def mode(self):\n        return 1\n") \
        if "def mode" in new else ATTRS_OLD
    found = plan(old, new, "m.py")
    assert {m.line for m in found if m.what == "binding removed"} == removed, found
    for m in found:  # each compiles, switched and plain
        compile(switched(new, found, old), "m.py", "exec")
        compile(mutated(new, m, old), "m.py", "exec")


def test_floor_division_made_true_division_gets_a_coarser_second():
    """`n // 2` made `n / 2` can be equivalent (an error term only compared with whole
    numbers, pytweening's getLine): the line is unchecked only when `*` survives too."""
    old = "def f(n):\n    err = int(n / 2)\n    return err < 3\n"
    new = "def f(n):\n    err = n // 2\n    return err < 3\n"
    found = [m for m in plan(old, new, "m.py") if m.line == 2]
    assert [m.what for m in found] == ["`//` to `/`", "`//` to `*`"]
    text = switched(new, found, old)
    # the first is equivalent here (the quotient is compared with a whole number) ...
    assert [_run(text, found[0].id, n) for n in range(9)] == [_run(new, 0, n) for n in range(9)]
    # ... the second is told at n = 2
    assert _run(text, found[1].id, 2) != _run(new, 0, 2)
    assert [(m.what, _run(mutated(new, m, old), 0, 2)) for m in found] == \
        [(m.what, _run(text, m.id, 2)) for m in found]
