"""The missing test's pure parts (governance.proof.missing_test_rules): the question the brain
gets, the static checks on its answer, the new tests it adds, and the switched text the
mutant and canary sessions run."""

from __future__ import annotations

import builtins

import pytest

from governance.proof.missing_test_rules import (
    CHECKS,
    PROMPT_TITLE,
    Cause,
    CauseKind,
    Verdict,
    is_new,
    mutant_diff,
    new_tests,
    prompt,
    static_verdict,
    switched_text,
)
from governance.proof.mutation import SWITCH, plan
from governance.proof.rules import FileText
from governance.schemas import FileChange

OLD = "def top(xs):\n    return xs\n"
NEW = "def top(xs):\n    limit = 3\n    return xs[:limit]\n"
TOP = FileText("shop/top.py", OLD, NEW)
[MUTANT] = [m for m in plan(OLD, NEW, TOP.path) if m.line == 2]
CAUSE = Cause(CauseKind.SURVIVING_MUTANT, TOP.path, 2, MUTANT.what, MUTANT,
              "top([1, 2, 3, 4, 5]) returns [1, 2, 3] here, [1, 2, 3, 4] with the mutant")
EXISTING = "from shop.top import top\n\n\ndef test_short():\n    assert len(top([1, 2, 3])) < 5\n"


def test_the_question_shows_the_mutant_as_a_diff_and_an_input_that_tells_it_apart():
    text = prompt("keep only the first three items", CAUSE, [TOP],
                  {"tests/test_top.py": EXISTING})
    assert text.startswith(PROMPT_TITLE)
    assert "> keep only the first three items" in text  # the goal, quoted as data
    assert "@@ -1,3 +1,3 @@\n def top(xs):\n-    limit = 3\n+    limit = 4\n" \
        "     return xs[:limit]\n" in text  # the mutant, against the change, alone
    assert "+    return xs[:limit]" in text  # the change itself
    assert "returns [1, 2, 3] here, [1, 2, 3, 4] with the mutant" in text
    assert "--- tests/test_top.py\n" + EXISTING in text
    assert '"schema": "candidate.1"' in text


def test_the_question_fits_a_small_brain():
    big = FileText("shop/top.py", OLD, NEW + "\n".join(f"X{n} = {n}" for n in range(3000)))
    cause = Cause(CauseKind.UNENTERED, big.path, 2, "top")
    small = prompt("goal", cause, [big], {"tests/test_top.py": EXISTING * 400}, 8_000)
    assert len(small) < 12_000 < len(prompt("goal", cause, [big], {}))
    assert "calling `top`" in small


def _v(changes: list[FileChange], old: dict[str, str] | None = None) -> Verdict | None:
    found = static_verdict(CAUSE, changes, lambda rel: (old or {}).get(rel))
    return None if found is None else found.verdict


def _w(path: str, text: str) -> FileChange:
    return FileChange(file_path=path, full_content=text)


RIGHT = ("from shop.top import top\n\n\n"
         "def test_three():\n    assert top([1, 2, 3, 4]) == [1, 2, 3]\n")


