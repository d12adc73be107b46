"""Decoding on a GPU: a CachedStepper over a GpuModel (kernel/gpu_model.py) whose one-token
steps replay CUDA graphs, and the choice of device behind `provider.device`.

A one-token step of a small model is hundreds of tiny kernels: launched one by one from
Python, the GPU waits on the CPU. Captured once as a CUDA graph, the whole step is one launch.
A graph fixes addresses and shapes, so:
- the inputs (token, position, and deep mode's hidden state) are static tensors that are
  filled before each replay, and the outputs are the graph's own tensors, copied out;
- attention spans a bucket of the cache (MIN_SPAN positions, then four buckets per doubling:
  see span_for): a graph serves every position in its bucket, and a new bucket is captured
  the first time a position reaches it (a capture, not a compile: the fused layer's span is
  a symbolic size);
- growing the cache makes new tensors, so every graph captured over the old ones is dropped.
Fast mode is one graph per bucket (embedding, every loop step, the lm_head). Deep mode is one
graph per (loop step, bucket): after each step the exit policy reads the gate on the host,
as it must; then one graph per (exit step, bucket) copies the exit step's keys into the
skipped slots and computes the logits. Prefill chunks run eagerly (large matrix products,
few launches). Best-of-N forks a prefilled prompt into n sequences that decode together
(BatchDecode): one graph per bucket advances all n by a token.

On the CPU (the tests) the same stepper runs the same forward eagerly, without graphs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from kernel.errors import ModelLoadError
from kernel.exit_policy import ExitPolicy
from kernel.gpu_model import GpuModel, StaticCache
from kernel.precision import check_device
from kernel.steppers import PREFILL_CHUNK, CachedStepper

MIN_SPAN = 256  # the smallest attention bucket (and so the fewest graphs for short chats)
MIN_CAPACITY = 1024  # first cache allocation, in positions; it grows by doubling
WARMUPS = 2  # eager runs on a side stream before a capture (cuBLAS picks its kernels there)


def resolve_device(device: str) -> str:
    """"cpu" or "cuda" for a `provider.device` setting: auto takes CUDA when torch sees a
    device; asking for cuda where there is none is an error that says why."""
    if check_device(device) == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        built = f"CUDA {torch.version.cuda}" if torch.version.cuda else "no CUDA (a CPU build)"
        raise ModelLoadError(f'provider.device = "cuda", but torch {torch.__version__} '
                             f"({built}) sees no CUDA device; use \"auto\" or \"cpu\"")
    return "cpu"


def span_for(length: int, capacity: int) -> int:
    """The attention bucket for a cache holding `length` positions: a multiple of an eighth
    of the power of two at or above it (of MIN_SPAN at least), so attention reads fewer than
    MIN_SPAN or a quarter more positions than are cached, in four buckets per doubling
    (graphs are captured per bucket; the fused layer is compiled once for all of them)."""
    if length <= MIN_SPAN:
        return min(MIN_SPAN, capacity)
    step = max(MIN_SPAN, (1 << (length - 1).bit_length()) // 8)
    return min(-(-length // step) * step, capacity)


class _Replays:
    """One-token computations over one cache: captured as CUDA graphs and replayed, or (off
    CUDA) simply run. Each computation must be idempotent in its inputs: the warm-up runs it
    before the capture. The inputs are static tensors: `token` (one per sequence),
    `position`, and deep mode's `hidden` states, two buffers that loop steps alternate
    between (step t reads buffer t % 2 and writes the other, so a step run twice computes
    the same)."""

    def __init__(self, model: GpuModel, graphs: bool, batch: int = 1):
        device, hidden = model.device, model.shape.hidden
        self.token = torch.zeros(batch, dtype=torch.long, device=device)
        self.position = torch.zeros(1, dtype=torch.long, device=device)
        self.hidden = torch.zeros(2, batch, hidden, dtype=model.dtype, device=device)
        self.graphs = graphs
        self._captured: dict[tuple[Any, ...], tuple[torch.cuda.CUDAGraph, Any]] = {}
        self._pool = torch.cuda.graph_pool_handle() if graphs else None

    @property
    def captured(self) -> int:
        return len(self._captured)

    def run(self, key: tuple[Any, ...], fn: Callable[[], Any]) -> Any:
        if not self.graphs:
            return fn()
        if key not in self._captured:
            self._captured[key] = self._capture(fn)
        graph, out = self._captured[key]
        graph.replay()
        return out

    def _capture(self, fn: Callable[[], Any]) -> tuple[torch.cuda.CUDAGraph, Any]:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(WARMUPS):
                fn()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self._pool):
            out = fn()
        return graph, out


def _room(model: GpuModel, cache: StaticCache | None, length: int, new: int,
          batch: int = 1) -> tuple[StaticCache, bool]:
    """A cache with room for `new` positions after `length`: the same one, or a new or
    grown one (then True: graphs captured over the old tensors are stale)."""
    end, limit = length + new, model.max_position_embeddings
    if end > limit:
        raise ValueError(f"{end} positions exceed the model's context of {limit}")
    if cache is None:
        capacity = min(limit, max(MIN_CAPACITY, 1 << (end - 1).bit_length()))
        return model.new_cache(capacity, batch), True
    if end > cache.capacity:
        return cache.grown(min(limit, max(end, 2 * cache.capacity)), length), True
    return cache, False


class GpuStepper(CachedStepper):
    """Fast mode (no policy) or deep mode (an exit policy) over a GpuModel."""

    def __init__(self, model: GpuModel, chunk: int = PREFILL_CHUNK,
                 policy: ExitPolicy | None = None, graphs: bool | None = None):
        super().__init__(chunk)
        self.model, self.policy = model, policy
        self.total_steps = model.steps
        self.use_graphs = model.device.type == "cuda" if graphs is None else graphs
        self.cache: StaticCache | None = None
        self.replays: _Replays | None = None
        self.length = 0  # positions the cache holds
        self._shares: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    # -- CachedStepper's primitives -----------------------------------------------------
    def _reset(self) -> None:
        self.cache, self.replays, self.length = None, None, 0

    def _truncate(self, n: int) -> None:
        self.length = n  # masked from then on, and overwritten by the next writes

    def _forward(self, ids: Sequence[int]) -> torch.Tensor:
        if len(ids) == 1:
            return self._one(ids[0], steps=None)[0]
        start = self._reserve(len(ids))
        m = self.model
        with torch.inference_mode():
            positions = torch.arange(start, start + len(ids), device=m.device)
            tokens = torch.tensor(list(ids), dtype=torch.long, device=m.device)
            logits = m.forward(tokens, positions, self.cache, span_for(self.length, self._cap))
        return logits

    def _step(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        if self.policy is None:
            return self._one(token, steps=None)
        # Adapt mode's depth pressure raises the floor the policy may exit at.
        min_depth = 1 + round(pressure * (self.total_steps - 1))
        return self._one(token, steps=self.policy.start(self.total_steps, min_depth))

    # -- the cache ----------------------------------------------------------------------
    @property
    def _cap(self) -> int:
        assert self.cache is not None
        return self.cache.capacity

    def _reserve(self, new: int) -> int:
        """Room for `new` more positions; returns where they start (and counts them)."""
        start = self.length
        self.cache, fresh = _room(self.model, self.cache, start, new)
        if fresh:  # old graphs read old tensors
            self.replays = _Replays(self.model, self.use_graphs)
        self.length = start + new
        return start

    # -- one token ------------------------------------------------------------------------
    def _one(self, token: int, steps: Any) -> tuple[torch.Tensor, int]:
        """Token `token` at the next position: full depth (steps None), or step by step
        until `steps` (an exit tracker) says stop. Returns (logits, depth)."""
        position = self._reserve(1)
        r, m, cache = self.replays, self.model, self.cache
        assert r is not None and cache is not None
        span = span_for(self.length, cache.capacity)
        with torch.inference_mode():
            r.token.fill_(token)
            r.position.fill_(position)
            if steps is None:
                logits = r.run(("fast", span),
                               lambda: m.decode(r.token, r.position, cache, span))
                return logits[0].clone(), self.total_steps
            for t in range(self.total_steps):
                h, gate = r.run(("step", t, span), self._loop_step(t, span))
                # h is the graph's own output, rewritten only when this step runs again
                # (the next token): a tracker may keep it for the token's later steps.
                if steps.should_exit(t, h, float(gate)):
                    break
            logits = r.run(("exit", t, span), self._exit(t, span))
            return logits.clone(), t + 1

    def _loop_step(self, t: int, span: int) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
        """Step t of a deep-mode token: the embedding first at step 0; the state goes to the
        hidden buffer the next step reads; returns (state [H] float32, gate [] float32)."""
        r, m, cache = self.replays, self.model, self.cache
        assert r is not None and cache is not None

        def run() -> tuple[torch.Tensor, torch.Tensor]:
            h = m.embed_ids(r.token) if t == 0 else r.hidden[t % 2]
            h = m.decode_step(h, t, r.position, cache, span)
            r.hidden[(t + 1) % 2].copy_(h)
            return h[0].float(), m.gate(h)[0]
        return run

    def _exit(self, t: int, span: int) -> Callable[[], torch.Tensor]:
        """After exiting at step t: the skipped deeper slots at this position filled from
        step t's, then the logits [V] of step t's state."""
        r, m, cache = self.replays, self.model, self.cache
        assert r is not None and cache is not None
        share = self._share_indices(t)

        def run() -> torch.Tensor:
            if share is not None:
                cache.share(*share, r.position)
            return m.logits(r.hidden[(t + 1) % 2])
        return run

    def _share_indices(self, exit_step: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(sources, targets) slots of an exit at `exit_step`: each skipped deeper slot
        takes the exit step's slot of its layer. None at the last step (nothing skipped)."""
        layers, steps = self.model.shape.layers, self.total_steps
        if exit_step + 1 >= steps:
            return None
        if exit_step not in self._shares:
            device = self.model.device
            targets = torch.arange((exit_step + 1) * layers, steps * layers, device=device)
            sources = exit_step * layers + torch.arange(layers, device=device).repeat(
                steps - exit_step - 1)
            self._shares[exit_step] = (sources, targets)
        return self._shares[exit_step]

    # -- best-of-N --------------------------------------------------------------------------
    def fork(self, n: int) -> BatchDecode:
        """`n` continuations of the prompt this stepper holds, decoded together (best-of-N
        sampling). The stepper itself is left as it was."""
        return BatchDecode(self, n)


