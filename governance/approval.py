"""Human decisions for APPROVAL_REQUIRED ops: the APPROVE phase waits here, the control
socket answers here."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    approved: bool
    reason: str


class ApprovalBroker:
    def __init__(self) -> None:
        self._pending: dict[str, asyncio.Future[Decision]] = {}

    async def wait(self, op_id: str, timeout_s: float) -> Decision | None:
        """The human's decision, or None when `timeout_s` passes first."""
        fut: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._pending[op_id] = fut
        try:
            async with asyncio.timeout(timeout_s):
                return await fut
        except TimeoutError:
            return None
        finally:
            self._pending.pop(op_id, None)

    def decide(self, op_id: str, approved: bool, reason: str) -> bool:
        """Deliver a decision; False if that op is not waiting for one."""
        fut = self._pending.get(op_id)
        if fut is None or fut.done():
            return False
        fut.set_result(Decision(approved, reason))
        return True

    def awaiting(self) -> list[str]:
        return sorted(self._pending)
