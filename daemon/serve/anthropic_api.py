"""The Anthropic Messages API: /v1/messages (JSON, or the Server-Sent Events that Anthropic
sends with `stream`: message_start, content_block_start, ping, content_block_delta...,
content_block_stop, message_delta, message_stop).

Telemetry: the extra top-level `ouroboros` object on the Message and, when streaming, on the
`message_delta` event (the official client keeps unknown fields:
`message.model_extra["ouroboros"]`, `event.model_extra["ouroboros"]`). Errors are
`{"type": "error", "error": {"type", "message"}}` with Anthropic's status codes (529
overloaded_error when the queue is full). Tools, thinking and non-text content blocks are
refused with 400; top_k and metadata are accepted and ignored.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from daemon.serve.common import (
    CLIENT_GONE,
    ApiError,
    JobStream,
    Kind,
    Strict,
    complete,
    endpoint,
    frames,
    read_json,
    stops,
    unsupported,
    validate,
)
from daemon.serve.model import Finished, Sampling, ServedModel

STATUS = {Kind.BAD_REQUEST: 400, Kind.NOT_FOUND: 404, Kind.NO_ROUTE: 404, Kind.TOO_LARGE: 413,
          Kind.FORBIDDEN: 403, Kind.CONTEXT: 400, Kind.OVERLOADED: 529, Kind.INTERNAL: 500}
TYPE = {Kind.BAD_REQUEST: "invalid_request_error", Kind.NOT_FOUND: "not_found_error",
        Kind.NO_ROUTE: "not_found_error",
        Kind.TOO_LARGE: "request_too_large", Kind.FORBIDDEN: "permission_error",
        Kind.CONTEXT: "invalid_request_error", Kind.OVERLOADED: "overloaded_error",
        Kind.INTERNAL: "api_error"}
STOP_REASON = {"stop": "end_turn", "stop_string": "stop_sequence", "length": "max_tokens",
               "collapse": "end_turn", "cancelled": "end_turn"}


def error_body(err: ApiError) -> dict[str, Any]:
    return {"type": "error", "error": {"type": TYPE[err.kind], "message": err.message}}


def error_response(err: ApiError) -> Response:
    headers = {"Retry-After": "1"} if err.kind is Kind.OVERLOADED else None
    return JSONResponse(error_body(err), STATUS[err.kind], headers=headers)


class Block(Strict):
    type: str = Field(max_length=64)
    text: str | None = None


class Message(Strict):
    role: Literal["user", "assistant"]
    content: str | list[Block]


class Thinking(Strict):
    type: str = Field(max_length=64)


class MessagesBody(Strict):
    model: str = Field(max_length=1024)
    max_tokens: int = Field(ge=1)
    messages: list[Message] = Field(min_length=1)
    system: str | list[Block] | None = None
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=1)
    top_p: float | None = Field(None, ge=0, le=1)
    stop_sequences: list[str] | None = None
    tools: list[Any] | None = None
    thinking: Thinking | None = None


def _text(content: str | list[Block], param: str) -> str:
    if isinstance(content, str):
        return content
    for block in content:
        unsupported(block.type != "text" or block.text is None,
                    f"a content block of type {block.type[:64]!r}", param)
    return "".join(b.text or "" for b in content)


def messages(body: MessagesBody) -> list[dict[str, str]]:
    unsupported(bool(body.tools), "tools", "tools")
    unsupported(body.thinking is not None and body.thinking.type != "disabled", "thinking",
                "thinking")
    turns = [{"role": "system", "content": _text(body.system, "system")}] if body.system else []
    return turns + [{"role": m.role, "content": _text(m.content, "messages")}
                    for m in body.messages]


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


class AnthropicApi:
    def __init__(self, model: ServedModel):
        self.model = model

    def routes(self) -> list[Route]:
        return [Route("/v1/messages", endpoint(error_response)(self.messages),
                      methods=["POST"])]

    async def messages(self, request: Request) -> Response:
        body = validate(MessagesBody, await read_json(request))
        self.model.check_model(body.model)
        sampling = Sampling(max_tokens=body.max_tokens, temperature=body.temperature,
                            top_p=body.top_p, stop=stops(body.stop_sequences, "stop_sequences"))
        prepared = await self.model.prepare(messages(body), sampling)
        job = self.model.start(prepared)
        head = {"id": f"msg_{uuid.uuid4().hex}", "type": "message", "role": "assistant",
                "model": self.model.name}
        if body.stream:
            return JobStream(job, self._stream(job, head, prepared.prompt_tokens),
                             "text/event-stream")
        done = await complete(request, job)
        if done is None:
            return Response(status_code=CLIENT_GONE)
        return JSONResponse({
            **head, "content": [{"type": "text", "text": done.generation.text}],
            **self._ending(done),
            "usage": {"input_tokens": done.prompt_tokens,
                      "output_tokens": done.completion_tokens},
            "ouroboros": done.telemetry})

    @staticmethod
    def _ending(done: Finished) -> dict[str, Any]:
        return {"stop_reason": STOP_REASON.get(done.generation.exit_reason, "end_turn"),
                "stop_sequence": done.stop_sequence}

    def _stream(self, job, head: dict[str, Any], prompt_tokens: int):
        start = _event("message_start", {"type": "message_start", "message": {
            **head, "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": prompt_tokens, "output_tokens": 0}}})
        start += _event("content_block_start", {"type": "content_block_start", "index": 0,
                                                "content_block": {"type": "text", "text": ""}})
        start += _event("ping", {"type": "ping"})

        def piece(text: str) -> bytes:
            return _event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                  "delta": {"type": "text_delta", "text": text}})

        def final(done: Finished) -> bytes:
            return (_event("content_block_stop", {"type": "content_block_stop", "index": 0})
                    + _event("message_delta", {
                        "type": "message_delta", "delta": self._ending(done),
                        "usage": {"output_tokens": done.completion_tokens},
                        "ouroboros": done.telemetry})
                    + _event("message_stop", {"type": "message_stop"}))

        return frames(job, start, piece, final, lambda e: _event("error", error_body(e)))
