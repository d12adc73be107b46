"""What a fail-to-pass test enters, counted one way by the proof and the missing-test step
(governance.proof.entered), and which surviving lines the equivalence check judges first
(governance.proof.mutant_equivalence.lines_to_judge): issue 49, item 4. Pure."""

from __future__ import annotations

from governance.oracle.mutants import MutantResult, MutationReport
from governance.oracle.oracle import Coverage, Report
from governance.oracle.oracle_run import Sessions
from governance.proof.missing_test_rules import CauseKind, causes_of
from governance.proof.mutant_equivalence import MAX_LINES, lines_to_judge
from governance.proof.mutation import Mutant
from governance.proof.rules import FileText

T = "tests/test_msg.py::test_message"
OLD = "class Message:\n    text = ''\n\n    def __init__(self, name):\n        self.name = name\n"
# The fix adds a message class; its body's `text = ...` runs on import, in no test, and
# its __init__ is what the failing test enters.
NEW = OLD + "\n\nclass Unbound(Message):\n    text = 'unbound %r'\n\n" \
    "    def __init__(self, name):\n        super().__init__(name)\n"
F = FileText("pkg/messages.py", OLD, NEW)
RAN = Coverage(lines={F.path: {8: {None}, 9: {None}, 11: {None}, 12: {T}}})


def _sessions(mutation: MutationReport | None = None) -> Sessions:
    return Sessions(original=Report(finished=True, tests={T: "passed"}, coverage=RAN),
                    mutation=mutation or MutationReport())


def test_a_new_class_whose_method_the_failing_test_enters_is_not_asked_about():
    """Before, the step asked for a test of the class body (no test can run one)."""
    assert causes_of([F], _sessions(), [T], new_behaviour=False) == []


def test_an_existing_class_body_line_the_failing_test_depends_on_is_not_asked_about():
    old = OLD.replace("text = ''", "text = 'a'")
    f = FileText(F.path, old, OLD)  # the class attribute changed, run on import
    ran = Sessions(original=Report(finished=True, tests={T: "passed"}, coverage=Coverage(
        lines={F.path: {1: {None}, 2: {None}, 5: {T}}})))
    asked = causes_of([f], ran, [T], new_behaviour=False)
    assert [(c.kind, c.what) for c in asked] == [(CauseKind.UNENTERED, "Message")]
    shown = MutationReport((MutantResult(F.path, 2, "a string constant changed", "killed",
                                         at_import=True),))
    ran = Sessions(original=ran.original, mutation=shown)
    assert causes_of([f], ran, [T], new_behaviour=False) == []


def _survivor(line: int) -> tuple[Mutant, MutantResult]:
    m = Mutant(line, "pkg/a.py", line, frozenset({line}), "`+` to `-`")
    return m, MutantResult(m.file, line, m.what, "survived")


def test_the_lines_the_failing_test_runs_are_judged_for_equivalence_first():
    judged = [_survivor(n) for n in range(2, 3 + MAX_LINES)]  # one more than the bound
    last = 2 + MAX_LINES
    ran = [Coverage(lines={"pkg/a.py": {last: {T}}})]
    picked = [ms[0].line for ms in lines_to_judge(judged, ran, frozenset({T}))]
    assert picked[0] == last and len(picked) == MAX_LINES
    assert [ms[0].line for ms in lines_to_judge(judged, ran, frozenset())] == \
        list(range(2, 2 + MAX_LINES))  # no failing test: in order, as before
