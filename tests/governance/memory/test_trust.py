"""Trust calibration (seed 003): the formula as a table, the Brier score and drift, and at
CLASSIFY: a kind of work that keeps failing reaches the low-confidence rule (one tier up),
while trust never makes an op look safer than its sensor said."""

from __future__ import annotations

import pytest

from governance.memory.memory import Memory
from governance.memory.trust import MIN_EVIDENCE, Trust, brier, calibrated, drift, table
from governance.phase import Phase
from governance.phases.decide import classify_phase
from ledger import Ledger
from tests.helpers import make_repo, no_retry_policy, op_context, pipeline_deps, replay


@pytest.mark.parametrize("hits, n, value", [(0, 0, 0.5), (1, 1, 2 / 3), (0, 1, 1 / 3),
                                            (8, 10, 0.75), (0, 10, 1 / 12), (10, 10, 11 / 12)])
def test_trust_is_laplace_smoothed(hits, n, value):
    assert Trust(hits, n).value == pytest.approx(value)


def _rec(result: str, *, conf: float | None = 0.9, cls: str = "", source: str = "todo",
         route: str = "standard", provider: str = "kernel") -> dict:
    return {"result": result, "confidence": conf, "failure_class": cls, "source": source,
            "route": route, "provider": provider}


def test_table_brier_and_drift():
    records = ([_rec("COMPLETE")] * 3 + [_rec("POSTMORTEM", cls="validation_failed")]
               + [_rec("CANCELLED", cls="cancelled")] + [_rec("COMPLETE", route="fast")])
    t = table(records)
    assert t[("kernel", "todo", "standard")] == Trust(3, 4)  # the cancel is not counted
    assert t[("kernel", "todo", "*")] == Trust(4, 5)
    # (0.9-1)^2 x 4 landed + (0.9-0)^2 x 1 failed, over 5
    assert brier(records) == pytest.approx((4 * 0.01 + 0.81) / 5)
    assert brier([_rec("COMPLETE", conf=None)]) is None
    assert drift(records) is None  # fewer than the window
    history = [_rec("COMPLETE")] * 20 + [_rec("POSTMORTEM", cls="rolled_back")] * 20
    assert drift(history) == pytest.approx(Trust(0, 20).value - Trust(20, 40).value)


def test_a_waiting_review_is_neither_a_hit_nor_a_miss():
    """Else trust feeds on itself: under the low-confidence line the next proven changes
    go to review, and each review counted a miss lowers trust again."""
    decided = [_rec("COMPLETE")] * 6 + [_rec("POSTMORTEM", cls="validation_failed")] * 4
    waiting = [_rec("PROPOSED", cls="other")] * 30
    assert table(decided + waiting)[("kernel", "todo", "*")] == Trust(6, 10)
    assert brier(decided + waiting) == brier(decided)


def test_calibration_only_lowers_and_needs_evidence():
    assert calibrated(0.9, None) == 0.9
    assert calibrated(0.9, Trust(0, MIN_EVIDENCE - 1)) == 0.9  # not enough evidence yet
    assert calibrated(0.9, Trust(0, MIN_EVIDENCE)) == pytest.approx(1 / 7)
    assert calibrated(0.3, Trust(MIN_EVIDENCE, MIN_EVIDENCE)) == 0.3  # never raised


async def test_work_that_keeps_failing_meets_the_low_confidence_rule(tmp_path):
    repo = make_repo(tmp_path)
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    try:
        for n in range(MIN_EVIDENCE):  # the same kind of work failed, on other files
            await ledger.record_outcome(f"op-{n}", files=[f"other{n}.py"], source="todo_scanner",
                                        route="standard", provider="replay", confidence=1.0,
                                        result="POSTMORTEM", failure_class="model")
        deps = pipeline_deps(repo, ledger, replay(), policy=no_retry_policy(),
                             memory=Memory(ledger, ttl_s=3600))
        t = await classify_phase(op_context(source="todo_scanner"), deps)
        human = await classify_phase(op_context(source="human"), deps)
    finally:
        await ledger.close()
    assert t.to is Phase.ROUTE and t.payload["tier"] == "NOTIFY_APPLY"
    assert t.payload["rule"] == "low_confidence"
    assert t.payload["memory"]["trust"] == {"value": pytest.approx(1 / 7, abs=1e-4),
                                            "hits": 0, "n": MIN_EVIDENCE}
    assert human.payload["tier"] == "SAFE_AUTO"  # another source: no evidence about it
