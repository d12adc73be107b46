"""Causes from the diff that made the tests fail (sensors.failure_diff, issue 51 item 1):
a unittest-style assertion through public callers of a private function the human broke, in
a `src/` package whose `__init__.py` re-exports with `*`, is one cause named by that
function; tests the human's last commit wrote for a change not made yet are one piece of
work; a failure the change does not reach keeps its own cause. Real git repositories, the
sensor's own functions (no pytest run: the failures' `where` is the test line pytest
reports)."""

from __future__ import annotations

from pathlib import Path

from sensors import failure_diff as fd
from sensors.failure_causes import causes_of, from_changes, group
from sensors.failure_envelope import group_targets
from sensors.failure_reach import home
from sensors.failure_streaks import Failure
from sensors.run_results import TestResult
from tests.helpers import commit_files, git

IMPL = '''\
__all__ = ["to_hex", "to_name", "shout"]


def _norm(value):
    return value.lower()


def to_hex(value):
    return "#" + _norm(value)


def to_name(value):
    return {"#ff": "white"}.get(to_hex(value), _norm(value))


def shout(value):
    return value.upper()


def whisper(value):
    return value.lower()
'''
TESTS = '''\
import unittest

import colors


class ColorTests(unittest.TestCase):
    def test_to_hex(self):
        self.assertEqual(colors.to_hex("FF"), "#ff")

    def test_to_name(self):
        self.assertEqual(colors.to_name("FF"), "white")

    def test_shout(self):
        self.assertEqual(colors.shout("a"), "B")

    def test_whisper(self):
        self.assertEqual(colors.whisper("A"), "b")
'''


def repo_with(tmp: Path, impl: str = IMPL, tests: str = TESTS) -> Path:
    return commit_files(tmp / "repo", {
        "src/colors/__init__.py": "from ._impl import *\n", "src/colors/_impl.py": impl,
        "tests/test_colors.py": tests, "pytest.ini": "[pytest]\npythonpath = src\n"})


def read_in(repo: Path):
    return lambda rel: (repo / rel).read_text()


def planned(repo: Path, failing: dict[str, int]):
    """The sensor's grouping of `failing` (test id -> the test file's line it failed at)."""
    files = set(git(repo, "ls-files").splitlines())
    read = read_in(repo)
    causes = {t: causes_of(t, f"{t.split('::')[0]}:{line}", files, read)
              for t, line in failing.items()}
    return group(from_changes(causes, fd.changes(repo, files, read), files, read), read), files


def test_assertions_through_public_callers_are_one_cause_named_by_the_broken_function(tmp_path):
    repo = repo_with(tmp_path)
    impl = repo / "src/colors/_impl.py"
    impl.write_text(impl.read_text().replace("value.lower()", "value.lower()[:1]"))
    git(repo, "commit", "-qam", "norm: shorter")  # the human's commit
    groups, _ = planned(repo, {"tests/test_colors.py::ColorTests::test_to_hex": 8,
                               "tests/test_colors.py::ColorTests::test_to_name": 11,
                               "tests/test_colors.py::ColorTests::test_shout": 14})
    by_anchor = {g.anchor: g for g in groups}
    assert set(by_anchor) == {"fn:src/colors/_impl.py::_norm",
                              "fn:src/colors/_impl.py::shout"}
    assert sorted(by_anchor["fn:src/colors/_impl.py::_norm"].tests) == [
        "tests/test_colors.py::ColorTests::test_to_hex",
        "tests/test_colors.py::ColorTests::test_to_name"]
    # shout's failure is not the change's: it keeps the cause its line shows, where the
    # function lives (not the __init__.py that re-exports it)
    assert by_anchor["fn:src/colors/_impl.py::shout"].tests == (
        "tests/test_colors.py::ColorTests::test_shout",)


def test_the_newest_commit_a_failure_reaches_names_its_cause(tmp_path):
    """python-semver's first hour: the maintainers' commits under the human's had changed
    five other methods of `Version`, every bump test reaches them all, and the work was
    named `Version` (PLAN then chose bump_prerelease); the human's own commit, the newest
    the failure reaches, changed bump_minor alone."""
    repo = repo_with(tmp_path)
    impl = repo / "src/colors/_impl.py"
    impl.write_text(impl.read_text().replace("value.upper()", "value.upper()  # loud")
                    .replace('{"#ff": "white"}', '{"#ff": "white", "#00": "black"}'))
    git(repo, "commit", "-qam", "the maintainers: shout and to_name")
    impl.write_text(impl.read_text().replace("value.lower()", "value.lower()[:1]", 1))
    git(repo, "commit", "-qam", "norm: shorter")  # the human's
    files = set(git(repo, "ls-files").splitlines())
    changed = fd.changes(repo, files, read_in(repo))
    assert changed.newest_first == (frozenset(), {"src/colors/_impl.py::_norm"},
                                    {"src/colors/_impl.py::shout", "src/colors/_impl.py::to_name"})
    assert changed.library == {"src/colors/_impl.py::_norm", "src/colors/_impl.py::shout",
                               "src/colors/_impl.py::to_name"}
    groups, _ = planned(repo, {"tests/test_colors.py::ColorTests::test_to_name": 11,
                               "tests/test_colors.py::ColorTests::test_shout": 14})
    named = {g.tests: sorted(c for c in g.causes if c.startswith("fn:")) for g in groups}
    # to_name reaches the human's _norm (the newest) and the maintainers' to_name: _norm
    # alone; shout reaches only the maintainers' change: its own
    assert named == {
        ("tests/test_colors.py::ColorTests::test_to_name",): ["fn:src/colors/_impl.py::_norm"],
        ("tests/test_colors.py::ColorTests::test_shout",): ["fn:src/colors/_impl.py::shout"]}


