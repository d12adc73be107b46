"""`subscribe` on the control socket: the connection becomes a stream of events.

After {"cmd": "subscribe"} the daemon answers one line, {"ok": true, "data": {...}}, then
writes one JSON object per line (daemon.live.events) until the client closes the connection or
is evicted. While subscribed:
- there is no idle timeout: the client is waiting for events, not failing to send a
  request; a dead client is noticed by end of input or a failed write (heartbeats every
  HEARTBEAT_S make one happen);
- the connection counts as idle for the socket's cap, so watchers can never keep `status`
  out: at the cap the longest-watching one is told why and closed;
- what the client sends is read and dropped (a stream takes no requests; use another
  connection for verbs);
- a client that stops reading holds no one up: its writes wait, its buffer drops the
  oldest events, and it is told how many when it reads again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from daemon.live.events import BUFFER, HEARTBEAT_S, BusFull, EventBus


class _Conn(Protocol):
    writer: asyncio.StreamWriter
    idle_since: float | None
    evicted: bool


Send = Callable[[asyncio.StreamWriter, dict[str, Any]], Awaitable[None]]


async def stream_events(bus: EventBus, conn: _Conn, reader: asyncio.StreamReader,
                        send: Send, heartbeat_s: float = HEARTBEAT_S) -> None:
    """Acknowledge, then stream until the client leaves or is evicted."""
    try:
        sub = bus.subscribe()
    except BusFull as exc:
        await send(conn.writer, {"ok": False, "error": str(exc)})
        return
    conn.idle_since = time.monotonic()  # evictable at the cap from now on
    eof = asyncio.create_task(_until_eof(reader))
    eof.add_done_callback(lambda _: sub.close())
    try:
        await send(conn.writer, {"ok": True, "data": {
            "subscribed": True, "buffer": BUFFER, "heartbeat_s": heartbeat_s}})
        async for frame in sub.frames(heartbeat_s):
            if conn.evicted:
                return
            conn.writer.write(frame.line + b"\n")
            await conn.writer.drain()  # no timeout: a paused watcher only drops events
    finally:
        sub.close()
        eof.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await eof


async def _until_eof(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(Exception):
        while await reader.read(65536):
            pass
