"""The control socket: JSON lines over a Unix socket in the state dir (mode 0600, peer uid
checked). Every request line gets exactly one response line; garbage gets an error response
and never reaches the daemon's state.

What a client cannot do, whatever it sends:
- crash the connection handler: parsing is total (nesting depth is measured without
  recursion before `json.loads`, numbers are length-checked before conversion, NaN and
  duplicate keys are refused) and a failing verb becomes an error line, never a traceback;
- starve other clients: at most `control_max_connections` are served; at the cap the
  longest-idle connection is told why and closed, so a new `status` always gets in (only when
  every slot is busy answering is the newcomer refused, with an error line);
- hold a slot forever: a request line must complete within `control_idle_timeout_s` (a
  slow-loris writer is closed), and answering plus writing the reply is bounded by
  `control_request_timeout_s`;
- have a truncated request executed: a line must end with a newline to run.

`subscribe` turns the connection into an event stream (daemon.live_socket): no idle
timeout while it waits for events, and it counts as idle for the cap's eviction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import struct
import time
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import structlog
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from daemon import reviews
from daemon.instance import refuse_if_served
from daemon.live_socket import stream_events
from daemon.verbs import BY_NAME, FIELDS, URGENCIES
from sensors.hub import UnknownSensor

if TYPE_CHECKING:
    from daemon.config import DaemonSection
    from daemon.service import Daemon

log = structlog.get_logger("daemon.control")
MAX_LINE = 64 * 1024  # bytes per request line, newline included
MAX_UNIX_PATH = 107
MAX_DEPTH = 4  # a request is a flat object; anything nested deeper is garbage
MAX_NUMBER_CHARS = 32  # no field is a number; long ones are refused before int()/float()
CLOSE_WAIT_S = 1.0  # how long a closing connection may take to flush its last line
MAX_DISCARD = 1024 * 1024  # input read and dropped while closing, at most

OP_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"  # op ids and their prefixes: no paths, no tricks


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    cmd: str = Field(max_length=32)
    op: str | None = Field(default=None, pattern=OP_PATTERN)
    reason: str = Field(default="", max_length=2000)
    # Fields of one verb only (daemon.verbs FIELDS; `signal`): refused on any other verb.
    goal: str | None = Field(default=None, min_length=1, max_length=2000)
    files: list[Annotated[str, Field(min_length=1, max_length=1024)]] | None = Field(
        default=None, min_length=1, max_length=16)
    urgency: Literal[URGENCIES] | None = None  # type: ignore[valid-type]

    @field_validator("cmd")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in BY_NAME:
            raise ValueError(f"unknown verb; one of {', '.join(BY_NAME)}")
        return value

    @field_validator("reason", "goal")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        """The reason reaches logs, the ledger and terminals: no control characters."""
        bad = next((ch for ch in value if ch not in "\t\n" and
                    (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0)), None)
        if bad is not None:
            raise ValueError(f"contains control character U+{ord(bad):04X}")
        return value

    @model_validator(mode="after")
    def _verb_fields(self) -> Request:
        """Each verb's own fields (daemon.verbs): required ones present, no one else's."""
        spec = BY_NAME[self.cmd]
        stray = sorted(f for f in FIELDS if f in self.model_fields_set and f not in spec.fields)
        if stray:
            raise ValueError(f"'{self.cmd}' takes no {', '.join(stray)}")
        missing = [f for f in spec.fields if FIELDS[f].required and getattr(self, f) is None]
        if missing:
            raise ValueError(f"'{self.cmd}' needs {', '.join(missing)}")
        return self


def _error(message: str) -> dict[str, Any]:
    return {"ok": False, "error": message}


_ESCAPE = re.compile(r"\\.", re.S)
_STRING = re.compile(r'"[^"]*+"?')  # possessive: linear even on an unterminated string
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest, outside strings; linear and without recursion
    (json.loads recurses and raises RecursionError on 10^5 levels)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return text.count("[") + text.count("{")  # an upper bound is enough here
    bare = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    return max(accumulate(_STEP[ch] for ch in bare), default=0)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"duplicate key {key[:40]!r}")
        data[key] = value
    return data


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise ValueError(f"number with {len(text)} characters")
        return kind(text)
    return parse


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decode(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_number(int),
                      parse_float=_number(float), parse_constant=_no_constant)


def parse_request(line: bytes) -> Request | dict[str, Any]:
    """A valid Request, or the error response to send back. Total: never raises."""
    try:
        return _parse(line)
    except Exception as exc:  # a backstop; every known garbage class is handled in _parse
        return _error(f"malformed request ({type(exc).__name__})")


def _parse(line: bytes) -> Request | dict[str, Any]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return _error("request is not UTF-8")
    if not text.strip():
        return _error('empty request; send one JSON object like {"cmd": "status"}')
    if nesting_depth(text) > MAX_DEPTH:
        return _error(f"request nests deeper than {MAX_DEPTH} levels")
    try:
        data = _decode(text)
    except json.JSONDecodeError as exc:
        return _error(f"request is not JSON: {exc.msg}")
    except (ValueError, RecursionError) as exc:
        return _error(f"request is not acceptable JSON: {str(exc)[:120]}")
    if not isinstance(data, dict):
        return _error('request must be a JSON object like {"cmd": "status"}')
    try:
        req = Request.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])[:80] or "request"
        return _error(f"bad request: {where}: {first['msg']}")
    if BY_NAME[req.cmd].needs_op and not req.op:
        return _error(f"'{req.cmd}' needs an op id (\"op\": \"<prefix>\")")
    return req


async def execute(daemon: Daemon, req: Request) -> dict[str, Any]:
    if req.cmd == "status":
        return {"ok": True, "data": await daemon.status()}
    if req.cmd == "scan":
        try:
            return {"ok": True, "data": await daemon.scan(req.reason or None)}
        except UnknownSensor as exc:
            return _error(str(exc))
    if req.cmd == "signal":
        assert req.goal is not None and req.files is not None
        try:
            return {"ok": True, "data": await daemon.signal(req.goal, req.files,
                                                             req.urgency or "normal")}
        except ValueError as exc:  # a path that is not a repository file, ...
            return _error(str(exc))
    if BY_NAME[req.cmd].stream:  # the connection streams it (ControlServer._serve)
        return _error(f"'{req.cmd}' streams events; send it on its own connection")
    if req.cmd in ("pause", "resume"):
        daemon.set_paused(req.cmd == "pause")
        return {"ok": True, "data": {"paused": daemon.paused}}
    if req.cmd in reviews.VERBS:  # changes on review branches, not ops in flight
        return await reviews.execute(daemon, req)
    assert req.op is not None
    try:
        handle = daemon.find_op(req.op)
    except LookupError as exc:
        return _error(str(exc))
    op_id = handle.ctx.op_id
    if req.cmd == "cancel":
        handle.cancel.cancel(f"cancelled by operator{': ' + req.reason if req.reason else ''}")
        return {"ok": True, "data": {"op_id": op_id, "phase": handle.phase.value}}
    assert req.cmd == "answer", req.cmd
    if not daemon.questions.answer(op_id, req.reason):
        return _error(f"{op_id} has no open question")
    return {"ok": True, "data": {"op_id": op_id, "answered": True}}


def peer_uid(writer: asyncio.StreamWriter) -> int | None:
    sock = writer.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


@dataclass(frozen=True)
class ControlLimits:
    """The socket's bounds; defaults live in daemon.config.DaemonSection."""

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
    def __init__(self, daemon: Daemon, path: Path, limits: ControlLimits | None = None):
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
                await self._send(writer, _error(f"uid {uid} may not control this daemon"))
            elif not self._admit(conn):
                await self._send(writer, _error(
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
                transport.write(self._line(_error(
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
            return _error(f"no complete request line within {self.limits.idle_timeout_s:g}s; "
                          "closing")
        except (asyncio.LimitOverrunError, ValueError):
            return _error(f"request longer than {MAX_LINE} bytes")
        if not line:
            return None
        if len(line) > MAX_LINE:
            return _error(f"request longer than {MAX_LINE} bytes")
        if not line.endswith(b"\n"):
            return _error("request ended without a newline; it was not executed")
        return line

    async def _answer(self, req: Request | dict[str, Any]) -> dict[str, Any]:
        if isinstance(req, dict):
            return req
        try:
            async with asyncio.timeout(self.limits.request_timeout_s):
                return await execute(self.daemon, req)
        except TimeoutError:
            return _error(f"'{req.cmd}' did not finish within "
                          f"{self.limits.request_timeout_s:g}s")
        except Exception as exc:  # a bug in a verb must not take the daemon down
            log.exception("control request failed", cmd=req.cmd)
            return _error(f"internal error: {type(exc).__name__}: {exc}")

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