class BatchDecode:
    """`n` sequences that share a prefilled prompt, each advanced by one token per step in
    lockstep, at full depth (fast mode, whatever the parent's policy): a step reads the
    weights once for all of them, so n samples cost far less than n decodes. Each sequence
    has its own cache rows (the prompt's keys copied n times at the fork); with CUDA a step
    is one graph per attention bucket, as in fast mode."""

    def __init__(self, parent: GpuStepper, n: int):
        if n < 1:
            raise ValueError(f"a batch needs at least 1 sequence, got {n}")
        if parent.cache is None or parent.length == 0:
            raise ValueError("fork() needs a prefilled prompt")
        self.model, self.n, self.length = parent.model, n, parent.length
        self.total_steps = parent.total_steps
        self.use_graphs = parent.use_graphs
        self.cache: StaticCache = parent.cache.grown(parent.cache.capacity, self.length, n)
        self.replays = _Replays(self.model, self.use_graphs, n)

    def advance(self, tokens: Sequence[int]) -> torch.Tensor:
        """One token for each sequence (in fork order); the next-token logits [n, V] in
        float32."""
        if len(tokens) != self.n:
            raise ValueError(f"expected {self.n} tokens, got {len(tokens)}")
        position = self.length
        self.cache, fresh = _room(self.model, self.cache, position, 1, self.n)
        if fresh:
            self.replays = _Replays(self.model, self.use_graphs, self.n)
        self.length = position + 1
        r, m, cache = self.replays, self.model, self.cache
        span = span_for(self.length, cache.capacity)
        with torch.inference_mode():
            r.token.copy_(torch.tensor(list(tokens), dtype=torch.long))
            r.position.fill_(position)
            logits = r.run(("batch", span), lambda: m.decode(r.token, r.position, cache, span))
            return logits.clone()


def gpu_model(model: Any, kind: str, device: str) -> GpuModel:
    """A loaded model (Ouro, or a transformers Llama-family one) as a GpuModel in bf16 on
    `device`, its one-token layer compiled. A model the GPU forward does not cover is an
    error that says why."""
    if isinstance(model, GpuModel):
        return model
    try:
        gpu = GpuModel.from_ouro(model, device) if kind == "ouro" else \
            GpuModel.from_hf(model, device)
    except (ValueError, KeyError, AttributeError) as exc:
        raise ModelLoadError(f"cannot run this model on {device}: {exc}") from exc
    gpu.fuse()
    return gpu
