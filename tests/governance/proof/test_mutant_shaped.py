"""A preserve change shaped like a mutant is not shown preserved by the absence of a
difference (governance.proof.mutant_shaped): which changes have that shape, which do not,
and what the differential check's report says of one."""

from __future__ import annotations

import textwrap

import pytest

from governance.oracle.differential import Counterexample, DiffReport, FunctionCheck
from governance.proof.mutant_shaped import mutant_shaped
from tests.governance.proof.judged import judged
from tests.governance.refactors.corpus import all_refactors as small_corpus
from tests.governance.refactors_real.corpus import all_refactors as real_corpus
from tools.jail import bwrap_available

BASE = textwrap.dedent('''\
    import math

    LIMIT = 4_000_000


    def bound(a, b):
        """Refuse what is too large."""
        if abs(a) > LIMIT or abs(b) > LIMIT:
            raise ValueError(a, b)
        return sorted([a, b])[0] + 1


    class Label:
        def context(self, label, pos):
            if pos > 0 and not label.startswith("x"):
                prev = label[pos - 1]
                return prev.strip()
            return math.floor(pos / 2)
    ''')

SHAPED = [  # (edit of BASE, the shape named)
    (("abs(a) > LIMIT", "abs(a) >= LIMIT"), "`>` to `>=`"),
    (("abs(a) > LIMIT", "a > LIMIT"), "`abs(...)` dropped"),
    (("[0] + 1", "[0] - 1"), "`+` to `-`"),
    (("[0] + 1", "[0] + 2"), "1 to 2"),
    (("or abs(b)", "and abs(b)"), "`or` to `and`"),
    (("sorted([a, b])", "list([a, b])"), "`sorted` to `list`"),
    (("if pos > 0 and", "if pos >= 0 and"), "`>` to `>=`"),
    (("and not label", "and label"), "`not ...` dropped"),
    (("prev.strip()", "prev.rstrip()"), "`.strip` to `.rstrip`"),
    (('startswith("x")', 'startswith("y")'), "'x' to 'y'"),
    (("pos / 2", "pos // 2"), "`/` to `//`"),
    (("return math.floor(pos / 2)", "return int(math.floor(pos / 2))"), "`int(...)` added"),
    # a condition dropped from an `and` (uritemplate's `value != ""`, seen wave 6) or added
    (("if pos > 0 and not label.startswith(\"x\"):", "if not label.startswith(\"x\"):"),
     "`and pos > 0` dropped"),
    (("abs(a) > LIMIT or abs(b) > LIMIT", "abs(a) > LIMIT or abs(b) > LIMIT or a == b"),
     "`or a == b` added"),
    # several operands of one `or` dropped (jsonpath-ng's sort guard, wave 26)
    (("abs(a) > LIMIT or abs(b) > LIMIT", "a == b or abs(a) > LIMIT or abs(b) > LIMIT or b"),
     "`or a == b or b` added"),
    # an expression moved by one (mnemonic's checksum loop one bit short, wave 13)
    (("math.floor(pos / 2)", "math.floor(pos / 2) - 1"), "`- 1` added"),
    (("label[pos - 1]", "label[pos]"), "`- 1` dropped"),
]

NOT_SHAPED = [  # refactors that restructure, rename or only reword a docstring
    ("helper extracted", ("    if abs(a) > LIMIT or abs(b) > LIMIT:\n",
                          "    if _too_large(a, b):\n"),
     "\n\ndef _too_large(a, b):\n    return abs(a) > LIMIT or abs(b) > LIMIT\n"),
    ("renamed local", ("prev = label[pos - 1]\n            return prev.strip()",
                       "before = label[pos - 1]\n            return before.strip()"), ""),
    ("guard clause", ("        if pos > 0 and not label.startswith(\"x\"):\n"
                      "            prev = label[pos - 1]\n"
                      "            return prev.strip()\n"
                      "        return math.floor(pos / 2)\n",
                      "        if pos <= 0 or label.startswith(\"x\"):\n"
                      "            return math.floor(pos / 2)\n"
                      "        prev = label[pos - 1]\n"
                      "        return prev.strip()\n"), ""),
    ("docstring reworded", ('"""Refuse what is too large."""', '"""Refuse large values."""'),
     ""),
    ("restructured and a boundary moved", (
        "    return sorted([a, b])[0] + 1\n",
        "    low = min(a, b)\n    return low + 1\n"), ""),
]


