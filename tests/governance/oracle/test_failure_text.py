"""What a failing test said, kept as a refusal's evidence: the plugin's caps (against a
hostile test that prints and raises megabytes), reading them back defensively, the verdict
naming them, and one real pytest session through the oracle."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from governance.oracle import failure_text
from governance.oracle import oracle_plugin as plugin
from governance.oracle.failure_text import FailureText, as_payload
from governance.oracle.oracle import FailureKind, Report, judge, read_report
from governance.oracle.testrun import TestRunner

MB = 1 << 20


def _pytest_report(message: object = "assert 1 == 5", text: str = "E   assert 1 == 5",
                   sections: list | None = None) -> SimpleNamespace:
    """What the plugin reads of a pytest report: longrepr's crash line, text and sections."""
    crash = SimpleNamespace(message=message) if message is not None else None
    return SimpleNamespace(longrepr=SimpleNamespace(reprcrash=crash), longreprtext=text,
                           sections=sections or [])


def test_the_plugin_caps_a_hostile_failure():
    huge = "".join(f"line {i} " + "x" * 90 + "\n" for i in range(40_000))  # ~4 MB
    report = _pytest_report("AssertionError: " + "y" * MB, huge + "E   the end",
                            [(f"Captured stdout call {i}", "z" * (5 * MB)) for i in range(9)])
    text = plugin._failure_text(report)
    assert text is not None
    assert text["message"].startswith("AssertionError: yyy") and len(text["message"]) == 500
    assert text["tail"].endswith("E   the end") and len(text["tail"]) <= 2_000 + 5
    assert len(text["tail"].splitlines()) <= 20
    assert text["output"].count("Captured stdout call") == 4  # the last four sections
    assert len(text["output"]) < 4 * (800 + 40)
    assert len(json.dumps(text)) < 8_000  # megabytes in, a few kilobytes kept


@pytest.mark.parametrize(("report", "message"), [
    (_pytest_report(None, "tb\nE   ModuleNotFoundError: No module named 'x'\n"),
     "ModuleNotFoundError: No module named 'x'"),  # a collection error: no crash line
    (_pytest_report(None, "something broke"), "something broke"),
    (_pytest_report(b"bytes", "E   said"), "said"),
])
def test_the_plugin_finds_a_message_without_a_crash_line(report, message):
    text = plugin._failure_text(report)
    assert text is not None and text["message"] == message


def test_a_report_that_resists_costs_only_its_text():
    class Hostile:
        @property
        def longreprtext(self):
            raise RuntimeError("no")

    assert plugin._failure_text(Hostile()) is None


def test_the_plugin_keeps_the_first_text_of_at_most_twenty_tests(monkeypatch):
    monkeypatch.setitem(plugin._state, "failures", {})
    plugin._note_failure("t::a", _pytest_report("first"))
    plugin._note_failure("t::a", _pytest_report("teardown too"))
    for i in range(30):
        plugin._note_failure(f"t::n{i}", _pytest_report())
    kept = plugin._state["failures"]
    assert len(kept) == 20 and kept["t::a"]["message"] == "first"


A, B = "tests/test_a.py::test_a", "tests/test_a.py::test_b"


def _written(path: Path, failures: object, tests: dict | None = None,
             errors: list | None = None) -> Path:
    path.write_text(json.dumps({"nonce": "n1", "finished": True, "exitstatus": 1,
                                "tests": tests or {A: "failed", B: "passed"},
                                "collect_errors": errors or [], "failures": failures}))
    return path


@pytest.mark.parametrize("section", [
    None, [], "text", {A: "assert 1"}, {A: {"message": 5}}, {A: {"tail": "t"}}, {5: {}},
])
def test_a_malformed_failures_section_proves_nothing_and_never_raises(tmp_path, section):
    report = read_report(_written(tmp_path / "r.json", section), "n1")
    assert report.problem is None and report.failures == {}
    assert judge(report, Report.empty(), False).failures == ()


def test_read_report_caps_what_it_reads(tmp_path):
    entries = {f"t::{i}": {"message": "m" * 9_000, "tail": "t" * 9_000 + "END",
                           "output": 7, "extra": 1} for i in range(40)}
    report = read_report(_written(tmp_path / "r.json", entries), "n1")
    assert len(report.failures) == failure_text.MAX_FAILURES
    text = report.failures["t::0"]
    assert len(text.message) == failure_text.MESSAGE_CAP and text.output == ""
    assert text.tail.endswith("END") and len(text.tail) == failure_text.TAIL_CAP


def test_the_verdict_carries_the_texts_of_the_tests_it_names(tmp_path):
    said = {A: {"message": "assert 1 == 5", "tail": "E   assert 1 == 5"},
            B: {"message": "not failing now"}}
    after = read_report(_written(tmp_path / "r.json", said), "n1")
    baseline = Report(finished=True, exitstatus=0, tests={A: "passed", B: "passed"})
    v = judge(after, baseline, False)
    assert v.kind is FailureKind.FAILING and v.failing == (A,)
    assert v.failures == (FailureText(A, "assert 1 == 5", "E   assert 1 == 5"),)
    assert as_payload(v.failures) == [{"test": A, "message": "assert 1 == 5",
                                       "tail": "E   assert 1 == 5"}]
    broken = read_report(_written(tmp_path / "c.json", {"tests/test_c.py": {
        "message": "ImportError: cannot import name 'mode'"}}, {}, ["tests/test_c.py"]), "n1")
    cv = judge(broken, baseline, False)
    assert cv.kind is FailureKind.COLLECTION_ERRORS
    assert [f.message for f in cv.failures] == ["ImportError: cannot import name 'mode'"]


def test_the_ledger_form_is_capped_in_count():
    texts = [FailureText(f"t::{i}", "m") for i in range(30)]
    assert len(as_payload(texts)) == failure_text.PAYLOAD_FAILURES
    assert len(as_payload(texts, 3)) == 3


HOSTILE = '''import sys


def test_loud():
    sys.stdout.write("noise " * 500_000 + "LAST WORDS\\n")
    sys.stderr.write("E" * 1_000_000)
    assert "x" * 2_000_000 == "y"


def test_plain():
    assert 1 + 1 == 5


def test_raises():
    raise ValueError("bad value")


def test_ok():
    pass
'''
MANY = "".join(f"\n\ndef test_n{i}():\n    assert {i} == -1\n" for i in range(25))


@pytest.mark.slow
async def test_a_real_session_keeps_messages_and_stays_small(tmp_path):
    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_h.py").write_text(HOSTILE + MANY)
    runner = TestRunner(["{python}", "-m", "pytest"], 60)
    outcome = await runner.run(root, ["tests/test_h.py"], scratch=tmp_path / "oracle")
    failures = outcome.report.failures
    assert len(failures) == 20 and outcome.report.tests["tests/test_h.py::test_ok"] == "passed"
    plain = failures["tests/test_h.py::test_plain"]
    assert plain.message == "assert (1 + 1) == 5"
    assert "tests/test_h.py:11: AssertionError" in plain.tail
    assert failures["tests/test_h.py::test_raises"].message == "ValueError: bad value"
    loud = failures["tests/test_h.py::test_loud"]
    assert "LAST WORDS" in loud.output and "Captured stderr call" in loud.output
    assert len(loud.message) <= 500 and len(loud.tail) <= 2_100
    report = json.dumps([f.as_payload() for f in failures.values()])
    assert len(report) < 100_000  # megabytes printed and raised, kilobytes kept
