"""The per-layer arithmetic of the GPU forward (kernel/gpu_model.py): a prefill chunk's layer
(`layer_forward`) and a decode step's (`decode_layer`, which GpuModel.fuse() compiles), with
the norms, rotate-half RoPE and decode masks they share. Pure functions of tensors, op for op
as kernel/ouro_model.py and transformers' Llama compute them."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """Statistics in float32 whatever the dtype, then the weight in the model's dtype: the
    order transformers' Llama and kernel/ouro_model.py use."""
    x32 = x.float()
    x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    return weight * x32.to(x.dtype)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def layer_forward(h: torch.Tensor, qkv_w: torch.Tensor, o_w: torch.Tensor,
                  gate_up_w: torch.Tensor, down_w: torch.Tensor, attn_in: torch.Tensor,
                  attn_out: torch.Tensor | None, mlp_in: torch.Tensor,
                  mlp_out: torch.Tensor | None, cos: torch.Tensor, sin: torch.Tensor,
                  positions: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor,
                  mask: torch.Tensor, dims: tuple[int, int, int, int, float]) -> torch.Tensor:
    """One decoder layer over rows h [T, H]; its keys and values are written into k_cache and
    v_cache ([kv heads, span, d], views of the layer's cache slot) at `positions`. A pure
    function of tensors and ints, so torch.compile can fuse it once for every layer."""
    heads, kv_heads, d, inter, eps = dims
    t, group = h.shape[0], heads // kv_heads
    qkv = rms_norm(h, attn_in, eps) @ qkv_w.T
    # q and k rotate together: one set of elementwise ops for both.
    qk = qkv[:, : (heads + kv_heads) * d].view(t, heads + kv_heads, d)
    qk = qk * cos + _rotate_half(qk) * sin
    q, k = qk[:, :heads], qk[:, heads:]
    v = qkv[:, (heads + kv_heads) * d :].view(t, kv_heads, d)
    k_cache.index_copy_(1, positions, k.transpose(0, 1))
    v_cache.index_copy_(1, positions, v.transpose(0, 1))
    # Query head j*group + g reads kv head j (transformers' repeat_interleave order): each kv
    # head's group of query heads, over all T rows, is one [group*T, d] matrix.
    rows = q.reshape(t, kv_heads, group, d).permute(1, 2, 0, 3).reshape(1, kv_heads,
                                                                        group * t, d)
    out = F.scaled_dot_product_attention(rows, k_cache[None], v_cache[None],
                                         attn_mask=mask.repeat(group, 1), scale=d ** -0.5)
    a = out.view(kv_heads, group, t, d).permute(2, 0, 1, 3).reshape(t, heads * d) @ o_w.T
    h = h + (rms_norm(a, attn_out, eps) if attn_out is not None else a)
    gate_up = rms_norm(h, mlp_in, eps) @ gate_up_w.T
    m = (F.silu(gate_up[:, :inter]) * gate_up[:, inter:]) @ down_w.T
    return h + (rms_norm(m, mlp_out, eps) if mlp_out is not None else m)


def decode_layer_parts(h: torch.Tensor, qkv_w: torch.Tensor, o_w: torch.Tensor,
                       gate_up_w: torch.Tensor, down_w: torch.Tensor, attn_in: torch.Tensor,
                       attn_out: torch.Tensor | None, mlp_in: torch.Tensor,
                       mlp_out: torch.Tensor | None, cos: torch.Tensor, sin: torch.Tensor,
                       position: torch.Tensor, kv_cache: torch.Tensor, mask: torch.Tensor,
                       dims: tuple[int, int, int, int, float, str]
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One decoder layer for B sequences, one token each, all at `position` [1]: h [B, H];
    kv_cache [B, 2, kv heads, span, d] (a view of the layer's slot: keys, then values); cos
    and sin [1, 2, d], the position's for queries and keys, then 1 and 0 (values do not
    rotate); mask [1, span], additive (0 or -inf). The same
    arithmetic as layer_forward on one row, so a batch-1 decode gives what the prefill path
    gives. Returns the new h and the inputs of three matrix products (the normed states and
    the MLP's activation): compiled, returning them makes inductor store each once instead
    of recomputing it inside every block of the product that reads it (decode_layer drops
    them)."""
    heads, kv_heads, d, inter, eps, attention = dims
    b, group = h.shape[0], heads // kv_heads
    x = rms_norm(h, attn_in, eps)
    qkv = x @ qkv_w.T
    q = qkv[:, : heads * d].view(b, heads, d)
    q = q * cos[0, :1] + _rotate_half(q) * sin[0, :1]
    # Keys and values rotate as one block (the values by 0: cos 1, sin 0), so one kernel
    # rotates and writes both into the cache.
    kv = qkv[:, heads * d :].view(b, 2, kv_heads, d)
    kv = kv * cos[:, :, None] + _rotate_half(kv) * sin[:, :, None]
    kv_cache.index_copy_(3, position, kv[:, :, :, None])
    k_cache, v_cache = kv_cache[:, 0], kv_cache[:, 1]
    # Query head j*group + g reads kv head j: each kv head's queries are `group` rows.
    q = q.reshape(b, kv_heads, group, d)
    if attention == "sdpa":
        out = F.scaled_dot_product_attention(q, k_cache, v_cache, attn_mask=mask,
                                             scale=d ** -0.5)
    else:
        # Two matrix-vector products per head, softmax in float32 (transformers' eager
        # attention); compiled with coordinate-descent tuning, each becomes a fused
        # reduction.
        scores = (q @ k_cache.transpose(-1, -2)).float() * d ** -0.5 + mask.float()
        out = torch.softmax(scores, dim=-1).to(v_cache.dtype) @ v_cache
    a = out.reshape(b, heads * d) @ o_w.T
    h = h + (rms_norm(a, attn_out, eps) if attn_out is not None else a)
    xm = rms_norm(h, mlp_in, eps)
    gate_up = xm @ gate_up_w.T
    act = F.silu(gate_up[:, :inter]) * gate_up[:, inter:]
    m = act @ down_w.T
    return h + (rms_norm(m, mlp_out, eps) if mlp_out is not None else m), x, xm, act


def decode_layer(*args: Any) -> torch.Tensor:
    """decode_layer_parts' new h alone."""
    return decode_layer_parts(*args)[0]


def decode_mask(keys: torch.Tensor, position: torch.Tensor, window: int | None,
                dtype: torch.dtype) -> torch.Tensor:
    """The additive mask [1, span] of a decode step at `position` over cached `keys`."""
    seen = keys <= position
    if window is not None:
        seen = seen & (keys > position - window)
    return torch.zeros(1, keys.shape[0], dtype=dtype, device=keys.device).masked_fill(
        ~seen[None, :], float("-inf"))
