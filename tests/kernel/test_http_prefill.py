"""A streamed reply's time to its first text, and the prompt tokens the server read anew
for it: a local server keeps the last prompt's prefix (llama.cpp's, Ollama's), so a call
sharing it answers at once. Timed whole, such calls made the brain look fast at reading,
and a cold prompt's deadline then passed before its first token (through llama.cpp's
server on two cores: 427 prompt tokens/s taken from cached calls, 35 cold; stop 83).
A real HTTP server that reads each prompt past the prefix it keeps at a fixed rate."""

from __future__ import annotations

import asyncio
import json
import os
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from governance.routes.throughput import Speed, observed
from kernel.http.apis import http_provider
from tests.helpers import http_config
from tests.local_http import serving

PIECES = ["The", " answer", " is", " 42", "."] * 4
READ_S_PER_CHAR = 0.0002  # the server's prefill: 5,000 characters a second, past its cache
STEM = "Files of the repository, the same for every step of the op. " * 40


def _server() -> Starlette:
    held = {"prompt": ""}  # the one slot's cache, as llama.cpp's server keeps it

    async def chat(request: Request) -> StreamingResponse:
        body = await request.json()
        prompt = "\n".join(m["content"] for m in body["messages"])
        fresh = len(prompt) - len(os.path.commonprefix([held["prompt"], prompt]))  # noqa: RUF071
        held["prompt"] = prompt
        await asyncio.sleep(fresh * READ_S_PER_CHAR)

        async def frames():
            for piece in PIECES:
                yield f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n"
                await asyncio.sleep(0.01)  # its decode
            yield f"data: {json.dumps({'choices': [{'delta': {}, 'finish_reason': 'stop'}]})}\n\n"
            yield "data: [DONE]\n\n"
        return StreamingResponse(frames(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


async def _replies(prompts: list[str]):
    with serving(_server()) as url:
        brain = http_provider(http_config(kind="openai", base_url=f"{url}/v1", model="m",
                                          max_tokens=64))
        try:
            return [await brain.generate(p, deadline=time.monotonic() + 30) for p in prompts]
        finally:
            await brain.aclose()


async def test_a_call_reports_the_prompt_read_anew_and_the_time_to_its_first_text():
    cold, again, turn = await _replies([STEM + "Step one.", STEM + "Step one.",
                                        STEM + "Step two, with a longer turn. " * 8])
    assert cold.usage.prefill_tokens == cold.usage.prompt_tokens
    assert cold.usage.prefill_ms >= len(STEM) * READ_S_PER_CHAR * 1000
    assert again.usage.prefill_tokens == 0 and again.usage.prefill_ms < cold.usage.prefill_ms
    share = turn.usage.prefill_tokens / turn.usage.prompt_tokens
    assert 0 < share < 0.5  # the turn past the shared files only


async def test_a_cached_call_leaves_the_brains_prompt_speed_as_it_was():
    cold, again = await _replies([STEM + "Step one.", STEM + "Step one."])
    speed = observed(Speed(10_000.0, 100.0, "assumed", 0), cold.usage)
    read_tps = 1 / READ_S_PER_CHAR / 4  # the server's characters a second, 4 to a token
    assert speed.prompt_tps <= read_tps * 1.05
    after = observed(speed, again.usage)
    assert after.prompt_tps == speed.prompt_tps  # nothing read: no reading speed measured
    assert after.samples == speed.samples + 1  # its decode was measured
