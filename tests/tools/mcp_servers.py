"""Real MCP servers for the tests, as processes: the demo server (the official SDK) over
stdio or streamable HTTP, the hand-written garbage server, and config entries naming them."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
DEMO = str(HERE / "mcp_demo_server.py")
GARBAGE = str(HERE / "mcp_garbage_server.py")


def stdio_entry(script: str = DEMO, *args: str) -> dict:
    return {"command": sys.executable, "args": [script, *args]}


@dataclass
class HttpServer:
    port: int
    process: asyncio.subprocess.Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def entry(self, **extra: object) -> dict:
        return {"url": self.url, **extra}


@contextlib.asynccontextmanager
async def http_demo(port: int = 0, script: str = DEMO) -> AsyncIterator[HttpServer]:
    """The demo server (or `script`) on streamable HTTP (any free port, or `port` to come
    back on the port a dead one had), once it listens; killed at the end."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, script, "--http", str(port), stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            line = (await proc.stdout.readline()).decode()
        assert line.startswith("PORT "), f"the demo server did not start: {line!r}"
        yield HttpServer(int(line.split()[1]), proc)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
