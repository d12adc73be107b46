"""The control socket: JSON lines over a Unix socket in the state dir (mode 0600, peer uid
checked). Every request gets exactly one response line; garbage gets an error response and
never reaches the daemon's state."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from daemon.service import Daemon

log = structlog.get_logger("daemon.control")
MAX_LINE = 64 * 1024
MAX_UNIX_PATH = 107

Verb = Literal["status", "cancel", "pause", "resume", "approve", "reject", "answer"]
NEEDS_OP = {"cancel", "approve", "reject", "answer"}


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cmd: Verb
    op: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(default="", max_length=2000)


def _error(message: str) -> dict[str, Any]:
    return {"ok": False, "error": message}


def parse_request(line: bytes) -> Request | dict[str, Any]:
    """A valid Request, or the error response to send back."""
    try:
        data = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return _error("request is not UTF-8")
    except json.JSONDecodeError as exc:
        return _error(f"request is not JSON: {exc.msg}")
    if not isinstance(data, dict):
        return _error("request must be a JSON object like {\"cmd\": \"status\"}")
    try:
        req = Request.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "request"
        return _error(f"bad request: {where}: {first['msg']}")
    if req.cmd in NEEDS_OP and not req.op:
        return _error(f"'{req.cmd}' needs an op id (\"op\": \"<prefix>\")")
    return req


async def execute(daemon: Daemon, req: Request) -> dict[str, Any]:
    if req.cmd == "status":
        return {"ok": True, "data": await daemon.status()}
    if req.cmd in ("pause", "resume"):
        daemon.set_paused(req.cmd == "pause")
        return {"ok": True, "data": {"paused": daemon.paused}}
    assert req.op is not None
    try:
        handle = daemon.find_op(req.op)
    except LookupError as exc:
        return _error(str(exc))
    op_id = handle.ctx.op_id
    if req.cmd == "cancel":
        handle.cancel.cancel(f"cancelled by operator{': ' + req.reason if req.reason else ''}")
        return {"ok": True, "data": {"op_id": op_id, "phase": handle.phase.value}}
    if req.cmd == "answer":
        if not daemon.questions.answer(op_id, req.reason):
            return _error(f"{op_id} has no open question")
        return {"ok": True, "data": {"op_id": op_id, "answered": True}}
    approved = req.cmd == "approve"
    if not daemon.approvals.decide(op_id, approved, req.reason):
        return _error(f"{op_id} is not awaiting approval (phase {handle.phase.value})")
    return {"ok": True, "data": {"op_id": op_id, "approved": approved}}


def peer_uid(writer: asyncio.StreamWriter) -> int | None:
    sock = writer.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


class ControlServer:
    def __init__(self, daemon: Daemon, path: Path):
        self.daemon = daemon
        self.path = path
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        if len(os.fsencode(self.path)) > MAX_UNIX_PATH:
            raise OSError(f"control socket path is too long for a Unix socket: {self.path}")
        if self.path.exists() or self.path.is_symlink():
            self._refuse_if_live()
            self.path.unlink()
        old = os.umask(0o177)  # the socket is born 0600: no window where others can connect
        try:
            self._server = await asyncio.start_unix_server(self._client, path=str(self.path),
                                                           limit=MAX_LINE)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)

    def _refuse_if_live(self) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.path))
            except OSError:
                return  # stale socket from a dead daemon
        raise OSError(f"another daemon is already serving {self.path}")

    async def stop(self) -> None:
        if self._server is None:
            return  # never bound: the socket at self.path (if any) belongs to someone else
        self._server.close()
        with contextlib.suppress(Exception):
            await self._server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            uid = peer_uid(writer)
            if uid is not None and uid != os.getuid():
                await self._send(writer, _error(f"uid {uid} may not control this daemon"))
                return
            while True:
                try:
                    line = await reader.readline()
                except (asyncio.LimitOverrunError, ValueError):
                    await self._send(writer, _error(f"request longer than {MAX_LINE} bytes"))
                    return
                if not line:
                    return
                if not line.strip():
                    continue
                await self._send(writer, await self._answer(line))
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, line: bytes) -> dict[str, Any]:
        req = parse_request(line)
        if isinstance(req, dict):
            return req
        try:
            return await execute(self.daemon, req)
        except Exception as exc:  # a bug in a verb must not take the daemon down
            log.exception("control request failed", cmd=req.cmd)
            return _error(f"internal error: {type(exc).__name__}: {exc}")

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, payload: dict[str, Any]) -> None:
        writer.write(json.dumps(payload, default=str).encode() + b"\n")
        await writer.drain()
