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

`int8_ouro` is the CPU counterpart: weight-only int8 (one scale per output row) with bfloat16
activations through the same kernel as kernel/fast_plain.py, for every decoder projection and
the lm_head; the norms, the embedding and the early-exit gate stay float32 (the gate is one
row: nothing to save, and the exit decision hangs on it).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
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


SMALL_BATCH = 8  # rows up to which the int8 kernel beats dequantize + bf16 GEMM (measured)


def quantize_rows(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 with one bfloat16 scale per row: w ~= q * scale[:, None]. The scale is
    rounded to bf16 first and q chosen against the rounded scale, so the only error left is
    int8 rounding (at most half a step of each row's max |w| / 127)."""
    w = w.detach().float()
    scale = (w.abs().amax(1) / 127.0).clamp_min(1e-12).to(torch.bfloat16)
    q = torch.round(w / scale.float()[:, None]).clamp(-127, 127).to(torch.int8)
    return q.contiguous(), scale


def int8_matmul(x: torch.Tensor, q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """x [M, K] bfloat16 @ (q * scale).T -> [M, N] bfloat16."""
    if x.shape[0] <= SMALL_BATCH:
        return torch.ops.aten._weight_int8pack_mm(x, q, scale)
    # Integers up to 256 are exact in bfloat16, so the converted rows are exact too; the scale
    # goes on the [M, N] output rather than the [N, K] rows (a prefill chunk has M < K rows).
    return F.linear(x, q.to(torch.bfloat16)) * scale


class Int8Linear(nn.Module):
    """A bias-free nn.Linear as int8 rows and a bfloat16 scale per row; float32 in and out.
    Like bitsandbytes' Linear4bit, its `weight` is the packed tensor (int8 here)."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        if linear.bias is not None:
            raise ValueError("Int8Linear covers bias-free projections only")
        self.in_features, self.out_features = linear.in_features, linear.out_features
        q, scale = quantize_rows(linear.weight)
        self.register_buffer("weight", q)
        self.register_buffer("scale", scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.in_features).to(torch.bfloat16)
        out = int8_matmul(flat, self.weight, self.scale)
        return out.to(x.dtype).view(*x.shape[:-1], self.out_features)


def int8_ouro(model: OuroForCausalLM) -> OuroForCausalLM:
    """Replace each decoder projection and the lm_head with an Int8Linear, in place. A float32
    model on the CPU only (the kernel is a CPU one); returns the model, frozen, in eval mode."""
    if model.lm_head.weight.device.type != "cpu" or model.lm_head.weight.dtype != torch.float32:
        raise ModelLoadError("int8 weights are for a float32 model on the CPU")
    for layer in model.model.layers:
        for parent in (layer.self_attn, layer.mlp):
            for name, child in list(parent.named_children()):
                if isinstance(child, nn.Linear):
                    setattr(parent, name, Int8Linear(child))
    if model.config.tie_word_embeddings:  # the embedding keeps its float32 copy
        model.lm_head = nn.Linear(model.config.hidden_size, model.config.vocab_size,
                                  bias=False).requires_grad_(False)
        model.lm_head.weight = model.model.embed_tokens.weight
    model.lm_head = Int8Linear(model.lm_head)
    return model.eval().requires_grad_(False)
