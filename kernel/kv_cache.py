"""KV caches. KVCache: one slot per (loop step, layer), optionally stored as int8 (our Ouro
module). LeanCache: the lean forward's two preallocated tensors. LeanTails: best-of-N
samples' own positions after the prompt they share in a LeanCache.

Buffers grow by doubling, so appending a token is a copy into preallocated space rather
than a concatenation of the whole history.
"""

from __future__ import annotations

import torch


class _Slot:
    __slots__ = ("k", "k_scale", "length", "v", "v_scale")

    def __init__(self) -> None:
        self.k: torch.Tensor | None = None
        self.v: torch.Tensor | None = None
        self.k_scale: torch.Tensor | None = None
        self.v_scale: torch.Tensor | None = None
        self.length = 0


def _quantize(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 per (batch, head, position): x ~= q * scale."""
    scale = x.abs().amax(-1, keepdim=True).float().clamp_min(1e-8) / 127.0
    return torch.round(x.float() / scale).clamp(-127, 127).to(torch.int8), scale


def _grow(buf: torch.Tensor | None, like: torch.Tensor, need: int) -> torch.Tensor:
    if buf is not None and buf.shape[2] >= need:
        return buf
    capacity = max(need, 16 if buf is None else buf.shape[2] * 2)
    new = like.new_zeros((*like.shape[:2], capacity, like.shape[3]))
    if buf is not None:
        new[:, :, : buf.shape[2]] = buf
    return new


class KVCache:
    def __init__(self, num_slots: int, int8: bool = False):
        self.slots = [_Slot() for _ in range(num_slots)]
        self.int8 = int8
        self.dtype: torch.dtype | None = None

    def length(self, slot: int) -> int:
        return self.slots[slot].length

    def append(self, slot: int, k: torch.Tensor,
               v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Add k, v ([B, N, T, D]) to `slot`; return everything cached there ([B, N, S, D])."""
        s = self.slots[slot]
        self.dtype = k.dtype
        n, t = s.length, k.shape[2]
        if self.int8:
            qk, sk = _quantize(k)
            qv, sv = _quantize(v)
            s.k, s.v = _grow(s.k, qk, n + t), _grow(s.v, qv, n + t)
            s.k_scale, s.v_scale = _grow(s.k_scale, sk, n + t), _grow(s.v_scale, sv, n + t)
            s.k[:, :, n : n + t], s.v[:, :, n : n + t] = qk, qv
            s.k_scale[:, :, n : n + t], s.v_scale[:, :, n : n + t] = sk, sv
        else:
            s.k, s.v = _grow(s.k, k, n + t), _grow(s.v, v, n + t)
            s.k[:, :, n : n + t], s.v[:, :, n : n + t] = k, v
        s.length = n + t
        return self.read(slot)

    def read(self, slot: int) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.slots[slot]
        assert s.k is not None and s.v is not None
        k, v = s.k[:, :, : s.length], s.v[:, :, : s.length]
        if self.int8:
            assert s.k_scale is not None and s.v_scale is not None and self.dtype is not None
            k = (k.float() * s.k_scale[:, :, : s.length]).to(self.dtype)
            v = (v.float() * s.v_scale[:, :, : s.length]).to(self.dtype)
        return k, v

    def truncate(self, n: int) -> None:
        """Keep the first `n` positions of every slot (the buffers stay allocated: the next
        append writes over the cut tail). Deep mode's shared slots are as long as the
        others, so one cut fits all."""
        if n < 0:
            raise ValueError(f"cannot keep {n} positions")
        for s in self.slots:
            s.length = min(s.length, n)

    def share_last(self, src: int, dst: int) -> None:
        """Append `src`'s newest position to `dst`: the last-available sharing policy that
        lets a token skip deeper loop steps while later tokens still find a key there."""
        s, d = self.slots[src], self.slots[dst]
        n = d.length
        for name in ("k", "v", "k_scale", "v_scale"):
            buf = getattr(s, name)
            if buf is None:
                continue
            last = buf[:, :, s.length - 1 : s.length]
            grown = _grow(getattr(d, name), last, n + 1)
            grown[:, :, n : n + 1] = last
            setattr(d, name, grown)
        d.length = n + 1


LEAN_MIN_CAPACITY = 256  # LeanCache's first allocation, in positions


class LeanCache:
    """The lean forward's cache (kernel/fast_plain.py and its native step): keys and values
    of every layer in two preallocated tensors [layers, kv heads, capacity, head_dim];
    positions [0, length) are valid, and truncating is setting `length`."""

    def __init__(self, layers: int, kv_heads: int, head_dim: int, dtype: torch.dtype):
        self.shape = (layers, kv_heads, 0, head_dim)
        self.dtype = dtype
        self.k = torch.empty(self.shape, dtype=dtype)
        self.v = torch.empty(self.shape, dtype=dtype)
        self.length = 0

    def reserve(self, need: int) -> None:
        capacity = self.k.shape[2]
        if need <= capacity:
            return
        capacity = max(need, LEAN_MIN_CAPACITY, 2 * capacity)
        layers, heads, _, dim = self.shape
        for name in ("k", "v"):
            old = getattr(self, name)
            new = torch.empty((layers, heads, capacity, dim), dtype=self.dtype)
            new[:, :, : self.length] = old[:, :, : self.length]
            setattr(self, name, new)

    def clear(self) -> None:
        """Empty, and give the memory back."""
        self.length = 0
        self.k = torch.empty(self.shape, dtype=self.dtype)
        self.v = torch.empty(self.shape, dtype=self.dtype)

    def nbytes(self) -> int:
        return 2 * self.k.numel() * self.k.element_size()


class LeanTails:
    """The positions each of `n` samples decodes after a prompt they share (kernel/samples.py):
    k and v [n, layers, kv heads, capacity, head_dim], positions [0, length) valid, position
    j of a sample being position shared + j of its sequence. The prompt stays in its
    LeanCache, read by every sample and copied for none."""

    def __init__(self, n: int, like: LeanCache):
        layers, heads, _, dim = like.shape
        self.shape = (n, layers, heads, 0, dim)
        self.dtype = like.dtype
        self.k = torch.empty(self.shape, dtype=self.dtype)
        self.v = torch.empty(self.shape, dtype=self.dtype)
        self.length = 0

    def reserve(self, need: int) -> None:
        capacity = self.k.shape[3]
        if need <= capacity:
            return
        n, layers, heads, _, dim = self.shape
        capacity = max(need, LEAN_MIN_CAPACITY, 2 * capacity)
        for name in ("k", "v"):
            old = getattr(self, name)
            new = torch.empty((n, layers, heads, capacity, dim), dtype=self.dtype)
            new[:, :, :, : self.length] = old[:, :, :, : self.length]
            setattr(self, name, new)

    def nbytes(self) -> int:
        return 2 * self.k.numel() * self.k.element_size()
