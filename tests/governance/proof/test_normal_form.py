"""A function whose normal form is its base's is the same code (governance.proof.normal_form):
temporaries inlined or taken out (governance.proof.temporaries), a choice between two
branches written either way (governance.proof.branches). Where a value would run at another
point relative to anything with an effect, or another number of times, or a branch would
fall through where it returned, it is not shown."""

import textwrap

import pytest

from governance.proof.behaviour import touched_functions
from governance.proof.normal_form import normal_forms
from governance.proof.same_code import same_code

HEAD = "import re\n\nLIMIT = 3\n\n\ndef helper(x):\n    return x\n\n\n"


def shown(base: str, cand: str) -> list[str]:
    return [t.function for t in normal_forms(HEAD + textwrap.dedent(base),
                                            HEAD + textwrap.dedent(cand))]


@pytest.mark.parametrize(("base", "cand"), [
    # inline temp into a return, after a builtin and a parameter
    ("def f(a):\n    total = helper(a)\n    return len(a, total)\n",
     "def f(a):\n    return len(a, helper(a))\n"),
    # extract variable: an annotated one (a function never evaluates the annotation)
    ("def f(a):\n    return max(LIMIT, a)\n",
     "def f(a):\n    pattern: re.Pattern = LIMIT\n    return max(pattern, a)\n"),
    # into an if's test and a for's iterable
    ("def f(a):\n    seen = helper(a)\n    if seen:\n        return 1\n    return 2\n",
     "def f(a):\n    if helper(a):\n        return 1\n    return 2\n"),
    ("def f(a):\n    for x in helper(a):\n        print(x)\n",
     "def f(a):\n    items = helper(a)\n    for x in items:\n        print(x)\n"),
    # two messages named alike, each raised on the next line; a constant into an f-string
    ("def f(a):\n    if a:\n        msg = 'one'\n        raise ValueError(msg)\n"
     "    msg = 'two'\n    raise TypeError(f'{helper(a)} {msg}')\n",
     "def f(a):\n    if a:\n        raise ValueError('one')\n"
     "    raise TypeError(f'{helper(a)} two')\n"),
    # temporaries inlined and a local renamed on top
    ("def f(a):\n    n = helper(a)\n    return n + 1\n",
     "def f(b):\n    return helper(b) + 1\n".replace("b", "a")),
    # the first iterable of a comprehension runs once, in the function's scope
    ("def f(a):\n    xs = helper(a)\n    return [x + 1 for x in xs]\n",
     "def f(a):\n    return [x + 1 for x in helper(a)]\n"),
])
def test_temporaries_inlined_or_taken_out_are_the_same_code(base, cand):
    assert shown(base, cand) == ["f"]


