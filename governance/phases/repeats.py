"""Repeated answers (issue 43 §8): a brain that gives again a candidate this op refused.

A small greedy model asked again with the refusal's reason in its prompt often says the
same thing again, word for word: the embedded model named one impossible path in all three
attempts of an op, and each attempt paid for a full answer and for gates that could only
refuse it again. Here:

- Every candidate refused for what it changes (a post-generation gate, a stated candidate
  the tool loop's sandbox cannot write, VALIDATE's static checks and oracle) is kept on
  the op (OperationContext.refused) by its signature: per file, its path, its action and
  its resulting text, normalized where Python's AST says two texts are the same code
  (whitespace and layout, quoting: the AST dump; comments kept apart, they are no layout).
  Any other file counts as written. The rationale is no part of it. A refusal for how the
  answer was reached (too little exploration) keeps nothing: the same change, explored,
  may pass.
- A candidate whose signature is kept is refused at once as a repeat (RepeatedAnswer): no
  gate runs on it again. It spends the GENERATE budget (governance.retry: Failure.REPEAT)
  and its transition says which attempt it repeats (payload `failure: "repeat"`).
- The attempt after a repeat asks differently: its prompt lists the refused answers
  (governance.brains.prompts) and the turn is steered (variation): a temperature floor
  TEMPERATURE_STEP higher with each repeat of the op (to MAX_FLOOR), so a greedy brain
  samples, and a seed of its own per attempt, derived from the op and the attempt, so the
  turn can be replayed. Providers with these knobs honour them (the in-process kernel, the
  HTTP brains; replay records them). An op with no repeat and no earlier failure asks
  exactly as before.
- An op whose work failed before in the same context (OperationContext.failed_before,
  from sensors.work_memory: its code, brain and settings unchanged, its backoff passed) is
  steered from its first attempt, a floor TEMPERATURE_STEP higher per earlier failure: the
  question is the same, and a greedy brain's answer would be too (a daemon's first hour
  with Qwen2.5-Coder-1.5B took its work again after the backoff and paid the same 25
  minutes for the same failure: docs/eval.md).
- END_AFTER repeats in a row end the op: "the brain gave the same answer N times". It ends
  in POSTMORTEM as a failure, so its work backs off (sensors.work_memory); it is no lesson
  and no proof failure: it says nothing about the files (failure class "model",
  governance.memory.memory).

END_AFTER = 2: the first repeat buys one attempt with other sampling (on the embedded model
it gave another answer each time it ran: docs/brains.md#a-retry-that-repeats-itself); a
brain that repeats even then is not asked again for the same answer.
"""

from __future__ import annotations

import ast
import hashlib
import io
import posixpath
import tokenize

from governance import retry
from governance.brains.provider import Steering, derived_seed
from governance.errors import CandidateParseError
from governance.oracle.oracle import FailureKind
from governance.phase import Phase, Transition
from governance.policy import Policy
from governance.python_ast import parse_python
from governance.schemas import (
    Candidate,
    FileChange,
    OperationContext,
    RefusedAnswer,
    parse_candidate,
)

END_AFTER = 2  # repeats in a row that end the op
TEMPERATURE_STEP = 0.4  # the temperature floor added by each repeat of the op
MAX_FLOOR = 1.0
MAX_REASON = 300  # of a refusal, kept for the prompt and the ledger
PYTHON = (".py", ".pyi")
# Characters of a file its AST normalizes; a longer one is keyed as written. ast.parse holds
# the GIL through the whole parse: a model's 8,000-line answer stood the event loop still
# for 1.1 s on a loaded 2-core box from a worker thread (tests/governance/test_hostile_l2).
# The cost: a re-laid-out repeat of a file this long is judged again, not refused at once.
MAX_NORMALIZED = 32_000
# A verdict of these kinds says how the run went, not what the candidate is (a loaded box ran
# past the timeout, a session killed): the same candidate again is judged again, not refused.
UNSETTLED = frozenset({FailureKind.TIMED_OUT, FailureKind.UNFINISHED})


class RepeatedAnswer(CandidateParseError):
    """The candidate is one this op already refused (`refused`, counted again)."""

    def __init__(self, refused: RefusedAnswer):
        super().__init__(f"the same answer as attempt {refused.attempt} again "
                         f"({refused.times} times), refused then: {refused.reason}")
        self.refused = refused


def signature(candidate: Candidate) -> str:
    """The change `candidate` makes, normalized (the module docstring), as a SHA-256."""
    h = hashlib.sha256()
    for change in sorted(candidate.changes(), key=lambda c: _path(c.file_path)):
        h.update(_file_key(change).encode("utf-8", "surrogatepass"))
        h.update(b"\x00\x01")
    return h.hexdigest()


def _path(path: str) -> str:
    path = path.strip().replace("\\", "/")
    return posixpath.normpath(path) if path else path


