"""A repair of one cause's failing tests (sensors.failure_causes) is proven only when every
one of them passes: the op's fail-to-pass set is all of them."""

from __future__ import annotations

from governance.proof.rules import FileText, Intent, assess
from tests.governance.proof.test_proof import NEW, OLD, T, _claim, _report, sessions_of

T2 = "tests/test_core.py::test_b[2-x]"


def test_a_repair_of_one_cause_is_proven_when_all_its_tests_pass() -> None:
    files = [FileText("calc/core.py", OLD, NEW)]
    baseline = _report({T: "failed", T2: "failed"})
    all_pass = sessions_of(original=_report({T: "passed", T2: "passed"}, {2: {T, T2}}))
    ev = assess(_claim(Intent.REPAIR, failing_test=T, also_failing=(T2,)), files, all_pass,
                baseline)
    assert ev.proven and set(ev.fail_to_pass) == {T, T2}
    one_left = sessions_of(original=_report({T: "passed", T2: "failed"}, {2: {T}}))
    ev = assess(_claim(Intent.REPAIR, failing_test=T, also_failing=(T2,)), files, one_left,
                baseline)
    assert not ev.proven
    assert any("of the same cause do not pass now" in r and T2 in r for r in ev.reasons)
