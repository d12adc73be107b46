"""4-bit base weights through bitsandbytes (NF4), for Ouro and plain models.

The daemon enables a 4-bit base only on CUDA, bitsandbytes' primary, tuned target. The
bitsandbytes we require (>= 0.50) also runs 4-bit layers on the CPU, but there the arithmetic
depends on the processor (with AVX512-BF16 it computes in bfloat16 whatever compute dtype is
asked for), so the daemon does not offer it. The quantizing code itself is device-agnostic,
which is how the test suite checks it without a GPU; bench/kernel.py prints time and memory
against full weights.

What is quantized follows the usual QLoRA recipe: every projection inside the decoder layers
(attention q/k/v/o and the SwiGLU MLP). The embedding, the norms, the early-exit gate and the
lm_head stay in the compute dtype: they are a small share of the weights and the ones whose
precision the exit decision and the logits depend on most.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from kernel.errors import ModelLoadError
from kernel.ouro_model import OuroForCausalLM


@dataclass(frozen=True)
class FourBit:
    """Where a 4-bit base lives and the dtype its matmuls compute in."""

    device: torch.device
    compute_dtype: torch.dtype
    quant_type: str = "nf4"


def _bitsandbytes() -> Any:
    try:
        import bitsandbytes
    except ImportError as exc:
        raise ModelLoadError("a 4-bit base needs bitsandbytes: pip install "
                             "'ouroboros-venom[4bit]' (or bitsandbytes>=0.50)") from exc
    return bitsandbytes


def cuda_four_bit() -> FourBit:
    """The daemon's 4-bit setting: the first CUDA GPU, bfloat16 where it is supported."""
    if not torch.cuda.is_available():
        raise ModelLoadError("a 4-bit base (bitsandbytes) needs a CUDA GPU, and none is "
                             "available; load full weights instead (provider.load_in_4bit = "
                             "false, or no --4bit)")
    _bitsandbytes()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return FourBit(torch.device("cuda", 0), dtype)


def quantize_ouro(model: OuroForCausalLM, spec: FourBit) -> OuroForCausalLM:
    """Replace each decoder-layer projection with a bitsandbytes Linear4bit, in place, and
    move the whole model to `spec.device`. Returns the model, frozen and in eval mode."""
    bnb = _bitsandbytes()
    model.to(spec.compute_dtype)
    for layer in model.model.layers:
        for parent in (layer.self_attn, layer.mlp):
            for name, child in list(parent.named_children()):
                if isinstance(child, nn.Linear):
                    setattr(parent, name, _linear_4bit(bnb, child, spec))
    # Params4bit quantizes when it is moved to a device, so this is the step that packs.
    model.to(spec.device)
    return model.eval().requires_grad_(False)


def _linear_4bit(bnb: Any, linear: nn.Linear, spec: FourBit) -> nn.Module:
    q = bnb.nn.Linear4bit(linear.in_features, linear.out_features,
                          bias=linear.bias is not None, compute_dtype=spec.compute_dtype,
                          quant_type=spec.quant_type)
    q.weight = bnb.nn.Params4bit(linear.weight.data, requires_grad=False,
                                 quant_type=spec.quant_type)
    if linear.bias is not None:
        q.bias = nn.Parameter(linear.bias.data, requires_grad=False)
    return q


def plain_load_kwargs(spec: FourBit) -> dict[str, Any]:
    """from_pretrained arguments that load a transformers model with a 4-bit base."""
    _bitsandbytes()
    from transformers import BitsAndBytesConfig

    config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=spec.quant_type,
                                bnb_4bit_compute_dtype=spec.compute_dtype)
    return {"quantization_config": config, "device_map": {"": str(spec.device)},
            "dtype": spec.compute_dtype}


def count_4bit(model: nn.Module) -> int:
    """How many Linear4bit modules `model` holds. A model can only hold one once bitsandbytes
    is imported, so this never imports it (that costs seconds and logs a CPU-kernel notice)."""
    bitsandbytes = sys.modules.get("bitsandbytes")
    if bitsandbytes is None:
        return 0
    return sum(isinstance(m, bitsandbytes.nn.Linear4bit) for m in model.modules())
