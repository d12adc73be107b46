"""A changed function no test calls borrows its inputs from its kin (governance.proof.kin,
governance.oracle.replay_kin): the functions of its module sharing a parameter's name, its
class's other methods and its class's constructor. In the real jail, a correct rewrite of
such a function lands on borrowed inputs (the base as the oracle: every mutant of its
changed lines told apart, the candidate answering as the base), and a careless one is
refused with a counterexample; without kin both waited as "no test calls it" (wave 12:
jaconv's `kata2alphabet`, boolean.py's `ParseError.__str__`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from daemon.config.settings import Settings
from governance.oracle.differential import Target
from governance.oracle.oracle import Coverage
from governance.oracle.oracle_run import Sessions
from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof.behaviour import touched_functions
from governance.proof.differential_check import check_behaviour
from governance.proof.kin import behaviour_scope, kin_of, reaching, with_kin
from governance.proof.rules import Claim, FileText, Intent, assess
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor, bwrap_available

FILE = "lab/words.py"
WORDS = '''"""Words and readings, shown."""


def shout(text, mark="!"):
    return text.upper() + mark


def whisper(text):
    return text.lower()


def announce(text):
    loud = shout(text)
    return loud + " " + loud


class Reading:
    def __init__(self, value, unit="C"):
        self.value = value
        self.unit = unit

    def label(self):
        if self.unit == "F":
            return f"{self.value} F"
        return f"{self.value} C"
'''
# announce and Reading.label are called by no test
TESTS = '''from lab.words import Reading, shout, whisper


def test_words():
    assert shout("hi") == "HI!"
    assert shout("ok", "?") == "OK?"
    assert whisper("Hey") == "hey"


def test_reading():
    assert Reading(21.5).value == 21.5
    assert Reading(70, "F").unit == "F"
'''
RIGHT = {"announce": WORDS.replace('''    loud = shout(text)
    return loud + " " + loud''', '''    return " ".join([shout(text)] * 2)'''),
         "label": WORDS.replace('''        if self.unit == "F":
            return f"{self.value} F"
        return f"{self.value} C"''', '''        unit = "F" if self.unit == "F" else "C"
        return f"{self.value} {unit}"''')}
CARELESS = {"announce": WORDS.replace("    loud = shout(text)", "    loud = shout(text, '.')"),
            "label": WORDS.replace('return f"{self.value} C"', 'return f"{self.value:.0f} C"')}


def test_kin_are_the_constructor_then_the_class_then_shared_names_nearest_first() -> None:
    assert [q for q, _ in kin_of(WORDS, "Reading.label")] == ["Reading.__init__"]
    assert [q for q, _ in kin_of(WORDS, "announce")] == ["whisper", "shout"]
    [(_, lines), _] = kin_of(WORDS, "announce")
    assert lines == frozenset({9})  # whisper's body: its def line runs at import
    assert kin_of(WORDS, "nowhere") == () and kin_of("def (", "announce") == ()


def test_only_a_function_no_test_entered_borrows_and_its_kins_tests_join() -> None:
    coverage = Coverage({FILE: {5: {"t::words"}, 9: {"t::words"}, 20: {"t::reading"}}})
    [announce, shout] = with_kin([Target(FILE, "announce", frozenset({12, 13, 14}), ()),
                                  Target(FILE, "shout", frozenset({4, 5}), ())], WORDS, FILE)
    targets, tests = behaviour_scope([announce, shout], coverage)
    assert [t.kin != () for t in targets] == [True, False]
    assert tests == ["t::words"]
    assert behaviour_scope([announce], None) == ([Target(FILE, "announce", announce.lines,
                                                         ())], [])


def test_only_kin_some_test_enters_lend_and_their_tests_are_dealt_a_kin_at_a_time() -> None:
    """configobj's `Section.popitem`: its nearest kin were called by no test, and the first
    eight tests by name entered only one kin, so it borrowed nothing."""
    [announce] = with_kin([Target(FILE, "announce", frozenset({12, 13, 14}), ())], WORDS, FILE)
    assert [q for q, _ in announce.kin] == ["whisper", "shout"]
    only_shout = Coverage({FILE: {5: {"t::loud"}}})
    [target], tests = behaviour_scope([announce], only_shout)
    assert [q for q, _ in target.kin] == ["shout"] and tests == ["t::loud"]
    many = {f"t::quiet{n}" for n in range(12)}
    both = Coverage({FILE: {9: many, 5: {"t::zz_loud"}}})
    [target], tests = behaviour_scope([announce], both)
    assert [q for q, _ in target.kin] == ["whisper", "shout"]
    assert len(tests) == 8 and tests[:2] == ["t::quiet0", "t::zz_loud"]
    [target], tests = behaviour_scope([announce], Coverage({FILE: {20: {"t::reading"}}}))
    assert target.kin == () and tests == []


CLOCK_FILE = "lab/clock.py"
CLOCK = '''"""Times of day, shown."""


def _two(hh, mm):
    text = "%02d:%02d" % (hh, mm)
    return text


class Clock:
    def __init__(self, hour, minute):
        self.hour = hour
        self.minute = minute

    def later(self, minutes):
        return Clock(self.hour, self.minute + minutes)

    def shown(self):
        return "at " + _two(self.hour, self.minute)


class Alarm:
    def shown(self):
        return "ring"

    def again(self):
        return self.shown() + Clock.shown(Clock(7, 0))
'''
# `_two` shares no parameter's name with any function of its module, and only
# Clock.shown, which no test calls, calls it: nepali-datetime's _format_time (wave 20)
CLOCK_TESTS = '''from lab.clock import Clock


def test_later():
    assert Clock(9, 5).later(10).minute == 15
'''
# alike on every input, and not the same code (a temporary inlined alone now is: normal_form)
CLOCK_RIGHT = CLOCK.replace('''    text = "%02d:%02d" % (hh, mm)
    return text''', '''    return "%02d:%02d" % (hh, mm) + ""''')
CLOCK_CARELESS = CLOCK.replace('"%02d:%02d" % (hh, mm)', '"%d:%02d" % (hh, mm)')


def test_a_function_is_reached_through_the_functions_of_its_file_calling_it_by_name() -> None:
    assert reaching(CLOCK, "_two") == ("Clock.shown",)
    # another class's `self.shown()` is its own; a call through the class's name is Clock's
    assert reaching(CLOCK, "Clock.shown") == ("Alarm.again",)
    assert reaching(CLOCK, "Alarm.shown") == ("Alarm.again",)
    assert reaching(CLOCK, "nowhere") == () and reaching("def (", "_two") == ()
    [two] = with_kin([Target(CLOCK_FILE, "_two", frozenset({5, 6}), ())], CLOCK, CLOCK_FILE)
    [shown] = two.through
    assert (two.kin, shown.qualname) == ((), "Clock.shown")
    assert [q for q, _ in shown.kin] == ["Clock.__init__", "Clock.later"]
    coverage = Coverage({CLOCK_FILE: {11: {"t::later"}, 15: {"t::later"}}})
    [scoped], tests = behaviour_scope([two], coverage)
    assert [q for q, _ in scoped.through[0].kin] == ["Clock.__init__", "Clock.later"]
    assert tests == ["t::later"]
    [scoped], tests = behaviour_scope([two], Coverage({CLOCK_FILE: {5: {"t::two"}}}))
    assert scoped.through == () and tests == ["t::two"]  # its own calls are the evidence
    [scoped], tests = behaviour_scope([two], Coverage({CLOCK_FILE: {18: {"t::shown"}}}))
    assert (scoped.through[0].kin, tests) == ((), ["t::shown"])  # the caller's own calls


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_function_no_test_calls_is_judged_through_its_caller(tmp_path) -> None:
    files = {"tests/test_clock.py": CLOCK_TESTS}
    evidence, diff = await _judged(tmp_path / "right", CLOCK_RIGHT, CLOCK_FILE, CLOCK, files)
    assert evidence.proven, (evidence.reasons, diff.payload())
    assert diff.preserved and evidence.uncovered == ()
    evidence, diff = await _judged(tmp_path / "careless", CLOCK_CARELESS, CLOCK_FILE, CLOCK,
                                   files)
    assert not evidence.proven
    [changed] = [r for r in evidence.reasons if r.startswith("behaviour changed: ")]
    assert "lab/clock.py::_two" in changed and "reaches" in changed, changed


async def _judged(tmp_path: Path, new: str, file: str = FILE, old: str = WORDS,
                  tests: dict[str, str] | None = None):
    files = {"lab/__init__.py": "", **(tests or {"tests/test_words.py": TESTS})}
    base = commit_files(tmp_path / "base", {**files, file: old})
    cand = commit_files(tmp_path / "cand", {**files, file: new})
    executor = JailExecutor([Path.home(), base, cand, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    scratch = tmp_path / "state" / "oracle"
    before = await runner.run(base, [], scratch=scratch)
    ran = await runner.run(cand, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({file})))
    found, problems = touched_functions(old, new, file)
    assert problems == []
    targets, tests = behaviour_scope(with_kin(found, old, file), ran.report.coverage)
    diff = await check_behaviour(runner, base, cand, targets, tests, scratch)
    p = Settings().proof
    claim = Claim(Intent.PRESERVE, frozenset({file}), None, None, p.max_new_files,
                  p.autocommit_new_behaviour, preserve_on_coverage=False)
    return assess(claim, [FileText(file, old, new)],
                  Sessions(original=ran.report, differential=diff), before.report), diff


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
@pytest.mark.parametrize("function", ["announce", "label"])
async def test_a_function_no_test_calls_is_judged_on_its_kins_inputs(tmp_path, function):
    evidence, diff = await _judged(tmp_path / "right", RIGHT[function])
    assert evidence.proven, (evidence.reasons, diff.payload())
    assert diff.preserved and evidence.uncovered == ()
    evidence, diff = await _judged(tmp_path / "careless", CARELESS[function])
    assert not evidence.proven
    [changed] = [r for r in evidence.reasons if r.startswith("behaviour changed: ")]
    assert changed.startswith(f"behaviour changed: {FILE}::"), changed
