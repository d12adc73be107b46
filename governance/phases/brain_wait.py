"""An op whose brains cannot be reached waits for one, then asks again (issue 44).

A model step that gets BrainsUnreachable (governance.brains.outage: every brain it could ask
is down for the infrastructure's reasons) does not end the op: the op waits, holding no
model turn, until the failback chain says one of those brains may be asked again (a probe
passed, or its backoff ran out), and the step is asked again as if for the first time. The
wait spends no retry budget (governance.retry) and is off the op's clock, as a wait for
the host is (governance.phases.deps.OpClock): an outage of hours reaps nothing. The ledger
says when it began ("waiting for a brain since ...", with what to start) and when it ended;
`status` counts the op among those waiting for the brain (ProviderChain.down).

A human's `cancel`, or the daemon's shutdown, ends the wait like any other phase's work.
"""

from __future__ import annotations

import time
from datetime import datetime

from governance.brains.outage import BrainsUnreachable
from governance.phase import Phase
from governance.phases.deps import PhaseDeps
from governance.schemas import OperationContext


async def wait_for_brain(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                         exc: BrainsUnreachable) -> float:
    """Wait, off the op's clock, until a brain of the step may be asked; the seconds."""
    since = datetime.now().astimezone().isoformat(timespec="seconds")
    await d.thought(ctx, phase, f"waiting for a brain since {since}: {exc.fix}",
                    waiting_for_brain=True, since=since,
                    brains=[{"name": b.name, "mode": b.mode, "url": b.url} for b in exc.down])
    d.clock.waiting_since = time.monotonic()
    try:
        waited = await exc.wait(ctx.op_id)
    finally:
        d.clock.paused_s += time.monotonic() - d.clock.waiting_since
        d.clock.waiting_since = None
    await d.thought(ctx, phase, f"a brain may be asked again after {waited:.0f}s of waiting: "
                    "asking again", waiting_for_brain=False, waited_s=round(waited, 1))
    return waited
