"""Waiting for people: answers to the questions a model asks with ask_human. (No op waits
for an approval: what needs a human waits on a review branch, governance.git.review.)"""

from __future__ import annotations

import asyncio
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
