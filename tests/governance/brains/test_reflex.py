"""governance.brains.reflex as tables: deflation, readings, re-ground steering; the collapse signal
a replay reply carries (script-stated, or the text detector's)."""

from __future__ import annotations

import itertools
import json
import math

import pytest

from governance.brains import reflex
from governance.brains.provider import CollapseSignal, Steering
from governance.brains.reflex import Band, Reading
from kernel.replay import ReplayProvider, ReplayTurn, collapse_of, load_script
from tests.helpers import OPS_FIXED, OPS_PY, TEST_OPS, candidate_turn, explore_calls, tool_call

BAND = Band(spook=0.3, threshold=0.7)


@pytest.mark.parametrize("proximity,factor", [
    (0.0, 1.0), (0.29, 1.0),  # calm: untouched
    (0.3, 0.9),  # the first spook trims a little
    (0.4, 0.75),  # a quarter of the way: halfway between 0.9 and 0.6
    (0.5, 0.6), (0.6, 0.425),
    (0.7, 0.25), (1.0, 0.25),  # at and past the brink (a collapse anyway)
])
def test_deflation_table(proximity, factor):
    assert reflex.deflation(proximity, BAND) == pytest.approx(factor)


def test_deflation_never_grows_the_budget_and_falls_as_proximity_rises():
    factors = [reflex.deflation(p / 100, BAND) for p in range(101)]
    assert all(0 < f <= 1 for f in factors)
    assert all(a >= b for a, b in itertools.pairwise(factors))


def test_no_spook_band_when_spook_is_at_or_over_the_threshold():
    band = Band(spook=0.8, threshold=0.7)
    assert reflex.deflation(0.75, band) == 1.0
    assert reflex.judge(CollapseSignal(proximity=0.69), band).reading is Reading.CALM
    assert reflex.judge(CollapseSignal(proximity=0.75), band).reading is Reading.COLLAPSE


@pytest.mark.parametrize("signal,reading", [
    (CollapseSignal(), Reading.CALM),
    (CollapseSignal(proximity=0.29, source="text"), Reading.CALM),
    (CollapseSignal(proximity=0.3, source="canary"), Reading.SPOOK),
    (CollapseSignal(proximity=0.69, source="script"), Reading.SPOOK),
    (CollapseSignal(proximity=0.7), Reading.COLLAPSE),
    # The decode's own verdict counts even when the summary proximity is lower.
    (CollapseSignal(proximity=0.1, exit_reason="collapse"), Reading.COLLAPSE),
    (CollapseSignal(proximity=0.1, collapsed=True), Reading.COLLAPSE),
    (CollapseSignal(proximity=0.9, exit_reason="length"), Reading.COLLAPSE),
])
def test_readings(signal, reading):
    j = reflex.judge(signal, BAND)
    assert j.reading is reading
    assert j.factor == (0.0 if reading is Reading.COLLAPSE else
                        reflex.deflation(signal.proximity, BAND))


def test_reground_steering_escalates_then_repeats_its_last_entry():
    first, second = reflex.reground_steering(1), reflex.reground_steering(2)
    assert first.adapt and second.adapt
    assert second.penalty_boost > first.penalty_boost > 0
    assert second.temperature_scale < first.temperature_scale < 1
    assert reflex.reground_steering(9) == second
    with pytest.raises(ValueError, match="count from 1"):
        reflex.reground_steering(0)


@pytest.mark.parametrize("bad", [math.nan, -0.1, 1.5, "0.5", math.inf])
def test_band_refuses_garbage(bad):
    with pytest.raises(ValueError):
        Band(spook=bad, threshold=0.7)
    with pytest.raises(ValueError):
        Band(spook=0.3, threshold=bad)
    with pytest.raises(ValueError):
        reflex.deflation(bad, BAND)


@pytest.mark.parametrize("bad", [{"penalty_boost": -1}, {"temperature_scale": 2},
                                 {"token_scale": 0}, {"token_scale": math.nan}])
def test_steering_refuses_garbage(bad):
    with pytest.raises(ValueError, match="steering out of range"):
        Steering(**bad)


def test_steerings_combine():
    both = Steering(adapt=True, penalty_boost=0.25, temperature_scale=0.5).then(
        Steering(token_scale=0.5, penalty_boost=0.5))
    assert both == Steering(adapt=True, penalty_boost=0.75, temperature_scale=0.5,
                            token_scale=0.5)
    assert Steering().then(None) == Steering()


