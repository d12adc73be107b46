"""The control socket: JSON lines over a Unix socket in the state dir (mode 0600, peer uid
checked). Every request line gets exactly one response line; garbage gets an error response
and never reaches the daemon's state.

What a client cannot do, whatever it sends:
- crash the connection handler: parsing is total (daemon.control.request: nesting depth
  is measured without recursion before `json.loads`, numbers are length-checked before
  conversion, NaN and duplicate keys are refused) and a failing verb becomes an error line,
  never a traceback;
- starve other clients: at most `control_max_connections` are served; at the cap the
  longest-idle connection is told why and closed, so a new `status` always gets in (only when
  every slot is busy answering is the newcomer refused, with an error line);
- hold a slot forever: a request line must complete within `control_idle_timeout_s` (a
  slow-loris writer is closed), and answering plus writing the reply is bounded by
  `control_request_timeout_s`;
- have a truncated request executed: a line must end with a newline to run.

`subscribe` turns the connection into an event stream (daemon.live.socket_stream): no idle
timeout while it waits for events, and it counts as idle for the cap's eviction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from daemon import reviews
from daemon.control.request import Request, error_reply, parse_request
from daemon.control.stop import StopHost, stop_reply
from daemon.control.verbs import BY_NAME
from daemon.instance import refuse_if_served
from daemon.live.socket_stream import stream_events
from daemon.op_handle import find_op
from daemon.status.model import wire
from daemon.status.text import status_text
from sensors.hub import UnknownSensor

if TYPE_CHECKING:
    from collections.abc import Mapping

    from daemon.config.settings import DaemonSection
    from daemon.live.events import EventBus
    from daemon.op_handle import OpHandle
    from daemon.status.model import Status
    from governance.brains.approval import QuestionBroker

log = structlog.get_logger("daemon.control.server")
MAX_LINE = 64 * 1024  # bytes per request line, newline included
MAX_UNIX_PATH = 107
CLOSE_WAIT_S = 1.0  # how long a closing connection may take to flush its last line
MAX_DISCARD = 1024 * 1024  # input read and dropped while closing, at most


class ControlHost(reviews.ReviewHost, StopHost, Protocol):
    """What the socket uses of the daemon (daemon.service.Daemon honours it): the verbs'
    methods, the pause flag, the open questions and the bus that `subscribe` streams, with
    what the review verbs use (daemon.reviews.ReviewHost; its `settings` also sizes the
    socket) and `stop` (daemon.control.stop.StopHost)."""

    paused: bool
    questions: QuestionBroker  # `answer`
    events: EventBus  # `subscribe`
    ops: Mapping[str, OpHandle]  # `cancel`, `answer`: the ops in flight

    async def status(self) -> Status: ...

    async def scan(self, only: str | None = None) -> dict[str, int]: ...

    async def signal(self, goal: str, files: list[str], urgency: str) -> dict[str, Any]: ...

    def set_paused(self, paused: bool) -> None: ...



async def execute(daemon: ControlHost, req: Request) -> dict[str, Any]:
    """The one reply to `req`; a verb that streams is refused here (ControlServer._serve
    streams it)."""
    if req.cmd == "status":
        # the text beside the data: the CLI prints it without loading pydantic to read it
        status = await daemon.status()
        return {"ok": True, "data": wire(status), "text": status_text(status)}
    if req.cmd == "scan":
        try:
            return {"ok": True, "data": await daemon.scan(req.reason or None)}
        except UnknownSensor as exc:
            return error_reply(str(exc))
    if req.cmd == "signal":
        assert req.goal is not None and req.files is not None
        try:
            return {"ok": True, "data": await daemon.signal(req.goal, req.files,
                                                             req.urgency or "normal")}
        except ValueError as exc:  # a path that is not a repository file, ...
            return error_reply(str(exc))
    if BY_NAME[req.cmd].stream:  # the connection streams it (ControlServer._serve)
        return error_reply(f"'{req.cmd}' streams events; send it on its own connection")
    if req.cmd == "stop":
        return stop_reply(daemon)
    if req.cmd in ("pause", "resume"):
        daemon.set_paused(req.cmd == "pause")
        return {"ok": True, "data": {"paused": daemon.paused}}
    if req.cmd in reviews.VERBS:  # changes on review branches, not ops in flight
        return await reviews.execute(daemon, req.cmd, req.op, req.reason,
                                     tests=req.tests is True)
    assert req.op is not None
    try:
        handle = find_op(daemon.ops, req.op)
    except LookupError as exc:
        return error_reply(str(exc))
    op_id = handle.ctx.op_id
    if req.cmd == "cancel":
        handle.cancel.cancel(f"cancelled by operator{': ' + req.reason if req.reason else ''}")
        return {"ok": True, "data": {"op_id": op_id, "phase": handle.phase.value}}
    assert req.cmd == "answer", req.cmd
    if not daemon.questions.answer(op_id, req.reason):
        return error_reply(f"{op_id} has no open question")
    return {"ok": True, "data": {"op_id": op_id, "answered": True}}


def peer_uid(writer: asyncio.StreamWriter) -> int | None:
    sock = writer.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


@dataclass(frozen=True)
class ControlLimits:
    """The socket's bounds; defaults live in daemon.config.settings.DaemonSection."""

    max_connections: int
    idle_timeout_s: float
    request_timeout_s: float

    @classmethod
    def from_section(cls, section: DaemonSection) -> ControlLimits:
        return cls(section.control_max_connections, section.control_idle_timeout_s,
                   section.control_request_timeout_s)


