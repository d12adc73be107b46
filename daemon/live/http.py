"""The live view over HTTP: the event stream as Server-Sent Events, and a page that shows it.

Bound to 127.0.0.1 on `daemon.live_port` (0, the default, serves nothing). An ASGI app under
uvicorn's HTTP/1.1 and the shared hostile-client rules (sensors.http_limits), one request
per connection:

- `GET /` the page (daemon.live.page: self-contained, no external assets);
- `GET /events` the stream: `text/event-stream`, one `data:` line of JSON per event (the
  same objects as `ouroboros watch --json`), `id:` the event's seq, a comment line as the
  heartbeat; it starts with a snapshot;
- `GET /snapshot` the snapshot alone, as JSON.

Every request carries the token the daemon drew at start (`?t=...`; `ouroboros status`,
which only the daemon's user can ask, shows the whole URL): 127.0.0.1 is reachable by every
local user, and the stream holds goals and diffs.

What a client cannot do: make the daemon wait (events are buffered per client and the
oldest dropped, daemon.live.events); hold more than MAX_CLIENTS connections (more are answered
503 at once); hold a slot without sending a request (REQUEST_TIMEOUT_S, then 408) or by not
reading its stream (a write that cannot proceed for STALL_S closes it; EventSource
reconnects); send a request head over MAX_HEAD bytes (431) or a body (413), send malformed
HTTP (400), reach a path other than the three (404), use another method (405), or read the
stream from another web site: the Host header must name this loopback address (DNS
rebinding gets 421) and no CORS header is ever sent. The size, time and connection rules are
sensors.http_limits' (the same for `serve` and the webhook); the rest are this app's.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import structlog
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from daemon.errors import ConfigError
from daemon.live.events import HEARTBEAT_S, BusFull, EventBus, Frame
from daemon.live.page import PAGE
from sensors.http_limits import Limits, Listener

log = structlog.get_logger("daemon.live.http")

HOST = "127.0.0.1"
MAX_CLIENTS = 16
MAX_HEAD = 8 * 1024
MAX_BODY = 1024  # no request has a body; a small one reaches the app (405, 413), not the cap
REQUEST_TIMEOUT_S = 10.0
STALL_S = 60.0
HOSTS_OK = ("127.0.0.1", "localhost")
SECURITY = [("x-content-type-options", "nosniff"), ("cache-control", "no-store"),
            ("referrer-policy", "no-referrer"), ("x-frame-options", "DENY")]
PAGE_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class _Refused(Exception):
    def __init__(self, status: int, why: str):
        super().__init__(why)
        self.status, self.why = status, why


class LiveServer:
    """The endpoint; `start()` binds (an OSError says why), `stop()` closes every client."""

    def __init__(self, bus: EventBus, port: int, *, max_clients: int = MAX_CLIENTS,
                 request_timeout_s: float = REQUEST_TIMEOUT_S, stall_s: float = STALL_S,
                 heartbeat_s: float = HEARTBEAT_S, token: str | None = None):
        self.bus, self.port = bus, port
        self.token = token or secrets.token_urlsafe(16)
        self.heartbeat_s = heartbeat_s
        self.refused = 0  # requests answered with an error status, for tests
        self.limits = Limits(max_head=MAX_HEAD, max_body=MAX_BODY,
                             request_timeout_s=request_timeout_s, stall_s=stall_s,
                             max_connections=max_clients)
        self._listener: Listener | None = None

    @classmethod
    async def start_for(cls, bus: EventBus, port: int) -> LiveServer | None:
        """The endpoint started on `port` (daemon.live_port; 0: none); ConfigError when it
        cannot listen there."""
        if not port:
            return None
        server = cls(bus, port)
        try:
            await server.start()
        except OSError as exc:
            raise ConfigError(f"daemon.live_port: cannot listen on {HOST}:{port}: "
                              f"{exc.strerror or exc} (choose another port, or 0 for none)"
                              ) from None
        return server

    @property
    def url(self) -> str:
        """The page's address, token included (`status` shows it to the daemon's user)."""
        return f"http://{HOST}:{self.port}/?t={self.token}"

    async def start(self) -> None:
        self._listener = Listener(self._app, self.limits, on_refused=self._refused)
        self.port = (await self._listener.start(HOST, self.port))[1]
        log.info("live view listening", url=self.url)

    async def stop(self) -> None:
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None

    def _refused(self, status: int, why: str, peer: Any) -> None:
        self.refused += 1
        log.debug("live request refused", status=status, why=why, peer=peer)

    # -- one request ----------------------------------------------------------------------

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            path = _check(Request(scope), self.port, self.token)
            response = self._route(path)
        except _Refused as exc:
            self._refused(exc.status, exc.why, scope.get("client"))
            response = _json(exc.status, {"error": exc.why})
        await response(scope, receive, send)

    def _route(self, path: str) -> Response:
        if path == "/":
            return Response(PAGE, 200, _headers([("content-security-policy", PAGE_CSP)]),
                            "text/html; charset=utf-8")
        if path == "/snapshot":
            return Response(self.bus.snapshot_frame().line, 200, _headers(),
                            "application/json")
        if path == "/events":
            try:
                sub = self.bus.subscribe()
            except BusFull as exc:
                raise _Refused(503, str(exc)) from None
            return StreamingResponse(self._stream(sub), 200, _headers(),
                                     "text/event-stream; charset=utf-8")
        raise _Refused(404, "not found: the live view serves /, /events and /snapshot")

    async def _stream(self, sub: Any) -> AsyncIterator[bytes]:
        """The SSE body; ends (its subscription closed) when the client goes away."""
        try:
            yield b"retry: 2000\n\n"  # EventSource reconnects after 2 s
            async for frame in sub.frames(self.heartbeat_s):
                yield _sse(frame)
        finally:
            sub.close()


def _check(request: Request, port: int, token: str) -> str:
    """The path of an acceptable request; _Refused says why not."""
    if request.method != "GET":
        raise _Refused(405, "only GET is served")
    headers: Headers = request.headers
    if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
        raise _Refused(413, "a GET with a body is not served")
    host = headers.get("host", "").lower()
    if host not in {f"{h}:{port}" for h in HOSTS_OK}:
        raise _Refused(421, f"Host must be 127.0.0.1:{port} or localhost:{port} (a page of "
                       "another site may not read the live view)")
    try:
        values = parse_qs(request.scope["query_string"].decode("latin-1"),
                          keep_blank_values=True, max_num_fields=8).get("t", [])
    except ValueError:
        raise _Refused(400, "more than 8 query fields") from None
    given = values[0] if len(values) == 1 else ""  # two tokens: which one was meant?
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise _Refused(403, "the live view's URL carries a token (?t=...): `ouroboros "
                       "status` shows the whole URL")
    return request.scope["raw_path"].decode("latin-1")


def _headers(extra: list[tuple[str, str]] = ()) -> dict[str, str]:
    return dict([("connection", "close"), *SECURITY, *extra])


def _json(status: int, reply: dict[str, Any]) -> Response:
    return Response(json.dumps(reply), status, _headers(), "application/json")


def _sse(frame: Frame) -> bytes:
    if frame.kind == "heartbeat":
        return b": heartbeat\n\n"
    seq = f"id: {frame.seq}\n".encode() if frame.seq else b""
    return seq + b"data: " + frame.line + b"\n\n"  # JSON has no raw newline in it
