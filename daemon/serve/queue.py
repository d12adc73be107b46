"""ModelQueue: the one model serves one generation at a time, first come first served.

Generations run on a single worker thread, so they are strictly serialized and start in
the order they were submitted. Admission is bounded: one running plus `max_waiting` queued;
past that `admit` raises QueueFull at once (each API answers 503/529 with Retry-After)
instead of letting a burst of clients wait without end. A place is held from admission
until the generation's thread returns (not merely until its client leaves), so the
count never under-reports what the model still owes. A job withdrawn while it waits is
removed from the queue without running; one withdrawn while it runs stops at its next
token through its cancel event.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class QueueFull(Exception):
    pass


class ModelQueue:
    def __init__(self, max_waiting: int):
        if max_waiting < 0:
            raise ValueError(f"max_waiting must be 0 or more, not {max_waiting}")
        self.capacity = max_waiting + 1
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="serve-model")
        self._lock = threading.Lock()
        self._tickets: set[Ticket] = set()

    @property
    def depth(self) -> int:
        """Admitted generations not yet finished (the running one included)."""
        with self._lock:
            return len(self._tickets)

    def admit(self, cancel: threading.Event) -> Ticket:
        """A place in the queue for one generation, or QueueFull."""
        with self._lock:
            if len(self._tickets) >= self.capacity:
                raise QueueFull(f"{len(self._tickets) - 1} requests are already waiting for "
                                "the model")
            ticket = Ticket(self, cancel)
            self._tickets.add(ticket)
            return ticket

    def _release(self, ticket: Ticket) -> None:
        with self._lock:
            self._tickets.discard(ticket)

    def close(self) -> None:
        """Stop: every admitted generation is cancelled; queued ones never start."""
        with self._lock:
            tickets = list(self._tickets)
        for ticket in tickets:
            ticket.withdraw()
        self._pool.shutdown(wait=False, cancel_futures=True)


class Ticket:
    """One admitted generation: submit its work once, or withdraw it."""

    def __init__(self, queue: ModelQueue, cancel: threading.Event):
        self._queue, self.cancel = queue, cancel
        self._future: Future | None = None

    def submit(self, work: Callable[[], T]) -> asyncio.Future[T]:
        """Run `work` in its turn; the awaitable resolves with its result."""
        if self._future is not None:
            raise RuntimeError("a ticket runs one generation")
        try:
            self._future = self._queue._pool.submit(work)
        except RuntimeError:  # the pool is shut down: the server is stopping
            self._queue._release(self)
            raise QueueFull("the server is shutting down") from None
        self._future.add_done_callback(lambda _: self._queue._release(self))
        return asyncio.wrap_future(self._future)

    def withdraw(self) -> None:
        """The client is gone: cancel the generation (or its place in line). Idempotent."""
        self.cancel.set()
        if self._future is None:
            self._queue._release(self)
        else:
            self._future.cancel()  # succeeds only while it waits; a running one sees `cancel`
