"""One retry rule: N retries of a kind means N + 1 attempts of that kind, through the real
Orchestrator and phase table, counted from the ledger (model calls, VALIDATE entries)."""

from __future__ import annotations

import json

import pytest

from governance import retry
from governance.phase import Phase
from governance.schemas import OperationContext
from tests.helpers import make_policy, op_context, run_op

GARBAGE = "I looked at it and I think it is fine as it is."  # no candidate at all


def broken(k: int = 0) -> str:
    """A candidate that parses but VALIDATE refuses (static check: no tests need to run);
    each `k` another one (the same one again would be refused at once as a repeat:
    governance.phases.repeats)."""
    return json.dumps({"schema": "candidate.1", "file_path": "calc/ops.py",
                       "full_content": f"def clamp(x, lo, hi:\n    return x  # {k}\n",
                       "rationale": "clamp"})


BROKEN = broken()


def _validations(chain: dict) -> int:
    return sum(1 for t in chain["transitions"] if t["to_phase"] == "VALIDATE")


@pytest.mark.parametrize("n", [0, 1, 2, 3])
async def test_n_generate_retries_mean_n_plus_one_generate_attempts(repo, short_tmp, n):
    policy = make_policy(max_generate_retries=n, max_validate_retries=0)
    # One reply more than the budget: the rule stops the op, not the script running dry.
    end, chain = await run_op(repo, short_tmp / "l.db", "calc/ops.py",
                              *[GARBAGE] * (n + 2), policy=policy)
    assert end is Phase.POSTMORTEM
    assert len(chain["model_calls"]) == n + 1
    assert f"after {n + 1} unusable replies" in chain["transitions"][-1]["reason"]
    assert _validations(chain) == 0


@pytest.mark.parametrize("l2", [False, True], ids=["l2-off", "l2-on"])
@pytest.mark.parametrize("n", [0, 1, 2, 3])
async def test_n_validate_retries_mean_n_plus_one_validations(repo, short_tmp, n, l2):
    """Then the op ends, or (L2 on) self-repair takes over: L2's iterations are its own
    budget (tests/governance/test_l2*.py); here its first repair is the last reply."""
    policy = make_policy(max_generate_retries=0, max_validate_retries=n, l2_enabled=l2)
    end, chain = await run_op(repo, short_tmp / "l.db", "calc/ops.py",
                              *[broken(k) for k in range(n + 1 + l2)], policy=policy)
    assert end is Phase.POSTMORTEM
    assert _validations(chain) == n + 1
    assert len(chain["model_calls"]) == n + 1 + l2
    walk = [t["to_phase"] for t in chain["transitions"]]
    reason = f"validation failed {n + 1} time(s)"
    if l2:
        spent = next(t for t in chain["transitions"] if t["to_phase"] == "L2_REPAIR")
        assert reason in spent["reason"] and walk.count("L2_REPAIR") == 1
    else:
        assert reason in chain["transitions"][-1]["reason"] and "L2_REPAIR" not in walk


async def test_a_parse_failure_in_validate_retry_spends_the_generate_budget(repo, short_tmp):
    """BROKEN (validation 1 fails), GARBAGE inside VALIDATE_RETRY (generate budget 1 of 1,
    retried in VALIDATE_RETRY), BROKEN (validation 2 fails: validate budget 1 of 1 spent)."""
    policy = make_policy(max_generate_retries=1, max_validate_retries=1, l2_enabled=False)
    end, chain = await run_op(repo, short_tmp / "l.db", "calc/ops.py",
                              BROKEN, GARBAGE, broken(1), broken(2), policy=policy)
    assert end is Phase.POSTMORTEM
    assert _validations(chain) == 2
    assert len(chain["model_calls"]) == 3
    walk = [t["to_phase"] for t in chain["transitions"]]
    assert walk[-5:] == ["VALIDATE", "VALIDATE_RETRY", "VALIDATE_RETRY", "VALIDATE",
                         "POSTMORTEM"]


async def test_the_generate_budget_is_one_per_op_across_phases(repo, short_tmp):
    """No generate retries: a garbage reply in VALIDATE_RETRY ends the op, even though the
    validate budget is untouched."""
    policy = make_policy(max_generate_retries=0, max_validate_retries=3)
    end, chain = await run_op(repo, short_tmp / "l.db", "calc/ops.py",
                              BROKEN, GARBAGE, broken(1), policy=policy)
    assert end is Phase.POSTMORTEM
    assert len(chain["model_calls"]) == 2
    assert "after 1 unusable replies" in chain["transitions"][-1]["reason"]


def test_every_failure_kind_spends_exactly_one_budget():
    assert set(retry.FAILURE_BUDGET) == set(retry.Failure)
    assert set(retry.FAILURE_BUDGET.values()) == set(retry.Budget)


@pytest.mark.parametrize("kind", list(retry.Failure))
@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_spend_allows_exactly_n_retries(kind, n):
    policy = make_policy(max_generate_retries=n, max_validate_retries=n)
    ctx: OperationContext = op_context()
    verdicts = [retry.spend(ctx, policy, kind) for _ in range(n + 3)]
    assert verdicts == [True] * n + [False] * 3
    other = next(b for b in retry.Budget if b is not retry.FAILURE_BUDGET[kind])
    assert retry.spent(ctx, other) == 0
