"""KernelProvider on a tiny Ouro checkpoint, LoRA merged vs unmerged, tool-call parsing."""

from __future__ import annotations

import json
import time

import pytest
import torch

from governance.errors import ProviderError
from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig
from kernel.engine import Engine, EngineConfig
from kernel.lora import apply_lora
from kernel.provider import KernelProvider
from kernel.reprompt import stated_confidence
from tests.kernel.tiny import tiny_adapter, tiny_checkpoint, tiny_model
from tools.toolcalls import parse_tool_calls

IDS = torch.tensor([[5, 17, 99, 3, 42, 7]])


@pytest.mark.slow
def test_lora_merged_equals_unmerged_and_changes_the_output(tmp_path):
    adapter = tiny_adapter(tmp_path / "adapter")
    base = tiny_model()(IDS).logits[-1]
    merged = apply_lora(tiny_model(), adapter, merge=True)
    unmerged = apply_lora(tiny_model(), adapter, merge=False)
    a, b = merged(IDS).logits[-1], unmerged(IDS).logits[-1]
    torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(a, base, atol=1e-3)
    assert not any(p.requires_grad for p in merged.parameters()) and not merged.training


def test_lora_errors_are_clear(tmp_path):
    from kernel.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="not a PEFT adapter"):
        apply_lora(tiny_model(), tmp_path, merge=True)


@pytest.mark.parametrize("text,calls,bad", [
    ('I will look.\n{"tool": "read_file", "arguments": {"path": "a.py"}}\n', 1, 0),
    ('```tool\n{"tool": "search_code", "arguments": {"q": "x"}}\n```', 1, 0),
    ('{"tool": "read_file", "arguments": {"path": ', 0, 1),
    ('{"tool": 5, "arguments": {}}', 0, 1),
    ('{"tool": "bash", "arguments": "rm -rf /"}', 0, 1),
    ('{"file_path": "a.py", "full_content": "x"}', 0, 0),
    ("no tools here", 0, 0),
])
def test_tool_call_convention(text, calls, bad):
    got, malformed = parse_tool_calls(text)
    assert (len(got), len(malformed)) == (calls, bad)
    if malformed:
        assert malformed[0].reason


@pytest.mark.parametrize("text,value", [("Confidence: 0.9", 0.9), ("confidence=85%", 0.85),
                                        ("no field", None), ("Confidence: 7", None)])
def test_stated_confidence(text, value):
    assert stated_confidence(text) == value


@pytest.mark.slow
async def test_kernel_provider_on_a_tiny_ouro_checkpoint(chat_ouro):
    gen = GenerationConfig(max_new_tokens=12, stop_ids=(), canary=CanaryConfig(mode="observe"))
    engine = Engine.load(EngineConfig(model=str(chat_ouro), mode="deep", q=0.5, generation=gen))
    provider = KernelProvider(engine, usd_per_mtok=0.10)
    assert (await provider.health()).healthy
    reply = await provider.generate("Say something.", deadline=time.monotonic() + 60)
    assert reply.usage.provider == "kernel" and reply.usage.completion_tokens == 12
    assert reply.usage.prompt_tokens > 10
    # the configured charge, so the cost ceilings hold for local compute too
    tokens = reply.usage.prompt_tokens + reply.usage.completion_tokens
    assert reply.usage.cost_usd == pytest.approx(tokens * 0.10 / 1e6)
    t = reply.telemetry
    assert t["exit_reason"] == "length" and 1 <= t["mean_depth"] <= 4
    assert t["total_steps"] == 4 and "canary_max_proximity" in t
    json.dumps(t)  # ledger-serializable
    with pytest.raises(ProviderError, match="deadline"):
        await provider.generate("x", deadline=time.monotonic() - 1)


@pytest.mark.slow
async def test_kernel_provider_misses_a_deadline_cleanly(tmp_path, chat_ouro):
    gen = GenerationConfig(max_new_tokens=100_000, stop_ids=(), canary=CanaryConfig(mode="off"))
    provider = KernelProvider(Engine.load(EngineConfig(model=str(chat_ouro), generation=gen)))
    with pytest.raises(ProviderError, match="missed its deadline"):
        await provider.generate("x", deadline=time.monotonic() + 0.5)


@pytest.mark.slow
def test_engine_rejects_deep_mode_on_a_sharded_ut_override(tmp_path, smollm2_dir):
    import shutil

    ckpt = tiny_checkpoint(tmp_path / "o", shards=2, vocab_size=49152)
    shutil.copy(smollm2_dir / "tokenizer.json", ckpt / "tokenizer.json")
    engine = Engine.load(EngineConfig(model=str(ckpt), ut_steps=2, mode="deep"))
    assert engine.total_steps == 2 and engine.kind == "ouro"
