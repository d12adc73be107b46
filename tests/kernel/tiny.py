"""Tiny random Ouro checkpoints in the exact Hugging Face layout, and LoRA adapters for them."""

from __future__ import annotations

from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model_state_dict, inject_adapter_in_model
from safetensors.torch import save_file

from kernel.ouro_loader import save_ouro
from kernel.ouro_model import OuroConfig, OuroForCausalLM


def tiny_config(**overrides) -> OuroConfig:
    data = dict(model_type="ouro", vocab_size=256, hidden_size=64, intermediate_size=96,
                num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                head_dim=16, total_ut_steps=4, rope_theta=10000.0, rms_norm_eps=1e-6,
                max_position_embeddings=512, tie_word_embeddings=False, bos_token_id=0,
                eos_token_id=0, pad_token_id=None)
    data.update(overrides)
    return OuroConfig.from_dict(data)


def tiny_model(seed: int = 0, **overrides) -> OuroForCausalLM:
    torch.manual_seed(seed)
    model = OuroForCausalLM(tiny_config(**overrides))
    with torch.no_grad():  # non-trivial norms so a wrong norm placement shows up
        for name, p in model.named_parameters():
            if name.endswith("layernorm.weight") or name.endswith("_2.weight") or \
                    name.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
            elif p.dim() == 2:
                p.normal_(0, 0.15)
    return model.eval().requires_grad_(False)


def tiny_checkpoint(path: Path, seed: int = 0, shards: int = 1, **overrides) -> Path:
    save_ouro(tiny_model(seed, **overrides), path, shards=shards)
    return path


def tiny_adapter(path: Path, seed: int = 3, **overrides) -> Path:
    """A random PEFT LoRA adapter for tiny_model(**overrides), in the standard layout."""
    model = tiny_model(**overrides)
    cfg = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"])
    inject_adapter_in_model(cfg, model)
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" in name:
                p.normal_(0, 0.2)
    path.mkdir()
    cfg.save_pretrained(str(path))
    state = {f"base_model.model.{k}": v.contiguous()
             for k, v in get_peft_model_state_dict(model).items()}
    save_file(state, str(path / "adapter_model.safetensors"))
    return path
