"""The call probe's records stop where their digests have cost their budget of CPU seconds
(governance.oracle.call_probe): a function called thousands of times on a large object (a
rule set of hundreds of rules) took a capture session past its limit, a check that could
not decide on a correct refactor (unicode-rbnf, wave 19)."""

from __future__ import annotations

from governance.oracle import call_probe
from governance.oracle.call_probe import Probe


class Rules:
    def __init__(self, n: int):
        self.rules = [{"value": i, "text": f"rule {i};"} for i in range(n)]


def test_records_stop_once_their_digests_spent_the_budget(monkeypatch) -> None:
    probe = Probe(2, max_records=5000)
    monkeypatch.setattr(call_probe, "BUDGET_S", 0.0)  # spent after the first digest
    call = probe.enter(0, ([Rules(200), 5], {}))
    assert call is not None
    probe.leave(call, 5, None)
    assert probe.enter(0, ([Rules(200), 6], {})) is None  # this function's budget is spent
    assert probe.enter(1, ([Rules(2), 6], {})) is not None  # another's is its own
    (row,) = probe.result(0)["records"]
    assert row[2] is not None and probe.spent[0] > 0.0