@pytest.mark.parametrize(("base", "cand"), [
    # a call runs before the read: the value would run after it
    ("def f(a):\n    t = helper(a)\n    return print(a) or t\n",
     "def f(a):\n    return print(a) or helper(a)\n"),
    ("def f(a):\n    t = helper(a)\n    return helper(0) + t\n",
     "def f(a):\n    return helper(0) + helper(a)\n"),
    # the read only on one branch of `and`, or of a conditional expression
    ("def f(a):\n    t = helper(a)\n    return a and t\n",
     "def f(a):\n    return a and helper(a)\n"),
    ("def f(a):\n    t = helper(a)\n    return 1 if a else t\n",
     "def f(a):\n    return 1 if a else helper(a)\n"),
    # read in a loop's test, a comprehension's element, a lambda: run again, or later
    ("def f(a):\n    t = helper(a)\n    while t:\n        a -= 1\n",
     "def f(a):\n    while helper(a):\n        a -= 1\n"),
    ("def f(a):\n    t = helper(a)\n    return [t for x in a]\n",
     "def f(a):\n    return [helper(a) for x in a]\n"),
    ("def f(a):\n    t = helper(a)\n    return lambda: t\n",
     "def f(a):\n    return lambda: helper(a)\n"),
    # read two statements later; read twice
    ("def f(a):\n    t = helper(a)\n    print(a)\n    return t\n",
     "def f(a):\n    print(a)\n    return helper(a)\n"),
    ("def f(a):\n    t = helper(a)\n    return t + t\n",
     "def f(a):\n    return helper(a) + helper(a)\n"),
    # an attribute read, or a local not surely bound, before the read
    ("def f(a):\n    t = helper(a)\n    return a.b + t\n",
     "def f(a):\n    return a.b + helper(a)\n"),
    ("def f(a):\n    t = helper(a)\n    return re.sub(t, a)\n",
     "def f(a):\n    return re.sub(helper(a), a)\n"),
    ("def f(a):\n    if a:\n        k = 1\n    t = helper(a)\n    return k + t\n",
     "def f(a):\n    if a:\n        k = 1\n    return k + helper(a)\n"),
    # a global that a function of the module rebinds, read before the value
    ("def f(a):\n    t = helper(a)\n    return LIMIT + t\n\n\ndef g():\n    global LIMIT\n"
     "    LIMIT = 4\n",
     "def f(a):\n    return LIMIT + helper(a)\n\n\ndef g():\n    global LIMIT\n    LIMIT = 4\n"),
    # a plain module variable is state a call may change; so is every global of a module
    # that reaches its names by their text
    ("def f(a):\n    t = helper(a)\n    return LIMIT + t\n",
     "def f(a):\n    return LIMIT + helper(a)\n"),
    ("def f(a):\n    t = helper(a)\n    return helper(t)\n\n\nG = globals()\n",
     "def f(a):\n    return helper(helper(a))\n\n\nG = globals()\n"),
    # the temporary is a global; its value binds a name
    ("def f(a):\n    global t\n    t = helper(a)\n    return t\n",
     "def f(a):\n    global t\n    return helper(a)\n"),
    ("def f(a):\n    t = (n := helper(a))\n    return n + t\n",
     "def f(a):\n    return n + (n := helper(a))\n"),
    # the function reads its locals by their text
    ("def f(a):\n    t = helper(a)\n    return (t, locals())\n",
     "def f(a):\n    return (helper(a), locals())\n"),
    # a constant formatted with a conversion is not its text
    ("def f(a):\n    msg = 'x'\n    return f'{msg!r}'\n",
     "def f(a):\n    return f'x'\n"),
])
def test_moves_that_could_change_what_runs_are_not_shown(base, cand):
    assert shown(base, cand) == []


def test_a_temporary_rule_function_is_no_target_and_is_the_same_code():
    base = HEAD + "def f(a):\n    total = helper(a)\n    return len(a, total)\n"
    cand = HEAD + "def f(a):\n    return len(a, helper(a))\n"
    assert touched_functions(base, cand, "m.py") == ([], [])
    [same] = same_code(base, cand)
    assert same.function == "f" and same.candidate_lines == (range(10, 12),)


@pytest.mark.parametrize(("base", "cand"), [
    ("def f(a):\n    if a:\n        x = 1\n    else:\n        x = 2\n    return x\n",
     "def f(a):\n    x = 1 if a else 2\n    return x\n"),
    ("def f(a):\n    if a > LIMIT:\n        return 'big'\n    return 'small'\n",
     "def f(a):\n    return 'big' if a > LIMIT else 'small'\n"),
    ("def f(a):\n    if not a:\n        print(1)\n    else:\n        print(2)\n",
     "def f(a):\n    if a:\n        print(2)\n    else:\n        print(1)\n"),
    # a guard clause per case, or an elif chain, each falling to the rest
    ("def f(a):\n    if a == 1:\n        return 'one'\n    if a == 2:\n        raise ValueError\n"
     "    print(a)\n    return 'many'\n",
     "def f(a):\n    if a == 1:\n        return 'one'\n    elif a == 2:\n        raise ValueError\n"
     "    else:\n        print(a)\n        return 'many'\n"),
])
def test_a_choice_written_either_way_is_the_same_code(base, cand):
    assert shown(base, cand) == ["f"]