def _edited(edit: tuple[str, str], tail: str = "") -> str:
    old, new = edit
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new) + tail


@pytest.mark.parametrize(("edit", "what"), SHAPED, ids=[w for _, w in SHAPED])
def test_a_change_a_mutation_operator_makes_is_named(edit, what):
    found = mutant_shaped(BASE, _edited(edit), "calc.py")
    assert [f.what for f in found] == [what]
    line = next(i for i, text in enumerate(_edited(edit).splitlines(), 1) if edit[1] in text)
    assert found[0].line == line
    assert found[0].named().startswith(f"calc.py:{line} in ")


@pytest.mark.parametrize(("why", "edit", "tail"), NOT_SHAPED, ids=[w for w, _, _ in NOT_SHAPED])
def test_a_refactor_that_restructures_is_not(why, edit, tail):
    assert mutant_shaped(BASE, _edited(edit, tail), "calc.py") == []


def test_a_test_negated_with_its_branches_swapped_is_no_difference_negated_alone_it_is():
    """parso's `x if i == 3 else int(x)` written `int(x) if i != 3 else x` waited for review
    as three mutants (wave 28); the negated test alone, branches kept, is still one."""
    base = "def part(i, x):\n    return x if i == 3 else int(x)\n\n\n" \
           "def pick(a, b):\n    if a in b:\n        return 1\n    else:\n        return 2\n"
    inverted = base.replace("x if i == 3 else int(x)", "int(x) if i != 3 else x").replace(
        "if a in b:\n        return 1\n    else:\n        return 2",
        "if a not in b:\n        return 2\n    else:\n        return 1")
    assert inverted.count("!=") == 1 and "not in" in inverted
    assert mutant_shaped(base, inverted, "v.py") == []
    assert mutant_shaped(base, base.replace("if a in b:", "if not a in b:").replace(
        "return 1\n    else:\n        return 2", "return 2\n    else:\n        return 1"),
        "v.py") == []  # `not` around the test
    negated = base.replace("if i == 3", "if i != 3")
    assert [f.what for f in mutant_shaped(base, negated, "v.py")] == ["`==` to `!=`"]
    ordered = base.replace("x if i == 3 else int(x)", "int(x) if i < 3 else x")
    assert mutant_shaped(base, ordered, "v.py")  # `<` is no negation of `==`


def test_a_simple_statement_removed_is_named_a_compound_one_is_not():
    """The mutation check's last mutant of a statement: uuid6's `int &= ~(0xF000 << 64)`
    dropped (wave 9) counted as noticed by its constant's mutant, which an input told
    apart, though no input had the bits it clears set. An `if` taken out with its body is
    a branch folded too (bitmath's round(x, None)), left to the other checks."""
    text = BASE.replace("            prev = label[pos - 1]\n",
                        "            prev = label[pos - 1]\n            pos -= 1\n")
    found = mutant_shaped(text, BASE, "calc.py")
    assert [(f.function, f.what) for f in found] == [("Label.context", "`pos -= 1` removed")]
    only = BASE.replace("        raise ValueError(a, b)\n", "        pass\n")
    assert [f.what for f in mutant_shaped(BASE, only, "calc.py")] \
        == ["`raise ValueError(a, b)` removed"]
    guard = BASE.replace("    if abs(a) > LIMIT or abs(b) > LIMIT:\n"
                         "        raise ValueError(a, b)\n", "")
    assert mutant_shaped(BASE, guard, "calc.py") == []
    moved = text.replace("            pos -= 1\n            return prev.strip()\n",
                         "            return prev.strip()\n")  # removed and another change
    restructured = moved.replace("        return math.floor(pos / 2)\n",
                                 "        half = pos / 2\n        return math.floor(half)\n")
    assert mutant_shaped(text, restructured, "calc.py") == []


