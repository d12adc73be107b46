"""The hostile-client rules every HTTP endpoint of ouroboros shares, on starlette + uvicorn.

Three endpoints face the network: `ouroboros serve` (daemon/serve), the live view
(daemon/live/http.py) and the GitHub webhook (sensors/github_webhook). Each is an ASGI app
served by uvicorn's HTTP/1.1 protocol (h11) under one set of rules, `Limits`:

| a client that...                               | gets                                     |
|------------------------------------------------|------------------------------------------|
| sends a request head over `max_head` bytes     | 431 (told while it arrives, or whole)    |
| declares a body over `max_body` (Content-Length)| 413 before a byte of it is read          |
| streams (chunked) a body past `max_body`       | 413 as the chunk that crosses it arrives |
| sends malformed HTTP (a TLS hello, bad framing)| 400                                      |
| has not sent its whole request (head and body) | 408 after `request_timeout_s`, closed    |
|   within `request_timeout_s`                   |                                          |
| reads nothing of a response for `stall_s`      | closed                                   |
| connects past `max_connections` open ones      | 503 at once, closed                      |

Every refusal is JSON (each endpoint renders its own shape: `Render`) with `connection:
close`, and ends with a lingering close: the server stops writing, then reads and drops
what the client still sends (at most `linger_bytes`, for `linger_s`) before closing.
Closing a socket with unread input resets it, and a client still sending its body (a
12 MB upload refused by its Content-Length) would see the reset instead of the 413.

`GuardedApp` (ASGI middleware) enforces the head and body rules; `protocol_class` (a
subclass of uvicorn's H11Protocol) the rest. `uvicorn_config` puts both under a uvicorn
Server (`ouroboros serve`, a process of its own); `Listener` serves them in the running
event loop (the daemon's live view and webhook: uvicorn.Server would install its own
signal handlers there).

It lives in sensors/ because the webhook (a sensor) uses it and sensors/ may import neither
daemon/ nor anything above it; daemon/ imports sensors/, so this is the lowest package that
all three endpoints may import.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11
import structlog
import uvicorn
from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

log = structlog.get_logger("sensors.http_limits")

Scope = dict[str, Any]
# (status, message, the request's scope when its head was read) -> (status, JSON body):
# an endpoint's error shape (serve: the API's; the status may change, 503 -> Anthropic 529).
Render = Callable[[int, str, Scope | None], tuple[int, bytes]]
# (status, message, peer address) of every refusal made by these rules: counted and logged.
OnRefused = Callable[[int, str, Any], None]


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What one endpoint allows a client; every refusal above it is a status, not a reset."""

    max_head: int = 16 * 1024  # request line + headers, bytes
    max_body: int = 1 << 20  # bytes
    request_timeout_s: float = 10.0  # from the first byte (or the connection) to the body's end
    stall_s: float = 60.0  # a response the client takes nothing of for this long is closed
    max_connections: int = 16  # open at once; one more is answered 503 and closed
    linger_s: float = 2.0  # after a refusal, drop what the client still sends this long...
    linger_bytes: int = 64 << 20  # ...or this much, then close


def json_error(status: int, message: str, scope: Scope | None) -> tuple[int, bytes]:
    """The default shape: {"error": message}."""
    return status, json.dumps({"error": message}).encode()


def _ignore(status: int, message: str, peer: Any) -> None:
    return None


def raw_response(status: int, body: bytes) -> bytes:
    """A whole HTTP/1.1 response that closes the connection (for answers outside a cycle)."""
    return (f"HTTP/1.1 {status} \r\ncontent-type: application/json\r\ncontent-length: "
            f"{len(body)}\r\nconnection: close\r\n\r\n").encode() + body


# -- the ASGI middleware: the head and the body -----------------------------------------

