"""SharedOrExclusive: the readers-writer lock that keeps one op's host-side file tools and
its jailed commands apart (tools.loop): a jailed command never runs while a file tool
looks at the sandbox, so nothing can rearrange it under the tool."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable


class SharedOrExclusive:
    """A readers-writer lock for one op: host-side tools share, jailed commands run alone.

    Release is synchronous (no await), so a cancelled tool can never leave it held."""

    def __init__(self) -> None:
        self.shared_holders = 0
        self.exclusive_held = False
        self._waiters: list[asyncio.Future[None]] = []

    async def _wait_until(self, ready: Callable[[], bool]) -> None:
        while not ready():
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            await fut

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    @contextlib.asynccontextmanager
    async def hold(self, exclusive: bool) -> AsyncIterator[None]:
        if exclusive:
            await self._wait_until(lambda: not self.exclusive_held and not self.shared_holders)
            self.exclusive_held = True
        else:
            await self._wait_until(lambda: not self.exclusive_held)
            self.shared_holders += 1
        try:
            yield
        finally:
            if exclusive:
                self.exclusive_held = False
            else:
                self.shared_holders -= 1
            self._wake()
