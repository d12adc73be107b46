"""[serve]: what one client of `ouroboros serve` may ask of the model (daemon.config.settings
assembles the sections; docs/serve.md explains them)."""

from __future__ import annotations

from pydantic import Field

from daemon.config.base import Section


class ServeSection(Section):
    """Per-request bounds of `ouroboros serve` (daemon.serve.model)."""

    # A request's generated tokens, at most: its own max_tokens / num_predict is clamped to
    # this and to the context left after its prompt (never refused: the reply says "length").
    max_tokens: int = Field(default=4096, ge=1, le=1 << 20)
    # The model's time one generation keeps while another request waits; past it the
    # generation is stopped at its next token, reports "preempted" (finish "length"), and
    # the next in line runs. Alone, a generation runs to its budget.
    max_share_s: float = Field(default=60.0, gt=0, le=86400)
