"""The live view over HTTP: the event stream as Server-Sent Events, and a page that shows it.

Bound to 127.0.0.1 on `daemon.live_port` (0, the default, serves nothing). HTTP/1.1 through
h11, one request per connection:

- `GET /` the page (daemon.live_page: self-contained, no external assets);
- `GET /events` the stream: `text/event-stream`, one `data:` line of JSON per event (the
  same objects as `ouroboros watch --json`), `id:` the event's seq, a comment line as the
  heartbeat; it starts with a snapshot;
- `GET /snapshot` the snapshot alone, as JSON.

Every request carries the token the daemon drew at start (`?t=...`; `ouroboros status`,
which only the daemon's user can ask, shows the whole URL): 127.0.0.1 is reachable by every
local user, and the stream holds goals and diffs.

What a client cannot do: make the daemon wait (events are buffered per client and the
oldest dropped, daemon.events); hold more than MAX_CLIENTS connections (more are answered
503 at once); hold a slot without sending a request (REQUEST_TIMEOUT_S, then 408) or by not
reading its stream (a write that cannot proceed for STALL_S closes it; EventSource
reconnects); send a request head over MAX_HEAD bytes (431) or a body (413), reach a path
other than the three (404), use another method (405), or read the stream from another web
site: the Host header must name this loopback address (DNS rebinding gets 421) and no CORS
header is ever sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import h11
import structlog

from daemon.errors import ConfigError
from daemon.events import HEARTBEAT_S, BusFull, EventBus, Frame
from daemon.live_page import PAGE

if TYPE_CHECKING:
    from daemon.service import Daemon

log = structlog.get_logger("daemon.live_http")

HOST = "127.0.0.1"
MAX_CLIENTS = 16
MAX_HEAD = 8 * 1024
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
        self.max_clients, self.request_timeout_s = max_clients, request_timeout_s
        self.stall_s, self.heartbeat_s = stall_s, heartbeat_s
        self.refused = 0  # requests answered with an error status, for tests
        self._server: asyncio.Server | None = None
        self._conns: dict[asyncio.Task, asyncio.StreamWriter] = {}

    @classmethod
    async def start_for(cls, daemon: Daemon) -> LiveServer | None:
        port = daemon.settings.daemon.live_port
        if not port:
            return None
        server = cls(daemon.events, port)
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
        self._server = await asyncio.start_server(self._client, HOST, self.port,
                                                  limit=MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("live view listening", url=self.url)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._conns.values()):  # each connection then ends on its own
            writer.transport.abort()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    # -- one connection -------------------------------------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is None or len(self._conns) >= self.max_clients:
            self.refused += 1
            with contextlib.suppress(Exception):
                writer.write(_raw(503, {"error": f"{self.max_clients} live-view clients "
                                        "are connected; try again later"}))
            writer.close()
            return
        self._conns[task] = writer
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        try:
            try:
                async with asyncio.timeout(self.request_timeout_s):
                    target = await self._request(conn, reader)
                await self._route(conn, reader, writer, target)
            except _Refused as exc:
                self.refused += 1
                await self._reply(conn, writer, exc.status, {"error": exc.why})
            except TimeoutError:
                self.refused += 1
                await self._reply(conn, writer, 408, {"error": "no complete request within "
                                                      f"{self.request_timeout_s:g}s"})
        except Exception as exc:  # a vanished or hostile client; never a traceback
            log.debug("live connection ended", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._conns.pop(task, None)
            writer.transport.abort()

    async def _request(self, conn: h11.Connection, reader: asyncio.StreamReader) -> str:
        """The request's path, once its head is complete and acceptable."""
        received = 0
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                status = exc.error_status_hint
                raise _Refused(431 if status == 431 else 400, f"malformed HTTP: {exc}") from None
            if event is h11.NEED_DATA:
                data = await reader.read(MAX_HEAD)
                received += len(data)
                if received > MAX_HEAD:  # h11 bounds only a head that is still incomplete
                    raise _Refused(431, f"request head over {MAX_HEAD} bytes")
                conn.receive_data(data)
                continue
            if isinstance(event, h11.ConnectionClosed):
                raise _Refused(400, "connection closed before the request was complete")
            if isinstance(event, h11.Request):
                return _check(event, self.port, self.token)

    async def _route(self, conn: h11.Connection, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter, target: str) -> None:
        if target == "/":
            await self._send(conn, writer, 200, PAGE.encode(), "text/html; charset=utf-8",
                             [("content-security-policy", PAGE_CSP)])
        elif target == "/snapshot":
            await self._send(conn, writer, 200, self.bus.snapshot_frame().line,
                             "application/json")
        elif target == "/events":
            await self._stream(conn, reader, writer)
        else:
            raise _Refused(404, "not found: the live view serves /, /events and /snapshot")

    async def _stream(self, conn: h11.Connection, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        try:
            sub = self.bus.subscribe()
        except BusFull as exc:
            raise _Refused(503, str(exc)) from None
        eof = asyncio.create_task(_until_eof(reader))
        eof.add_done_callback(lambda _: sub.close())
        try:
            head = h11.Response(status_code=200, headers=[
                ("content-type", "text/event-stream; charset=utf-8"), *SECURITY])
            retry = h11.Data(data=b"retry: 2000\n\n")  # EventSource reconnects after 2 s
            await self._write(writer, conn.send(head) + conn.send(retry))
            async for frame in sub.frames(self.heartbeat_s):
                await self._write(writer, conn.send(h11.Data(data=_sse(frame))))
        finally:
            sub.close()
            eof.cancel()

    async def _write(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        """One write; a client that reads none of it for stall_s is closed."""
        writer.write(data)
        async with asyncio.timeout(self.stall_s):
            await writer.drain()

    async def _send(self, conn: h11.Connection, writer: asyncio.StreamWriter, status: int,
                    body: bytes, ctype: str, extra: list[tuple[str, str]] = ()) -> None:
        headers = [("content-type", ctype), ("content-length", str(len(body))),
                   ("connection", "close"), *SECURITY, *extra]
        await self._write(writer, conn.send(h11.Response(status_code=status, headers=headers))
                          + conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage()))

    async def _reply(self, conn: h11.Connection, writer: asyncio.StreamWriter, status: int,
                     reply: dict[str, Any]) -> None:
        body = json.dumps(reply).encode()
        try:
            await self._send(conn, writer, status, body, "application/json")
        except h11.LocalProtocolError:  # no request head to answer: answer raw
            await self._write(writer, _raw(status, reply))


def _check(request: h11.Request, port: int, token: str) -> str:
    """The path of an acceptable request; _Refused says why not."""
    if request.method != b"GET":
        raise _Refused(405, "only GET is served")
    headers = {k.lower(): v for k, v in request.headers}
    if headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers:
        raise _Refused(413, "a GET with a body is not served")
    host = headers.get(b"host", b"").decode("latin-1").lower()
    if host not in {f"{h}:{port}" for h in HOSTS_OK}:
        raise _Refused(421, f"Host must be 127.0.0.1:{port} or localhost:{port} (a page of "
                       "another site may not read the live view)")
    path, _, query = request.target.decode("latin-1").partition("?")
    try:
        values = parse_qs(query, keep_blank_values=True, max_num_fields=8).get("t", [])
    except ValueError:
        raise _Refused(400, "more than 8 query fields") from None
    given = values[0] if len(values) == 1 else ""  # two tokens: which one was meant?
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise _Refused(403, "the live view's URL carries a token (?t=...): `ouroboros "
                       "status` shows the whole URL")
    return path


def _sse(frame: Frame) -> bytes:
    if frame.kind == "heartbeat":
        return b": heartbeat\n\n"
    seq = f"id: {frame.seq}\n".encode() if frame.seq else b""
    return seq + b"data: " + frame.line + b"\n\n"  # JSON has no raw newline in it


def _raw(status: int, reply: dict[str, Any]) -> bytes:
    body = json.dumps(reply).encode()
    return (f"HTTP/1.1 {status} \r\ncontent-type: application/json\r\ncontent-length: "
            f"{len(body)}\r\nconnection: close\r\n\r\n").encode() + body


async def _until_eof(reader: asyncio.StreamReader) -> None:
    """Read and drop what the client sends until it closes (a stream takes no input)."""
    with contextlib.suppress(Exception):
        while await reader.read(65536):
            pass
