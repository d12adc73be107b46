"""A slow host is not the work's failure (issue 51, item 5).

At load 6-7 on two cores a correct fix ended "validation failed 1 time(s), no retry left:
tests timed out after 90s"; on a quiet box it lands proven. So a VALIDATE or VERIFY whose
test run timed out while the host gate reported load (governance.host_load.HostLoad: the
gate held heavy work at some moment of that run) is run again once the host is quiet: the
op's VALIDATE retries are not spent, and VERIFY neither sends the change to L2 nor rolls
it back for the host's slowness. Bounded: at most `retry.tries` runs again per op, and at
most `retry.within_s` of waiting in all; past either, or on a quiet host, the timeout is
the work's failure as before. The wait is off the op's clock (as the host gate's own waits
are: governance.phases.deps.PhaseDeps.yield_to_host) and the ledger says what the op waits
for, each time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from governance.oracle.oracle import FailureKind
from governance.oracle.oracle_run import Checked
from governance.schemas import OperationContext

if TYPE_CHECKING:
    from governance.phases.deps import PhaseDeps


def timed_out_for(checked: Checked | None) -> float | None:
    """Seconds the run that timed out took, when `checked` is a refusal by a timeout."""
    if checked is None or checked.verdict.passed \
            or checked.verdict.kind != FailureKind.TIMED_OUT:
        return None
    return max((o.duration_s for o in checked.outcomes if o.timed_out), default=0.0)


async def run_again(ctx: OperationContext, d: PhaseDeps, checked: Checked | None,
                    phase: str = "VALIDATE") -> bool:
    """Whether `phase` (VALIDATE, VERIFY) runs the same tests again: its run timed out on a
    loaded host, a try is left (the bounds are the op's, over both phases) and the host
    became quiet in time (waited for here)."""
    took = timed_out_for(checked)
    if d.host is None or took is None:
        return False
    reasons = d.host.loaded_since(time.monotonic() - took)
    if not reasons:
        return False  # a quiet host: the timeout is the work's
    bounds, clock = d.host.retry, d.clock
    left_s = bounds.within_s - clock.slow_host_waited_s
    if clock.slow_host_runs >= bounds.tries or left_s <= 0:
        await _say(ctx, d, f"tests timed out after {took:.0f}s while the host was loaded "
                   f"({'; '.join(reasons)}); no run again left ({clock.slow_host_runs} of "
                   f"{bounds.tries}, {clock.slow_host_waited_s:.0f}s of "
                   f"{bounds.within_s:.0f}s waited): the timeout counts", phase,
                   reasons=reasons)
        return False
    until = datetime.now(UTC) + timedelta(seconds=left_s)
    await _say(ctx, d, f"tests timed out after {took:.0f}s while the host was loaded "
               f"({'; '.join(reasons)}): waits for a quiet host, then {phase} runs again "
               f"(run again {clock.slow_host_runs + 1} of {bounds.tries}, waiting until "
               f"{until:%H:%M:%S} UTC at most); no retry spent", phase,
               waits_for="a quiet host", reasons=reasons, until=until.isoformat(),
               run_again=clock.slow_host_runs + 1, of=bounds.tries)
    waited, quiet = await _wait_quiet(
        ctx, d, left_s, f"a quiet host, to run {phase} again: {'; '.join(reasons)}")
    clock.slow_host_waited_s += waited
    if not quiet:
        await _say(ctx, d, f"the host stayed loaded for {waited:.0f}s: the timeout counts",
                   phase, waited_s=round(waited, 1))
        return False
    clock.slow_host_runs += 1
    await _say(ctx, d, f"the host is quiet after {waited:.0f}s: {phase} runs again", phase,
               waited_s=round(waited, 1))
    return True


async def _wait_quiet(ctx: OperationContext, d: PhaseDeps, limit_s: float,
                      why: str) -> tuple[float, bool]:
    """Wait, off the op's clock, until the host is quiet or `limit_s` passed: (seconds
    waited, whether it became quiet)."""
    assert d.host is not None
    clock, started = d.clock, time.monotonic()
    clock.waiting_since, quiet = started, True
    try:
        async with asyncio.timeout(limit_s):
            await d.host.quiet(ctx.op_id, why)
    except TimeoutError:
        quiet = False
    finally:
        clock.paused_s += time.monotonic() - started
        clock.waiting_since = None
    return time.monotonic() - started, quiet


async def _say(ctx: OperationContext, d: PhaseDeps, msg: str, phase: str,
              **data: object) -> None:
    await d.ledger.record_thought(ctx.op_id, phase, msg, dict(data))
