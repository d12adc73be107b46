"""Best of N (governance.phases.samples) through the real orchestrator and phase table, the
model scripted by the replay provider: the samples of one attempt are judged smallest
first, the first proven goes on, every verdict is in the ledger."""

from __future__ import annotations

import json
from pathlib import Path

from governance.phase import Phase
from governance.phases.samples import affordable
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import OPS_FIXED, OPS_PY, git, make_policy, run_op


def _candidate(content: str) -> str:
    return json.dumps({"schema": "candidate.1", "file_path": "calc/ops.py",
                       "full_content": content, "rationale": "clamp into range"})


WRONG = _candidate(OPS_PY.replace("    return x\n", "    return lo\n"))
RIGHT = _candidate(OPS_FIXED)
# right about clamp, and add changed too: what the op is not about (unproven, review)
RIDER = _candidate(OPS_FIXED.replace("return a + b", "return b + a"))


def _policy(samples: int):
    return make_policy(samples=samples, l2_enabled=False, max_validate_retries=0,
                       max_generate_retries=0)


def _thoughts(chain: dict) -> list[str]:
    return [t["msg"] for t in chain["thoughts"] if t["msg"].startswith(("sample", "best of"))]


async def test_the_first_proven_sample_goes_on_smallest_first(repo: Path, short_tmp: Path):
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              RIDER, WRONG, RIGHT, policy=_policy(3))
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert (repo / "calc" / "ops.py").read_text() == OPS_FIXED
    # WRONG and RIGHT change one line each (arrival order), RIDER two: RIDER is never run
    assert _thoughts(chain) == ["sample 1 of 3: refused by the oracle",
                                "sample 2 of 3: proven"]
    [generated] = [t for t in chain["transitions"] if t["to_phase"] == "VALIDATE"]
    assert [s["changed_lines"] for s in generated["payload"]["samples"]] == [1, 1, 2]


async def test_with_none_proven_the_first_that_passed_waits_for_review(repo: Path,
                                                                      short_tmp: Path):
    head = git(repo, "rev-parse", "HEAD")
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              RIDER, WRONG, policy=_policy(2))
    assert _thoughts(chain) == ["sample 1 of 2: refused by the oracle",
                                "sample 2 of 2: passed, unproven"]
    assert end is Phase.PROPOSED, chain["transitions"][-1]["reason"]
    assert git(repo, "rev-parse", "HEAD") == head  # the human's branch is untouched
    gate = next(t for t in chain["transitions"] if t["from_phase"] == "GATE")
    assert "calc/ops.py: changed add, not what the op is about" in gate["reason"], gate


async def test_a_repeated_sample_is_judged_once_and_one_sample_is_the_old_path(
        repo: Path, short_tmp: Path):
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              RIGHT, RIGHT, policy=_policy(2))
    assert end is Phase.COMPLETE
    assert _thoughts(chain) == ["sample 2 of 2 repeats an earlier one"]
    one_end, one = await run_op(repo, short_tmp / "m.sqlite3", "calc/ops.py", WRONG,
                                policy=_policy(1))
    assert one_end is Phase.POSTMORTEM and _thoughts(one) == []


async def test_samples_a_brain_decodes_together_come_from_one_call(repo: Path, short_tmp: Path):
    """A brain that batches (the kernel; here the stand-in replaying as it would) is asked
    once for all N; each sample is then read and judged as one asked alone would be, a
    collapsed one dropped as unusable."""
    collapsed = ReplayTurn(purpose="generate", text="the the the " * 40,
                           telemetry={"collapse_proximity": 0.99, "exit_reason": "collapse"})
    provider = ReplayProvider([ReplayTurn(purpose="generate", text=t) for t in (RIDER, WRONG)]
                              + [collapsed, ReplayTurn(purpose="generate", text=RIGHT)],
                              samples_together=True)
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              provider=provider, policy=_policy(4))
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert (repo / "calc" / "ops.py").read_text() == OPS_FIXED
    assert provider.sample_calls == [4]  # one call, no sample asked alone
    said = _thoughts(chain)
    assert said[0] == "best of 4: 4 samples decoded together", said
    assert said[1].startswith("sample 3 of 4 unusable: the model collapsed"), said
    assert said[2:] == ["sample 1 of 3: refused by the oracle", "sample 2 of 3: proven"]
    assert len([c for c in chain["model_calls"] if c["phase"] == "GENERATE"]) == 4


