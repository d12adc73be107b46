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

Bounded where the server answers (issue 49): a brain whose server is up (its probe passes,
it answers other calls) but answers this step's prompt with a 5xx every time would keep the
op waiting forever, its targets locked. When every brain the step asked failed with a
server's 5xx, the op asks again after at most MAX_ASKS_AFTER_5XX such waits in this phase
and MAX_WAIT_AFTER_5XX_S of waiting for them (counted from the op's own ledger rows, so a
restart does not reset them); past either, BrainFailsTheWork (a ProviderError: the work's
failure, as any other failed call) ends the step. A brain nothing reaches (connection
refused, no answer) is an outage however long it lasts: no bound.
"""

from __future__ import annotations

import time
from datetime import datetime

from governance.brains.failback import FailureMode
from governance.brains.outage import BrainFailsTheWork, BrainsUnreachable
from governance.phase import Phase
from governance.phases.deps import PhaseDeps
from governance.schemas import OperationContext

MAX_ASKS_AFTER_5XX = 3  # waits of one phase after which a server's 5xx is the work's
MAX_WAIT_AFTER_5XX_S = 1800.0  # seconds of such waiting in one phase, at most


async def wait_for_brain(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                         exc: BrainsUnreachable) -> float:
    """Wait, off the op's clock, until a brain of the step may be asked; the seconds.
    Raises BrainFailsTheWork past the bounds on a server that answers with 5xx."""
    if exc.down and all(b.mode == FailureMode.SERVER_ERROR.value for b in exc.down):
        await _bounded(ctx, d, phase, exc)
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


async def _bounded(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                   exc: BrainsUnreachable) -> None:
    """Past the bounds (the module docstring), the step's failure: said, then raised."""
    asked, waited = await _waits_after_5xx(ctx, d, phase)
    if asked < MAX_ASKS_AFTER_5XX and waited < MAX_WAIT_AFTER_5XX_S:
        return
    why = (f"the brain answered this step with a server error {asked + 1} times, after "
           f"{waited:.0f}s of waiting for it to recover (bounds: {MAX_ASKS_AFTER_5XX} waits, "
           f"{MAX_WAIT_AFTER_5XX_S:.0f}s): it fails this work, not an outage; {exc}")[:600]
    await d.thought(ctx, phase, why, waiting_for_brain=False, gave_up=True)
    raise BrainFailsTheWork(why, mode=FailureMode.SERVER_ERROR.value)


async def _waits_after_5xx(ctx: OperationContext, d: PhaseDeps,
                           phase: Phase) -> tuple[int, float]:
    """(waits begun in `phase` whose brains had all answered with a 5xx, seconds waited
    in that phase), from the op's thought rows."""
    rows = [t for t in (await d.ledger.chain(ctx.op_id))["thoughts"]
            if t.get("phase") == phase.value and isinstance(t.get("data"), dict)]
    begun = [t["data"] for t in rows if t["data"].get("waiting_for_brain") is True]
    asked = sum(1 for data in begun if data.get("brains") and all(
        isinstance(b, dict) and b.get("mode") == FailureMode.SERVER_ERROR.value
        for b in data["brains"]))
    waited = sum(float(t["data"].get("waited_s") or 0.0) for t in rows
                 if t["data"].get("waiting_for_brain") is False)
    return asked, waited
