"""The classes of correct real fixes the daemon refuses for its own reasons, each reduced to
a few lines and run the way tests/governance/test_real_history.py runs a real case (the
human commits the failing test, the sensor and router make the op, the replay stand-in
answers with the fix, the daemon's parts judge it in the jail).

Each test states today's refusal: it passes while the daemon refuses the fix for the named
reason, and fails once the fix lands (then make it expect LANDED: the gap is closed) or is
refused for another reason. The real cases of each class are named beside it and in
docs/proof-measurements.md ("Real maintainers' fixes").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import trials
from tests.governance import real_history as rh
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

INI = "[pytest]\ntestpaths = tests\n"


@dataclass(frozen=True)
class Gap:
    name: str
    base: dict[str, str]
    tests: dict[str, str]  # the human's test change
    fix: dict[str, str]  # the maintainer's fix
    refused: str  # the ledger's words today
    seen_in: str  # real cases of this class


def _case(gap: Gap) -> rh.Case:
    return rh.Case(id=gap.name, library="synthetic", repo="-", sha="0" * 40, license="-",
                   subject=gap.name.replace("_", " "), base={"pytest.ini": INI, **gap.base},
                   binary={}, tests=dict(gap.tests), fix=dict(gap.fix), rider=None)


# A mutant that removes a block's first statement, then another mutant in the same file:
# the mutation check's own AST walk meets the guard it inserted (no line number) and fails.
SORT = Gap(
    "mutation_check_crash",
    {"pkg/__init__.py": "", "pkg/order.py": "def ordered(xs):\n    return xs\n"},
    {"tests/test_order.py": "from pkg.order import ordered\n\n\n"
     "def test_ordered():\n    assert ordered([3, 1, 2]) == [1, 2, 3]\n"},
    {"pkg/order.py": "def ordered(xs):\n    out = list(xs)\n    out.sort()\n    return out\n"},
    "changed lines not checked: AttributeError: 'If' object has no attribute 'lineno'",
    "semver-61f4521fbd8e, cachetools-6ddbca188419, pyflakes-87051d20e2f5")

# A line more than 64 tests ran kept only the first 64 (the oracle plugin's per-line cap):
# the failing test, collected after them, was not recorded on the fixed line, so the module
# it reached through the package's re-export was "not asked to". Now a line names every
# test that ran it.
_HOT = ("def shout(word):\n    word = word.strip()\n    return word.upper() + '!'\n")
CAP = Gap(
    "per_line_test_cap",
    {"pkg/__init__.py": "from pkg.text import shout\n", "pkg/text.py": _HOT,
     "tests/test_a_many.py": "import pytest\n\nfrom pkg import shout\n\n\n"
     "@pytest.mark.parametrize('n', range(70))\ndef test_many(n):\n"
     "    assert shout(f' w{n} ') == f'W{n}!'\n"},
    {"tests/test_b_bug.py": "from pkg import shout\n\n\n"
     "def test_empty():\n    assert shout('  ') == ''\n"},
    {"pkg/text.py": _HOT.replace("    return word.upper() + '!'\n",
                                 "    return word.upper() + '!' if word else ''\n")},
    "changes files it was not asked to: pkg/text.py",
    "sqlparse-111b35cffcfe")

# Code that runs when a module is imported (a class attribute, a module-level table): no
# test "enters" it, so the rule that a fail-to-pass test enters every changed function (or
# reaches every changed file) could not be met. Closed: such a line's mutant is switched on
# before anything imports, and a file whose change ran only there is put back to its base
# text, each in a session of the fail-to-pass tests (governance.proof.mutation_run).
CLASS_ATTRIBUTE = Gap(
    "class_body_runs_at_import",
    {"pkg/__init__.py": "", "pkg/version.py": "import re\n\n\nclass Version:\n"
     "    PATTERN = r'\\d+\\.\\d+'\n\n    def valid(self, text):\n"
     "        return re.fullmatch(self.PATTERN, text) is not None\n"},
    {"tests/test_version.py": "from pkg.version import Version\n\n\n"
     "def test_three_parts():\n    assert Version().valid('1.2.3')\n"},
    {"pkg/version.py": "import re\n\n\nclass Version:\n"
     "    PATTERN = r'\\d+(\\.\\d+)+'\n\n    def valid(self, text):\n"
     "        return re.fullmatch(self.PATTERN, text) is not None\n"},
    "Version: no test showing the change enters it",
    "semver-2aeb61b667f1, pyflakes-5d192ce187d8, pyflakes-e02336c3d47c")
TABLE = Gap(
    "module_table_runs_at_import",
    {"pkg/__init__.py": "from pkg.lexer import kind\n",
     "pkg/keywords.py": "KEYWORDS = {'SELECT': 'keyword', 'FROM': 'keyword'}\n",
     "pkg/lexer.py": "from pkg.keywords import KEYWORDS\n\n\ndef kind(word):\n"
     "    return KEYWORDS.get(word.upper(), 'name')\n"},
    {"tests/test_lexer.py": "from pkg import kind\n\n\n"
     "def test_materialized():\n    assert kind('materialized') == 'keyword'\n"},
    {"pkg/keywords.py": "KEYWORDS = {'SELECT': 'keyword', 'FROM': 'keyword',\n"
     "            'MATERIALIZED': 'keyword'}\n"},
    "changes files it was not asked to: pkg/keywords.py",
    "sqlparse-26d7d6522187, sqlparse-a194d3187b04, sqlparse-ac3b9e0b2562")

# warnings.warn(...) was skipped as logging, but the same call through `from warnings
# import warn` was mutated, and its message (which no test reads) made the line
# "unchecked". Now a name the module binds only by that import is logging too.
WARN = Gap(
    "warn_by_name_is_mutated",
    {"pkg/__init__.py": "", "pkg/api.py": "def old(x):\n    return x\n"},
    {"tests/test_api.py": "import pytest\n\nfrom pkg.api import old\n\n\n"
     "def test_old_warns():\n    with pytest.warns(DeprecationWarning):\n"
     "        assert old(1) == 1\n"},
    {"pkg/api.py": "def old(x):\n    from warnings import warn\n\n"
     "    warn('old is deprecated', DeprecationWarning, stacklevel=2)\n    return x\n"},
    "(a string constant changed)",
    "cachetools-43596b233710, cachetools-d3598664ca92")

# A fix that also corrects a comment on another function's def line (pyflakes: a type
# comment's `ast.Ast` made `ast.AST`): the def line counted as a changed statement of a
# function no failing test enters. Now a hunk that leaves the AST alone changes nothing.
_UTIL = ("def is_name(node, name):  # type: (ast.Ast, str) -> bool\n    return node == name\n"
         "\n\ndef first(xs):\n    return xs[1]\n")
COMMENT = Gap(
    "comment_on_a_def_line",
    {"pkg/__init__.py": "", "pkg/util.py": _UTIL},
    {"tests/test_util.py": "from pkg.util import first\n\n\n"
     "def test_first():\n    assert first([1, 2]) == 1\n"},
    {"pkg/util.py": _UTIL.replace("ast.Ast", "ast.AST").replace("xs[1]", "xs[0]")},
    "(is_name: no test showing the change enters it)",
    "pyflakes-84da8cdaad57")

# The candidate's session traces every line of the changed files (the oracle plugin's
# sys.settrace), so their code runs several times slower than in the baseline's session: a
# test that times it (sqlparse's DoS tests: a parse in under a second; here, against the
# same loop in the test module, which is not traced) fails only there. Now such a test is
# judged by the same session run again untraced.
_SUM = ("def checksum(n):\n    total = 0\n    for i in range(n):\n"
        "        total += i % 7\n    return total\n")
_SPEED = ("import time\n\nfrom pkg.work import checksum\n\n\n"
          + _SUM.replace("checksum", "reference") + "\n\n"
          "def timed(f):\n    best = float('inf')\n    for _ in range(3):\n"
          "        started = time.perf_counter()\n        f(100_000)\n"
          "        best = min(best, time.perf_counter() - started)\n    return best\n\n\n"
          "def test_as_fast_as_the_reference():\n"
          "    assert timed(checksum) < 2 * timed(reference)\n")
TIMING = Gap(
    "tracer_slows_timed_tests",
    {"pkg/__init__.py": "", "pkg/work.py": _SUM.replace("return total", "return total + 1"),
     "tests/test_speed.py": _SPEED},
    {"tests/test_work.py": "from pkg.work import checksum\n\n\n"
     "def test_small():\n    assert checksum(8) == 21\n"},
    {"pkg/work.py": _SUM},
    "tests/test_speed.py::test_as_fast_as_the_reference: passed before the change, now failed",
    "sqlparse-5ca50a2ee9b3, sqlparse-e92a032c81d5")

# A class attribute the fix adds, reached through a descriptor (`Stats(...).top`): its
# first mutant, the name's string changed, passes the failing test, so the class was
# "entered by no test". Now an import-time binding the base did not have also gets the
# binding removed as a mutant, judged at import: the failing test reaches the name.
_STATS = ("class _StatsProperty:\n    def __init__(self, name, calc):\n"
          "        self.name = name\n        self.calc = calc\n\n"
          "    def __get__(self, obj, owner=None):\n        return self.calc(obj.data)\n\n\n"
          "def _calc_mean(data):\n    return sum(data) / len(data)\n\n\n"
          "class Stats:\n    mean = _StatsProperty('mean', _calc_mean)\n\n"
          "    def __init__(self, data):\n        self.data = list(data)\n")
_MEAN_TEST = ("from pkg.stats import Stats\n\n\n"
              "def test_mean():\n    assert Stats([1, 2, 3]).mean == 2\n")


def _with_property(name: str, calc: str) -> str:
    """_STATS with a module-level `calc` and a Stats attribute `name` computed by it."""
    return _STATS.replace("class Stats:\n", f"{calc}\n\n\nclass Stats:\n").replace(
        "    mean = _StatsProperty('mean', _calc_mean)\n",
        f"    mean = _StatsProperty('mean', _calc_mean)\n"
        f"    {name} = _StatsProperty('{name}', _calc_{name})\n")


ATTRIBUTE_REACHED = Gap(
    "class_attribute_reached_by_name",
    {"pkg/__init__.py": "", "pkg/stats.py": _STATS, "tests/test_stats.py": _MEAN_TEST},
    {"tests/test_top.py": "from pkg.stats import Stats\n\n\n"
     "def test_top():\n    assert Stats([1, 3, 2]).top == 3\n"},
    {"pkg/stats.py": _with_property("top", "def _calc_top(data):\n    return max(data)")},
    "(Stats: no test showing the change enters it)",
    "issue 42, item 6 (`mode = _StatsProperty('mode', _calc_mode)`)")

# The same fix as a maintainer wrote it: the mode is `Counter(data).most_common(1)[0][0]`,
# whose mutant `most_common(2)[0][0]` answers alike on every input, so no test can kill it
# and the line was "covered but unchecked". Now the differential check replays the
# function with each surviving mutant: shown answering as the candidate, it is equivalent.
EQUIVALENT = Gap(
    "equivalent_mutant",
    {"pkg/__init__.py": "", "pkg/stats.py": _STATS, "tests/test_stats.py": _MEAN_TEST},
    {"tests/test_mode.py": "from pkg.stats import Stats\n\n\n"
     "def test_mode():\n    assert Stats([1, 2, 2, 3]).mode == 2\n"},
    {"pkg/stats.py": "from collections import Counter\n\n\n" + _with_property(
        "mode", "def _calc_mode(data):\n    return Counter(data).most_common(1)[0][0]")},
    "changed lines covered but unchecked (no test notices when they change): "
    "pkg/stats.py:18 (`1` to `2`)",
    "issue 42, item 6")

# A fix that moves a function into a new module (and fixes it there): the file it left now
# only imports it back, and was "not asked to" change: the op was about the module the
# failing test imports. Now a file whose change only moves definitions into a file of the
# change (and imports names) belongs to it (governance.proof.moved).
_UTIL = "def norm(word):\n    return word.lower()\n\n\ndef other(x):\n    return x\n"
MOVED = Gap(
    "fix_moves_code_to_a_new_module",
    {"pkg/__init__.py": "", "pkg/util.py": _UTIL,
     "pkg/api.py": "from pkg.util import norm\n\n\ndef key(word):\n    return norm(word)\n"},
    {"tests/test_api.py": "from pkg.api import key\n\n\n"
     "def test_key_strips():\n    assert key('  Hi ') == 'hi'\n"},
    {"pkg/text.py": "def norm(word):\n    return word.strip().lower()\n",
     "pkg/util.py": "from pkg.text import norm  # noqa: F401 (moved)\n\n\n"
     "def other(x):\n    return x\n",
     "pkg/api.py": "from pkg.text import norm\n\n\ndef key(word):\n    return norm(word)\n"},
    "changes files it was not asked to: pkg/util.py",
    "issue 49 (a maintainer's fix moving code into a new module)")

GAPS: list[Gap] = []
# refused once for the daemon's reason named in it; they land now
CLOSED = [SORT, WARN, COMMENT, CLASS_ATTRIBUTE, TABLE, CAP, TIMING, ATTRIBUTE_REACHED,
          EQUIVALENT, MOVED]


@pytest.mark.parametrize("gap", GAPS, ids=[g.name for g in GAPS])
async def test_a_correct_fix_the_daemon_refuses_today(gap: Gap, short_tmp: Path) -> None:
    [fix] = [o for o in await rh.run_case(_case(gap), short_tmp, rh.Shared()) if not o.twin]
    assert fix.got != rh.LANDED, f"{gap.name} lands now: make this test expect LANDED"
    assert gap.refused in fix.reason, f"refused for another reason: {fix.got}: {fix.reason}"


# CI runs three of ten (the same on every machine: tests/trials.py; half until the suite
# neared 15 minutes again), 10 s each on two cores; OUROBOROS_TRIALS=full runs all
CLOSED_RUN = trials.chosen(CLOSED, lambda g: g.name, lambda g: 0, share=0.3)


@pytest.mark.parametrize("gap", CLOSED_RUN, ids=[g.name for g in CLOSED_RUN])
async def test_a_gap_once_open_lands_now(gap: Gap, short_tmp: Path) -> None:
    [fix] = [o for o in await rh.run_case(_case(gap), short_tmp, rh.Shared()) if not o.twin]
    assert fix.got == rh.LANDED, f"{gap.name} is refused again: {fix.got}: {fix.reason}"