class GuardedApp:
    """ASGI middleware: a head over max_head is a 431 and a declared body over max_body a
    413, both before the app runs; a streamed body is counted as the app reads it, and the
    chunk that crosses max_body answers 413 and ends the app's body with a disconnect."""

    def __init__(self, app: Any, limits: Limits, render: Render = json_error,
                 on_refused: OnRefused = _ignore):
        self.app, self.limits, self.render, self.on_refused = app, limits, render, on_refused

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if why := self._refusal(scope):
            return await self.refuse(scope, send, *why)
        answered = started = False
        received = 0

        async def counted() -> dict[str, Any]:
            nonlocal answered, received
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received <= self.limits.max_body:
                return message
            if not started:  # else the app answered early: only its body is cut
                await self.refuse(scope, send, 413, "request body is over the "
                                  f"{self.limits.max_body}-byte limit")
            answered = True
            return {"type": "http.disconnect"}

        async def tracked(message: dict[str, Any]) -> None:
            nonlocal started
            if answered and not started:
                return  # the refusal went out; what the app says after it goes nowhere
            started = True
            await send(message)

        with contextlib.suppress(ClientDisconnect):  # gone, timed out or refused: no answer
            await self.app(scope, counted, tracked)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        head = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) + sum(
            len(k) + len(v) + 4 for k, v in scope["headers"])
        if head > self.limits.max_head:
            return 431, f"request head over {self.limits.max_head} bytes"
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limits.max_body:
            return 413, (f"request body of {int(declared)} bytes is over the "
                         f"{self.limits.max_body}-byte limit")
        return None

    async def refuse(self, scope: Scope, send: Any, status: int, why: str) -> None:
        self.on_refused(status, why, scope.get("client"))
        status, body = self.render(status, why, scope)
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


# -- the protocol: connections, timeouts, malformed HTTP, lingering close -------------------

class _Conn(h11.Connection):
    """h11's connection, remembering the client's protocol error (its status hint: 431 for
    a head that outgrew the buffer) for the answer uvicorn sends."""

    error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.error = exc
            raise


class _Lingering:
    """The transport as uvicorn sees it: its close() becomes the protocol's lingering close."""

    def __init__(self, transport: asyncio.Transport, protocol: GuardedH11):
        self._transport, self._protocol = transport, protocol

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def is_closing(self) -> bool:
        return self._protocol.closing or self._transport.is_closing()

    def close(self) -> None:
        self._protocol.linger()


class GuardedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol under Limits (protocol_class binds them)."""

    limits: Limits
    render: Render
    on_refused: OnRefused

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.conn = _Conn(h11.SERVER, max_incomplete_event_size=self.limits.max_head)
        self.closing = False
        self._raw: asyncio.Transport | None = None
        self._rejected = False
        self._dropped = 0
        self._timers: dict[str, asyncio.TimerHandle] = {}

    # -- the connection's life --
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._raw = transport
        if len(self.connections) >= self.limits.max_connections:
            self._rejected = True
            self.client = transport.get_extra_info("peername")
            self._refuse(503, f"{self.limits.max_connections} connections are open; try "
                         "again later", force_linger=True)
            return
        super().connection_made(_Lingering(transport, self))  # type: ignore[arg-type]
        self._arm("request", self.limits.request_timeout_s, self._request_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self.closing = True  # nothing is left to linger over
        if not self._rejected:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.closing:  # lingering: read and drop, within bounds
            self._dropped += len(data)
            if self._dropped > self.limits.linger_bytes and self._raw is not None:
                self._raw.abort()
            return
        if "request" not in self._timers and self.conn.their_state is h11.IDLE:
            self._arm("request", self.limits.request_timeout_s, self._request_timed_out)
        super().data_received(data)
        if self.cycle is not None and not self.cycle.more_body and (
                self.conn.their_state is not h11.IDLE or not self.conn.trailing_data[0]):
            self._disarm("request")  # the whole request is in

    def eof_received(self) -> bool | None:
        if self.closing and self._raw is not None:
            self._raw.close()  # the client is done sending: nothing unread is left
        return None

    # -- writing: a client that reads nothing for stall_s is closed --
    def pause_writing(self) -> None:
        super().pause_writing()
        self._arm("stall", self.limits.stall_s, self.abort)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._disarm("stall")

    # -- refusals --
    def send_400_response(self, msg: str) -> None:
        error = self.conn.error
        if error is not None and error.error_status_hint == 431:
            self._refuse(431, f"request head over {self.limits.max_head} bytes")
        else:
            self._refuse(400, f"malformed HTTP: {error or msg}")

    def _request_timed_out(self) -> None:
        self._timers.pop("request", None)
        cycle = self.cycle
        if cycle is not None and cycle.response_started:
            if not cycle.response_complete or self._input_pending():
                self.linger()  # it answered before the body came; the body never did
            return  # an idle keep-alive connection: uvicorn's own timeout closes it
        self._refuse(408, f"no complete request within {self.limits.request_timeout_s:g}s")
        if cycle is not None:  # the app, still reading the body, reads a disconnect
            cycle.disconnected = True
            cycle.message_event.set()

    def _refuse(self, status: int, why: str, force_linger: bool = False) -> None:
        self.on_refused(status, why, self.client)
        scope = self.cycle.scope if self.cycle is not None else self._partial_scope()
        status, body = self.render(status, why, scope)
        if self._raw is not None and not self._raw.is_closing():
            self._raw.write(raw_response(status, body))
        self.linger(force_linger)

    def _partial_scope(self) -> Scope | None:
        """The path of a request line that arrived without the rest of its head (a shape
        depends on it), as a scope without headers."""
        line = self.conn.trailing_data[0][:self.limits.max_head].split(b"\r\n", 1)[0]
        parts = line.split(b" ")
        if len(parts) != 3 or not parts[1].startswith(b"/"):
            return None
        return {"path": parts[1].partition(b"?")[0].decode("latin-1"), "headers": []}

    # -- closing --
    def _input_pending(self) -> bool:
        """Whether the client may still be sending: a body or head underway, or garbage."""
        state = self.conn.their_state
        return state in (h11.SEND_BODY, h11.ERROR) or (
            state is h11.IDLE and bool(self.conn.trailing_data[0]))

    def linger(self, force: bool = False) -> None:
        """Close; if the client may still be sending, first stop writing and drop its
        input for linger_s (at most linger_bytes), so it reads the answer, not a reset."""
        raw = self._raw
        if self.closing or raw is None:
            return
        self.closing = True
        self._disarm("request")
        if not (force or self._input_pending()):
            raw.close()
            return
        with contextlib.suppress(OSError, RuntimeError):
            if raw.can_write_eof():
                raw.write_eof()
        raw.resume_reading()
        self._arm("linger", self.limits.linger_s, raw.abort)

    def abort(self) -> None:
        """Drop the connection at once (a stalled reader; the server stopping)."""
        if self._raw is not None:
            self._raw.abort()

    def _arm(self, name: str, seconds: float, then: Callable[[], None]) -> None:
        self._disarm(name)
        self._timers[name] = self.loop.call_later(seconds, then)

    def _disarm(self, name: str) -> None:
        if (timer := self._timers.pop(name, None)) is not None:
            timer.cancel()


def protocol_class(limits: Limits, render: Render = json_error,
                   on_refused: OnRefused = _ignore) -> type[GuardedH11]:
    """GuardedH11 bound to one endpoint's limits, shape and refusal hook."""
    return type("GuardedH11", (GuardedH11,), {"limits": limits,
                                               "render": staticmethod(render),
                                               "on_refused": staticmethod(on_refused)})


