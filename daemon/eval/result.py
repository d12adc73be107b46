"""What one task's run came to: its verdict, why, and what it cost, read from the ledger.

The verdicts (docs/eval.md says how each is measured):

| verdict | the op | the hidden tests (fail-to-pass and pass-to-pass) |
|---|---|---|
| resolved | landed on the branch, proven | all pass |
| false_proven | landed on the branch | one fails, or it carries the rider: target 0 |
| proposed_correct | waits on a review branch | all pass on that branch |
| proposed_wrong | waits on a review branch | one fails there, or it carries the rider |
| no_change | ended with nothing changed (the brain said no change is needed) | - |
| postmortem | ended without a change: POSTMORTEM, BLOCKED, CANCELLED, ... | - |
| no_signal | the daemon never made work of it (repair: the sensor saw no failure) | - |

A repair's "no change" is refused (its tests fail): a postmortem of its own class.

A change that carries the task's careless rider (daemon.eval.rider.carries) is never
correct: the hidden tests may not see the rider, and a quiet wrong change is still wrong.
Nor is one that drops a table row the maintainer's fix keeps (daemon.eval.op.dropped):
the brain's own quiet rider, which sqlparse's hidden tests passed (issue 50, stop 74).

A postmortem's reason class comes from REASONS, a table: the first row whose phases hold
the phase the op left for its end, and whose words appear in the reason, names it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Verdict(StrEnum):
    RESOLVED = "resolved"
    FALSE_PROVEN = "false_proven"
    PROPOSED_CORRECT = "proposed_correct"
    PROPOSED_WRONG = "proposed_wrong"
    NO_CHANGE = "no_change"
    POSTMORTEM = "postmortem"
    NO_SIGNAL = "no_signal"


CORRECT = frozenset({Verdict.RESOLVED, Verdict.PROPOSED_CORRECT})
LANDED = frozenset({Verdict.RESOLVED, Verdict.FALSE_PROVEN})

# (class, the phases the op left for its end (empty: any), words in the reason): first
# match wins.
REASONS: tuple[tuple[str, frozenset[str], str], ...] = (
    ("deadline missed", frozenset(), r"deadline"),
    ("cost ceiling", frozenset(), r"ceiling|exceeds the per-op"),
    ("the brain gave no answer", frozenset(), r"script ran out|no provider answered|"
                                             r"provider \w+ (?:failed|unhealthy)"),
    ("blocked before work", frozenset({"CLASSIFY", "ROUTE"}), r""),
    # A repair answered "no change": refused, since its tests fail (governance.phases.generate).
    ("said no change to failing tests", frozenset({"GENERATE", "GENERATE_RETRY"}),
     r"no change cannot make them pass"),
    ("no usable candidate", frozenset({"PLAN", "CONTEXT_EXPANSION", "GENERATE",
                                       "GENERATE_RETRY"}), r""),
    # A retry after the tests refused a candidate whose replies were all unusable.
    ("no usable candidate", frozenset({"VALIDATE", "VALIDATE_RETRY", "L2_REPAIR"}),
     r"^no usable candidate"),
    # The oracle names a test that failed on the base too, one the op was not asked to make
    # pass: the op's scope must pass whole.
    ("a test fails before the change too", frozenset({"VALIDATE", "VALIDATE_RETRY",
                                                     "L2_REPAIR"}), r"failing before the"),
    ("tests failed", frozenset({"VALIDATE", "VALIDATE_RETRY", "L2_REPAIR"}), r""),
    ("refused at the gate", frozenset({"GATE", "APPROVE"}), r""),
    ("failed to apply or verify", frozenset({"APPLY", "VERIFY"}), r""),
)


_REVIEW = re.compile(r"^waits for review on \S+: ")


def short_reason(reason: str) -> str:
    """A reason without what every one of its kind says (a review branch's name)."""
    return _REVIEW.sub("review: ", reason)


# A test the oracle names as failing before the change too: "<nodeid>: <outcome> (failing
# before the change too)" (governance.oracle.oracle._failures).
_BEFORE_TOO = re.compile(r"(\S+): [a-z ]+ \(failing before the change too\)")


def reason_class(from_phase: str, reason: str, asked: frozenset[str] = frozenset()) -> str:
    """The postmortem's class (REASONS). `asked`: the tests the op was asked to make pass (a
    repair's failing tests), which fail before the change by definition: one of them still
    failing is the candidate's failure, not a test broken before the task began."""
    if asked and all(m.group(1) in asked for m in _BEFORE_TOO.finditer(reason)):
        reason = reason.replace(" (failing before the change too)", "")
    for name, phases, words in REASONS:
        if (not phases or from_phase in phases) and re.search(words, reason, re.IGNORECASE):
            return name
    return f"other ({from_phase or 'no phase'})"


# The missing-test step's verdicts (governance.proof.missing_test_rules.Verdict's values) in
# which the brain wrote no test at all: asked, but nothing was proposed.
NOT_PROPOSED = frozenset({"no answer", "unusable reply"})


class MissingTest(BaseModel):
    """What became of the missing test the brain was asked for, from the PROPOSED row's
    typed `missing_test` field (governance.phases.missing_test_step): the cause, the verdict
    and, for a kept test, whether it was accepted: it passes on the maintainer's own fix
    too, so it asks for what the maintainer wanted, not only for what the brain wrote
    (None: not judged)."""

    model_config = ConfigDict(extra="ignore")

    cause: str
    at: str = ""
    verdict: str
    why: str = ""
    kept: bool = False
    branch: str = ""  # the kept test's branch (it lived in the task's scratch clone)
    tests: list[str] = Field(default_factory=list)
    accepted: bool | None = None

    @property
    def proposed(self) -> bool:
        """The brain wrote a test (kept or refused), rather than no answer."""
        return self.verdict not in NOT_PROPOSED


def missing_test_of(payload: dict[str, Any]) -> MissingTest | None:
    """The PROPOSED row's `missing_test`, typed (None when no test was asked for)."""
    found = payload.get("missing_test")
    if not isinstance(found, dict) or "verdict" not in found:
        return None
    return MissingTest.model_validate(found)


class TaskResult(BaseModel):
    """One task run by one brain: what the eval ledger keeps (kind 'task') and reads back."""

    model_config = ConfigDict(extra="ignore")

    task: str
    kind: str
    date: str
    verdict: Verdict
    end: str = ""  # the op's end phase
    reason: str = ""  # its last transition's reason
    reason_class: str = ""  # for a postmortem (REASONS)
    evidence: str = ""  # the commit's Evidence trailer, when it landed
    hidden_failing: list[str] = Field(default_factory=list)  # the first few
    # The careless rider the change carries, or the table rows it drops that the fix keeps
    # ("" when neither): it makes a change wrong whatever the hidden tests say, since they
    # may not notice it (daemon.eval.rider, daemon.eval.op.dropped).
    rider: str = ""
    op_id: str = ""
    cost_usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_calls: int = 0
    deadline_misses: int = 0  # model calls cut off by their deadline
    wall_s: float = 0.0
    missing_test: MissingTest | None = None  # a review's missing test, when one was asked

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def correct(self) -> bool:
        return self.verdict in CORRECT

    @property
    def instance(self) -> str:
        """The task as run: its id and kind."""
        return f"{self.task}:{self.kind}"


def spend(chain: dict[str, Any], model: bool = True) -> dict[str, Any]:
    """What an op's model calls cost, from its ledger chain. `model` False: a replay
    stand-in's turns, which call no model: no cost and no tokens (the replay provider's
    token counts are its script's lengths)."""
    calls = chain.get("model_calls", [])
    paid = calls if model else []
    return {"cost_usd": round(sum(c.get("cost_usd") or 0.0 for c in paid), 6),
            "prompt_tokens": sum(c.get("prompt_tokens") or 0 for c in paid),
            "completion_tokens": sum(c.get("completion_tokens") or 0 for c in paid),
            "model_calls": len(calls),
            "deadline_misses": sum(_missed(c) for c in calls)}


def _missed(call: dict[str, Any]) -> bool:
    """A model call cut off by its deadline: typed in its telemetry (any brain, HTTP ones
    included); a ledger from before that kept only the kernel's `DeadlineMissed` by name."""
    telemetry = call.get("telemetry") or {}
    return bool(isinstance(telemetry, dict) and telemetry.get("deadline_missed")) or str(
        call.get("error") or "").startswith("DeadlineMissed")
