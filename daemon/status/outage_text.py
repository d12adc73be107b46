"""The brains that are down, as `status` and `doctor` say it (issue 44, item 4): which brain,
since when (local time), how it fails, what to start, and how many ops wait for it
(governance.brains.provider_chain.ProviderChain.down)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any


def clock_time(epoch: float | None) -> str:
    """Local time of day, '?' for none."""
    return time.strftime("%H:%M:%S", time.localtime(epoch)) if epoch else "?"


def brain_wait_since(provider: object, op_id: str) -> float | None:
    """When op `op_id` began waiting for a brain (the failback chain's `waiters`), or None."""
    waiters = getattr(provider, "waiters", None)
    entry = waiters.get(op_id) if isinstance(waiters, Mapping) else None
    return entry[0] if entry else None


def down_line(b: Mapping[str, Any], queued: int = 0) -> str:
    """`brain llamacpp down since 22:41:03 (CONNECTION): nothing answers at
    http://127.0.0.1:8011/v1: start your server; 1 op(s) wait for it`, and `, 2 queued`
    when `queued` pieces of work wait in the queue for the brains to answer."""
    when = clock_time(b.get("since"))
    mode = f" ({b['mode']})" if b.get("mode") else ""
    return (f"brain {b.get('name')} down since {when}{mode}: {b.get('fix')}; "
            f"{b.get('waiting', 0)} op(s) wait for it" + (f", {queued} queued" if queued else ""))


def down_lines(down: Iterable[Any], queued: int = 0) -> list[str]:
    """One line per brain down; each item a mapping or a model with the same fields."""
    return [down_line(b if isinstance(b, Mapping) else b.model_dump(), queued) for b in down]
