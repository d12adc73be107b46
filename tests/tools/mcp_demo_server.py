"""A tiny real MCP server on the official SDK, for the MCP tests.

`python mcp_demo_server.py` serves over stdio; `python mcp_demo_server.py --http [PORT]`
serves MCP's streamable HTTP transport at http://127.0.0.1:PORT/mcp (PORT 0 or none: any
free port) and prints `PORT <n>` once it listens. Besides `echo`, `add` and `header` (the
value of one of the request's HTTP headers: whether the configured headers arrive) it has
the tools of a server going wrong: `die` exits the process mid-call, `hang` never answers
the call (the server still answers pings), `freeze` stops the whole process (SIGSTOP).
"""

import os
import signal
import socket
import sys

import anyio
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("demo")


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    return f"echo: {text}"


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def header(name: str, ctx: Context) -> str:
    """The value of the request's HTTP header `name` (HTTP only)."""
    return (ctx.headers or {}).get(name.lower(), "(none)")


@server.tool()
def die() -> str:
    """Exit the server process in the middle of the call."""
    os._exit(3)


@server.tool()
async def hang() -> str:
    """Never answer this call."""
    await anyio.sleep_forever()
    return "unreachable"


@server.tool()
def freeze() -> str:
    """Stop the whole server process (it answers nothing more until SIGCONT)."""
    os.kill(os.getpid(), signal.SIGSTOP)
    return "thawed"


def serve_http(port: int) -> None:
    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen()
    print("PORT", sock.getsockname()[1], flush=True)  # the test reads this line
    config = uvicorn.Config(server.streamable_http_app(), log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--http"]:
        serve_http(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    else:
        server.run("stdio")