@pytest.mark.parametrize(("changes", "old", "want"), [
    ([_w("tests/test_three.py", RIGHT)], None, None),
    ([_w("tests/test_top.py", EXISTING + "\n\n" + RIGHT.split("\n\n\n", 1)[1])],
     {"tests/test_top.py": EXISTING}, None),
    ([], None, Verdict.NO_ANSWER),
    ([_w("shop/top.py", NEW), _w("tests/test_three.py", RIGHT)], None, Verdict.NOT_TESTS),
    ([_w("tests/conftest.py", "import pytest\n")], None, Verdict.NOT_TESTS),
    ([_w("tests/__init__.py", "")], None, Verdict.NOT_TESTS),
    ([_w("tests/data.json", "{}")], None, Verdict.NOT_TESTS),
    ([FileChange(file_path="tests/test_top.py", action="delete")], None, Verdict.NOT_TESTS),
    ([_w("tests/test_x.py", RIGHT + f"# {SWITCH}\n")], None, Verdict.NAMES_THE_ORACLE),
    ([_w("tests/test_x.py", "from shop.top import top\n")], None, Verdict.NO_NEW_TEST),
    ([_w("tests/test_top.py", "from shop.top import top\n\n\ndef test_short():\n    pass\n"
         "\n\ndef test_more():\n    assert top([]) == []\n")], {"tests/test_top.py": EXISTING},
     Verdict.WEAKENS),
    # a test that skips or expects to fail can never fail the suite (issue 49, item 1)
    ([_w("tests/test_x.py", "import pytest\n" + RIGHT.replace(
        "    assert", "    if top([1, 2, 3, 4]) != [1, 2, 3]:\n        pytest.skip('x')\n"
        "    assert"))], None, Verdict.SKIPS),
    ([_w("tests/test_x.py", "from pytest import importorskip\n" + RIGHT)], None,
     Verdict.SKIPS),
    ([_w("tests/test_x.py", "import pytest\n\n\n@pytest.mark.xfail\n" + RIGHT.split(
        "\n\n\n", 1)[1])], None, Verdict.SKIPS),
    ([_w("tests/test_x.py", "import unittest\n" + RIGHT.replace(
        "    assert", "    if not top([1]):\n        raise unittest.SkipTest('x')\n"
        "    assert"))], None, Verdict.SKIPS),
    # a file that skips already may gain a test that does not
    ([_w("tests/test_top.py", "import pytest\n\n\n@pytest.mark.skipif(False, reason='x')\n"
         + EXISTING.split("\n\n\n", 1)[1] + "\n\n" + RIGHT.split("\n\n\n", 1)[1])],
     {"tests/test_top.py": "import pytest\n\n\n@pytest.mark.skipif(False, reason='x')\n"
      + EXISTING.split("\n\n\n", 1)[1]}, None),
])
def test_the_static_checks(changes, old, want):
    assert _v(changes, old) is want


def test_every_refusal_of_the_checks_table_is_a_verdict_of_its_own():
    refusals = [c.refuses for c in CHECKS]
    assert len(set(refusals)) == len(refusals) and Verdict.KEPT not in refusals


def test_new_tests_are_the_functions_the_answer_adds():
    new = EXISTING + "\n\nclass TestTop:\n    def test_a(self):\n        pass\n\n" \
        "    def helper(self):\n        pass\n\n\ndef test_b():\n    pass\n"
    added = new_tests(EXISTING, new)
    assert added == {"TestTop::test_a", "test_b"}
    assert is_new("tests/test_top.py::test_b[1-2]", {"tests/test_top.py": added})
    assert not is_new("tests/test_top.py::test_short", {"tests/test_top.py": added})


def test_the_canary_is_written_as_a_mutant_is():
    mutants = plan(OLD, NEW, TOP.path, 5_000)
    text = switched_text(TOP, mutants, (4_990, 5_020))
    assert "== 4990" in text and "!= 5020" in text
    space: dict = {}
    exec(compile(text, "top.py", "exec"), space)
    [target] = [m.id for m in mutants if m.line == 2]
    try:
        for switch, want in ((0, [1, 2, 3]), (4_990, [1, 2, 3]), (target, [1, 2, 3, 4])):
            setattr(builtins, SWITCH, switch)
            assert space["top"]([1, 2, 3, 4, 5]) == want, switch
    finally:
        delattr(builtins, SWITCH)


def test_the_mutant_diff_is_one_line_whatever_the_file_looks_like():
    new = "# prices\n\n\ndef top(xs):  # the head\n    '''Three.'''\n    limit = 3\n" \
        "    return xs[:limit]\n"
    f = FileText("shop/top.py", OLD, new)
    [m] = [m for m in plan(OLD, new, f.path) if m.line == 6]
    diff = mutant_diff(f, m)
    assert [ln for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")] \
        == ["-    limit = 3", "+    limit = 4"], diff
