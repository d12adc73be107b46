"""The one retry rule: `max_<kind>_retries = N` allows N + 1 attempts of that kind.

Which budget a failure spends is decided here and nowhere else (FAILURE_BUDGET):
- an unusable reply (no candidate, unparseable JSON, a post-generation gate refusing it,
  too little exploration) spends the GENERATE budget, in whichever phase it happens:
  GENERATE, GENERATE_RETRY or VALIDATE_RETRY. A parse failure inside VALIDATE_RETRY is
  therefore a generation failure: it retries in VALIDATE_RETRY (keeping the validation
  feedback) and leaves the validate budget alone;
- a candidate that VALIDATE refuses (static problems or the test oracle) spends the
  VALIDATE budget;
- a collapse (the model looped, governance.brains.reflex) that outlived the op's re-ground budget
  spends the GENERATE budget too. It is an infrastructure failure, not a lesson: nothing of
  the collapsed text reaches ctx.last_failure. It still spends an attempt because a model
  that loops on this prompt may loop again, and the GENERATE budget is the one bound on
  how many answers an op asks for: a budget of its own would multiply attempts, and
  spending none would let a looping model retry forever. Inside one attempt the re-ground
  budget (governance.reground_budget) bounds the turns;
- a repeat (a candidate the op already refused, given again: governance.phases.repeats)
  spends the GENERATE budget: it is refused at once, no gate runs on it;
- a provider failure (dead model, missed deadline), the model-wait bound and the op's
  wall-clock ceiling spend no budget: they end the op (infrastructure, not the code);
- an outage (every brain of the step down for the infrastructure's reasons:
  governance.brains.outage) spends no budget and does not end the op either: the step
  waits for a brain and is asked again (governance.phases.brain_wait).
"""

from __future__ import annotations

from enum import StrEnum

from governance.policy import Policy
from governance.schemas import OperationContext


class Failure(StrEnum):
    UNUSABLE_REPLY = "unusable_reply"
    VALIDATION_FAILED = "validation_failed"
    COLLAPSE = "collapse"
    REPEAT = "repeat"


class Budget(StrEnum):
    GENERATE = "generate"
    VALIDATE = "validate"


FAILURE_BUDGET: dict[Failure, Budget] = {
    Failure.UNUSABLE_REPLY: Budget.GENERATE,
    Failure.VALIDATION_FAILED: Budget.VALIDATE,
    Failure.COLLAPSE: Budget.GENERATE,
    Failure.REPEAT: Budget.GENERATE,
}


def allowed_retries(policy: Policy, budget: Budget) -> int:
    return {Budget.GENERATE: policy.max_generate_retries,
            Budget.VALIDATE: policy.max_validate_retries}[budget]


def spend(ctx: OperationContext, policy: Policy, failure: Failure) -> bool:
    """Record one failure against its budget; True when another attempt is allowed.
    With N retries the (N + 1)th failure is the last: N + 1 attempts in all."""
    budget = FAILURE_BUDGET[failure]
    ctx.failures[budget.value] = ctx.failures.get(budget.value, 0) + 1
    return ctx.failures[budget.value] <= allowed_retries(policy, budget)


def spent(ctx: OperationContext, budget: Budget) -> int:
    return ctx.failures.get(budget.value, 0)
