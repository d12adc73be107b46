"""A reply begun for the model (ReplyShape.opening, a prefill): the kernel continues the
assistant's turn from it, and the reply is the opening and what follows, so governance's
parser reads it whole (issue 50: a small model told SEARCH/REPLACE blocks echoed the
prompt's last paragraph; begun with a block, it continues one). The embedded model."""

from __future__ import annotations

import time

import pytest

from governance.brains.provider import CANDIDATE_SHAPE, ReplyShape
from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig
from kernel.engine import Engine, EngineConfig
from kernel.provider import KernelProvider

OPENING = "app.py\n<<<<<<< SEARCH\n"
PROMPT = ("Fix the typo in greet(): it returns 'helo'.\n\napp.py\n```python\ndef greet():\n"
          "    return 'helo'\n```\n\nReply with SEARCH/REPLACE blocks.")


@pytest.fixture(scope="module")
def engine(embedded_engine) -> Engine:
    config = GenerationConfig(max_new_tokens=24, temperature=0.0,
                              canary=CanaryConfig(mode="off"))
    return embedded_engine(EngineConfig(generation=config))


def test_a_trailing_assistant_turn_is_continued_not_closed(engine):
    tok = engine.tokenizer
    asked = [{"role": "user", "content": PROMPT}]
    begun = tok.chat([*asked, {"role": "assistant", "content": OPENING}])
    # The prompt as asked, then the opening's tokens, with no end of turn after them.
    assert begun[:len(tok.chat(asked))] == tok.chat(asked)
    assert tok.decode(begun[len(tok.chat(asked)):], skip_special=False) == OPENING
    closed = tok.chat([*asked, {"role": "assistant", "content": OPENING}], False)
    assert closed[-2:] != begun[-2:]  # without a generation prompt: a whole past turn


async def test_the_reply_is_the_opening_and_its_continuation(engine):
    provider = KernelProvider(engine, constrain=True)
    shape = ReplyShape("candidate.1", final=CANDIDATE_SHAPE.final, opening=OPENING)
    reply = await provider.generate(PROMPT, deadline=_far(), shape=shape)
    assert reply.text.startswith(OPENING) and len(reply.text) > len(OPENING)
    assert reply.telemetry["opening"] == OPENING
    assert "grammar" not in reply.telemetry or reply.telemetry["grammar"].get("shape") is None
    # The continuation is the greedy decode of the prompt with the opening prefilled.
    gen = engine.chat([{"role": "system", "content": provider.system_prompt},
                       {"role": "user", "content": PROMPT},
                       {"role": "assistant", "content": OPENING}])
    assert reply.text == OPENING + gen.text
    [first, *_] = await provider.generate_samples(PROMPT, 2, deadline=_far(), shape=shape)
    assert first.text.startswith(OPENING)


def _far() -> float:
    return time.monotonic() + 600
