"""The re-ground reflex on the real embedded model (SmolLM2-135M-Instruct, greedy).

Under loop-prone settings (no repetition penalty, no n-gram ban) a prompt that is itself a
repeated word pair makes the model repeat it; the token canary stops the decode (exit
reason `collapse`), the reflex discards that reply and asks again steered (canary to
adapt, firmer penalty, cooler sampling), and the steered turn no longer loops. Driven
through governance's ask_model, so the ledger and counters are the daemon's own.
"""

from __future__ import annotations

import time

import pytest

from governance.brains.reflex import ReflexStats, reground_steering
from governance.errors import CandidateParseError
from governance.phase import Phase
from governance.phases.generate import ask_model
from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig
from kernel.engine import Engine, EngineConfig
from kernel.provider import KernelProvider, steered
from ledger import Ledger
from tests.helpers import make_policy, make_repo, op_context, pipeline_deps

LOOPY = GenerationConfig(max_new_tokens=64, temperature=0.0, repetition_penalty=1.0,
                         no_repeat_ngram=0, canary=CanaryConfig(mode="observe"))
PROMPT = "Write 'hot cold' again and again: " + " ".join(["hot", "cold"] * 4)


def test_steering_maps_onto_the_decode_settings():
    s = steered(LOOPY, reground_steering(2))
    assert s.canary.mode == "adapt" and s.repetition_penalty == pytest.approx(1.6)
    assert s.temperature == 0.0 and s.max_new_tokens == 48
    off = GenerationConfig(canary=CanaryConfig(mode="off"))
    assert steered(off, reground_steering(1)).canary.mode == "off"  # the operator's choice
    assert steered(LOOPY, None) is LOOPY


@pytest.mark.slow
async def test_the_model_loops_the_canary_fires_and_the_re_ground_recovers(tmp_path,
                                                                           smollm2_dir):
    # The float32 reference path, unconstrained: which prompts loop is a property of the
    # exact weights, and a grammar would keep the reply from looping at all.
    provider = KernelProvider(Engine.load(EngineConfig(generation=LOOPY, precision="float32")),
                              constrain=False)
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    stats = ReflexStats()
    try:
        d = pipeline_deps(make_repo(tmp_path), ledger, provider, reflex_stats=stats,
                          policy=make_policy(reground_budget=1))
        ctx = op_context()
        await ledger.record_operation(ctx.op_id, source="test", goal="loop", session_id="s",
                                      envelope={})
        start = time.monotonic()
        # The recovered answer is prose, not a candidate: the reflex let it through, and
        # the candidate parser (not the reflex) refuses it.
        with pytest.raises(CandidateParseError):
            await ask_model(ctx, d, Phase.GENERATE, lambda: PROMPT, start + 600,
                            use_tools=False, view=provider)
        chain = await ledger.chain(ctx.op_id)
    finally:
        await ledger.close()
    first, second = (c["telemetry"] for c in chain["model_calls"])
    assert first["exit_reason"] == "collapse" and first["collapse"]["source"] == "canary"
    assert first["collapse"]["proximity"] >= 0.7 and first["canary_mode"] == "observe"
    assert second["exit_reason"] != "collapse" and second["canary_mode"] == "adapt"
    assert second["collapse"]["proximity"] < 0.3
    assert "hot hot hot hot" in chain["model_calls"][0]["reply_text"]  # the loop itself
    msgs = [t["msg"] for t in chain["thoughts"]]
    assert msgs == ["canary collapse: re-grounding", "re-ground recovered"]
    assert ctx.regrounds == 1
    assert stats.as_dict() == {"spooks": 0, "collapses": 1, "regrounds": 1, "recoveries": 1}
