"""Steppers: how one model advances by one token. The decode loop is the same for all.

CachedStepper is the shared base: its cache outlives one prompt, so a prompt that extends
the previous one (the next tool round, a retry) prefills only the new tokens, in chunks
that a cancel event can stop between.

- OuroFast: full depth, cached.
- OuroDeep: adaptive depth, cached; the loop physically stops at the exit step and the
  skipped deeper cache slots for that token are filled from the exit step's keys/values
  (last-available sharing), so later tokens attend over a complete cache.
- OuroUncached: the design documents' deep mode (recompute the whole sequence at full
  depth for every token, then pick the exit step): the baseline the bench compares with.
- Plain: any transformers causal LM, with its own past_key_values (cropped to reuse).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import torch

from kernel.errors import Cancelled
from kernel.exit_policy import ExitPolicy
from kernel.ouro_model import OuroForCausalLM

PrefillHook = Callable[[int, int], None]  # (prompt tokens consumed, prompt tokens in all)


class Stepper(Protocol):
    total_steps: int

    def prefill(self, ids: Sequence[int], cancel: threading.Event | None = None,
                progress: PrefillHook | None = None) -> torch.Tensor:
        """Consume the prompt; return the logits [V] for the next token. `progress(done,
        total)` hears of each chunk computed (prompt tokens)."""
        ...

    def advance(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        """Consume one token; return (next-token logits [V], realized depth)."""
        ...


PREFILL_CHUNK = 256  # tokens per forward pass while prefilling: a cancel waits at most one
# A new token attends to every cached one, so a chunk's cost grows with its position: past
# PREFILL_SPAN cached positions chunks shrink in proportion (down to MIN_CHUNK), keeping
# each chunk, and so the wait for a cancel, about as long as one early chunk.
PREFILL_SPAN = 2048
MIN_CHUNK = 32


def _ids(ids: Sequence[int], device: torch.device) -> torch.Tensor:
    return torch.tensor([list(ids)], dtype=torch.long, device=device)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class CannotTruncate(Exception):
    """A subclass's cache cannot be cut back (e.g. a sliding window already rolled past the
    cut): the base class then starts cold, which is always correct."""


class CachedStepper:
    """A stepper whose cache survives between prompts.

    `tokens` is exactly what the cache holds. `prefill` reuses the longest common prefix of
    `tokens` and the new prompt, cuts the cache there and feeds the rest in chunks,
    checking `cancel` before each. Chunks follow a fixed grid that depends only on the
    position (`chunk` tokens, fewer deep into a long context: see PREFILL_SPAN), and only
    positions a whole grid chunk of a prefill computed are reused (`exact`): a warm prefill
    then runs exactly the forward passes a cold one runs from that boundary on, so reuse
    never changes a logit, even in reduced precision where a batch's shape changes the
    rounding. Tokens decoded one at a time and a prompt's final partial chunk are computed
    again next time (at least the prompt's last token always is, so logits exist).
    Any exception inside a forward pass leaves a cache of unknown content, so it is
    emptied: the next prompt starts cold rather than wrong.
    Subclasses implement `_reset`, `_truncate` and `_forward` (and `_step` for a decode
    step that is not a plain one-token forward)."""

    total_steps = 1

    def __init__(self, chunk: int = PREFILL_CHUNK):
        if chunk < 1:
            raise ValueError(f"prefill chunk must be >= 1 token, got {chunk}")
        self.chunk = chunk
        self.tokens: list[int] = []
        self.exact = 0  # leading positions computed by whole grid chunks (reusable)
        self.reused = 0  # prompt tokens the last prefill found in the cache
        self.chunks = 0  # forward passes the last prefill ran
        self.chunk_seconds: list[float] = []  # and how long each took (a cancel waits one)

    # -- the three primitives ---------------------------------------------------------
    def _reset(self) -> None:
        raise NotImplementedError

    def _truncate(self, n: int) -> None:
        raise NotImplementedError

    def _forward(self, ids: Sequence[int]) -> torch.Tensor:
        raise NotImplementedError

    def _step(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        return self._forward([token]), self.total_steps

    # -- the chunk grid ---------------------------------------------------------------
    def _grid(self, position: int) -> int:
        """The size of the grid chunk that starts at `position`."""
        scaled = self.chunk * PREFILL_SPAN // max(position, PREFILL_SPAN)
        return max(scaled, min(self.chunk, MIN_CHUNK))

    def grid_floor(self, n: int) -> int:
        """The last grid boundary at or before position `n`."""
        at = 0
        while at + self._grid(at) <= n:
            at += self._grid(at)
        return at

    def chunk_sizes(self, start: int, end: int) -> list[int]:
        """The chunks a prefill of positions [start, end) runs (start on the grid)."""
        sizes = []
        while start < end:
            sizes.append(min(end - start, self._grid(start)))
            start += sizes[-1]
        return sizes

    # -- the generic work -------------------------------------------------------------
    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Forget the cache (and free its tensors)."""
        self.tokens, self.exact = [], 0
        self._reset()

    def prefill(self, ids: Sequence[int], cancel: threading.Event | None = None,
                progress: PrefillHook | None = None) -> torch.Tensor:
        ids = list(ids)
        if not ids:
            raise ValueError("cannot prefill an empty prompt")
        want = min(common_prefix(self.tokens, ids), self.exact, len(ids) - 1)
        keep = self._cut(self.grid_floor(want))
        self.reused, self.chunks, self.chunk_seconds = keep, 0, []
        logits: torch.Tensor | None = None
        start = keep
        for size in self.chunk_sizes(keep, len(ids)):
            if cancel is not None and cancel.is_set():
                raise Cancelled(start - keep, len(ids) - keep)
            began = time.perf_counter()
            with self._guard():
                logits = self._forward(ids[start : start + size])
            self.chunk_seconds.append(time.perf_counter() - began)
            self.tokens.extend(ids[start : start + size])
            if size == self._grid(start):
                self.exact = start + size
            start += size
            self.chunks += 1
            if progress is not None:
                progress(start, len(ids))
        assert logits is not None
        return logits

    def _cut(self, keep: int) -> int:
        """Cut the cache to `keep` positions; return how many it really holds now."""
        if keep == len(self.tokens):
            return keep
        if keep == 0:
            self.release()
            return 0
        with self._guard():
            try:
                self._truncate(keep)
            except CannotTruncate:
                self.release()
                return 0
        del self.tokens[keep:]
        self.exact = min(self.exact, keep)
        return keep

    def advance(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        with self._guard():
            logits, depth = self._step(token, pressure)
        self.tokens.append(token)
        return logits, depth


class LeanModel(Protocol):
    """A model whose forward fills a cache it makes (kernel.fast_plain.FastLlama,
    kernel.gguf_model.GgufModel): the cache keeps `length` and `clear()`."""

    def new_cache(self) -> Any: ...

    def forward(self, ids: Sequence[int], cache: Any) -> torch.Tensor: ...


class LeanStepper(CachedStepper):
    """A stepper over a LeanModel; its cache survives between prompts (CachedStepper)."""

    total_steps = 1

    def __init__(self, model: LeanModel, chunk: int = PREFILL_CHUNK):
        super().__init__(chunk)
        self.model = model
        self.cache = model.new_cache()

    def _reset(self) -> None:
        self.cache.clear()

    def _truncate(self, n: int) -> None:
        self.cache.length = n  # positions past n are overwritten by the next forward

    def _forward(self, ids: Sequence[int]) -> torch.Tensor:
        return self.model.forward(ids, self.cache)


class OuroFast(CachedStepper):
    def __init__(self, model: OuroForCausalLM, int8_kv: bool = False,
                 chunk: int = PREFILL_CHUNK):
        super().__init__(chunk)
        self.model, self.int8_kv = model, int8_kv
        self.total_steps = model.steps
        self.device = model.lm_head.weight.device
        self.cache = model.new_cache(int8_kv)

    def _reset(self) -> None:
        self.cache = self.model.new_cache(self.int8_kv)

    def _truncate(self, n: int) -> None:
        self.cache.truncate(n)

    def _forward(self, ids: Sequence[int]) -> torch.Tensor:
        return self.model(_ids(ids, self.device), cache=self.cache,
                          logits_for="last").logits[-1][0, -1]


class OuroDeep(OuroFast):
    """Adaptive depth. A token that exits early leaves copies of a shallower step's keys in
    the deeper slots (share_last), which a full-depth prefill would not produce; decoded
    positions are never reused (CachedStepper), so they cannot leak into a later prompt."""

    def __init__(self, model: OuroForCausalLM, policy: ExitPolicy, int8_kv: bool = False,
                 chunk: int = PREFILL_CHUNK):
        super().__init__(model, int8_kv, chunk)
        self.policy = policy

    def _step(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        m = self.model
        position = self.cache.length(m.slot(0, 0))
        cos, sin = m.rope(position, 1)
        # Adapt mode's depth pressure raises the floor the policy may exit at.
        min_depth = 1 + round(pressure * (self.total_steps - 1))
        tracker = self.policy.start(self.total_steps, min_depth)
        h = m.embed(_ids([token], self.device))
        for t in range(self.total_steps):
            h = m.step(h, t, cos, sin, self.cache)
            if tracker.should_exit(t, h[0, -1].float(), float(m.gate(h)[0, -1])):
                break
        for skipped in range(t + 1, self.total_steps):
            for layer in range(m.config.num_hidden_layers):
                self.cache.share_last(m.slot(t, layer), m.slot(skipped, layer))
        return m.lm_head(h)[0, -1], t + 1


class OuroUncached:
    """Reference adaptive loop without a cache (slow by construction)."""

    def __init__(self, model: OuroForCausalLM, policy: ExitPolicy):
        self.model, self.policy = model, policy
        self.total_steps = model.steps
        self.device = model.lm_head.weight.device

    def _run(self) -> tuple[torch.Tensor, int]:
        out = self.model(_ids(self.ids, self.device))
        tracker = self.policy.start(self.total_steps)
        for t in range(self.total_steps):
            if tracker.should_exit(t, out.hidden[t][0, -1].float(),
                                   float(out.gates[t][0, -1])):
                break
        return out.logits[t][0, -1], t + 1

    def prefill(self, ids: Sequence[int], cancel: threading.Event | None = None,
                progress: PrefillHook | None = None) -> torch.Tensor:
        if cancel is not None and cancel.is_set():
            raise Cancelled(0, len(ids))
        self.ids = list(ids)
        return self.model(_ids(self.ids, self.device), logits_for="last").logits[-1][0, -1]

    def advance(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        self.ids.append(token)
        return self._run()


class Plain(CachedStepper):
    """A transformers causal LM (e.g. the embedded SmolLM2) with its own cache object."""

    def __init__(self, model: Any, chunk: int = PREFILL_CHUNK):
        super().__init__(chunk)
        self.model = model
        self.device = next(model.parameters()).device
        self.past: Any = None

    def _reset(self) -> None:
        self.past = None

    def _truncate(self, n: int) -> None:
        held = self.past.get_seq_length() if self.past is not None else 0
        try:  # transformers >= 5 crops by a negative count; a rolled sliding window refuses
            self.past.crop(n - held)
        except (AttributeError, RuntimeError, ValueError) as exc:
            raise CannotTruncate(str(exc)) from exc

    def _forward(self, ids: Sequence[int]) -> torch.Tensor:
        out = self.model(input_ids=_ids(ids, self.device), past_key_values=self.past,
                         use_cache=True, logits_to_keep=1)
        self.past = out.past_key_values
        return out.logits[0, -1]