def test_the_envelope_targets_the_module_where_the_function_lives(tmp_path):
    repo = repo_with(tmp_path)
    impl = repo / "src/colors/_impl.py"
    impl.write_text(impl.read_text().replace("value.lower()", "value.lower()[:1]"))
    git(repo, "commit", "-qam", "norm: shorter")
    groups, files = planned(repo, {"tests/test_colors.py::ColorTests::test_to_hex": 8})
    failure = Failure("tests/test_colors.py::ColorTests::test_to_hex",
                      TestResult(outcome="failed", where="tests/test_colors.py:8"))
    assert group_targets([failure], files, read_in(repo), groups[0].causes)[:2] == [
        "tests/test_colors.py", "src/colors/_impl.py"]


def test_an_uncommitted_edit_is_a_change_too_and_a_root_commit_is_none(tmp_path):
    repo = repo_with(tmp_path)  # one commit: it adds the whole library, it names nothing
    files = set(git(repo, "ls-files").splitlines())
    assert fd.changes(repo, files, read_in(repo)).library == frozenset()
    impl = repo / "src/colors/_impl.py"
    impl.write_text(impl.read_text().replace("value.upper()", "value.upper() + '!'"))
    assert fd.changes(repo, files, read_in(repo)).library == {"src/colors/_impl.py::shout"}


def test_a_diffuse_change_names_no_cause(tmp_path):
    many = "".join(f"\n\ndef f{i}(x):\n    return x\n" for i in range(fd.MAX_CHANGED + 1))
    repo = repo_with(tmp_path, impl=IMPL + many)
    impl = repo / "src/colors/_impl.py"
    impl.write_text(impl.read_text().replace("return x\n", "return x + 1\n"))
    git(repo, "commit", "-qam", "everything")
    files = set(git(repo, "ls-files").splitlines())
    assert fd.changes(repo, files, read_in(repo)).library == frozenset()


def test_tests_the_human_just_wrote_are_one_piece_of_work(tmp_path):
    repo = repo_with(tmp_path)
    (repo / "tests/test_colors.py").write_text(TESTS + '''
    def test_to_hex_short(self):
        self.assertEqual(colors.to_hex("F"), "#ff")

    def test_shout_twice(self):
        self.assertEqual(colors.shout("a"), "AA")
''')
    git(repo, "commit", "-qam", "tests for the next change")  # tests only, no library change
    lines = (repo / "tests/test_colors.py").read_text().splitlines()
    at = {name: next(i for i, line in enumerate(lines, 1) if f'colors.{name}("' in line
                     and (extra in line)) for name, extra in (
        ("to_hex", '"F"'), ("shout", '"AA"'), ("whisper", '"b"'))}
    groups, _ = planned(repo, {
        "tests/test_colors.py::ColorTests::test_to_hex_short": at["to_hex"],
        "tests/test_colors.py::ColorTests::test_shout_twice": at["shout"],
        "tests/test_colors.py::ColorTests::test_whisper": at["whisper"]})
    assert len(groups) == 2  # test_whisper's def did not change: its own cause
    written = next(g for g in groups if len(g.tests) == 2)
    assert written.anchor.startswith("fn:src/colors/_impl.py::")  # a change: key names no work
    assert any(c.startswith("change:") for c in written.causes)


def test_a_star_re_export_is_followed_to_the_defining_module(tmp_path):
    repo = commit_files(tmp_path / "repo", {
        "pkg/__init__.py": "from .core import *\nfrom ._alias import shown as visible\n",
        "pkg/core.py": "def f():\n    return 1\n\nTABLE = {}\n",
        "pkg/_alias.py": "def shown():\n    return 2\n"})
    files = set(git(repo, "ls-files").splitlines())
    read = read_in(repo)
    assert home("pkg/__init__.py", "f", files, read) == ("pkg/core.py", "f")
    assert home("pkg/__init__.py", "TABLE", files, read) == ("pkg/core.py", "TABLE")
    assert home("pkg/__init__.py", "visible", files, read) == ("pkg/_alias.py", "shown")
    assert home("pkg/__init__.py", "missing", files, read) == ("pkg/__init__.py", "missing")
