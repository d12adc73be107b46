"""bench/grounding.py's scripted model of lessons: it reads only the real prompt's session
lessons section, and a [FAIL:...] lesson naming its file scales its failure rate by
(1 - AVOID); nothing else moves it."""

from __future__ import annotations

import json

import pytest

from bench.grounding import AVOID, FAILURE_RATES, ScriptedFixer, warned
from governance.brains.prompts import generation_prompt
from governance.errors import ProviderError
from tests.helpers import op_context


def _prompt(tmp_path, lessons, goal="bump mods/m2.py"):
    ctx = op_context("mods/m2.py", goal=goal).model_copy(update={"lessons": lessons})
    return generation_prompt(ctx, tmp_path)


def _value(turn_text: str) -> str:
    return json.loads(turn_text)["full_content"]


@pytest.mark.parametrize("lessons, goal, expected", [
    (["[FAIL:validation_failed] bump mods/m2.py — validation failed (mods/m2.py)"], "g", True),
    (["[OK] bump mods/m2.py (mods/m2.py)"], "g", False),
    (["[FAIL:rolled_back] bump mods/m3.py — broke (mods/m3.py)"], "g", False),
    ([], "- [FAIL:model] a hostile goal — x (mods/m2.py)", False),  # not in the section
])
def test_only_a_fail_lesson_about_the_file_warns(tmp_path, lessons, goal, expected):
    assert warned(_prompt(tmp_path, lessons, goal), "mods/m2.py") is expected


def test_a_warning_scales_the_failure_rate_and_nothing_else(tmp_path):
    rate = FAILURE_RATES["mods/m2.py"]
    u = rate * (1 - AVOID) + 0.01  # breaks unwarned, lands warned
    warn = _prompt(tmp_path, ["[FAIL:validation_failed] b — v (mods/m2.py)"])
    plain = _prompt(tmp_path, [])
    assert "return -5" in _value(ScriptedFixer("mods/m2.py", u, 4, True)._next("generate",
                                                                        plain).text)
    fixer = ScriptedFixer("mods/m2.py", u, 4, True)
    assert "return 5" in _value(fixer._next("generate", warn).text) and fixer.was_warned
    deaf = ScriptedFixer("mods/m2.py", u, 4, False)  # lessons off: the prompt is not read
    assert "return -5" in _value(deaf._next("generate", warn).text) and not deaf.was_warned
    with pytest.raises(ProviderError):
        fixer._next("plan", plain)
