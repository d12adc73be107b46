"""The failing tests are a repair's specification: a candidate's changes to their files are
dropped, the rest judged; a candidate of nothing else is refused with where to write."""

from __future__ import annotations

from governance.gates import spec_gate
from governance.schemas import Candidate, FileChange

SPEC = ["tests/test_ops.py"]
LIB = FileChange(file_path="calc/ops.py", full_content="def f():\n    return 1\n")
TEST = FileChange(file_path="tests/test_ops.py", full_content="def test_f():\n    pass\n")


def test_the_failing_tests_file_is_dropped_and_the_library_change_kept():
    asked = Candidate(files=[LIB, TEST], rationale="fix f")
    kept, problem = spec_gate.check(asked, SPEC)
    assert problem is None
    assert [c.file_path for c in kept.changes()] == ["calc/ops.py"]
    assert kept.changes()[0].full_content == LIB.full_content
    assert kept.rationale == "fix f"
    assert spec_gate.dropped(asked, kept) == ["tests/test_ops.py"]


def test_a_path_written_another_way_is_the_same_file():
    asked = Candidate(files=[LIB, TEST.model_copy(update={"file_path": "./tests/test_ops.py"})])
    kept, problem = spec_gate.check(asked, SPEC)
    assert problem is None and [c.file_path for c in kept.changes()] == ["calc/ops.py"]


def test_a_candidate_of_the_failing_tests_alone_is_refused_naming_them():
    asked = Candidate(file_path="tests/test_ops.py", full_content="x = 1\n")
    kept, problem = spec_gate.check(asked, SPEC)
    assert kept is asked
    assert problem is not None and "tests/test_ops.py" in problem \
        and "change the library code" in problem


def test_other_tests_no_spec_and_no_op_pass_unchanged():
    other = FileChange(file_path="tests/test_other.py", full_content="y = 2\n")
    asked = Candidate(files=[LIB, other])
    assert spec_gate.check(asked, SPEC) == (asked, None)  # the weakening gate judges it
    assert spec_gate.check(asked, []) == (asked, None)
    no_op = Candidate(no_op=True)
    assert spec_gate.check(no_op, SPEC) == (no_op, None)
    assert spec_gate.dropped(asked, asked) == []


def test_a_failing_doctests_module_is_library_code_and_kept():
    """`calc/ops.py::calc.ops.clamp` fails as a doctest: its file is the code to fix."""
    asked = Candidate(files=[LIB])
    assert spec_gate.check(asked, ["calc/ops.py"]) == (asked, None)
