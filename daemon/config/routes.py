"""[routes]: which brains each route asks, and how long a model step may take there.

A model step's deadline is sized to the brain that will answer it (governance.routes.deadlines):
its measured speed times the prompt it is about to get, at least the route's `timeout_s`
(the seed's numbers, 004 §42.5, enough for a hosted API) and at most its `budget_s` (what a
slow local brain may be given). The budgets are ours: on a 2-core AVX2 machine the embedded
model prefills ~80 tokens/s and decodes ~30, so one tool loop (a ~4k-token prompt, five
rounds of up to 1,024 reply tokens) needs about four minutes; the seed's 180 s cut such an
op off before it wrote anything.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from daemon.config.base import Section


class RouteEntry(Section):
    timeout_s: float = Field(gt=0)
    budget_s: float = Field(gt=0)
    # Brain names in the order asked ("kernel", "replay", or an HTTP brain's name: its
    # `name`, else "<kind>:<model>"). Empty: the route's default (daemon.brains.providers).
    brains: list[str] = Field(default_factory=list, max_length=16)

    @model_validator(mode="after")
    def _budget_holds_the_timeout(self) -> RouteEntry:
        if self.budget_s < self.timeout_s:
            raise ValueError(f"budget_s ({self.budget_s:g}) must be at least timeout_s "
                             f"({self.timeout_s:g})")
        if len(set(self.brains)) != len(self.brains):
            raise ValueError(f"brains names a brain twice: {self.brains}")
        return self


class RoutesSection(Section):
    immediate: RouteEntry = Field(default_factory=lambda: RouteEntry(timeout_s=60,
                                                                     budget_s=300))
    standard: RouteEntry = Field(default_factory=lambda: RouteEntry(timeout_s=120,
                                                                    budget_s=600))
    complex: RouteEntry = Field(default_factory=lambda: RouteEntry(timeout_s=180,
                                                                   budget_s=900))
    background: RouteEntry = Field(default_factory=lambda: RouteEntry(timeout_s=180,
                                                                      budget_s=900))
    # The seed's SPECULATIVE is "N/A (batch)"; nothing here batches: BACKGROUND's numbers.
    speculative: RouteEntry = Field(default_factory=lambda: RouteEntry(timeout_s=180,
                                                                       budget_s=900))
    # The seed's deadline split (004 §42.6): the first brain keeps at least this share of
    # what is left; the next keeps at least the reserve (or its own estimated need).
    primary_share: float = Field(default=0.65, gt=0, le=1)
    fallback_reserve_s: float = Field(default=20.0, ge=0)
    # A brain's estimated need times this is what it is given (estimates are averages).
    deadline_margin: float = Field(default=1.25, ge=1, le=10)
    # The speed assumed for a brain never measured (an HTTP brain before its first call):
    # tokens per second of prompt and of reply.
    assumed_prompt_tps: float = Field(default=1000.0, gt=0)
    assumed_decode_tps: float = Field(default=40.0, gt=0)
    # At start, an in-process brain with no speed in the ledger yet is measured with one
    # short call (a 256-token prompt, 16 reply tokens: ~4 s on a 2-core AVX2 machine).
    measure_at_start: bool = True