def uvicorn_config(app: Any, limits: Limits, *, render: Render = json_error,
                   on_refused: OnRefused = _ignore, **options: Any) -> uvicorn.Config:
    """A loaded uvicorn Config serving `app` under `limits` (options: uvicorn's own)."""
    options = {"log_config": None, "log_level": "error", **options}
    config = uvicorn.Config(GuardedApp(app, limits, render, on_refused),
                            http=protocol_class(limits, render, on_refused), ws="none",
                            h11_max_incomplete_event_size=limits.max_head, lifespan="off",
                            access_log=False, proxy_headers=False, server_header=False,
                            **options)
    config.load()
    return config


class Listener:
    """An ASGI app served under Limits in the running event loop: `start`, then `stop`."""

    def __init__(self, app: Any, limits: Limits, *, render: Render = json_error,
                 on_refused: OnRefused = _ignore):
        self.config = uvicorn_config(app, limits, render=render, on_refused=on_refused)
        self.state = ServerState()
        self._server: asyncio.Server | None = None

    @property
    def connections(self) -> int:
        """Connections open and served now (a refused one past the cap is not counted)."""
        return len(self.state.connections)

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen (an OSError says why not); the bound address."""
        config = self.config
        self._server = await asyncio.get_running_loop().create_server(
            lambda: config.http_protocol_class(config=config, server_state=self.state,
                                               app_state={}), host, port)
        return self._server.sockets[0].getsockname()[:2]

    async def stop(self, grace_s: float = 2.0) -> None:
        """Close every connection (an open stream too); requests still running get
        `grace_s` to notice their client is gone, then are cancelled."""
        if self._server is None:
            return
        self._server.close()
        for conn in list(self.state.connections):
            conn.abort()  # type: ignore[attr-defined]  # every one is a GuardedH11
        if tasks := set(self.state.tasks):
            _, late = await asyncio.wait(tasks, timeout=grace_s)
            for task in late:
                task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), grace_s)
        self._server = None
