"""The shared hostile-client rules (sensors.http_limits) on a bare echo app over real TCP:
each rule's status, the lingering close (a refused upload reads its answer, not a reset),
a reader that stalls, keep-alive requests untouched, and stop() ending an open stream."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from sensors.http_limits import Limits, Listener
from tests.helpers import wait_for

LIMITS = Limits(max_head=4096, max_body=1 << 16, request_timeout_s=0.5, stall_s=0.5,
                max_connections=3, linger_s=2.0)


class Echo:
    def __init__(self) -> None:
        self.streams_open = 0
        self.app = Starlette(routes=[Route("/", self.echo, methods=["POST"]),
                                     Route("/stream", self.stream, methods=["GET"])])

    async def echo(self, request: Request) -> JSONResponse:
        return JSONResponse({"n": len(await request.body())})

    async def stream(self, request: Request) -> StreamingResponse:
        async def body():
            self.streams_open += 1
            try:
                while True:
                    yield b"x" * 65536
                    await asyncio.sleep(0)  # another task may run: a pause, not a wait
            finally:
                self.streams_open -= 1

        return StreamingResponse(body())


@pytest.fixture
async def served():
    echo, refused = Echo(), []
    listener = Listener(echo.app, LIMITS, on_refused=lambda s, why, peer: refused.append(s))
    _, port = await listener.start("127.0.0.1", 0)
    yield port, echo, refused, listener
    await listener.stop()


def exchange(port: int, data: bytes) -> bytes:
    """Send everything (a reset while sending fails the test), read until the close."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def post(body: bytes, extra: str = "") -> bytes:
    return (f"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {len(body)}"
            f"\r\n{extra}\r\n").encode() + body


BIG = b"x" * (8 << 20)
CASES = [  # (name, request, status)
    ("a small body", post(b"hi"), 200),
    ("8 MB declared, Connection: close", post(BIG), 413),
    ("chunked past the cap", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     + b"".join(b"%x\r\n%s\r\n" % (4096, b"y" * 4096) for _ in range(40)) + b"0\r\n\r\n", 413),
    ("a whole head over the limit", post(b"", "X-A: " + "a" * 5000 + "\r\n"), 431),
    ("a head outgrowing the buffer", b"POST / HTTP/1.1\r\nX-A: " + b"a" * 9000, 431),
    ("garbage", b"GARBAGE\r\n\r\n", 400),
    ("a TLS hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),
    ("a head that never ends", b"POST / HTTP/1.1\r\nHost: x\r\n", 408),
    ("a body that never ends", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
     408),
    ("nothing at all", b"", 408),
]


@pytest.mark.parametrize(("name", "data", "status"), CASES, ids=[c[0] for c in CASES])
async def test_each_rule_answers_with_its_status(served, name, data, status):
    port, _, refused, listener = served
    reply = await asyncio.to_thread(exchange, port, data)
    assert reply.startswith(f"HTTP/1.1 {status} ".encode()), reply[:200]
    body = json.loads(reply.split(b"\r\n\r\n", 1)[1])
    assert (refused == []) if status == 200 else (refused == [status] and body["error"])
    await wait_for(lambda: listener.connections == 0, 10, "the connection closed")


async def test_past_the_cap_one_more_connection_is_answered_503(served):
    port, _, refused, listener = served
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        await wait_for(lambda: listener.connections == 3, 10, "three connections")
        reply = await asyncio.to_thread(exchange, port, post(b"hi"))
        assert reply.startswith(b"HTTP/1.1 503 ") and refused == [503]
    finally:
        for sock in held:
            sock.close()
    await wait_for(lambda: listener.connections == 0, 10, "the held ones closed")
    assert (await asyncio.to_thread(exchange, port, post(b"hi"))).startswith(b"HTTP/1.1 200 ")


async def test_keep_alive_requests_are_served_one_after_another(served):
    port, *_ = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for n in range(3):
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (n, b"z" * n))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert json.loads(await reader.readexactly(int(head.split(b"content-length: ")[1]
                                                          .split(b"\r\n")[0]))) == {"n": n}
    writer.close()


async def test_a_reader_that_stalls_is_closed_and_its_stream_ends(served):
    port, echo, _, _ = served
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")  # then never reads
    try:
        await wait_for(lambda: echo.streams_open == 1, 10, "the stream to start")
        await wait_for(lambda: echo.streams_open == 0, 20, "the stalled reader cut off")
    finally:
        sock.close()


async def test_stop_ends_an_open_stream(served):
    port, echo, _, listener = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    await reader.readuntil(b"\r\n\r\n")
    await listener.stop()
    assert echo.streams_open == 0
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    writer.close()
