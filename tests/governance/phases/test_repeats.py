"""Repeated answers (governance.phases.repeats, issue 43 §8): a candidate the op already
refused is refused at once when the brain gives it again, the next attempt is asked
differently, and a brain that keeps repeating itself ends the op. Through the real
Orchestrator, phase table, git and pytest, the model scripted by the replay provider."""

from __future__ import annotations

import json

import pytest

from governance.brains.provider import Steering
from governance.memory.memory import failure_class
from governance.oracle.oracle import FailureKind
from governance.phase import Phase, Transition
from governance.phases import repeats
from governance.schemas import Candidate, FileChange
from tests.helpers import (
    OPS_BROKEN,
    OPS_FIXED,
    OPS_PY,
    explore_calls,
    make_policy,
    op_context,
    replay,
    run_op,
    venom_config,
)
from tools.venom import Venom

TARGET = "calc/ops.py"
POLICY = make_policy(max_generate_retries=2, max_validate_retries=2, l2_enabled=True)


def _text(content: str, rationale: str = "r", path: str = TARGET) -> str:
    return json.dumps({"schema": "candidate.1", "file_path": path, "full_content": content,
                       "rationale": rationale})


def _sig(content: str, path: str = TARGET, rationale: str = "") -> str:
    return repeats.signature(Candidate(file_path=path, full_content=content,
                                       rationale=rationale))


def _walk(chain: dict) -> list[str]:
    return [t["to_phase"] for t in chain["transitions"]]


def test_the_signature_is_the_code_not_its_layout_nor_its_rationale():
    same = OPS_BROKEN.replace("def add(a, b):", "def add( a,b ):").replace("\n\n\n", "\n\n")
    assert _sig(same) == _sig(OPS_BROKEN)
    assert _sig(OPS_BROKEN, rationale="another story") == _sig(OPS_BROKEN)
    assert _sig(OPS_BROKEN, path="./calc//ops.py") == _sig(OPS_BROKEN)
    assert _sig(OPS_FIXED) != _sig(OPS_BROKEN)  # other code
    assert _sig(OPS_BROKEN + "# a note\n") != _sig(OPS_BROKEN)  # a comment is no layout
    assert _sig("a  b\n", "notes.txt") != _sig("a b\n", "notes.txt")  # not Python: as written
    assert _sig("def f(:\n") != _sig("def f( :\n")  # Python that does not parse: as written
    write = Candidate(files=[FileChange(file_path="a.py", full_content="x = 1\n"),
                             FileChange(file_path="b.py", action="delete")])
    swapped = Candidate(files=list(reversed(write.files or [])))
    assert repeats.signature(write) == repeats.signature(swapped)


