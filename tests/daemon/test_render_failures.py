"""What `ouroboros ledger OP` and `ouroboros review OP` print of a refusal's evidence: each
failing test's message and the end of its traceback and output (governance.oracle.
failure_text), under the transition or thought that kept them; capped, and harmless to the
terminal whatever a test printed."""

from __future__ import annotations

import pytest

from daemon.cli.evidence_text import FAILURES_SHOWN
from daemon.cli.render import chain_text, review_text

ADD = {"test": "tests/test_ops.py::test_add",
       "message": "assert -1 == 5\n +  where -1 = add(2, 3)",
       "tail": "import helpers\n\n\ndef test_add():\n    helpers.setup()\n"
               ">       assert add(2, 3) == 5\nE       assert -1 == 5\n"
               "E        +  where -1 = add(2, 3)\n\ntests/test_ops.py:5: AssertionError",
       "output": "Captured stdout call\ncomputing add\n"}


def _chain(payload: dict, thought: dict | None = None) -> dict:
    return {"operation": {"op_id": "op-1", "source": "s", "session_id": "x", "goal": "g"},
            "transitions": [{"seq": 5, "ts": "t1", "from_phase": "VALIDATE",
                             "to_phase": "VALIDATE_RETRY", "cost_delta": 0.0,
                             "reason": "validation failed: failing: tests/test_ops.py::test_add: "
                                       "failed", "payload": payload}],
            "model_calls": [], "tool_calls": [],
            "thoughts": [{"ts": "t2", "phase": "L2_REPAIR", "msg": "L2 iteration 1: retry",
                          "data": thought or {}}]}


def test_a_failing_transition_shows_what_each_test_said():
    shown = chain_text(_chain({"summary": "failing: ...", "failures": [ADD]}))
    lines = shown.splitlines()
    at = lines.index("       FAILED tests/test_ops.py::test_add: assert -1 == 5")
    assert lines[at - 2].startswith("#5   VALIDATE -> VALIDATE_RETRY")  # under its transition
    assert lines[at + 1] == "            +  where -1 = add(2, 3)"
    assert "         | tests/test_ops.py:5: AssertionError" in lines
    assert "         | >       assert add(2, 3) == 5" in lines
    assert "         > computing add" in lines
    assert "import helpers" not in shown  # a few tail lines, not the whole traceback


def test_an_l2_thought_shows_its_failures_after_its_data_line():
    shown = chain_text(_chain({}, {"decision": "retry", "failures": [ADD]}))
    lines = shown.splitlines()
    at = lines.index("     think  L2_REPAIR: L2 iteration 1: retry")
    assert lines[at + 1] == '       {"decision": "retry"}'
    assert lines[at + 2] == "       FAILED tests/test_ops.py::test_add: assert -1 == 5"


def test_many_failures_are_counted_not_all_shown():
    many = [{**ADD, "test": f"t.py::t{i}"} for i in range(FAILURES_SHOWN + 3)]
    shown = chain_text(_chain({"failures": many}))
    assert shown.count("FAILED t.py::t") == FAILURES_SHOWN
    assert "... 3 more failing tests (ouroboros ledger OP --json shows all)" in shown


@pytest.mark.parametrize("failures", [
    None, "text", [1, None, "x"], [{"message": "no test"}], [{"test": 5}], {"test": "t"},
])
def test_what_is_not_a_failure_text_is_skipped(failures):
    shown = chain_text(_chain({"failures": failures}))
    assert "FAILED" not in shown and shown.splitlines()[3].startswith("#5 ")


def test_a_hostile_test_cannot_drive_the_terminal():
    hostile = {"test": "t.py::t\x1b[2J", "message": "\x1b]0;owned\x07boom\u202e",
               "tail": "x" * 10_000 + "\r\nE   \x1b[31mred\x1b[0m", "output": 7}
    shown = chain_text(_chain({"failures": [hostile]}))
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\r" not in shown
    assert "FAILED t.py::t?[2J: ?]0;owned?boom?" in shown
    assert max(len(line) for line in shown.splitlines()) < 220


def _review(**extra: object) -> dict:
    return {"review": {"op_id": "op-1", "age_s": 60, "insertions": 1, "deletions": 0,
                       "files": ["calc/ops.py"], "goal": "clamp", "evidence": "unproven",
                       "base": "a" * 40, "sha": "b" * 40, "branch": "ouroboros/op-1",
                       "diff": "+x\n", **extra}}


def test_a_review_shows_the_last_failing_attempt_before_its_diff():
    shown = review_text(_review(failed={"seq": 7, "from_phase": "VALIDATE",
                                        "to_phase": "VALIDATE_RETRY", "failures": [ADD]}))
    lines = shown.splitlines()
    at = lines.index("    failing attempt (ledger #7 VALIDATE -> VALIDATE_RETRY):")
    assert lines[at + 1] == "    FAILED tests/test_ops.py::test_add: assert -1 == 5"
    assert "      | tests/test_ops.py:5: AssertionError" in lines
    assert lines.index("+x") > at
    assert "failing attempt" not in review_text(_review())
    assert "failing attempt" not in review_text(_review(failed={"failures": ["junk"]}))


ELLIPSIS = {"file": "pkg/text.py", "line": 3, "characters": ["U+2026"],
            "before": "    note = f\u2026(x)  # \u202eevil", "after": "    note = f...(x)  # evil"}


def test_the_lines_a_gate_changed_are_shown_as_escapes_under_generate_and_in_a_review():
    chain = _chain({})
    chain["transitions"].insert(0, {"seq": 3, "ts": "t0", "from_phase": "GENERATE",
                                    "to_phase": "VALIDATE", "cost_delta": 0.0,
                                    "reason": "candidate touches 1 file(s)",
                                    "payload": {"files": ["pkg/text.py"],
                                                "ascii_repairs": [ELLIPSIS, "junk"]}})
    lines = chain_text(chain).splitlines()
    at = lines.index("       the ASCII gate changed 1 line(s) of the candidate:")
    assert lines[at - 2].startswith("#3   GENERATE -> VALIDATE")
    assert lines[at + 1:at + 4] == ["         pkg/text.py:3",
                                    "           - note = f\\u2026(x)  # \\u202eevil",
                                    "           + note = f...(x)  # evil"]
    shown = review_text(_review(ascii_repairs=[ELLIPSIS]))
    assert "    the ASCII gate changed 1 line(s) of the candidate:" in shown.splitlines()
    assert "\u202e" not in shown and "\u2026" not in shown
    assert "ASCII gate" not in review_text(_review(ascii_repairs=[{"line": 3}]))
