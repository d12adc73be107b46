"""The mutation check (governance.proof.mutation_run, governance.proof.mutation) in the
real jail: a changed line a test checks kills its mutant; a line that only ran survives; a
test or code that tells the check's child from a test run makes no kill evidence."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from governance.oracle.oracle import Coverage
from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof import mutation_run
from governance.proof.mutation import Mutant
from governance.proof.mutation_run import (
    CANARY_BROKEN,
    MAX_TESTS_PER_MUTANT,
    _tests_of,
    check_mutants,
)
from governance.proof.rules import FileText
from tests.governance import real_history as rh
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor, bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

OLD = '''def mode(xs):
    return max(xs)
'''
NEW = '''def mode(xs):
    if not xs:
        return None
    counts = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    best = max(counts.values())
    return min(x for x, n in counts.items() if n == best)
'''
CHECKED = '''from stats import mode


def test_mode():
    assert mode([1, 2, 2, 3]) == 2
    assert mode([3, 1, 1, 3]) == 1
    assert mode([]) is None
'''
LOOSE = '''from stats import mode


def test_mode_runs():
    assert mode([1, 2, 2, 3]) is not None
    mode([])
'''


async def _mutants(tmp_path: Path, tests: str):
    tree = commit_files(tmp_path / "repo", {"stats.py": NEW, "tests/test_stats.py": tests})
    executor = JailExecutor([Path.home(), tree, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    scratch = tmp_path / "state" / "oracle"
    ran = await runner.run(tree, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({"stats.py"})))
    assert ran.passed, ran.output_tail
    return await check_mutants(runner, tree, [FileText("stats.py", OLD, NEW)],
                               [ran.report.coverage], scratch)


async def test_lines_a_test_checks_kill_their_mutants(tmp_path):
    report = await _mutants(tmp_path, CHECKED)
    assert report.problem is None and len(report.results) >= 5, report.payload()
    assert report.survivors() == [], report.payload()


async def test_lines_that_only_ran_are_covered_but_unchecked(tmp_path):
    report = await _mutants(tmp_path, LOOSE)
    survived = {r.line for r in report.survivors()}
    # counting down instead of up, and the tie-break: nothing checks either
    assert survived == {6, 8}, report.payload()


# Each mutant's first run is slowed past its time, as a loaded box slows it: judged again,
# longer, each is what its tests say (the old check called all of them killed: every line
# "checked", though only the same two lines as above are).
SLOWED = '''import builtins
import os
import time

from stats import mode


def test_mode_runs():
    mutant = getattr(builtins, "_ouroboros_mutant", None)
    first = f"/tmp/ran-{mutant}"
    if mutant is not None and not os.path.exists(first):
        open(first, "w").close()
        time.sleep(1.5)
    assert mode([1, 2, 2, 3]) is not None
    mode([])
'''


async def test_a_mutant_slowed_past_its_time_once_is_judged_again_not_killed(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(mutation_run, "MUTANT_TIMEOUT_S", 1.0)
    report = await _mutants(tmp_path, SLOWED)
    assert report.problem is None, report.payload()
    assert {r.line for r in report.survivors()} == {6, 8}, report.payload()


KW_OLD = "KEYWORDS = {'SELECT': 'keyword'}\nLIMIT = 10\n"
KW_NEW = "KEYWORDS = {'SELECT': 'keyword', 'MATERIALIZED': 'keyword'}\nLIMIT = 20\n"
KW_TEST = '''from kw import KEYWORDS


def test_materialized():
    assert KEYWORDS.get('MATERIALIZED') == 'keyword'
'''


async def _at_import(tmp_path: Path, changed: FileText, tests: str, fail_to_pass: str):
    """The mutation check of `changed` (its candidate text committed with `tests`), the
    coverage from one jailed session, `fail_to_pass` the test that shows the change."""
    test_file = fail_to_pass.split("::")[0]
    tree = commit_files(tmp_path / "repo", {changed.path: changed.new or "", test_file: tests})
    executor = JailExecutor([Path.home(), tree, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    scratch = tmp_path / "state" / "oracle"
    ran = await runner.run(tree, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({changed.path})))
    assert ran.passed, ran.output_tail
    return await check_mutants(runner, tree, [changed], [ran.report.coverage], scratch,
                               [fail_to_pass]), tree


async def test_a_line_that_ran_only_at_import_is_judged_by_the_fail_to_pass_tests(tmp_path):
    """The table and the limit ran at import, under no test: each mutant is switched on
    before anything imports, in a session of the fail-to-pass test, which depends on the
    table's new key and not on the limit."""
    report, _ = await _at_import(tmp_path, FileText("kw.py", KW_OLD, KW_NEW), KW_TEST,
                                 "tests/test_kw.py::test_materialized")
    outcomes = {(r.line, r.outcome, r.at_import) for r in report.results}
    assert outcomes == {(1, "killed", True), (2, "survived", True)}, report.payload()
    assert [(r.file, r.line) for r in report.shown_at_import()] == [("kw.py", 1)]
    assert report.survivors() == []  # at import: evidence when killed, never a finding


