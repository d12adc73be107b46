"""An MCP server that speaks the handshake right and then answers garbage, over stdio or
(`--http`) as a streamable HTTP endpoint at /mcp that prints `PORT <n>` once it listens.

Written by hand (the SDK would never send these): `initialize` and pings are answered
properly; `tools/list` lists the tools below, or with `--bad-listing` also one whose
inputSchema is not an object. `tools/call` of
    nonjson  answers something that is not JSON (stdio: a line on stdout; HTTP: the body)
    shape    answers a result whose `content` is not a list
    html     (HTTP) answers a web page
    error    answers a JSON-RPC error
    ok       answers properly
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOOLS = [{"name": name, "description": f"answers {name}", "inputSchema": {"type": "object"}}
         for name in ("nonjson", "shape", "html", "error", "ok")]
NOT_JSON = "Traceback (most recent call last): this is not JSON {"


def answer(message: dict) -> tuple[str, str] | None:
    """(content type, body) for one request; None for a notification."""
    method, mid = message.get("method"), message.get("id")
    if mid is None:
        return None
    result: dict = {}
    if method == "initialize":
        result = {"protocolVersion": message["params"]["protocolVersion"],
                  "capabilities": {"tools": {}}, "serverInfo": {"name": "garbage", "version": "0"}}
    elif method == "tools/list":
        extra = [{"name": "broken", "inputSchema": "no"}] if "--bad-listing" in sys.argv else []
        result = {"tools": [*TOOLS, *extra]}
    elif method == "tools/call":
        name = message["params"]["name"]
        if name == "nonjson":
            return "application/json", NOT_JSON
        if name == "html":
            return "text/html", "<html><body>Welcome to nginx!</body></html>"
        if name == "error":
            return "application/json", json.dumps({"jsonrpc": "2.0", "id": mid, "error": {
                "code": -32602, "message": "no such thing"}})
        result = ({"content": "a string, not a list"} if name == "shape"
                  else {"content": [{"type": "text", "text": "fine"}]})
    return "application/json", json.dumps({"jsonrpc": "2.0", "id": mid, "result": result})


def serve_stdio() -> None:
    for line in sys.stdin:
        said = answer(json.loads(line))
        if said:
            sys.stdout.write(said[1] + "\n")
            sys.stdout.flush()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        said = answer(json.loads(body))
        if said is None:
            self.send_response(202)
            self.end_headers()
            return
        data = said[1].encode()
        self.send_response(200)
        self.send_header("content-type", said[0])
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # no server-initiated stream here
        self.send_response(405)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def serve_http() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("PORT", server.server_address[1], flush=True)  # the test reads this line
    server.serve_forever()


if __name__ == "__main__":
    if "--http" in sys.argv:
        serve_http()
    else:
        serve_stdio()
