"""One piece of work per cause: a real parametrised suite run by real pytest (through the
ouroboros_results plugin, twice) whose nine failures come from three causes makes three
envelopes, each with its tests' union of targets and all of them as its fail-to-pass set,
keyed by the cause whatever the failures' messages say."""

from __future__ import annotations

import pytest

from sensors.failure_causes import cause_of_test, causes_of, group
from sensors.run_results import TestResult
from tests.helpers import commit_files
from tests.sensors.test_failing_tests import _pytest, _sensor

LIB = '''"""Words, as a small inflection library."""


def ordinal(number):
    n = abs(int(number))
    if n % 100 in (11, 12):  # the human's commit dropped 13
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def ordinalize(number):
    return f"{number}{ordinal(number)}"


def pluralize(word):
    return word + "s"


def parse_count(text):
    return int(text.strip().split()[0])
'''
TEST_ORDINAL = '''import pytest

import wordy
from wordy import ordinal


@pytest.mark.parametrize(("number", "suffix"), [(1, "st"), (13, "th"), (113, "th"),
                                                (213, "th")])
def test_ordinal(number, suffix):
    assert wordy.ordinal(number) == suffix


@pytest.mark.parametrize(("number", "expected"), [(2, "2nd"), (13, "13th"), (113, "113th")])
def test_ordinalize(number, expected):
    assert wordy.ordinalize(number) == expected


def test_ordinal_thirteen():
    assert ordinal(13) == "th"
'''
TEST_WORDS = '''from wordy import parse_count, pluralize


def test_plural_of_box():
    assert pluralize("box") == "boxes"


def test_count_of_words():
    assert parse_count("many apples") == 0


def test_count_padded():
    assert parse_count("  lots ") == 0
'''
ORDINAL_TESTS = {"tests/test_ordinal.py::test_ordinal[13-th]",
                 "tests/test_ordinal.py::test_ordinal[113-th]",
                 "tests/test_ordinal.py::test_ordinal[213-th]",
                 "tests/test_ordinal.py::test_ordinalize[13-13th]",
                 "tests/test_ordinal.py::test_ordinalize[113-113th]",
                 "tests/test_ordinal.py::test_ordinal_thirteen"}
COUNT_TESTS = {"tests/test_words.py::test_count_of_words",
               "tests/test_words.py::test_count_padded"}


@pytest.mark.slow
async def test_nine_failures_of_three_causes_are_three_pieces_of_work(tmp_path):
    root = commit_files(tmp_path / "repo", {"wordy/__init__.py": LIB,
                                            "tests/test_ordinal.py": TEST_ORDINAL,
                                            "tests/test_words.py": TEST_WORDS})
    (root / ".ouroboros").mkdir()
    sensor, got, _ = _sensor(root)
    files = ["wordy/__init__.py", "tests/test_ordinal.py", "tests/test_words.py"]
    for _ in range(2):
        assert _pytest(root).returncode == 1
    assert await sensor.scan_once(files) == 3
    by_tests = {frozenset(e.evidence["tests"]): e for e in got}
    assert set(by_tests) == {frozenset(ORDINAL_TESTS), frozenset(COUNT_TESTS),
                             frozenset({"tests/test_words.py::test_plural_of_box"})}
    ordinal = by_tests[frozenset(ORDINAL_TESTS)]
    assert ordinal.target_files == ("tests/test_ordinal.py", "wordy/__init__.py")
    assert ordinal.evidence["cause"] == "fn:wordy/__init__.py::ordinal"
    assert "6 failing tests of one cause" in ordinal.goal
    count = by_tests[frozenset(COUNT_TESTS)]  # raised inside the library: its function
    assert count.evidence["cause"] == "fn:wordy/__init__.py::parse_count"
    assert count.target_files == ("tests/test_words.py", "wordy/__init__.py")
    keys = {e.dedup_key for e in got}
    assert len(keys) == 3
    # The same causes failing with other messages: the same three pieces of work.
    (root / "wordy/__init__.py").write_text(
        LIB.replace('3: "rd"', '3: "ard"')
        .replace('word + "s"', 'word + "z"').replace("[0]", "[-1]"))
    got.clear()
    for _ in range(2):
        assert _pytest(root).returncode == 1
    await sensor.scan_once(files)
    assert got and {e.dedup_key for e in got} == keys
    assert {e.evidence["message"] for e in got}.isdisjoint(
        {e.evidence["message"] for e in by_tests.values()})  # the wording did change


