"""One MCP server's connection, held by a task of its own, and its failures told as data.

Why a task per server: the SDK's transports are anyio task groups; when one fails (an HTTP
server that dies mid-stream raises out of `streamable_http_client`), anyio cancels the task
that entered it. Entered in the daemon's own task, a dying server would cancel the daemon;
entered in the link's runner, it ends only the link, which then reads as down with the reason.

A link is up (a session) or down (a reason and since when). Calls never wait on a down link
beyond one bounded connect attempt: a link that was up reconnects at its next use; one whose
connect failed is tried again `retry_s` later. Every failure a caller sees is `McpCallFailed`
with a `kind`:

    down       the server cannot be reached (connect failed, or not yet retried)
    closed     the connection ended mid-call (the process exited, the HTTP stream broke)
    timeout    no answer within the call's time; the link pings the server and restarts it
               when the ping is not answered either
    garbage    the server wrote something that is not JSON-RPC on its channel (stdio: the
               link restarts; HTTP: one response body, the link stays)
    malformed  the answer is JSON-RPC but not the shape MCP gives it
    refused    the server answered with a JSON-RPC error
    tool       the tool ran and reported an error (its own text)
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal, TypeVar

import anyio
import structlog
from pydantic import ValidationError

from tools.mcp_config import McpHttpServer, McpStdioServer

FailKind = Literal["down", "closed", "timeout", "garbage", "malformed", "refused", "tool"]
T = TypeVar("T")
GRACE_S = 0.5  # past a request's timeout: the SDK's own timeout speaks first
# A request can take connect_timeout_s + its own timeout + 2 * GRACE_S in all.
PING_TIMEOUT_S = 2.0  # after a call timed out: a server that answers no ping either is hung
HTTP_TIMEOUT_S, HTTP_READ_TIMEOUT_S = 30.0, 300.0  # as the SDK's own client has them
CLOSE_GRACE_S = 8.0  # the SDK's stdio exit: 2 s for stdin's EOF, 2 s SIGTERM, then SIGKILL


class McpCallFailed(Exception):
    """An MCP request that produced no usable answer; `str()` is the text for the model."""

    def __init__(self, server: str, kind: FailKind, detail: str):
        super().__init__(detail)
        self.server, self.kind, self.detail = server, kind, detail


def describe(exc: BaseException) -> str:
    """A short reason: the innermost error of a group, type and message."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        return f"{loc}: {first['msg']}" if loc else first["msg"]
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class McpLink:
    """The connection to one configured server (see the module docstring)."""

    def __init__(self, name: str, config: McpStdioServer | McpHttpServer, *,
                 connect_timeout_s: float = 15.0, retry_s: float = 30.0, log: Any = None):
        self.name, self.config = name, config
        self.log = log or structlog.get_logger("tools.mcp")
        self.connect_timeout_s, self.retry_s = connect_timeout_s, retry_s
        self.session: Any = None
        self.down_reason, self.down_since = "not connected yet", time.time()
        self._runner: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()  # set once a runner is up or has ended
        self._wake = asyncio.Event()  # the runner's mailbox: stop, broken, check
        self._stopping = False
        self._broken: str | None = None
        self._check = False
        self._was_up = False  # this runner's session was up (a lost link retries at once)
        self._checked = asyncio.Event()  # clear while a ping after a timeout is pending
        self._checked.set()
        self._garbled = asyncio.Event()  # the server wrote non-MCP: fail calls in flight
        self._next_try = 0.0
        self._lock = asyncio.Lock()

    def down_text(self) -> str:
        since = time.strftime("%H:%M:%S", time.localtime(self.down_since))
        return (f"MCP server {self.name!r} ({self.config.where()}) is down since {since}: "
                f"{self.down_reason}")

    async def ensure(self) -> bool:
        """Up now, or after one bounded connect attempt; False (see down_text) if not."""
        await self._checked.wait()  # after a timeout: the ping's verdict first
        async with self._lock:
            if self.session is not None:
                return True
            if self._runner is not None and not self._ready.is_set():
                await self._ready.wait()  # a connect a caller before us gave up waiting on
                if self.session is not None:
                    return True
            if self._runner is not None:  # one ending: let it finish its exit first
                await self._runner
            if time.monotonic() < self._next_try:
                return False
            self._ready.clear()
            self._stopping, self._broken, self._check = False, None, False
            self._was_up = False
            self._garbled.clear()
            self._wake.clear()
            self._runner = asyncio.create_task(self._run(), name=f"mcp:{self.name}")
            await self._ready.wait()  # the runner's own deadline bounds this
            return self.session is not None

    async def close(self) -> None:
        """Stop the runner: one that is up exits its transport (bounded by the SDK: stdin
        closed, then SIGTERM, then SIGKILL), one still connecting is cancelled."""
        self._stopping = True
        self._wake.set()
        runner = self._runner
        if runner is None:
            return
        if self.session is None:
            runner.cancel()
        try:
            async with asyncio.timeout(CLOSE_GRACE_S):
                await asyncio.shield(runner)
        except TimeoutError:
            runner.cancel()
        except asyncio.CancelledError:
            if not runner.cancelled():  # our own cancellation, not the runner's
                raise

    async def request(self, what: str, make: Callable[[Any], Awaitable[T]],
                      timeout_s: float) -> T:
        """`make(session)` with every failure as McpCallFailed, within timeout_s (+ a grace
        for the SDK's own timeout to speak first), connecting first if need be (within
        connect_timeout_s: a server's start is not its tool's time). A call in flight fails
        at once when the server writes garbage or the connection ends."""
        call = asyncio.ensure_future(make(await self._connected()))
        garbled = asyncio.ensure_future(self._garbled.wait())
        try:
            await asyncio.wait({call, garbled}, timeout=timeout_s + GRACE_S,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            garbled.cancel()
            if not call.done():
                call.cancel()
        if call.done() and not call.cancelled():
            try:
                return call.result()
            except Exception as exc:
                raise self._failure(what, exc) from exc
        if self._garbled.is_set():
            raise McpCallFailed(self.name, "garbage", f"MCP server {self.name!r} broke the "
                                f"protocol during {what}: {self._broken}; it is restarted "
                                "at its next use")
        # The SDK's own timeout did not fire: its transport is stuck on a server that
        # answers nothing (a stopped process still accepts TCP connections).
        self._break(f"{what} got no answer in {timeout_s:g}s and the transport is stuck")
        raise McpCallFailed(self.name, "timeout", f"MCP server {self.name!r} gave no answer "
                            f"to {what} in {timeout_s:g}s; it is reconnected at its next use")

    async def _connected(self) -> Any:
        """The session, connecting first if need be; McpCallFailed("down") if none."""
        try:
            async with asyncio.timeout(self.connect_timeout_s + GRACE_S):
                up = await self.ensure()
        except TimeoutError:
            raise McpCallFailed(self.name, "down", f"MCP server {self.name!r} "
                                f"({self.config.where()}) is not back yet: "
                                f"{self._broken or self.down_reason}") from None
        session = self.session
        if not up or session is None:
            raise McpCallFailed(self.name, "down", self.down_text())
        return session

    def _failure(self, what: str, exc: Exception) -> McpCallFailed:
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, PARSE_ERROR, REQUEST_TIMEOUT

        srv = f"MCP server {self.name!r}"
        if isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED:
            self._break(f"the connection ended during {what} ({exc.message})")
            return McpCallFailed(self.name, "closed", f"{srv} went away during {what} "
                                 f"({exc.message}); it is reconnected at its next use")
        if isinstance(exc, MCPError) and exc.code == PARSE_ERROR:  # (HTTP) a body not JSON
            return McpCallFailed(self.name, "garbage", f"{srv} broke the protocol during "
                                 f"{what}: {' '.join(exc.message.split())[:300]}")
        if isinstance(exc, MCPError) and exc.code == REQUEST_TIMEOUT:
            self._check = True  # the runner pings it: a hung server is restarted
            self._checked.clear()
            self._wake.set()
            return McpCallFailed(self.name, "timeout", f"{srv} gave no answer to {what} in "
                                 "time; the call was abandoned")
        if isinstance(exc, MCPError):
            return McpCallFailed(self.name, "refused", f"{srv} refused {what}: {exc.message} "
                                 f"(code {exc.code})")
        if isinstance(exc, ValidationError):
            return McpCallFailed(self.name, "malformed", f"{srv} answered {what} with "
                                 f"something that is not MCP's shape ({describe(exc)})")
        self._break(f"{what} failed: {describe(exc)}")
        return McpCallFailed(self.name, "closed", f"{srv} failed during {what} "
                             f"({describe(exc)})")

    def _break(self, reason: str) -> None:
        """End the link: down at once (the next use waits for the runner's exit and
        reconnects), the runner told to exit."""
        if self._broken is None:
            self._broken = reason
        self.session = None
        self._wake.set()

    async def _on_message(self, message: Any) -> None:
        """The SDK hands transport-level errors here: a line or body that is not MCP."""
        if isinstance(message, Exception):
            said = message.errors()[0].get("input") if isinstance(message, ValidationError) \
                else None
            what = f"{str(said)[:200]!r} ({describe(message)})" if said else describe(message)
            self._break(f"it wrote {what}"[:400])
            self._garbled.set()

    async def _run(self) -> None:
        """Connect, initialize (within connect_timeout_s), hold until told to end."""
        from mcp import ClientSession

        reason = "closed by the daemon"
        try:
            with anyio.CancelScope(deadline=anyio.current_time() + self.connect_timeout_s
                                   ) as scope:
                async with self._transport() as (read, write), ClientSession(
                        read, write, message_handler=self._on_message) as session:
                    await session.initialize()
                    scope.deadline = math.inf
                    self._up(session)
                    reason = await self._hold(session)
            if scope.cancelled_caught:
                reason = f"no answer to initialize within {self.connect_timeout_s:g}s"
        except Exception as exc:  # the transport's failure is the link's, never the daemon's
            lost = "connection lost" if self._was_up else "cannot connect"
            reason = ("closed by the daemon" if self._stopping
                      else self._broken or f"{lost}: {describe(exc)}")
        finally:
            self.session = None
            self._down(reason, self._was_up)

    def _up(self, session: Any) -> None:
        self.session, self._was_up = session, True
        self._ready.set()
        self.log.info("mcp server up", server=self.name, where=self.config.where())

    def _down(self, reason: str, was_up: bool) -> None:
        self.down_reason, self.down_since = reason, time.time()
        # A link that was up reconnects at its next use; a failed connect waits retry_s.
        self._next_try = 0.0 if was_up or self._stopping else time.monotonic() + self.retry_s
        self._runner = None
        self._ready.set()
        self._checked.set()
        if not self._stopping:
            self.log.warning("mcp server down", server=self.name, reason=reason)

    async def _hold(self, session: Any) -> str:
        """Wait for stop, breakage or a check; the reason the link ends."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return "closed by the daemon"
            if self._broken is not None:
                return self._broken
            if self._check:
                # Out of service while the ping is out: the SDK's abandoned call may block
                # its writer for seconds more (its courtesy cancel), and no new call should
                # queue behind that.
                self._check, self.session = False, None
                self.down_reason, self.down_since = ("a call got no answer in time; "
                                                     "asking it for a ping"), time.time()
                with anyio.move_on_after(PING_TIMEOUT_S):
                    await session.send_ping()
                    self.session = session
                    self._checked.set()
                    continue
                self._broken = (f"a call got no answer and neither did a ping in "
                                f"{PING_TIMEOUT_S:g}s: restarting it")
                return self._broken

    @asynccontextmanager
    async def _transport(self) -> AsyncIterator[tuple[Any, Any]]:
        cfg = self.config
        if isinstance(cfg, McpHttpServer):
            import httpx2  # the SDK's HTTP client: headers go on a client passed in
            from mcp.client.streamable_http import streamable_http_client

            # The SDK's timeouts (a server may hold a response stream open); each call
            # has its own. No DELETE at close: a hung server would hold the link's exit
            # for the read timeout; the server's idle timeout ends the session.
            timeout = httpx2.Timeout(HTTP_TIMEOUT_S, read=HTTP_READ_TIMEOUT_S)
            async with httpx2.AsyncClient(headers=cfg.headers, timeout=timeout) as client, \
                    streamable_http_client(str(cfg.url), http_client=client,
                                           terminate_on_close=False) as streams:
                yield streams[0], streams[1]
            return
        from mcp import StdioServerParameters
        from mcp.client.stdio import stdio_client

        params = StdioServerParameters(command=cfg.command, args=cfg.args, env=cfg.env,
                                       cwd=cfg.cwd)
        async with stdio_client(params) as streams:
            yield streams[0], streams[1]
