"""An MCP server over stdio that speaks the handshake right and then answers garbage.

Written by hand (the SDK would never send these): `initialize` and pings are answered
properly; `tools/list` lists three tools, or with `--bad-listing` one whose inputSchema is
not an object; `tools/call` of `nonjson` writes a line that is not JSON, of `shape` answers
a result whose `content` is not a list, of `error` answers a JSON-RPC error, of `ok`
answers properly.
"""

import json
import sys

TOOLS = [{"name": name, "description": f"answers {name}", "inputSchema": {"type": "object"}}
         for name in ("nonjson", "shape", "error", "ok")]


def send(message: dict) -> None:
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
    sys.stdout.flush()


def answer_call(mid: object, name: str) -> None:
    if name == "nonjson":
        sys.stdout.write("Traceback (most recent call last): this is not JSON {\n")
        sys.stdout.flush()
    elif name == "shape":
        send({"id": mid, "result": {"content": "a string, not a list"}})
    elif name == "error":
        send({"id": mid, "error": {"code": -32602, "message": "no such thing"}})
    else:
        send({"id": mid, "result": {"content": [{"type": "text", "text": "fine"}]}})


def main() -> None:
    tools = [*TOOLS, {"name": "broken", "inputSchema": "no"}] if "--bad-listing" in sys.argv \
        else TOOLS
    for line in sys.stdin:
        message = json.loads(line)
        method, mid = message.get("method"), message.get("id")
        if method == "initialize":
            send({"id": mid, "result": {
                "protocolVersion": message["params"]["protocolVersion"],
                "capabilities": {"tools": {}}, "serverInfo": {"name": "garbage", "version": "0"}}})
        elif method == "tools/list":
            send({"id": mid, "result": {"tools": tools}})
        elif method == "tools/call":
            answer_call(mid, message["params"]["name"])
        elif mid is not None:
            send({"id": mid, "result": {}})


if __name__ == "__main__":
    main()
