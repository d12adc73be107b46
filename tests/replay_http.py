"""The replay provider (the suite's one named stand-in for a model) behind a real
OpenAI-compatible HTTP server: `GET /v1/models` lists the model, `POST /v1/chat/completions`
streams the script's next turn as server-sent events with a usage frame. Served by
tests.local_http (uvicorn on a loopback port), so a test can stop the server, start it again
on the same port, and kill it in the middle of a reply: the daemon's HTTP brain and its
failback chain see a real server come and go (issue 44).

A turn whose text is HANG sends its first chunk and then never ends: the test stops the
server under it (`hanging` is set when it does), as a server killed mid-reply; the client
sees the connection cut. A turn whose text is DIE does the same but, once the server no
longer accepts connections, ends its stream cleanly without a finish_reason: what a client
sees of llama.cpp's server killed mid-reply."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from kernel.replay import ReplayProvider

HANG = "<hang: the server is killed mid-reply>"
DIE = "<die: the server is gone and its stream ends cleanly, unfinished>"
MODEL = "replay-over-http"


class ReplayServer:
    """The app, its script, and what the test observes of the requests."""

    def __init__(self, replay: ReplayProvider):
        self.replay = replay
        self.requests: list[float] = []  # monotonic time of each chat request
        self.hanging = threading.Event()

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/models", self.models, methods=["GET"]),
                                 Route("/v1/chat/completions", self.chat, methods=["POST"])])

    async def models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def chat(self, request: Request) -> Response:
        self.requests.append(time.monotonic())
        body = await request.json()
        prompt = next((m["content"] for m in reversed(body["messages"])
                       if m["role"] == "user"), "")
        reply = await self.replay.generate(prompt, deadline=time.monotonic() + 60)
        return StreamingResponse(self._frames(reply.text, request.url.port or 0),
                                 media_type="text/event-stream")

    async def _frames(self, text: str, port: int) -> AsyncIterator[str]:
        def frame(data: dict) -> str:
            return f"data: {json.dumps(data)}\n\n"
        if text in (HANG, DIE):
            yield frame({"choices": [{"index": 0, "delta": {"content": "{\"tool\": "}}]})
            self.hanging.set()
            if text == DIE:
                await _until_refused(port)
                return
            await asyncio.Event().wait()  # until the server is stopped under it
        yield frame({"choices": [{"index": 0, "delta": {"role": "assistant",
                                                         "content": text}}]})
        yield frame({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        yield frame({"choices": [], "usage": {"prompt_tokens": 100,
                                              "completion_tokens": len(text) // 4}})
        yield "data: [DONE]\n\n"


async def _until_refused(port: int) -> None:
    """Return once nothing accepts connections on `port` (the server is stopping)."""
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        writer.close()
        await asyncio.sleep(0.05)  # polling the listener: a server helper, not a test
