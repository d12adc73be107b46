"""The model gate: one op's generation at a time on the (single) model, first come first served.

An op's generation deadline starts only once it holds the gate, so a queued op is not
starved by the ops ahead of it; the time spent queueing is visible (`waiting`) and bounded
separately (Policy.model_wait_timeout_s). The daemon owns one gate and hands it to every
op through PhaseDeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from governance.errors import GovernanceError


class ModelWaitExpired(GovernanceError):
    """The op waited longer than the model-wait bound for its turn at the model."""


class ModelGate:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()  # FIFO: waiters are woken in arrival order
        self.waiting: dict[str, float] = {}  # op_id -> monotonic time it started waiting
        self.holder: str | None = None

    def waited_s(self, op_id: str, now: float | None = None) -> float | None:
        """Seconds `op_id` has been queueing for the model, or None when it is not."""
        since = self.waiting.get(op_id)
        return None if since is None else (now or time.monotonic()) - since

    @contextlib.asynccontextmanager
    async def turn(self, op_id: str, timeout_s: float | None) -> AsyncIterator[float]:
        """Hold the model for one generation attempt; yields the seconds spent waiting.
        Raises ModelWaitExpired when the turn does not come within `timeout_s`."""
        since = time.monotonic()
        self.waiting[op_id] = since
        try:
            async with asyncio.timeout(timeout_s):
                await self._lock.acquire()
        except TimeoutError:
            raise ModelWaitExpired(f"waited {time.monotonic() - since:.1f}s for the model "
                                   f"(model_wait_timeout_s = {timeout_s:g})",
                                   op_id=op_id) from None
        finally:
            self.waiting.pop(op_id, None)
        self.holder = op_id
        try:
            yield time.monotonic() - since
        finally:
            self.holder = None
            self._lock.release()