def _read(texts: dict[str, str]):
    return lambda rel: texts.get(rel, "")


def test_a_crash_at_a_library_modules_top_level_is_its_own_location():
    texts = {"pkg/m.py": "X = 1\nY = 1 / 0\n", "tests/test_m.py": "import pkg.m\n"}
    causes = causes_of("tests/test_m.py::test_m", "pkg/m.py:2", set(texts), _read(texts))
    assert causes == {"test:tests/test_m.py::test_m", "at:pkg/m.py:2"}


def test_without_a_line_the_one_library_function_a_test_calls_is_its_cause():
    """A jailed run's summary carries no file:line: the test's body says what it calls."""
    texts = {"pkg/__init__.py": "def f():\n    return 1\n\n\ndef g():\n    return 2\n",
             "tests/test_p.py": ("from pkg import f, g\n\n\nclass TestP:\n    def test_one(self):"
                                 "\n        assert f() == 2\n\n    def test_two(self):\n"
                                 "        assert f() + g() == 0\n")}
    read, files = _read(texts), set(texts)
    one = causes_of("tests/test_p.py::TestP::test_one", "", files, read)
    two = causes_of("tests/test_p.py::TestP::test_two", "", files, read)
    assert "fn:pkg/__init__.py::f" in one
    assert two == {"test:tests/test_p.py::TestP::test_two"}  # two functions: no guess
    assert len(group({"a": one, "b": two}, read)) == 2


def test_unrelated_failures_stay_apart_and_parametrisations_join():
    causes = {"t.py::test_a[1]": frozenset({cause_of_test("t.py::test_a[1]")}),
              "t.py::test_a[2-x]": frozenset({cause_of_test("t.py::test_a[2-x]")}),
              "t.py::test_b": frozenset({cause_of_test("t.py::test_b")})}
    groups = group(causes, _read({}))
    assert [g.tests for g in groups] == [("t.py::test_a[1]", "t.py::test_a[2-x]"),
                                        ("t.py::test_b",)]
    assert groups[0].key != groups[1].key
    assert TestResult(outcome="failed").message == ""  # a failure with no message has causes


def test_a_mixins_test_run_in_two_classes_is_one_test():
    """unittest suites run one mixin's test once per subclass (cachetools' Cache- and
    DictWrapperTest): one test, whatever class runs it."""
    texts = {"pkg/__init__.py": "def cached(c):\n    return c\n",
             "tests/test_c.py": ("import unittest\n\nimport pkg\n\n\nclass Mixin:\n"
                                 "    def test_clear(self):\n        w = pkg.cached({})\n"
                                 "        w.cache_clear()\n\n\n"
                                 "class ATest(Mixin, unittest.TestCase):\n    pass\n\n\n"
                                 "class BTest(Mixin, unittest.TestCase):\n    pass\n")}
    read, files = _read(texts), set(texts)
    a = causes_of("tests/test_c.py::ATest::test_clear", "tests/test_c.py:9", files, read)
    b = causes_of("tests/test_c.py::BTest::test_clear", "tests/test_c.py:9", files, read)
    assert "test:tests/test_c.py::Mixin::test_clear" in a & b
    # The failing line calls no library function: the one the test's body calls stands.
    assert "fn:pkg/__init__.py::cached" in a & b
    [one] = group({"a": a, "b": b}, read)
    assert one.anchor == "fn:pkg/__init__.py::cached"


