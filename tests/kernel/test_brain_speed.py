"""The embedded model says where its time goes (issue 20 §2): each reply's prefill (the
tokens computed, less the prefix the cache kept, and how long that took), a short
measured call at start, and its token count, which a model step's deadline is sized to."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from governance.brains.window import FIT_CHARS_PER_TOKEN
from governance.routes.throughput import measured
from kernel import provider as provider_module
from kernel.decode import GenerationConfig
from kernel.engine import EngineConfig
from kernel.provider import MEASURE_PROMPT_TOKENS, MEASURE_REPLY_TOKENS, KernelProvider


@pytest.fixture(scope="module")
def provider(embedded_engine) -> KernelProvider:
    engine = embedded_engine(EngineConfig(generation=GenerationConfig(max_new_tokens=8),
                                          reprompt_loops=1))  # one chat a reply: exact counts
    return KernelProvider(engine, constrain=False)


@pytest.mark.slow
async def test_the_start_up_measurement_gives_both_rates(provider):
    # The daemon's own sizes: 128 prompt tokens took under measured()'s 50 ms on a Zen 5 EPYC
    # once another module had warmed the shared engine, and said nothing.
    usage = await provider.measure()
    assert usage.completion_tokens == MEASURE_REPLY_TOKENS  # no stop token ends it early
    assert usage.prefill_tokens and usage.prefill_tokens >= MEASURE_PROMPT_TOKENS
    speed = measured(usage, "measured at start")
    assert speed is not None, usage and speed.source == "measured at start"
    assert speed.prompt_tps > 0 and speed.decode_tps > 0


@pytest.mark.slow
async def test_a_reply_reports_its_prefill_and_a_shared_prefix_is_not_counted(provider):
    text = "Name three colours. " * 120  # ~600 tokens: the cache keeps whole 256-token chunks
    first = await provider.generate(text, deadline=time.monotonic() + 120)
    again = await provider.generate(text + "And two fruits.", deadline=time.monotonic() + 120)
    assert 0 < first.usage.prefill_tokens <= first.usage.prompt_tokens
    assert first.usage.prefill_ms is not None and first.usage.prefill_ms > 0
    # the first prompt's whole chunks were kept: only the rest is computed
    assert 0 < again.usage.prefill_tokens <= again.usage.prompt_tokens - 256


@pytest.mark.slow
def test_tokens_are_counted_in_the_models_own_tokens(provider):
    text = "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n"
    assert provider.count_tokens(text) == len(provider.engine.tokenizer.encode(text))
    assert 0 < provider.count_tokens(text) < len(text)


@pytest.mark.slow
def test_a_long_prefill_reports_each_chunk(provider):
    seen: list[tuple[int, int]] = []
    words = " ".join(f"item{i}" for i in range(150))  # 2-3 chunks of 256 tokens, not cached
    provider.engine.chat([{"role": "user", "content": words}], on_prefill=lambda d, t:
                         seen.append((d, t)))
    assert len(seen) >= 2
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # it only moves forward
    assert len({t for _, t in seen}) == 1 and seen[-1][0] == seen[-1][1]


def test_prefill_progress_is_said_at_most_every_ten_seconds():
    from structlog.testing import capture_logs

    from kernel.provider import PrefillProgress

    now = [0.0]
    progress = PrefillProgress("m", clock=lambda: now[0])
    with capture_logs() as logs:
        for t, done in ((5, 256), (11, 512), (12, 768), (25, 1024), (40, 4096)):
            now[0] = t
            progress(done, 4096)
    assert [(e["done"], e["seconds"]) for e in logs] == [(512, 11.0), (1024, 25.0)]
    assert logs[0]["event"] == "prefilling the prompt" and logs[0]["total"] == 4096


@pytest.mark.slow
def test_a_looped_answer_counts_every_loops_prefill(provider):
    from dataclasses import replace

    engine, kept = provider.engine, provider.engine.config
    engine.config = replace(kept, reprompt_loops=3)
    try:
        answer = engine.looped_chat([{"role": "user", "content": "Say hi. " * 10}],
                                    replace(kept.generation, temperature=0.0))
    finally:
        engine.config = kept
    assert answer is not None and answer.loops >= 1
    # the last loop's own prefill is only what its prompt added; the answer counts them all
    assert answer.generation.prefill_tokens >= answer.generation.prompt_tokens - 256
    assert answer.generation.prefill_seconds > 0
    assert answer.generation.decoded_tokens >= len(answer.generation.token_ids)


@pytest.mark.slow
def test_the_context_window_is_the_models_trained_positions(provider):
    """Governance fits its prompts to it: SmolLM2-135M was trained on 8,192 positions (its
    GGUF's context length, carried into the dequantized config); the serve API reports the
    same number."""
    assert provider.context_tokens == provider.engine.context_tokens == 8192
    text = Path(provider_module.__file__).read_text()  # Python: measured 3.2-3.5 a token
    assert len(text) / provider.count_tokens(text) >= FIT_CHARS_PER_TOKEN


@pytest.mark.slow
def test_a_configured_window_caps_the_models_and_never_widens_it(provider):
    """[provider] context_tokens: a slow CPU's user fits prompts to fewer tokens than the
    model was trained on; a cap past the model's own positions is no wider window."""
    capped = KernelProvider(provider.engine, window=4096)
    assert capped.context_tokens == 4096
    assert KernelProvider(provider.engine, window=65536).context_tokens == 8192