@pytest.mark.parametrize(("base", "cand"), [
    # a branch that falls through: the rest runs after it too
    ("def f(a):\n    if a:\n        print(1)\n    return 2\n",
     "def f(a):\n    if a:\n        print(1)\n    else:\n        return 2\n"),
    # the other value on one branch, or the test negated alone
    ("def f(a):\n    if a:\n        x = 1\n    else:\n        x = 2\n    return x\n",
     "def f(a):\n    x = 2 if a else 1\n    return x\n"),
    ("def f(a):\n    if not a:\n        print(1)\n    else:\n        print(2)\n",
     "def f(a):\n    if a:\n        print(1)\n    else:\n        print(2)\n"),
    # a guard that returns on one branch only of its own if
    ("def f(a):\n    if a:\n        if a > 1:\n            return 1\n    return 2\n",
     "def f(a):\n    if a:\n        if a > 1:\n            return 1\n    else:\n"
     "        return 2\n"),
])
def test_a_choice_that_could_run_otherwise_is_not_shown(base, cand):
    assert shown(base, cand) == []


INTS = "def f(xs, a):\n    lo = 0\n    hi = len(xs) - 1\n    mid = {}\n    return mid\n"


@pytest.mark.parametrize(("base", "cand"), [
    ("(lo + hi) // 2", "(lo + hi) >> 1"),
    ("(lo + hi) % 8", "(lo + hi) & 7"),
    ("hi * 4", "hi << 2"),
    ("-hi // 1", "-hi >> 0"),
    # masks greater than the largest shift written out (1,024): otpauth's sign bit (wave 30)
    ("hi & 0x7FFFFFFF", "hi % 0x80000000"),
    ("hi % 0x10000000000000000", "hi & 0xFFFFFFFFFFFFFFFF"),
])
def test_a_shift_or_mask_of_an_exact_int_is_its_arithmetic(base, cand):
    assert shown(INTS.format(base), INTS.format(cand)) == ["f"]


@pytest.mark.parametrize(("base", "cand"), [
    ("a // 2", "a >> 1"),  # a parameter may be a float: 2.5 // 2 is 1.0, 2.5 >> 1 raises
    ("(lo + hi) % 7", "(lo + hi) & 6"),  # 7 is no power of two
    ("(lo + hi) // 3", "(lo + hi) >> 1"),
    ("len(xs) / 2", "len(xs) >> 1"),  # true division answers a float
    ("hi * 2**2000", "hi << 2000"),  # a shift past the largest written out stays one
    ("hi % 2**31", "hi & -2147483649"),  # a negative mask
])
def test_a_shift_or_mask_that_could_answer_otherwise_is_not_shown(base, cand):
    assert shown(INTS.format(base), INTS.format(cand)) == []


def test_a_rule_that_cannot_decide_shows_nothing(monkeypatch):
    """Unparsable text, or a rewrite that fails on a text it never met, is no proof of the
    same code: the function stays a target of the differential check (fail closed)."""
    base, cand = HEAD + "def f(a):\n    t = helper(a)\n    return t\n", \
        HEAD + "def f(a):\n    return helper(a)\n"
    assert shown(base, cand) == ["f"]
    assert same_code("def f(:\n", cand) == () and same_code(base, "def f(:\n") == ()

    def broken(fn):
        raise RecursionError("a text too deep for the walk")
    monkeypatch.setattr("governance.proof.normal_form.branches_in_one_form", broken)
    assert shown(base, cand) == []
    # (another text than above: same_code keeps its last answers)
    assert [t.qualname for t in touched_functions(base + "\n", cand, "m.py")[0]] == ["f"]