def test_a_file_past_the_bound_is_keyed_as_written_never_parsed(monkeypatch):
    # ast.parse holds the GIL: a long answer's parse stood the event loop still (1.1 s)
    big = "".join(f"x{i} = {i}\n" for i in range(repeats.MAX_NORMALIZED // 8))
    assert len(big) > repeats.MAX_NORMALIZED
    small_same = OPS_BROKEN.replace("def add(a, b):", "def add( a,b ):")
    parsed: list[int] = []
    real = repeats.parse_python
    monkeypatch.setattr(repeats, "parse_python", lambda text: parsed.append(len(text))
                        or real(text))
    assert _sig(big) != _sig(big.replace(" = ", "=")) and parsed == []
    assert _sig(big) == _sig(big)  # the same text is still the same answer
    assert _sig(small_same) == _sig(OPS_BROKEN) and parsed  # a short file: its AST


def test_a_repeat_counts_and_any_other_answer_ends_the_run_of_repeats():
    ctx = op_context()
    broken = Candidate(file_path=TARGET, full_content=OPS_BROKEN)
    repeats.refuse(ctx, broken, "test_add failed")
    assert repeats.variation(ctx) is None  # no repeat yet: asked as configured
    with pytest.raises(repeats.RepeatedAnswer) as first:
        repeats.check(ctx, broken)
    assert first.value.refused.times == 2 and ctx.repeat_streak == 1
    repeats.check(ctx, Candidate(file_path=TARGET, full_content=OPS_FIXED))
    assert ctx.repeat_streak == 0 and ctx.repeats == 1 and not repeats.ends(ctx)
    ctx.generate_attempts = 3
    vary = repeats.variation(ctx)
    assert vary == Steering(temperature_floor=repeats.TEMPERATURE_STEP,
                            seed=repeats.seed_for(ctx.op_id, 3))
    assert repeats.seed_for(ctx.op_id, 4) != vary.seed


def test_an_op_whose_work_failed_before_in_its_context_asks_otherwise_from_the_start():
    """A retry of failed work, nothing changed (sensors.work_memory's count on the op): a
    temperature floor from its first attempt, a step per earlier failure, with a seed of
    the op's own; repeats inside the op add to it, up to the cap."""
    ctx = op_context()
    ctx.failed_before = 1
    assert repeats.variation(ctx) == Steering(temperature_floor=repeats.TEMPERATURE_STEP,
                                              seed=repeats.seed_for(ctx.op_id, 0))
    ctx.repeats = 1
    assert repeats.variation(ctx).temperature_floor == 2 * repeats.TEMPERATURE_STEP
    ctx.failed_before = 9
    assert repeats.variation(ctx).temperature_floor == repeats.MAX_FLOOR
    assert repeats.seed_for(op_context().op_id, 0) != repeats.seed_for(ctx.op_id, 0)


async def test_a_repeat_is_refused_without_the_oracle_and_the_next_attempt_asks_otherwise(
        repo, short_tmp):
    """OPS_BROKEN fails test_add at VALIDATE; the same code again (laid out otherwise) is
    refused at once, and the third attempt, its sampling stepped and its prompt listing
    the refused answer, lands OPS_FIXED."""
    relaid = OPS_BROKEN.replace("def add(a, b):", "def add( a,b ):")
    provider = replay(_text(OPS_BROKEN), _text(relaid, "again"), _text(OPS_FIXED))
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              policy=POLICY)
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert _walk(chain).count("VALIDATE") == 2  # the repeat never reached the oracle
    [repeat] = [t for t in chain["transitions"] if t["payload"].get("failure") == "repeat"]
    assert repeat["from_phase"] == repeat["to_phase"] == "VALIDATE_RETRY"
    assert repeat["payload"]["repeat_of"] == 1 and repeat["payload"]["times"] == 2
    assert "the same answer as attempt 1 again" in repeat["reason"]
    op_id = chain["operation"]["op_id"]
    assert provider.steers == [None, None, Steering(temperature_floor=repeats.TEMPERATURE_STEP,
                                                    seed=repeats.seed_for(op_id, 3))]
    assert "Answers already refused" not in provider.prompts[1]
    assert "Answers already refused" in provider.prompts[2]
    assert f"- attempt 1: {TARGET}:" in provider.prompts[2]
    assert (repo / TARGET).read_text() == OPS_FIXED


async def test_a_brain_that_repeats_itself_twice_ends_the_op_before_l2(repo, short_tmp):
    provider = replay(*[_text(OPS_BROKEN)] * 3, _text(OPS_FIXED))  # the 4th is never asked
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              policy=POLICY)
    assert end is Phase.POSTMORTEM
    last = chain["transitions"][-1]
    assert last["reason"].startswith("the brain gave the same answer 3 times: ")
    assert last["payload"]["failure"] == "repeat" and last["payload"]["in_a_row"] == 2
    assert len(chain["model_calls"]) == 3
    assert _walk(chain).count("VALIDATE") == 1 and "L2_REPAIR" not in _walk(chain)
    assert (repo / TARGET).read_text() == OPS_PY


def test_an_op_a_repeat_ended_is_the_models_failure_not_the_files():
    ctx = op_context()
    ctx.failures = {"validate": 3}  # however the budgets were spent before
    end = Transition(Phase.POSTMORTEM, "the brain gave the same answer 3 times",
                     {"failure": "repeat"}, infra=True)
    assert failure_class(ctx, end) == "model"


async def test_the_same_unwritable_path_three_times_in_the_tool_loop(repo, short_tmp):
    """§8's transcript: the embedded model stated a file outside the repository in every
    attempt. The second is refused as a repeat (the sandbox's write of it fails at once,
    no other gate runs); the third ends the op."""
    outside = _text("x = 1\n", path="/Users/john-doe/.gitlabr2038s/")
    provider = replay(*[explore_calls(TARGET), outside] * 3)
    venom = Venom(venom_config(), "tests run no jailed command here", repo.parent / "home")
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              tools=venom, policy=POLICY)
    assert end is Phase.POSTMORTEM
    reasons = [t["reason"] for t in chain["transitions"]]
    assert "the stated candidate cannot be written" in reasons[-3]
    assert reasons[-2].startswith("repeat: the same answer as attempt 1 again")
    assert reasons[-1].startswith("the brain gave the same answer 3 times: ")
    assert "VALIDATE" not in _walk(chain)


def test_a_run_cut_short_is_no_refusal_of_the_candidate():
    """A VALIDATE run past its timeout (a loaded box) or killed says nothing of the same
    candidate's next run: it is judged again, never refused as a repeat; a failing test,
    a regression or a module that no longer imports is the candidate's own answer."""
    assert not repeats.settles(FailureKind.TIMED_OUT)
    assert not repeats.settles(FailureKind.UNFINISHED)
    for kind in (FailureKind.FAILING, FailureKind.COLLECTION_ERRORS, FailureKind.NONE, None):
        assert repeats.settles(kind)
