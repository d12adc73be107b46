"""A streamed reply whose server reports no token counts (llama.cpp's server ignores
`stream_options.include_usage`) is counted by estimate and marked so (issue 44): the prompt
by its characters, the reply by its streamed chunks; a server that reports its counts is
taken at its word. Real HTTP servers (tests.local_http) streaming as each does."""

from __future__ import annotations

import json
import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from kernel.http.apis import http_provider
from kernel.http.stream import CHARS_PER_TOKEN
from kernel.provider import SYSTEM
from tests.helpers import http_config
from tests.local_http import serving

PIECES = ["The", " answer", " is", " 42", "."]
PROMPT = "What is six times seven? " * 10


def _server(usage: dict | None) -> Starlette:
    async def chat(request: Request) -> StreamingResponse:
        def frames():
            for piece in PIECES:  # one token a chunk, as llama.cpp's server streams
                yield f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n"
            yield f"data: {json.dumps({'choices': [{'delta': {}, 'finish_reason': 'stop'}]})}\n\n"
            if usage is not None:
                yield f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"
        return StreamingResponse(frames(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


async def _reply(usage: dict | None):
    with serving(_server(usage)) as url:
        brain = http_provider(http_config(kind="openai", base_url=f"{url}/v1", model="m",
                                          max_tokens=64, usd_per_mtok_in=1.0))
        try:
            return await brain.generate(PROMPT, deadline=time.monotonic() + 30)
        finally:
            await brain.aclose()


async def test_a_server_that_reports_no_usage_gets_estimated_counts_marked_so():
    reply = await _reply(None)
    assert reply.text == "".join(PIECES)
    chars = len(SYSTEM) + len(PROMPT)
    assert reply.usage.prompt_tokens == -(-chars // CHARS_PER_TOKEN)
    assert reply.usage.completion_tokens == len(PIECES)
    assert reply.usage.cost_usd == pytest.approx(reply.usage.prompt_tokens / 1e6)
    assert reply.telemetry["tokens_estimated"] == {
        "prompt": f"characters/{CHARS_PER_TOKEN}", "completion": "stream chunks"}


async def test_a_server_that_reports_usage_is_taken_at_its_word():
    reply = await _reply({"prompt_tokens": 7, "completion_tokens": 3})
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (7, 3)
    assert "tokens_estimated" not in reply.telemetry
