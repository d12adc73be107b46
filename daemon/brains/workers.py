"""Which ops in flight hold one of the daemon's workers (`[daemon] workers`): every op but
those waiting for a brain (governance.phases.brain_wait, counted by the failback chain's
`waiters`). An op waiting out an outage holds no worker, so work a brain that answers
can do is not held behind it (issue 44); the model's turns stay one at a time
(governance.brains.model_gate) however many ops run."""

from __future__ import annotations

from collections.abc import Collection, Mapping


def busy(ops: Mapping[str, object], provider: object) -> int:
    """How many workers the ops `ops` hold."""
    waiting: Collection[str] = getattr(provider, "waiters", None) or ()
    return sum(op_id not in waiting for op_id in ops)