@dataclass(eq=False)
class _Conn:
    writer: asyncio.StreamWriter
    idle_since: float | None  # waiting for a line since (monotonic); None while answering
    evicted: bool = False


class ControlServer:
    def __init__(self, daemon: ControlHost, path: Path, limits: ControlLimits | None = None):
        self.daemon = daemon
        self.path = path
        self.limits = limits or ControlLimits.from_section(daemon.settings.daemon)
        self._server: asyncio.Server | None = None
        self._conns: set[_Conn] = set()
        self.evictions = 0  # idle connections closed at the cap (for tests and status)

    @property
    def connections(self) -> int:
        return len(self._conns)

    async def start(self) -> None:
        if len(os.fsencode(self.path)) > MAX_UNIX_PATH:
            raise OSError(f"control socket path is too long for a Unix socket: {self.path}")
        if self.path.exists() or self.path.is_symlink():
            refuse_if_served(self.path)
            self.path.unlink()
        old = os.umask(0o177)  # the socket is born 0600: no window where others can connect
        try:
            self._server = await asyncio.start_unix_server(self._client, path=str(self.path),
                                                           limit=MAX_LINE)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)

    async def stop(self) -> None:
        if self._server is None:
            return  # never bound: the socket at self.path (if any) belongs to someone else
        self._server.close()
        for conn in list(self._conns):  # 3.11's Server.close leaves live connections open
            conn.evicted = True
            conn.writer.transport.abort()
        with contextlib.suppress(Exception):
            await self._server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Conn(writer, time.monotonic())
        try:
            uid = peer_uid(writer)
            if uid is not None and uid != os.getuid():
                await self._send(writer, error_reply(f"uid {uid} may not control this daemon"))
            elif not self._admit(conn):
                await self._send(writer, error_reply(
                    f"too many control connections ({self.limits.max_connections}), all "
                    "busy answering; try again"))
            else:
                await self._serve(conn, reader)
        except Exception as exc:  # a vanished or stuck client; never a traceback for garbage
            log.debug("control connection ended", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._conns.discard(conn)
            await self._close(writer, None if conn.evicted else reader)

    def _admit(self, conn: _Conn) -> bool:
        """Make room at the cap by closing the longest-idle connection; False if none is."""
        if len(self._conns) >= self.limits.max_connections:
            idle = [c for c in self._conns if c.idle_since is not None]
            if not idle:
                return False
            oldest = min(idle, key=lambda c: c.idle_since or 0.0)
            self._conns.discard(oldest)
            self.evictions += 1
            oldest.evicted = True
            transport = oldest.writer.transport
            with contextlib.suppress(Exception):
                transport.write(self._line(error_reply(
                    f"closed: {self.limits.max_connections} control connections are open and "
                    "this one was idle longest")))
            # close() flushes the line and its reader sees end of input; a peer that left
            # replies unread would hold the fd until it reads, so it is cut off instead.
            if transport.get_write_buffer_size():
                transport.abort()
            else:
                transport.close()
            log.debug("control connection evicted at the cap", cap=self.limits.max_connections)
        self._conns.add(conn)
        return True

    async def _serve(self, conn: _Conn, reader: asyncio.StreamReader) -> None:
        """One reply per line until end of input, an error that ends the connection, or
        eviction."""
        while not conn.evicted:
            conn.idle_since = time.monotonic()
            got = await self._next_line(reader)
            conn.idle_since = None
            if got is None or conn.evicted:
                return
            if isinstance(got, dict):  # the stream is in an unknown state: answer and close
                await self._send(conn.writer, got)
                return
            req = parse_request(got)
            if isinstance(req, Request) and BY_NAME[req.cmd].stream:
                await stream_events(self.daemon.events, conn, reader, self._send)
                return
            await self._send(conn.writer, await self._answer(req))

    async def _next_line(self, reader: asyncio.StreamReader) -> bytes | dict[str, Any] | None:
        """A complete request line; an error that ends the connection; None at end of input."""
        try:
            async with asyncio.timeout(self.limits.idle_timeout_s):
                line = await reader.readline()
        except TimeoutError:
            return error_reply(f"no complete request line within {self.limits.idle_timeout_s:g}s; "
                          "closing")
        except (asyncio.LimitOverrunError, ValueError):
            return error_reply(f"request longer than {MAX_LINE} bytes")
        if not line:
            return None
        if len(line) > MAX_LINE:
            return error_reply(f"request longer than {MAX_LINE} bytes")
        if not line.endswith(b"\n"):
            return error_reply("request ended without a newline; it was not executed")
        return line

    async def _answer(self, req: Request | dict[str, Any]) -> dict[str, Any]:
        if isinstance(req, dict):
            return req
        try:
            async with asyncio.timeout(self.limits.request_timeout_s):
                return await execute(self.daemon, req)
        except TimeoutError:
            return error_reply(f"'{req.cmd}' did not finish within "
                          f"{self.limits.request_timeout_s:g}s")
        except Exception as exc:  # a bug in a verb must not take the daemon down
            log.exception("control request failed", cmd=req.cmd)
            return error_reply(f"internal error: {type(exc).__name__}: {exc}")

    @staticmethod
    def _line(payload: dict[str, Any]) -> bytes:
        return json.dumps(payload, default=str).encode() + b"\n"

    async def _send(self, writer: asyncio.StreamWriter, payload: dict[str, Any]) -> None:
        """Write one reply; a client that does not read it in time is dropped."""
        writer.write(self._line(payload))
        async with asyncio.timeout(self.limits.request_timeout_s):
            await writer.drain()

    @staticmethod
    async def _close(writer: asyncio.StreamWriter,
                     reader: asyncio.StreamReader | None) -> None:
        """Half-close, discard what the peer is still sending, then close, all bounded: a
        Unix socket closed with unread input resets the peer, which would lose our last
        line (the error that says why)."""
        try:
            async with asyncio.timeout(CLOSE_WAIT_S):
                if reader is not None and writer.can_write_eof():
                    writer.write_eof()
                    discarded = 0
                    while discarded < MAX_DISCARD and (chunk := await reader.read(65536)):
                        discarded += len(chunk)
                writer.close()
                await writer.wait_closed()
        except Exception:  # a peer that never reads or never stops writing: cut it off
            writer.transport.abort()
