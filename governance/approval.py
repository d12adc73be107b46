"""Waiting for people: approve/reject decisions for APPROVAL_REQUIRED ops (the APPROVE phase
waits, the control socket answers) and answers to the questions a model asks with ask_human."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class _Pending(Generic[T]):
    """One outstanding request per op, answered from elsewhere or timed out."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[str, asyncio.Future[T]]] = {}

    async def wait(self, op_id: str, timeout_s: float, about: str = "") -> T | None:
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting[op_id] = (about, fut)
        try:
            async with asyncio.timeout(timeout_s):
                return await fut
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(op_id, None)

    def resolve(self, op_id: str, value: T) -> bool:
        entry = self._waiting.get(op_id)
        if entry is None or entry[1].done():
            return False
        entry[1].set_result(value)
        return True

    def waiting(self) -> dict[str, str]:
        return {op_id: about for op_id, (about, _) in self._waiting.items()}


@dataclass(frozen=True)
class Decision:
    approved: bool
    reason: str


class ApprovalBroker:
    def __init__(self) -> None:
        self._pending: _Pending[Decision] = _Pending()

    async def wait(self, op_id: str, timeout_s: float) -> Decision | None:
        """The human's decision, or None when `timeout_s` passes first."""
        return await self._pending.wait(op_id, timeout_s)

    def decide(self, op_id: str, approved: bool, reason: str) -> bool:
        """Deliver a decision; False if that op is not waiting for one."""
        return self._pending.resolve(op_id, Decision(approved, reason))

    def awaiting(self) -> list[str]:
        return sorted(self._pending.waiting())


class QuestionBroker:
    """ask_human: a question waits here until `ouroboros answer OP TEXT` or a timeout."""

    def __init__(self) -> None:
        self._pending: _Pending[str] = _Pending()

    async def ask(self, op_id: str, question: str, timeout_s: float) -> str | None:
        return await self._pending.wait(op_id, timeout_s, question)

    def answer(self, op_id: str, text: str) -> bool:
        return self._pending.resolve(op_id, text)

    def pending(self) -> dict[str, str]:
        return self._pending.waiting()
