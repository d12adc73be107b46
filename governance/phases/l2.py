"""L2 self-repair: its state table, its failure classes, and its kill conditions, as data.

The L2 engine (governance.phases.l2_repair) walks this table; the table is validated when this
module is imported, like the phase table:

    L2_INIT -> GENERATE_PATCH -> RUN_VALIDATION -> CLASSIFY_FAILURE -> DECIDE_RETRY
                     ^                                                   |
                     +------------------ BUILD_REPAIR_PROMPT <-----------+
    RUN_VALIDATION passes -> CONVERGED;  DECIDE_RETRY kills -> STOPPED

CLASSIFY_FAILURE may send a test failure back to RUN_VALIDATION once, to tell a flaky
test (passes on an immediate re-run) from a real failure; GENERATE_PATCH goes straight to
CLASSIFY_FAILURE when the reply gives no usable patch.

Kill conditions (DECIDE_RETRY, first match wins): a failure class that no code change
can fix (environment, collapse); a second flaky failure; oscillation (the failure's
signature equals one seen before the previous iteration: A -> B -> A); no progress (the
failing set did not shrink below the best so far, `NO_PROGRESS_STREAK` times in a row;
the same failure twice in a row is no progress); the iteration cap; the timebox.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from governance.oracle.failure_text import FailureText
from governance.phases import state_table


class L2State(StrEnum):
    L2_INIT = "L2_INIT"
    GENERATE_PATCH = "GENERATE_PATCH"
    RUN_VALIDATION = "RUN_VALIDATION"
    CLASSIFY_FAILURE = "CLASSIFY_FAILURE"
    DECIDE_RETRY = "DECIDE_RETRY"
    BUILD_REPAIR_PROMPT = "BUILD_REPAIR_PROMPT"
    CONVERGED = "CONVERGED"
    STOPPED = "STOPPED"


S = L2State
L2_TERMINAL = frozenset({S.CONVERGED, S.STOPPED})
L2_TRANSITIONS: Mapping[L2State, frozenset[L2State]] = {
    S.L2_INIT: frozenset({S.GENERATE_PATCH, S.STOPPED}),
    S.GENERATE_PATCH: frozenset({S.RUN_VALIDATION, S.CLASSIFY_FAILURE, S.STOPPED}),
    S.RUN_VALIDATION: frozenset({S.CONVERGED, S.CLASSIFY_FAILURE, S.STOPPED}),
    S.CLASSIFY_FAILURE: frozenset({S.DECIDE_RETRY, S.RUN_VALIDATION, S.STOPPED}),
    S.DECIDE_RETRY: frozenset({S.BUILD_REPAIR_PROMPT, S.STOPPED}),
    S.BUILD_REPAIR_PROMPT: frozenset({S.GENERATE_PATCH, S.STOPPED}),
    S.CONVERGED: frozenset(),
    S.STOPPED: frozenset(),
}


class IllegalL2Transition(Exception):
    """An L2 state handler asked for a transition that is not in L2_TRANSITIONS."""


def check(current: L2State, target: L2State) -> None:
    if target not in L2_TRANSITIONS[current]:
        raise IllegalL2Transition(f"L2 can't enter {target} from {current}")


def validate_table(table: Mapping[L2State, frozenset[L2State]]) -> None:
    """Every state listed, terminals (and only they) are sinks, all reachable from L2_INIT,
    and every other state can stop: the timebox and a failed provider end L2 anywhere
    (governance.phases.state_table)."""
    state_table.validate(table, name="L2", states=L2State, initial=S.L2_INIT,
                         terminal=L2_TERMINAL, sink=S.STOPPED)


validate_table(L2_TRANSITIONS)


class FailureClass(StrEnum):
    SYNTAX = "syntax"  # the patch does not parse
    TEST = "test"  # tests fail (regressions, the candidate's own tests, a hung test run)
    FLAKY = "flaky"  # failed, then passed on an immediate re-run
    ENVIRONMENT = "environment"  # not the code: missing module, unusable baseline, no report
    REFUSED = "refused"  # the patch broke a static rule: size, protected path, oracle
    UNUSABLE = "unusable"  # no usable patch in the reply
    COLLAPSE = "collapse"  # the model collapsed and the re-ground budget is spent


@dataclass(frozen=True)
class ClassRule:
    stop_at_once: bool  # no code change can fix it
    retries: int | None  # how many iterations of this class may be retried (None: any)


CLASS_RULES: Mapping[FailureClass, ClassRule] = {
    FailureClass.SYNTAX: ClassRule(False, None),
    FailureClass.TEST: ClassRule(False, None),
    FailureClass.FLAKY: ClassRule(False, 1),  # a second flaky result: the oracle can't decide
    FailureClass.ENVIRONMENT: ClassRule(True, 0),
    FailureClass.REFUSED: ClassRule(False, None),
    FailureClass.UNUSABLE: ClassRule(False, None),
    FailureClass.COLLAPSE: ClassRule(True, 0),
}
assert set(CLASS_RULES) == set(FailureClass)

NO_PROGRESS_STREAK = 2


class StopReason(StrEnum):
    CLASS = "unfixable_class"
    FLAKY = "flaky"
    OSCILLATION = "oscillation"
    NO_PROGRESS = "no_progress"
    MAX_ITERS = "max_iterations"
    TIMEBOX = "timebox"
    PROVIDER = "provider_failed"
    NO_MODEL = "no_model_turn"


@dataclass(frozen=True)
class Failure:
    """One failed attempt, as L2 judges progress on it."""

    cls: FailureClass
    failing: frozenset[str]  # failing test ids (test / flaky classes)
    problems: tuple[str, ...] = ()  # what else went wrong, one line each
    detail: str = ""  # for the repair prompt
    texts: tuple[FailureText, ...] = ()  # what the failing tests said: the ledger's evidence

    @property
    def signature(self) -> str:
        """A hash of what failed: the class, the failing tests, the problems with their
        numbers (line numbers, counts, durations) taken out."""
        body = "\n".join([self.cls.value, *sorted(self.failing),
                          *sorted(_DIGITS.sub("#", p) for p in self.problems)])
        return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:16]


_DIGITS = re.compile(r"\d+")


@dataclass
class Progress:
    """What DECIDE_RETRY remembers across iterations."""

    signatures: list[str] = field(default_factory=list)  # entry failure first
    best: int | None = None  # smallest failing-test set seen so far (test classes)
    streak: int = 0
    class_counts: dict[FailureClass, int] = field(default_factory=dict)

    def start(self, entry: Failure) -> None:
        self.signatures.append(entry.signature)
        if entry.cls in (FailureClass.TEST, FailureClass.FLAKY):
            self.best = len(entry.failing)


@dataclass(frozen=True)
class Decision:
    retry: bool
    reason: str
    stop: StopReason | None = None


def decide(p: Progress, f: Failure, iteration: int, max_iters: int,
           time_left_s: float) -> Decision:
    """Whether L2 goes on after `f` (iteration `iteration`, 1-based); updates `p`."""
    sig = f.signature
    earlier, previous = p.signatures[:-1], p.signatures[-1:] or [None]
    p.signatures.append(sig)
    p.class_counts[f.cls] = p.class_counts.get(f.cls, 0) + 1
    shrank = (f.cls in (FailureClass.TEST, FailureClass.FLAKY)
              and (p.best is None or len(f.failing) < p.best))
    if shrank:
        p.best, p.streak = len(f.failing), 0
    else:
        p.streak += 1
    rule = CLASS_RULES[f.cls]
    if rule.stop_at_once:
        return Decision(False, f"{f.cls.value} failure: no code change can fix it",
                        StopReason.CLASS)
    if rule.retries is not None and p.class_counts[f.cls] > rule.retries:
        return Decision(False, f"{f.cls.value} again: the tests cannot decide this change",
                        StopReason.FLAKY)
    if sig in earlier and sig != previous[0]:
        return Decision(False, f"oscillation: failure {sig} came back", StopReason.OSCILLATION)
    if p.streak >= NO_PROGRESS_STREAK:
        return Decision(False, f"no progress: the failing set did not shrink "
                        f"{p.streak} times in a row", StopReason.NO_PROGRESS)
    if iteration >= max_iters:
        return Decision(False, f"{iteration} of {max_iters} iterations used",
                        StopReason.MAX_ITERS)
    if time_left_s <= 0:
        return Decision(False, "the L2 timebox is spent", StopReason.TIMEBOX)
    return Decision(True, "retry: progress" if shrank else
                    f"retry ({p.streak} without progress)")
