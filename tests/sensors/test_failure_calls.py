"""A failure asserted in the test's own frame reaches below the test's call: the sensor runs
it again with the oracle plugin's `calls` and names the library functions the call ran, in
the order first entered with their depth, and the prompt shows the innermost ones' code
(issue 50: sqlparse's split test failed on its own assert, and the fix lay in the splitter
its call ran). Real pytest through the daemon's TestRunner; the jailed path is the same
runner with an executor (tests/governance/oracle/test_failure_frames.py)."""

from __future__ import annotations

from governance.brains.called_code import called_section
from governance.brains.prompts import library_reached
from governance.brains.reached_code import reached_section
from governance.oracle.failure_frames import Call, parse_frames
from governance.oracle.run_dir import CoverageRequest
from governance.oracle.testrun import TestRunner
from governance.schemas import OperationContext, SignalEnvelope
from sensors.failure_calls import RecordedCalls, asserted_in_test, called, traced_calls
from sensors.failure_causes import Group
from sensors.failure_envelope import group_envelope
from sensors.failure_streaks import Failure
from sensors.run_results import TestResult
from tests.helpers import PYTEST, commit_files

SPLITTER = '''def split(text):
    """The statements of `text`."""
    return [s.strip() for s in _Splitter().run(text)]


class _Splitter:
    def __init__(self):
        self.level = 0

    def run(self, text):
        out, current = [], []
        for word in text.split():
            self.level += _change_level(word)
            current.append(word)
            if word.endswith(";") and self.level == 0:
                out.append(" ".join(current))
                current = []
        return out


def _change_level(word):
    """The bug: IF opens a block even in DROP TABLE IF EXISTS."""
    if word == "BEGIN" or word == "IF":
        return 1
    if word.startswith("END"):
        return -1
    return 0
'''
REPO = {
    "sql/__init__.py": "from sql.splitter import split\n",
    "sql/splitter.py": SPLITTER,
    "tests/test_split.py": "import sql\n\n\ndef test_if_exists():\n"
                           "    stmts = sql.split('BEGIN DROP X IF EXISTS; END; SELECT 1;')\n"
                           "    assert len(stmts) == 2\n\n\ndef test_plain():\n"
                           "    assert sql.split('SELECT 1; SELECT 2;') == ['SELECT 1;', "
                           "'SELECT 2;']\n",
}
TEST = "tests/test_split.py::test_if_exists"
FILES = set(REPO)


async def test_the_calls_of_a_failure_asserted_in_the_test_are_recorded_in_order(tmp_path):
    root = commit_files(tmp_path / "repo", REPO)
    runner = TestRunner(PYTEST, 60)
    failure = Failure(TEST, TestResult(outcome="failed", where="tests/test_split.py:6",
                                       message="assert 1 == 2"))
    assert asserted_in_test(failure, FILES)

    async def run(tests, **kwargs):
        return await runner.run(root, tests, **kwargs)

    found = await traced_calls(run, [failure], FILES)
    names = [(e["fn"], e["depth"]) for e in found]
    assert names == [("fn:sql/splitter.py::split", 1),
                     ("fn:sql/splitter.py::_Splitter.__init__", 2),
                     ("fn:sql/splitter.py::_Splitter.run", 2),
                     ("fn:sql/splitter.py::_change_level", 3)]
    # Without the calls asked for, the same run records none (the plugin's default).
    plain = await runner.run(root, [TEST])
    assert plain.frames[TEST].calls == ()


async def test_a_failure_raised_in_the_library_is_not_traced_again(tmp_path):
    raised = Failure(TEST, TestResult(outcome="failed", where="sql/splitter.py:22"))
    through = Failure(TEST, TestResult(outcome="failed", where="tests/test_split.py:6",
                                       library_where="sql/splitter.py:22"))
    asked = []

    async def run(tests, **kwargs):
        asked.append(tests)
        raise AssertionError("not run")

    assert not asserted_in_test(raised, FILES) and not asserted_in_test(through, FILES)
    assert await traced_calls(run, [raised, through], FILES) == []
    assert asked == []


def test_calls_read_back_keep_only_well_formed_library_entries():
    frames = parse_frames({"schema": "ouroboros-oracle-frames.1", "nonce": "n", "frames": {
        TEST: {"where": "tests/test_split.py:6", "calls": [
            ["sql/splitter.py", "split", 1, 1], ["sql/splitter.py", "x\ny", 3, 2],
            ["sql/splitter.py", "_change_level", 22, "3"], "junk",
            ["tests/test_split.py", "test_plain", 9, 1],
            ["sql/splitter.py", "split.<locals>.<listcomp>", 3, 2]]}}}, "n")
    calls = frames[TEST].calls
    assert [c.name for c in calls] == ["split", "test_plain", "split.<locals>.<listcomp>"]
    assert called(calls, FILES) == [{"fn": "fn:sql/splitter.py::split", "depth": 1}]