def test_stats_count_from_zero():
    assert reflex.ReflexStats().as_dict() == {"spooks": 0, "collapses": 0, "regrounds": 0,
                                              "recoveries": 0}


# -- the signal a replay reply carries ------------------------------------------------------

ORDINARY = [
    json.loads(candidate_turn("calc/ops.py", OPS_FIXED))["text"],
    json.loads(candidate_turn("tests/test_ops.py", TEST_OPS))["text"],
    explore_calls("calc/ops.py", "tests/test_ops.py"),
    tool_call("edit_file", path="calc/ops.py", old="    return x\n",
              new="    return max(lo, min(x, hi))\n"),
    "clamped", "",
]
DEGENERATE = [
    "I will fix the clamp function now. " * 12,
    "def clamp(x, lo, hi):\n    return x\n" * 15,
    json.dumps({"schema": "candidate.1", "file_path": "calc/ops.py",
                "full_content": OPS_FIXED, "rationale": "I fix the clamp. " * 20}),
]
# A file's content is the oracle's to judge, not the detector's: tables, fixtures and
# banners repeat by nature (a correct candidate with a 70-'=' banner once read 0.75 and was
# discarded), and a content loop makes a candidate VALIDATE refuses anyway.
CONTENT = [
    OPS_FIXED + '\n\nBANNER = "' + "=" * 70 + '"\n',
    OPS_FIXED + "\nTABLE = [" + ", ".join(["None"] * 40) + "]\n",
    "return x\n" * 40,
]


@pytest.mark.parametrize("content", CONTENT, ids=["banner", "table", "looping-content"])
def test_a_candidates_file_content_is_left_to_the_oracle(content):
    text = json.dumps({"schema": "candidate.1", "file_path": "calc/ops.py",
                       "full_content": content, "rationale": "clamp into range"})
    assert reflex.judge(collapse_of(text, None), BAND).reading is Reading.CALM


def test_a_banner_in_prose_is_one_token_not_a_loop():
    assert reflex.judge(collapse_of("Done.\n" + "=" * 400 + "\nAll good.", None),
                        BAND).reading is Reading.CALM


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_replies_read_calm_by_the_text_detector(text):
    signal = collapse_of(text, None)
    assert signal.source == "text" and signal.proximity < BAND.spook
    assert reflex.judge(signal, BAND).reading is Reading.CALM


def test_a_file_stated_three_times_is_odd_but_no_collapse():
    signal = collapse_of(json.loads(candidate_turn("calc/ops.py", OPS_PY * 3))["text"], None)
    assert reflex.judge(signal, BAND).reading is not Reading.COLLAPSE


@pytest.mark.parametrize("text", DEGENERATE)
def test_degenerate_replies_read_collapsed_by_the_text_detector(text):
    signal = collapse_of(text, None)
    assert signal.source == "text"
    assert reflex.judge(signal, BAND).reading is Reading.COLLAPSE, signal


async def test_a_script_states_the_signal_and_replay_keeps_the_steering():
    stated = ReplayTurn.model_validate({"text": "fine text", "telemetry": {
        "collapse_proximity": 0.95, "exit_reason": "collapse", "mean_depth": 3}})
    provider = ReplayProvider([stated, ReplayTurn(text="ok")])
    reply = await provider.generate("p", deadline=math.inf, steer=reflex.reground_steering(1))
    assert reply.collapse == CollapseSignal(proximity=0.95, collapsed=True,
                                            exit_reason="collapse", source="script")
    assert reply.telemetry["mean_depth"] == 3
    await provider.generate("p", deadline=math.inf)
    assert provider.steers == [reflex.reground_steering(1), None]


@pytest.mark.parametrize("telemetry", ['{"collapse_proximity": 1.5}',
                                       '{"collapse_proximity": -0.1}',
                                       '{"collapse_proximity": "high"}',
                                       '{"exit_reason": "' + "x" * 100 + '"}'])
def test_a_script_with_garbage_telemetry_is_refused_with_its_line(tmp_path, telemetry):
    path = tmp_path / "script.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b", "telemetry": ' + telemetry + "}\n")
    with pytest.raises(ValueError, match=r"script.jsonl:2: not a replay turn"):
        load_script(path)
