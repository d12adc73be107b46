"""Exact parity of the Ouro model: cache vs no cache, the exit formula, loading."""

from __future__ import annotations

import json

import pytest
import torch

from kernel.errors import ModelLoadError
from kernel.ouro_loader import load_ouro
from kernel.ouro_model import exit_distribution, qexit_steps
from tests.kernel.tiny import tiny_checkpoint, tiny_model

IDS = torch.tensor([[5, 17, 99, 3, 42, 7, 250, 11, 64, 128]])


@pytest.mark.slow
@pytest.mark.parametrize("int8", [False, True])
def test_cached_incremental_decoding_equals_the_uncached_forward(int8):
    model = tiny_model()
    full = model(IDS)
    cache = model.new_cache(int8=int8)
    model(IDS[:, :4], cache=cache)  # prefill
    for i in range(4, IDS.shape[1]):
        step = model(IDS[:, i : i + 1], cache=cache)
        for t in range(model.steps):
            got, want = step.logits[t][:, 0], full.logits[t][:, i]
            if int8:  # lossy by design: close relative to the logits' scale, same argmax
                assert (got - want).abs().max() < 0.05 * want.abs().max()
                assert torch.equal(got.argmax(-1), want.argmax(-1))
            else:
                torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
                torch.testing.assert_close(step.gates[t][:, 0], full.gates[t][:, i],
                                           atol=1e-5, rtol=1e-5)
    assert cache.length(model.slot(model.steps - 1, 1)) == IDS.shape[1]


@pytest.mark.slow
def test_chunked_prefill_equals_one_shot():
    model = tiny_model()
    full = model(IDS)
    cache = model.new_cache()
    a = model(IDS[:, :3], cache=cache)
    b = model(IDS[:, 3:], cache=cache)
    torch.testing.assert_close(torch.cat([a.logits[-1], b.logits[-1]], 1), full.logits[-1],
                               atol=1e-5, rtol=1e-5)


@pytest.mark.slow
def test_sliding_window_layers_only_see_the_window():
    model = tiny_model(layer_types=["sliding_attention", "full_attention"], sliding_window=3)
    full = model(IDS)
    cache = model.new_cache()
    model(IDS[:, :5], cache=cache)
    step = model(IDS[:, 5:6], cache=cache)
    torch.testing.assert_close(step.logits[-1][:, 0], full.logits[-1][:, 5], atol=1e-5,
                               rtol=1e-5)
    plain = tiny_model()(IDS)  # same weights, no window: must differ
    assert not torch.allclose(plain.logits[-1][:, 5], full.logits[-1][:, 5], atol=1e-4)


def test_exit_distribution_follows_the_formula():
    gates = torch.tensor([0.2, 0.5, 0.9, 0.3])
    p = exit_distribution(gates)
    torch.testing.assert_close(p, torch.tensor([0.2, 0.8 * 0.5, 0.8 * 0.5 * 0.9,
                                                0.8 * 0.5 * 0.1]))
    assert p.sum().item() == pytest.approx(1.0)
    # cdf = [0.2, 0.6, 0.96, 1.0]
    assert [int(qexit_steps(gates, q)) for q in (0.1, 0.2, 0.5, 0.6, 0.9, 0.97, 1.0)] == [
        0, 0, 1, 1, 2, 3, 3]


@pytest.mark.slow
@pytest.mark.parametrize("bias,q,expected", [(20.0, 0.5, 0), (-20.0, 0.5, 3), (0.0, 0.5, 0),
                                             (0.0, 0.7, 1), (0.0, 0.9, 3)])
def test_hand_set_gate_bias_forces_the_exit_step(bias, q, expected):
    model = tiny_model()
    with torch.no_grad():
        model.model.early_exit_gate.weight.zero_()
        model.model.early_exit_gate.bias.fill_(bias)
    out = model(IDS)
    gates = torch.stack(out.gates, -1)  # [B, T, steps]
    assert torch.all(qexit_steps(gates, q) == expected)


@pytest.mark.slow
@pytest.mark.parametrize("shards", [1, 3])
def test_loader_round_trips_single_and_sharded(tmp_path, shards):
    ckpt = tiny_checkpoint(tmp_path / "ouro", shards=shards)
    if shards > 1:
        assert (ckpt / "model.safetensors.index.json").is_file()
    loaded = load_ouro(ckpt)
    ref = tiny_model()
    torch.testing.assert_close(loaded(IDS).logits[-1], ref(IDS).logits[-1])
    assert not any(p.requires_grad for p in loaded.parameters()) and not loaded.training
    assert loaded.config.pad_token_id == loaded.config.bos_token_id
    assert load_ouro(ckpt, ut_steps=2).steps == 2


def test_missing_and_unexpected_keys_are_listed(tmp_path):
    from safetensors.torch import load_file, save_file

    ckpt = tiny_checkpoint(tmp_path / "ouro")
    state = load_file(str(ckpt / "model.safetensors"))
    state.pop("model.layers.1.mlp.up_proj.weight")
    state["model.layers.9.bogus.weight"] = torch.zeros(1)
    save_file(state, str(ckpt / "model.safetensors"))
    with pytest.raises(ModelLoadError) as err:
        load_ouro(ckpt)
    assert "1 missing key(s): model.layers.1.mlp.up_proj.weight" in str(err.value)
    assert "1 unexpected key(s): model.layers.9.bogus.weight" in str(err.value)


def test_bad_directories_fail_clearly(tmp_path):
    with pytest.raises(ModelLoadError, match="Model hubs are not reachable"):
        load_ouro("ByteDance/Ouro-1.4B")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(ModelLoadError, match="not an Ouro config"):
        load_ouro(tmp_path)
    ckpt = tiny_checkpoint(tmp_path / "o")
    cfg = json.loads((ckpt / "config.json").read_text())
    cfg["hidden_size"] = 32
    cfg["head_dim"] = 8
    (ckpt / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="has shape"):
        load_ouro(ckpt)