def _file_key(change: FileChange) -> str:
    path = _path(change.file_path)
    if change.action == "delete":
        return f"{path}\x00delete"
    return f"{path}\x00write\x00{_code(path, change.full_content or '')}"


def _code(path: str, text: str) -> str:
    """A Python file that parses as its AST and comments; anything else (a file past
    MAX_NORMALIZED included) as written."""
    if path.endswith(PYTHON) and len(text) <= MAX_NORMALIZED:
        try:
            tree = ast.dump(parse_python(text))
            comments = [t.string.strip() for t in
                        tokenize.generate_tokens(io.StringIO(text).readline)
                        if t.type == tokenize.COMMENT]
            return "ast\x00" + tree + "\x00" + "\x00".join(comments)
        except (SyntaxError, ValueError, RecursionError, tokenize.TokenError):
            pass
    return "text\x00" + text


def stated(text: str) -> Candidate | None:
    """The candidate a reply states, if it states one (a tool loop's last reply may not)."""
    try:
        return parse_candidate(text)
    except CandidateParseError:
        return None


def files_of(candidate: Candidate) -> list[str]:
    return [c.file_path if c.action == "write" else f"{c.file_path} (delete)"
            for c in candidate.changes()]


def check(ctx: OperationContext, candidate: Candidate) -> None:
    """Raise RepeatedAnswer when `candidate` is one the op refused (counting the repeat);
    any other answer ends a run of repeats. Blocking: a file's AST takes ~10 ms a 1,000 lines."""
    if candidate.no_op:
        return
    sig = signature(candidate)
    for i, refused in enumerate(ctx.refused):
        if refused.signature == sig:
            ctx.refused[i] = refused = refused.model_copy(update={"times": refused.times + 1})
            ctx.repeats += 1
            ctx.repeat_streak += 1
            raise RepeatedAnswer(refused)
    ctx.repeat_streak = 0


def refuse(ctx: OperationContext, candidate: Candidate, reason: str) -> None:
    """Keep `candidate` as refused by this op, for `reason` (blocking, as check)."""
    if candidate.no_op:
        return
    sig = signature(candidate)
    if any(r.signature == sig for r in ctx.refused):
        return
    ctx.refused.append(RefusedAnswer(signature=sig, files=files_of(candidate),
                                     attempt=ctx.generate_attempts,
                                     reason=" ".join(reason.split())[:MAX_REASON]))


def settles(kind: FailureKind | None) -> bool:
    """Whether a VALIDATE refusal of this verdict kind is kept (refuse): not a run cut
    short (UNSETTLED), whose answer says nothing of the same candidate's next run."""
    return kind not in UNSETTLED


def ends(ctx: OperationContext) -> bool:
    """The brain repeated itself END_AFTER times in a row: ask it no more."""
    return ctx.repeat_streak >= END_AFTER


def seed_for(op_id: str, attempt: int) -> int:
    """A seed of the op's attempt: the same on a replay, another for each attempt."""
    return derived_seed(op_id, attempt)


def variation(ctx: OperationContext) -> Steering | None:
    """How this attempt's turns are steered: None (as configured) until the op's first
    repeat, in an op whose work never failed in its context; then a temperature floor
    rising with each repeat and each earlier failed op, and a seed of the attempt."""
    asked = ctx.repeats + ctx.failed_before
    if asked == 0:
        return None
    return Steering(temperature_floor=min(MAX_FLOOR, TEMPERATURE_STEP * asked),
                    seed=seed_for(ctx.op_id, ctx.generate_attempts))


def refused_again(ctx: OperationContext, policy: Policy, exc: RepeatedAnswer,
                  retry_phase: Phase, cost: float) -> Transition:
    """GENERATE's move on a repeat: retry in `retry_phase` while the generate budget lasts
    (asked otherwise: variation, and the prompt's list), unless the brain keeps repeating
    itself. Its prompt line says which answer came again and why it was refused."""
    was = exc.refused
    ctx.last_failure = (f"You gave the same answer as attempt {was.attempt} again "
                        f"({', '.join(was.files)[:300]}); it was refused then: {was.reason} "
                        "Give a different change.")
    payload = {"failure": retry.Failure.REPEAT.value, "repeat_of": was.attempt,
               "times": was.times, "in_a_row": ctx.repeat_streak,
               "signature": was.signature[:16], "files": was.files[:20]}
    if ends(ctx):
        return Transition(Phase.POSTMORTEM, f"the brain gave the same answer {was.times} "
                          f"times: {was.reason}", payload, cost_delta=cost, infra=True)
    if retry.spend(ctx, policy, retry.Failure.REPEAT):
        return Transition(retry_phase, f"repeat: {exc}", payload, cost_delta=cost)
    return Transition(Phase.POSTMORTEM, f"no usable candidate after "
                      f"{retry.spent(ctx, retry.Budget.GENERATE)} unusable replies: {exc}",
                      payload, cost_delta=cost, infra=True)