def _envelope() -> SignalEnvelope:
    failure = Failure(TEST, TestResult(outcome="failed", where="tests/test_split.py:6",
                                       message="assert 1 == 2"))
    calls = called([Call("sql/splitter.py", "split", 1, 1),
                    Call("sql/splitter.py", "_Splitter.__init__", 7, 2),
                    Call("sql/splitter.py", "_Splitter.run", 10, 2),
                    Call("sql/splitter.py", "_change_level", 21, 3)], FILES)
    env = group_envelope(Group((TEST,), frozenset({"fn:sql/splitter.py::split",
                                                   f"test:{TEST}"})),
                         [failure], ["tests/test_split.py", "sql/splitter.py"], "s",
                         called=calls)
    return env


def test_the_prompt_names_the_calls_and_shows_the_innermost_code(tmp_path):
    env = _envelope()
    evidence = env.evidence
    texts = {"sql/splitter.py": SPLITTER}
    root = commit_files(tmp_path / "repo", REPO)
    section = library_reached(OperationContext(envelope=env), root)
    assert section.startswith(reached_section(evidence, texts.get, "json"))
    tree = section.split("## What the failing test's call ran in the library\n", 1)[1]
    assert "- sql/splitter.py split\n  - sql/splitter.py _Splitter.__init__\n" \
           "  - sql/splitter.py _Splitter.run\n    - sql/splitter.py _change_level" in tree
    # The innermost first within the room: `_change_level` and `run` shown, the dunder not.
    assert "def _change_level(word):" in tree and "def run(self, text):" in tree
    assert "def __init__(self):" not in tree
    assert tree.index("def run(self, text):") < tree.index("def _change_level(word):")
    small = called_section(evidence, texts.get, 450, frozenset({"fn:sql/splitter.py::split"}))
    assert "def _change_level(word):" in small and "def run(self, text):" not in small


def test_without_calls_the_section_is_as_before():
    evidence = dict(_envelope().evidence)
    del evidence["called"]
    texts = {"sql/splitter.py": SPLITTER}
    assert "call ran" not in reached_section(evidence, texts.get, "blocks")
    assert called_section(evidence, texts.get, 6000) == ""


def test_only_what_ran_below_the_reached_function_is_shown():
    """semver's db55f27cb7c3 (stop 65): `assert hash(v1) == hash(v2)` reached `__hash__`,
    which ran nothing of the library; shown what the test's other calls ran, the 1.5B
    model copied `ensure_str` back. Nothing below the cause: no section."""
    calls = called([Call("sql/splitter.py", "_Splitter.run", 10, 1),
                    Call("sql/splitter.py", "_change_level", 21, 2),
                    Call("sql/splitter.py", "split", 1, 1)], FILES)
    texts = {"sql/splitter.py": SPLITTER}.get
    leaf = frozenset({"fn:sql/splitter.py::split"})
    assert called_section({"called": calls}, texts, 6000, leaf) == ""
    run = frozenset({"fn:sql/splitter.py::_Splitter.run"})
    section = called_section({"called": calls}, texts, 6000, run)
    assert "def _change_level(word):" in section and "splitter.py split" not in section


async def test_the_calls_its_own_rerun_recorded_are_taken_without_a_run(tmp_path):
    """The daemon's way (daemon.start_failures): the failing test's own re-run asked for the
    calls and offers them while its results are read; no run of the sensor's own."""
    root = commit_files(tmp_path / "repo", REPO)
    rerun = await TestRunner(PYTEST, 60).run(root, [TEST], coverage=CoverageRequest(calls=True))
    failure = Failure(TEST, TestResult(outcome="failed", where="tests/test_split.py:6"))

    async def run(tests, **kwargs):
        raise AssertionError("not run")

    recorded = RecordedCalls()
    with recorded.offered(rerun.frames):
        found = await traced_calls(run, [failure], FILES, recorded)
    assert [e["fn"] for e in found][-1] == "fn:sql/splitter.py::_change_level"
    assert recorded.get(TEST) == ()  # withdrawn once read: a later run's code may differ
    assert await traced_calls(None, [failure], FILES, recorded) == []