def test_a_helper_method_of_the_tests_class_names_the_library_function():
    """cachetools' MRUDecoratorTest runs a mixin's seven tests through `self.decorator()`,
    which calls `cachetools.func.mru_cache`: seven failures, one cause."""
    texts = {"pkg/func.py": "def mru_cache(n):\n    return n\n",
             "tests/test_f.py": ("import unittest\n\nimport pkg.func\n\n\nclass Mixin:\n"
                                 "    def test_a(self):\n        self.assertEqual(self.deco(1), 2)"
                                 "\n\n    def test_b(self):\n        self.assertTrue(self.deco(2))"
                                 "\n\n\nclass MruTest(unittest.TestCase, Mixin):\n"
                                 "    def deco(self, n):\n        return pkg.func.mru_cache(n)\n")}
    read, files = _read(texts), set(texts)
    found = {t: causes_of(t, "/usr/lib/python3.11/unittest/case.py:866", files, read)
             for t in ("tests/test_f.py::MruTest::test_a", "tests/test_f.py::MruTest::test_b")}
    [one] = group(found, read)
    assert one.anchor == "fn:pkg/func.py::mru_cache" and len(one.tests) == 2


# pyflakes' shape: the tests call `self.flakes(code, *expected)`, a method of a base class
# in the test package's harness, which calls the library's Checker and asserts on its
# messages; the failing line is the test's `self.flakes(...)` call.
HARNESS = {
    "lint/checker.py": ("def make_tokens(code):\n    return []\n\n\n"
                        "class Checker:\n    def __init__(self, tree, tokens):\n"
                        "        self.m = []\n"),
    "lint/api.py": "def check(text):\n    return 0\n",
    "lint/test/__init__.py": "",
    "lint/test/harness.py": ("import ast\nimport unittest\n\nfrom lint import checker\n\n\n"
                             "class TestCase(unittest.TestCase):\n"
                             "    def flakes(self, code, *expected):\n"
                             "        w = self.run_checker(code)\n"
                             "        self.assertEqual(w.m, list(expected))\n\n"
                             "    def run_checker(self, code):\n"
                             "        tokens = checker.make_tokens(code)\n"
                             "        return checker.Checker(ast.parse(code), tokens)\n"),
    "lint/test/test_globals.py": ("from lint.test.harness import TestCase\n\n\n"
                                  "class Test(TestCase):\n"
                                  "    def test_global(self):\n"
                                  "        self.flakes('global x', 1)\n\n"
                                  "    def test_nonlocal(self):\n"
                                  "        self.flakes(\n            'nonlocal x', 2)\n"),
    "lint/test/test_api.py": ("from lint.test.harness import TestCase\nfrom lint import api\n\n\n"
                              "def _run(text):\n    return api.check(text)\n\n\n"
                              "class TestApi(TestCase):\n"
                              "    def test_check(self):\n"
                              "        assert _run('x') == 1\n"),
}


def test_a_test_helper_in_the_test_package_is_followed_into_the_library():
    read, files = _read(HARNESS), set(HARNESS)
    found = {
        "lint/test/test_globals.py::Test::test_global": "lint/test/test_globals.py:6",
        "lint/test/test_globals.py::Test::test_nonlocal": "lint/test/test_globals.py:10",
        "lint/test/test_api.py::TestApi::test_check": "lint/test/test_api.py:11"}
    causes = {t: causes_of(t, where, files, read) for t, where in found.items()}
    assert "fn:lint/checker.py::Checker" in causes["lint/test/test_globals.py::Test::test_global"]
    assert "fn:lint/api.py::check" in causes["lint/test/test_api.py::TestApi::test_check"]
    groups = group(causes, read)
    # Two hops (flakes -> run_checker -> Checker, make_tokens only its input) join the
    # Checker's tests; the api's test,
    # through a helper function of its own file, is another cause and stays apart.
    assert sorted((g.anchor, len(g.tests)) for g in groups) == [
        ("fn:lint/api.py::check", 1), ("fn:lint/checker.py::Checker", 2)]


def test_a_harness_frame_is_never_a_cause():
    read, files = _read(HARNESS), set(HARNESS)
    causes = causes_of("lint/test/test_globals.py::Test::test_global",
                       "lint/test/harness.py:10", files, read)
    assert not any(c.startswith("fn:lint/test/") for c in causes)