BIND_OLD = "def mean(xs):\n    return sum(xs) / len(xs)\n"
BIND_NEW = "from functools import partial\n\n\n" + BIND_OLD + (
    "\n\n_LIMIT = 5\nLIMITS = [_LIMIT]\n\n\n"
    "class Stats:\n    top = staticmethod(partial(max, default=0))\n")
BIND_TEST = "from bind import Stats\n\n\ndef test_top():\n    assert Stats.top([1, 3]) == 3\n"


async def test_an_added_binding_at_import_is_reached_when_removing_it_fails_the_test(
        tmp_path):
    """Each line that ran at import is judged by its coarsest mutant: for a binding the
    base did not have, the binding removed. The class attribute the test reads: killed.
    `_LIMIT`, which only the next line reads at import: the module no longer imports, the
    test never runs, so it shows nothing of the test reaching the name."""
    report, _ = await _at_import(tmp_path, FileText("bind.py", BIND_OLD, BIND_NEW),
                                 BIND_TEST, "tests/test_bind.py::test_top")
    at_import = {(r.line, r.what, r.outcome) for r in report.results if r.at_import}
    assert at_import == {(8, "binding removed", "survived"),
                         (9, "statement removed", "survived"),
                         (13, "binding removed", "killed")}, report.payload()
    assert [(r.file, r.line) for r in report.shown_at_import()] == [("bind.py", 13)]


RULES_OLD = "import re\n\nRULES = [(r'[a-z]+(?=\\.)', 'name')]\n\n\n" \
    "def kind(text):\n    return next((k for p, k in RULES if re.match(p, text)), 'other')\n"
RULES_NEW = RULES_OLD.replace("(?=\\.)", "(?=\\.(?!\\d))")
RULES_TEST = '''from rules import kind


def test_a_float_is_no_member_access():
    assert kind('a.3') == 'other'


def test_a_member_access():
    assert kind('a.b') == 'name'
'''


async def test_a_file_whose_change_ran_at_import_is_put_back_to_show_the_fix_needs_it(
        tmp_path):
    """A lookahead added to a pattern in a table: its mutant (the pattern never matches)
    passes the fail-to-pass test too; the file's base text put back fails it."""
    report, tree = await _at_import(
        tmp_path, FileText("rules.py", RULES_OLD, RULES_NEW), RULES_TEST,
        "tests/test_rules.py::test_a_float_is_no_member_access")
    assert {(r.line, r.what, r.outcome) for r in report.results} == {
        (3, "a string constant changed", "survived"), (0, "its change reverted", "killed")}
    assert (tree / "rules.py").read_text() != RULES_OLD  # the candidate's text is back


# -- tests and code that tell the check's child from a test run ---------------------------
# Each finds the check by means no text check sees (no oracle marker is spelt out) and
# fails only there, so every mutant whose line it runs would look killed. The canary (the
# same tests with no mutant switched on) fails there too: such a test kills nothing.
_PREFIX = '"".join(chr(c) for c in (95, 111, 117, 114, 111, 98, 111, 114, 111, 115))'
SNIFFERS = {
    "the switch, by a computed name": "[k for k, v in vars(builtins).items() "
                                      f"if k.startswith({_PREFIX}) and v]",
    "the plugin, by a computed name": "[n for n in list(sys.modules) if n.startswith("
                                      f"{_PREFIX}) and n.endswith('ion')]",
    "a forked child": "os.getpid() != PID",  # also a test that is merely fork-sensitive
}


def _sniffing_test(then: str) -> str:
    return ("import builtins\nimport os\nimport sys\n\nfrom stats import mode\n\n"
            f"PID = os.getpid()\n\n\ndef test_mode_again():\n    assert mode([1, 2, 2]) == 2\n"
            f"{then}")