def test_an_accumulation_made_an_overwrite_is_named_either_way():
    """cnlunar's legal holidays assigned where they were added up landed (wave 27): no input
    fell on a day both calendars call a holiday."""
    base = "def names(day):\n    temp = first(day)\n    temp += second(day)\n    return temp\n"
    made = base.replace("temp += second", "temp = second")
    assert [f.what for f in mutant_shaped(base, made, "m.py")] == ["`+=` to `=`"]
    assert [f.what for f in mutant_shaped(made, base, "m.py")] == ["`+=` from `=`"]
    other = base.replace("temp += second(day)", "temp = temp + second(day)")
    assert mutant_shaped(base, other, "m.py") == []  # the same sum, written out
    assert [f.what for f in mutant_shaped(base, base.replace("temp += second", "x = second"),
                                          "m.py")] == []


def test_a_method_and_two_shapes_in_one_function_are_all_named():
    text = BASE.replace("abs(a) > LIMIT", "abs(a) >= LIMIT").replace("[0] + 1", "[0] + 2")
    found = mutant_shaped(BASE, text, "calc.py")
    assert {(f.function, f.what) for f in found} == {("bound", "`>` to `>=`"),
                                                    ("bound", "1 to 2")}
    method = BASE.replace("pos / 2", "pos * 2")
    assert [f.function for f in mutant_shaped(BASE, method, "calc.py")] == ["Label.context"]


def test_a_shape_beside_a_restructuring_in_the_same_function_is_left_to_the_other_checks():
    text = BASE.replace("abs(a) > LIMIT", "abs(a) >= LIMIT").replace(
        "    return sorted([a, b])[0] + 1\n",
        "    low = min(a, b)\n    return low + 1\n")
    assert mutant_shaped(BASE, text, "calc.py") == []


def test_unparsable_text_finds_nothing():
    assert mutant_shaped(BASE, "def broken(:\n", "calc.py") == []


def test_the_report_names_it_unless_a_counterexample_refuses_first():
    check = FunctionCheck("calc.py::bound", captured=3, compared=3)
    shaped = ("calc.py:8 in bound (`>` to `>=`)",)
    report = DiffReport((check,), shaped=shaped)
    (reason,) = report.reasons()
    assert reason.startswith("behaviour not shown unchanged: the change is shaped like a "
                             "mutant (calc.py:8 in bound (`>` to `>=`))")
    assert report.payload()["shaped"] == list(shaped)
    told = FunctionCheck("calc.py::bound", captured=3, compared=3, counterexamples=(
        Counterexample("calc.py::bound", "(4000000, 1)", "raises ValueError", "2"),))
    assert [r.split(":")[0] for r in DiffReport((told,), shaped=shaped).reasons()] \
        == ["behaviour changed"]


def test_no_control_of_the_development_corpora_is_shaped_like_a_mutant():
    """The rule's cost on the refactors it must let through: none of the 63 development
    controls (and the careless ones it names are counted in the bench)."""
    flagged = [r.name for r in small_corpus() if r.preserving
               and mutant_shaped(r.module.files[r.module.path], r.text, r.module.path)]
    flagged += [r.name for r in real_corpus() if r.preserving
                and mutant_shaped(r.base_text, r.text, r.file)]
    assert flagged == []


HANDLER = "def f(x):\n    try:\n        return int(x)\n    except {}:\n        return 0\n"


@pytest.mark.parametrize(("base", "cand", "what"), [
    ("(TypeError, ValueError)", "TypeError", "`ValueError` no longer caught"),
    ("(TypeError, ValueError)", "(ValueError,)", "`TypeError` no longer caught"),
    ("TypeError", "(TypeError, ValueError)", "`ValueError` caught too"),
    ("(OSError, err.Custom)", "OSError", "`err.Custom` no longer caught"),
])
def test_an_exception_no_longer_caught_or_caught_too_is_named(base, cand, what):
    found = mutant_shaped(HANDLER.format(base), HANDLER.format(cand), "m.py")
    assert [s.what for s in found] == [what]


def test_statements_reordered_are_no_mutation_and_a_chain_swapped_stays_one():
    """smbus2's `close` with its two resets reordered read as `._pec` to `._force_last` and
    `0` to `None` (wave 34): a reorder is judged by the inputs; two `.replace()` calls of
    one chain swapped are one expression, whose order may matter (`~0` before `~1`)."""
    base = "def close(self):\n    self._force_last = None\n    self._pec = 0\n"
    turned = "def close(self):\n    self._pec = 0\n    self._force_last = None\n"
    assert mutant_shaped(base, turned, "bus.py") == []
    slipped = "def close(self):\n    self._pec = 1\n    self._force_last = None\n"
    assert [f.what for f in mutant_shaped(base, slipped, "bus.py")] \
        == ["`._force_last` to `._pec`", "None to 1", "`._pec` to `._force_last`", "0 to None"]
    chain = "def unescape(p):\n    return p.replace('~1', '/').replace('~0', '~')\n"
    swapped = "def unescape(p):\n    return p.replace('~0', '~').replace('~1', '/')\n"
    assert mutant_shaped(chain, swapped, "pointer.py") != []


