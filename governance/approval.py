"""Human decisions for APPROVAL_REQUIRED ops (the APPROVE phase waits, the control socket
answers) and the questions a model asks with ask_human."""

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


class QuestionBroker:
    """ask_human: a question waits here until `ouroboros answer OP TEXT` or a timeout."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[str, asyncio.Future[str]]] = {}

    async def ask(self, op_id: str, question: str, timeout_s: float) -> str | None:
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pending[op_id] = (question, fut)
        try:
            async with asyncio.timeout(timeout_s):
                return await fut
        except TimeoutError:
            return None
        finally:
            self._pending.pop(op_id, None)

    def answer(self, op_id: str, text: str) -> bool:
        entry = self._pending.get(op_id)
        if entry is None or entry[1].done():
            return False
        entry[1].set_result(text)
        return True

    def pending(self) -> dict[str, str]:
        return {op_id: q for op_id, (q, _) in self._pending.items()}