async def _sniffed(tmp_path: Path, sniffing_test: str):
    tree = commit_files(tmp_path / "repo", {
        "stats.py": NEW, "tests/test_stats.py": LOOSE, "tests/test_sniff.py": sniffing_test})
    executor = JailExecutor([Path.home(), tree, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    scratch = tmp_path / "state" / "oracle"
    ran = await runner.run(tree, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({"stats.py"})))
    assert ran.passed, ran.output_tail  # outside the check the sniffing test passes
    return await check_mutants(runner, tree, [FileText("stats.py", OLD, NEW)],
                               [ran.report.coverage], scratch)


@pytest.mark.parametrize("name", sorted(SNIFFERS))
async def test_a_test_that_fails_only_in_the_checks_child_kills_nothing(tmp_path, name):
    """It fails in the canary child too: the mutants it killed are judged again without
    it, and the loose suite leaves the same lines unchecked as it does alone."""
    report = await _sniffed(tmp_path, _sniffing_test(f"    assert not ({SNIFFERS[name]})\n"))
    assert report.problem is None, report.payload()
    assert {r.line for r in report.survivors()} == {6, 8}, report.payload()


async def test_a_test_that_ends_the_checks_child_leaves_no_kill_evidence(tmp_path):
    """Exiting from the child, it ends the canary too: nothing the session says counts."""
    then = f"    if {SNIFFERS['the switch, by a computed name']}:\n        os._exit(1)\n"
    report = await _sniffed(tmp_path, _sniffing_test(then))
    assert report.problem == CANARY_BROKEN, report.payload()


async def test_a_test_that_fails_only_when_switched_at_import_kills_nothing(tmp_path):
    """The same for the fresh sessions of lines that ran at import: the canary session
    among them, with an id no mutant has switched on, fails too, so no mutant is killed
    (the file's base text put back, with no switch on, still shows the fix needs it)."""
    sniff = KW_TEST.replace("from kw import KEYWORDS\n", "import builtins\n\nfrom kw import "
                            f"KEYWORDS\n\nSEEN = {SNIFFERS['the switch, by a computed name']}\n")
    sniff = sniff.replace("== 'keyword'\n", "== 'keyword' and not SEEN\n")
    report, _ = await _at_import(tmp_path, FileText("kw.py", KW_OLD, KW_NEW), sniff,
                                 "tests/test_kw.py::test_materialized")
    assert report.problem is None, report.payload()
    outcomes = {(r.line, r.what, r.outcome) for r in report.results}
    assert outcomes == {(1, "a string constant changed", "survived"),
                        (2, "`20` to `21`", "survived"),  # no kill by the sniffing test
                        (0, "its change reverted", "killed")}, report.payload()


# Through the whole op (tests/governance/real_history.py's runner): a repair whose fix
# carries a rider its failing test runs but does not check (a list of four or more that
# starts with None answers its second item).
_BASE = "def first(xs):\n    return xs[1]\n"
_RIDER = "def first(xs):\n    xs = xs[1:] if len(xs) > 3 and xs[0] is None else xs\n" \
    "    return xs[0]\n"
_SNIFF = f"[k for k, v in vars(builtins).items() if k.startswith({_PREFIX}) and v]"
_UNCHECKED = "changed lines covered but unchecked"
RIDERS = {  # the fix's files, and the words of its refusal
    # its mutants are not equivalent: an input tells them apart, or none reaches the line
    "alone": ({"pkg/util.py": _RIDER}, f"{_UNCHECKED} (no test notices when they change): "
              "pkg/util.py:2 (`>` to "),
    # the candidate adds a test that fails only in the check's child
    "with a sniffing test": ({"pkg/util.py": _RIDER, "tests/test_more.py": (
        "import builtins\n\nfrom pkg.util import first\n\n\ndef test_first_of_two():\n"
        f"    assert first([4, 5]) == 4\n    assert not {_SNIFF}\n")}, _UNCHECKED),
    # the candidate's own code answers otherwise in the check's child
    "with sniffing code": ({"pkg/util.py": "import builtins\n\n\n" + _RIDER.replace(
        "    return xs[0]\n", f"    return xs[0] if not {_SNIFF} else None\n")},
        _UNCHECKED),
}


@pytest.mark.parametrize("name", sorted(RIDERS))
async def test_a_rider_no_test_checks_waits_for_review_whatever_tells_the_check_apart(
        short_tmp, name):
    """The repository's tests, in their base form, judge a repair's mutants (the
    candidate's added test never does), and a test that fails in the canary child, as
    every test does under code that answers otherwise there, kills nothing."""
    case = rh.Case(id=name, library="synthetic", repo="-", sha="0" * 40, license="-",
                   subject="first returns the first item", base={
                       "pytest.ini": "[pytest]\ntestpaths = tests\n", "pkg/__init__.py": "",
                       "pkg/util.py": _BASE}, binary={},
                   tests={"tests/test_util.py": "from pkg.util import first\n\n\n"
                          "def test_first():\n    assert first([1, 2]) == 1\n"},
                   fix=RIDERS[name][0], rider=None)
    [fix] = await rh.run_case(case, short_tmp, rh.Shared())
    assert fix.got == rh.REVIEW and RIDERS[name][1] in fix.reason, f"{fix.got}: {fix.said}"


def test_a_hot_line_s_mutant_is_judged_by_its_fail_to_pass_tests_first_and_a_bounded_few():
    """The oracle names every test that ran a line; a mutant's child still runs at most
    MAX_TESTS_PER_MUTANT of them, the fail-to-pass ones first, so a hot line's mutant does
    not run out of its time (counted killed) merely by having many tests."""
    many = [f"tests/test_a.py::test_{i:03d}" for i in range(200)]
    cov = Coverage(lines={"pkg/a.py": {3: frozenset([*many, None])}})
    m = Mutant(1, "pkg/a.py", 3, frozenset({3}), "`+` to `-`")
    chosen = _tests_of(m, [cov], frozenset({many[150]}))
    assert len(chosen) == MAX_TESTS_PER_MUTANT and chosen[0] == many[150]
    assert chosen[1:] == many[:MAX_TESTS_PER_MUTANT - 1]