def _slow(text: str, cost: float = 0.0) -> ReplayTurn:
    # long enough that calls made at once overlap, well inside any deadline
    return ReplayTurn(purpose="generate", text=text, delay_s=0.3, cost_usd=cost)


async def test_a_hosted_brain_is_asked_for_the_samples_at_once(repo: Path, short_tmp: Path):
    """A brain that takes samples as calls side by side (a hosted HTTP brain; here the
    stand-in replaying as one would) is asked for the first alone, then for the rest at
    once; each is read and judged as one asked alone would be."""
    provider = ReplayProvider([_slow(t) for t in (RIDER, WRONG, RIGHT)], samples_parallel=True)
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              provider=provider, policy=_policy(3))
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert provider.most_in_flight == 2 and provider.sample_calls == []
    said = _thoughts(chain)
    assert said == ["best of 3: 3 samples asked at once", "sample 1 of 3: refused by the oracle",
                    "sample 2 of 3: proven"], said
    assert len([c for c in chain["model_calls"] if c["phase"] == "GENERATE"]) == 3
    _sampled_apart(provider.steers)


def _sampled_apart(steers: list) -> None:
    """The first asked as configured; each later one as a sample with a seed of its own (a
    greedy brain's N replies are otherwise one reply N times, issue 50)."""
    assert steers[0] is None and all(s.sample for s in steers[1:]), steers
    assert len({s.seed for s in steers[1:]}) == len(steers) - 1


async def test_samples_asked_in_turn_are_sampled_apart(repo: Path, short_tmp: Path):
    provider = ReplayProvider([ReplayTurn(purpose="generate", text=t)
                               for t in (RIDER, WRONG, RIGHT)])
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              provider=provider, policy=_policy(3))
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    _sampled_apart(provider.steers)


async def test_samples_asked_at_once_stay_within_the_ops_cost_ceiling(repo: Path,
                                                                      short_tmp: Path):
    """The first sample prices the rest: at $0.40 a sample under a $1 ceiling, one more is
    asked, not three, and the op pays for two."""
    provider = ReplayProvider([_slow(t, 0.4) for t in (RIDER, RIGHT, WRONG, WRONG)],
                              samples_parallel=True)
    policy = make_policy(samples=4, l2_enabled=False, max_validate_retries=0,
                         max_generate_retries=0, per_op_usd=1.0)
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              provider=provider, policy=policy)
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    said = _thoughts(chain)
    assert said[:2] == ["best of 4: the op's cost ceiling allows 2",
                        "best of 4: 2 samples asked at once"], said
    calls = [c for c in chain["model_calls"] if c["phase"] == "GENERATE"]
    assert len(calls) == 2 and sum(c["cost_usd"] for c in calls) == 0.8


def test_affordable_samples():
    assert affordable(3, 0.0, 5.0, 1.0) == 3  # a free brain: all, whatever was spent
    assert affordable(3, 0.4, 0.0, 1.0) == 1  # 0.4 for the first, room for one more
    assert affordable(3, 0.1, 0.0, 1.0) == 3
    assert affordable(3, 0.6, 0.0, 1.0) == 0
    assert affordable(3, 0.5, 0.9, 1.0) == 0  # already over: never negative


async def test_a_sample_whose_call_fails_keeps_the_samples_before_it(repo: Path,
                                                                    short_tmp: Path):
    """Through llama.cpp's server on two cores a sample can run past its deadline: the
    ones already answered are judged, never thrown away with the op (stop 83)."""
    late = ReplayTurn.model_validate({"purpose": "generate", "text": WRONG, "delay_s": 1e6})
    provider = ReplayProvider([ReplayTurn(purpose="generate", text=RIGHT), late])
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              provider=provider, policy=_policy(3))
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert (repo / "calc" / "ops.py").read_text() == OPS_FIXED
    [failed] = [m for m in _thoughts(chain) if m.startswith("sample 2 of 3")]
    assert "the call failed" in failed and "no more samples" in failed
    one_end, _ = await run_op(repo, short_tmp / "m.sqlite3", "calc/ops.py",
                              provider=ReplayProvider([late]), policy=_policy(3))
    assert one_end is Phase.POSTMORTEM  # the first sample's failure is the attempt's