CHECK = "def f(x):\n    if isinstance(x, {}):\n        return repr(x)\n    return str(x)\n"


@pytest.mark.parametrize(("base", "cand", "what"), [
    ("(float, complex)", "float", ["`complex` no longer matched"]),  # gast, wave 34
    ("float", "(float, Decimal)", ["`Decimal` matched too"]),
    ("(int, bool)", "int", []),  # bool is an int: the same test
])
def test_a_type_dropped_from_an_isinstance_check_or_added_is_named(base, cand, what):
    found = mutant_shaped(CHECK.format(base), CHECK.format(cand), "m.py")
    assert [s.what for s in found] == what


def test_a_builtin_exception_beside_a_base_of_it_that_stays_caught_is_no_shape():
    base = HANDLER.format("(ValueError, UnicodeDecodeError)")
    assert mutant_shaped(base, HANDLER.format("ValueError"), "m.py") == []
    assert mutant_shaped(HANDLER.format("OSError"),
                         HANDLER.format("(OSError, FileNotFoundError)"), "m.py") == []


def test_operands_of_a_commutative_operator_swapped_are_no_mutation():
    """bytesparse's power-of-two test with its operands swapped read as `- 1` dropped and
    `- 1` added (wave 33): a restructure, judged by the inputs; a slip beside it is not."""
    base = "def power_of_two(n):\n    return ((n - 1) & n) == 0\n"
    swapped = "def power_of_two(n):\n    return n & (n - 1) == 0\n"
    assert mutant_shaped(base, swapped, "bits.py") == []
    slipped = "def power_of_two(n):\n    return (n & n) == 0\n"
    assert [f.what for f in mutant_shaped(base, slipped, "bits.py")] == ["`- 1` dropped"]


GUARDED = ("def show(m):\n    if m.size < 1000:\n        text = str(m.items)\n"
           "        return f'<{text}>'\n    else:\n        return repr(m)\n")


@pytest.mark.parametrize(("guard", "what"), [
    ("m.size > 1000", ["`<` to `<=`"]),  # the complement of < is >=: one size apart
    ("1000 < m.size", None),  # operands turned: a restructure, the inputs judge it
    ("m.size >= 1000", []),  # the guard clause exactly: no mutant's shape
])
def test_a_guard_clause_is_read_as_the_if_and_else_it_writes(guard, what):
    """bytesparse's `Memory.__str__` made a guard clause `> 1000` where the listing was
    taken while `< 1000` landed (wave 33): written as one `if` with `<` or `<=` tests, the
    change is the operator's; the complement itself is no shape (on a NaN the two differ:
    the inputs judge it, as any restructure)."""
    cand = (f"def show(m):\n    if {guard}:\n        return repr(m)\n\n"
            "    text = str(m.items)\n    return f'<{text}>'\n")
    found = [f.what for f in mutant_shaped(GUARDED, cand, "show.py")]
    assert found == (what or [])


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_careless_swap_of_texts_added_is_refused_by_the_inputs(tmp_path):
    """A swap is no mutant's shape, so the inputs judge it: `+` of two texts is no
    commutative sum, and the tests' own call tells it (a careless model's 'reorder')."""
    base = 'def label(prefix, name):\n    return prefix + name\n'
    swapped = 'def label(prefix, name):\n    return name + prefix\n'
    assert mutant_shaped(base, swapped, "tag/core.py") == []
    done = await judged(tmp_path, "tag/core.py", base, swapped, {
        "tag/__init__.py": "", "tests/test_tag.py":
        "from tag.core import label\n\n\ndef test_label():\n"
        "    assert label('x', 'x') == 'xx'\n    assert label('', 'b')\n"})
    assert done.ran.passed, done.ran.describe()
    assert done.check("label").counterexamples, done.report.payload()
