"""Steppers: how one model advances by one token. The decode loop is the same for all.

- OuroFast: full depth, cached.
- OuroDeep: adaptive depth, cached; the loop physically stops at the exit step and the
  skipped deeper cache slots for that token are filled from the exit step's keys/values
  (last-available sharing), so later tokens attend over a complete cache.
- OuroUncached: the design documents' deep mode (recompute the whole sequence at full
  depth for every token, then pick the exit step): the baseline the bench compares with.
- Plain: any transformers causal LM, with its own past_key_values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import torch

from kernel.exit_policy import ExitPolicy
from kernel.ouro_model import OuroForCausalLM


class Stepper(Protocol):
    total_steps: int

    def prefill(self, ids: Sequence[int]) -> torch.Tensor:
        """Consume the prompt; return the logits [V] for the next token."""
        ...

    def advance(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        """Consume one token; return (next-token logits [V], realized depth)."""
        ...


def _ids(ids: Sequence[int], device: torch.device) -> torch.Tensor:
    return torch.tensor([list(ids)], dtype=torch.long, device=device)


class OuroFast:
    def __init__(self, model: OuroForCausalLM, int8_kv: bool = False):
        self.model, self.int8_kv = model, int8_kv
        self.total_steps = model.steps
        self.device = model.lm_head.weight.device

    def prefill(self, ids: Sequence[int]) -> torch.Tensor:
        self.cache = self.model.new_cache(self.int8_kv)
        return self.model(_ids(ids, self.device), cache=self.cache,
                          logits_for="last").logits[-1][0, -1]

    def advance(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        out = self.model(_ids([token], self.device), cache=self.cache, logits_for="last")
        return out.logits[-1][0, -1], self.total_steps


class OuroDeep(OuroFast):
    def __init__(self, model: OuroForCausalLM, policy: ExitPolicy, int8_kv: bool = False):
        super().__init__(model, int8_kv)
        self.policy = policy

    def advance(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
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

    def prefill(self, ids: Sequence[int]) -> torch.Tensor:
        self.ids = list(ids)
        return self.model(_ids(self.ids, self.device), logits_for="last").logits[-1][0, -1]

    def advance(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        self.ids.append(token)
        return self._run()


class Plain:
    """A transformers causal LM (e.g. the embedded SmolLM2), one token at a time."""

    total_steps = 1

    def __init__(self, model: Any):
        self.model = model
        self.device = next(model.parameters()).device

    def prefill(self, ids: Sequence[int]) -> torch.Tensor:
        out = self.model(input_ids=_ids(ids, self.device), use_cache=True,
                         logits_to_keep=1)
        self.past = out.past_key_values
        return out.logits[0, -1]

    def advance(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        out = self.model(input_ids=_ids([token], self.device), past_key_values=self.past,
                         use_cache=True)
        self.past = out.past_key_values
        return out.logits[0, -1], 1
