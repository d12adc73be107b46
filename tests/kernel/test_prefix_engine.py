"""The Engine's kept stepper: a tool conversation through Engine.chat reuses the previous
prompt, gives the tokens a cold engine gives, and starts cold when the model, mode or
cache settings change. Tokenizing a longer tool conversation with the real SmolLM2 chat
template keeps the earlier prompt's ids as a prefix (up to the template's closing tokens),
which is what makes the reuse worth having."""

from __future__ import annotations

import dataclasses
import itertools
import time
from pathlib import Path

import pytest
import torch

from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig
from kernel.engine import Engine, EngineConfig
from kernel.steppers import common_prefix
from kernel.tokenizer import ChatTokenizer
from tests.kernel.tiny import tiny_model

GREEDY = GenerationConfig(max_new_tokens=8, stop_ids=(), canary=CanaryConfig(mode="off"))
SYSTEM = {"role": "system", "content": "You are the code-writing model."}
TEMPLATE_TAIL = 8  # <|im_end|> \n <|im_start|> assistant \n, plus a whitespace merge


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models; threads only fight the other tests for cores
    yield
    torch.set_num_threads(before)


def tool_rounds(n: int) -> list[list[dict[str, str]]]:
    """The tool loop's prompts: one user message that grows by a reply and a result."""
    parts = ["Fix clamp in calc/ops.py.\n\ndef clamp(x, lo, hi):\n    return x\n",
             "## Tools\nTo call one, write a line holding exactly one JSON object."]
    out = []
    for i in range(n):
        out.append([SYSTEM, {"role": "user", "content": "\n\n".join(parts)}])
        call = '{"tool": "read_file", "arguments": {"path": "f%s.py"}}'.replace("%s", str(i))
        parts += [f"## You wrote\n{call}", "## Tool result (read_file)\n" + "".join(
                      f"def f{i}_{j}(a, b):\n    return a * {j} + b  # line {j}\n"
                      for j in range(6))]
    return out


def engine(path: Path, **knobs) -> Engine:
    return Engine.load(EngineConfig(model=str(path), generation=GREEDY,
                                    **{"prefill_chunk": 16, **knobs}))


@pytest.mark.slow
def test_a_tool_conversation_reuses_each_previous_prompt_with_the_cold_tokens(chat_ouro):
    warm, cold = engine(chat_ouro), engine(chat_ouro, reuse_prefix=False)
    previous: list[int] = []
    for messages in tool_rounds(4):
        ids = warm.tokenizer.chat(messages)
        got = warm.chat(messages)
        assert got.token_ids == cold.chat(messages).token_ids
        if previous:
            # All of the previous prompt but its template tail, floored to a whole chunk.
            assert warm._kept.reused >= len(previous) - TEMPLATE_TAIL - 16
        previous = ids
    assert cold._kept is None  # reuse off keeps nothing


@pytest.mark.slow
@pytest.mark.parametrize("change", [
    {"mode": "deep"}, {"int8_kv": True}, {"prefill_chunk": 7}, {"q": 0.9, "mode": "deep"}])
def test_another_mode_or_cache_setting_starts_cold(chat_ouro, change):
    e = engine(chat_ouro)
    rounds = tool_rounds(2)
    e.chat(rounds[0])
    before = e._kept
    e.config = dataclasses.replace(e.config, **change)
    got = e.chat(rounds[1])
    assert e._kept is not before and e._kept.reused == 0
    assert before.tokens == []  # the old cache was released, not left for the collector
    assert got.token_ids == engine(chat_ouro, reuse_prefix=False, **change).chat(
        rounds[1]).token_ids


@pytest.mark.slow
def test_another_model_starts_cold(chat_ouro):
    e = engine(chat_ouro)
    rounds = tool_rounds(2)
    e.chat(rounds[0])
    e.model = tiny_model(seed=5, vocab_size=49152)  # e.g. a LoRA merged into a new object
    got = e.chat(rounds[1])
    assert e._kept.reused == 0 and e._kept.model is e.model
    fresh = engine(chat_ouro, reuse_prefix=False)
    fresh.model = e.model
    assert got.token_ids == fresh.chat(rounds[1]).token_ids


@pytest.mark.slow
def test_forgetting_and_idle_release_drop_the_cache(chat_ouro):
    e = engine(chat_ouro)
    rounds = tool_rounds(3)
    e.chat(rounds[0])
    assert e.cached_tokens > 0
    assert e.release_if_idle() and e.cached_tokens == 0
    e.chat(rounds[1])
    with e._lock:  # a chat in progress: its cache is in use and stays
        assert not e.release_if_idle()
    assert e.cached_tokens > 0
    e.forget()
    e.chat(rounds[2])
    assert e._kept.reused == 0


@pytest.mark.slow
def test_the_chat_template_keeps_earlier_prompts_as_prefixes(smollm2_dir):
    tok = ChatTokenizer.from_file(smollm2_dir / "tokenizer.json")
    prompts = [tok.chat(m) for m in tool_rounds(6)]
    for before, after in itertools.pairwise(prompts):
        assert common_prefix(before, after) >= len(before) - TEMPLATE_TAIL
    # The re-prompt loop appends the answer as an assistant turn: the prompt survives.
    first = [SYSTEM, {"role": "user", "content": "What is 2+2?"}]
    again = tok.chat([*first, {"role": "assistant", "content": "4"},
                      {"role": "user", "content": "Reconsider."}])
    assert common_prefix(tok.chat(first), again) >= len(tok.chat(first)) - 2


@pytest.mark.slow
def test_an_unused_kept_cache_is_dropped_after_the_idle_time(chat_ouro):
    e = engine(chat_ouro, idle_release_s=0.2)
    e.chat(tool_rounds(1)[0])
    deadline = time.monotonic() + 30
    while e.cached_tokens and time.monotonic() < deadline:
        time.sleep(0.05)
    assert e.cached_tokens == 0 and e._kept is None
    never = engine(chat_ouro, idle_release_s=0)
    never.chat(tool_rounds(1)[0])
    assert never._idle is None and never.cached_tokens > 0
