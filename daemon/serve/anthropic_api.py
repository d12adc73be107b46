"""The Anthropic Messages API: /v1/messages (JSON, or the Server-Sent Events that Anthropic
sends with `stream`: message_start, content_block_start, ping, content_block_delta...,
content_block_stop, message_delta, message_stop).

Telemetry: the extra top-level `ouroboros` object on the Message and, when streaming, on the
`message_delta` event (the official client keeps unknown fields:
`message.model_extra["ouroboros"]`, `event.model_extra["ouroboros"]`). Errors are
`{"type": "error", "error": {"type", "message"}}` with Anthropic's status codes (529
overloaded_error when the queue is full). Thinking and image or document blocks are
refused with 400; top_k and metadata are accepted and ignored.

Tools (daemon.serve.tools): `tools` and `tool_choice` (auto, any, tool, none) are taken; the
kernel's tool lines come back as `tool_use` blocks (streamed: content_block_start, then
the input whole as one input_json_delta) after the text block, with stop_reason
"tool_use". `tool_use` and `tool_result` blocks a client sends go to the kernel as text.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from daemon.serve.common import (
    CLIENT_GONE,
    MAX_MESSAGES,
    MAX_TOOLS,
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
from daemon.serve.errors import Api, error_body
from daemon.serve.model import Finished, Sampling, ServedModel
from daemon.serve.tools import Splitter, Tools, call_line, result_text, split, tools
from tools.toolcalls import ToolCall

STOP_REASON = {"stop": "end_turn", "stop_string": "stop_sequence", "length": "max_tokens",
               "collapse": "end_turn", "cancelled": "end_turn",
               "preempted": "max_tokens"}


class Inner(Strict):
    type: str = Field(max_length=64)
    text: str | None = None


class Block(Strict):
    type: str = Field(max_length=64)
    text: str | None = None
    id: str = Field("", max_length=200)  # tool_use
    name: str = Field("", max_length=200)
    input: dict[str, Any] | None = None
    tool_use_id: str = Field("", max_length=200)  # tool_result
    content: str | Annotated[list[Inner], Field(max_length=MAX_MESSAGES)] | None = None
    is_error: bool = False


class ToolDef(Strict):
    name: str = Field(max_length=200)
    description: str = Field("", max_length=8192)
    input_schema: dict[str, Any]  # required, as Anthropic's API requires it


class Choice(Strict):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = Field(None, max_length=200)


class Message(Strict):
    role: Literal["user", "assistant"]
    content: str | Annotated[list[Block], Field(max_length=MAX_MESSAGES)]


class Thinking(Strict):
    type: str = Field(max_length=64)


class MessagesBody(Strict):
    model: str = Field(max_length=1024)
    max_tokens: int = Field(ge=1)
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    system: str | Annotated[list[Block], Field(max_length=MAX_MESSAGES)] | None = None
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=1)
    top_p: float | None = Field(None, ge=0, le=1)
    stop_sequences: list[str] | None = None
    tools: list[ToolDef] | None = Field(None, max_length=MAX_TOOLS)
    tool_choice: Choice | None = None
    thinking: Thinking | None = None


def _text(content: str | list[Block], param: str, names: dict[str, str] | None = None) -> str:
    """Text blocks as they are; tool_use and tool_result blocks (in messages: `names`
    maps tool_use ids to names) as the kernel's tool lines and results."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for b in content:
        if b.type == "text" and b.text is not None:
            parts.append(b.text)
        elif b.type == "tool_use" and names is not None:
            names[b.id] = b.name
            parts.append(f"\n{call_line(b.name, b.input or {})}\n")
        elif b.type == "tool_result" and names is not None:
            if b.tool_use_id not in names:  # Anthropic refuses a result of no earlier call
                raise ApiError(Kind.BAD_REQUEST, "a tool_result block whose tool_use_id "
                               f"{b.tool_use_id[:80]!r} names no earlier tool_use block",
                               param)
            inner = b.content if isinstance(b.content, str) else _inner(b.content or [])
            parts.append(result_text(names.get(b.tool_use_id, ""),
                                     f"(error) {inner}" if b.is_error else inner) + "\n")
        else:
            unsupported(True, f"a content block of type {b.type[:64]!r}", param)
    return "".join(parts).strip("\n") if names is not None else "".join(parts)


def _inner(blocks: list[Inner]) -> str:
    for b in blocks:
        unsupported(b.type != "text" or b.text is None,
                    f"a tool_result block of type {b.type[:64]!r}", "messages")
    return "".join(b.text or "" for b in blocks)


def requested_tools(body: MessagesBody) -> Tools:
    c = body.tool_choice
    choice = "auto" if c is None else {"any": "required", "tool": c.name or ""}.get(c.type,
                                                                                     c.type)
    return tools([(t.name, t.description, t.input_schema) for t in body.tools or []], choice)


def messages(body: MessagesBody, given: Tools) -> list[dict[str, str]]:
    unsupported(body.thinking is not None and body.thinking.type != "disabled", "thinking",
                "thinking")
    system = [_text(body.system, "system")] if body.system else []
    system += [given.system()] if given else []
    turns = [{"role": "system", "content": "\n\n".join(system)}] if system else []
    names: dict[str, str] = {}
    return turns + [{"role": m.role, "content": _text(m.content, "messages", names)}
                    for m in body.messages]


def _uses(calls: list[ToolCall]) -> list[dict[str, Any]]:
    return [{"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:24]}", "name": c.name,
             "input": c.arguments} for c in calls]


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


class AnthropicApi:
    def __init__(self, model: ServedModel):
        self.model = model

    def routes(self) -> list[Route]:
        return [Route("/v1/messages", endpoint(Api.ANTHROPIC)(self.messages),
                      methods=["POST"])]

    async def messages(self, request: Request) -> Response:
        body = validate(MessagesBody, await read_json(request))
        self.model.check_model(body.model)
        sampling = Sampling(max_tokens=body.max_tokens, temperature=body.temperature,
                            top_p=body.top_p, stop=stops(body.stop_sequences, "stop_sequences"))
        given = requested_tools(body)
        prepared = await self.model.prepare(messages(body, given), sampling, given.shape())
        job = self.model.start(prepared)
        head = {"id": f"msg_{uuid.uuid4().hex}", "type": "message", "role": "assistant",
                "model": self.model.name}
        if body.stream:
            return JobStream(job, self._stream(job, head, prepared.prompt_tokens, given),
                             "text/event-stream")
        done = await complete(request, job)
        if done is None:
            return Response(status_code=CLIENT_GONE)
        text, calls = split(done.generation.text, given)
        blocks = [{"type": "text", "text": text}] if text or not calls else []
        return JSONResponse({
            **head, "content": blocks + _uses(calls), **self._ending(done, bool(calls)),
            "usage": {"input_tokens": done.prompt_tokens,
                      "output_tokens": done.completion_tokens},
            "ouroboros": done.telemetry})

    @staticmethod
    def _ending(done: Finished, called: bool = False) -> dict[str, Any]:
        reason = "tool_use" if called else STOP_REASON.get(done.generation.exit_reason,
                                                           "end_turn")
        return {"stop_reason": reason, "stop_sequence": None if called else done.stop_sequence}

    def _stream(self, job, head: dict[str, Any], prompt_tokens: int, given: Tools):
        splitter = Splitter(given)
        start = _event("message_start", {"type": "message_start", "message": {
            **head, "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": prompt_tokens, "output_tokens": 0}}})
        start += _event("content_block_start", {"type": "content_block_start", "index": 0,
                                                "content_block": {"type": "text", "text": ""}})
        start += _event("ping", {"type": "ping"})

        def delta(text: str) -> bytes:
            return _event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                  "delta": {"type": "text_delta", "text": text}})

        def piece(text: str) -> bytes:
            return delta(text) if (text := splitter.push(text)) else b""

        def final(done: Finished) -> bytes:
            rest = splitter.finish()
            out = (delta(rest) if rest else b"") + _event(
                "content_block_stop", {"type": "content_block_stop", "index": 0})
            for i, use in enumerate(_uses(splitter.calls), start=1):
                out += _tool_use_events(i, use)
            return (out + _event("message_delta", {
                        "type": "message_delta",
                        "delta": self._ending(done, bool(splitter.calls)),
                        "usage": {"output_tokens": done.completion_tokens},
                        "ouroboros": done.telemetry})
                    + _event("message_stop", {"type": "message_stop"}))

        return frames(job, start, piece, final,
                      lambda e: _event("error", error_body(Api.ANTHROPIC, e)))


def _tool_use_events(index: int, use: dict[str, Any]) -> bytes:
    """One tool_use block as Anthropic streams it: empty input, then the input as JSON."""
    return (_event("content_block_start", {"type": "content_block_start", "index": index,
                                           "content_block": {**use, "input": {}}})
            + _event("content_block_delta", {"type": "content_block_delta", "index": index,
                                             "delta": {"type": "input_json_delta",
                                                       "partial_json": json.dumps(use["input"])}})
            + _event("content_block_stop", {"type": "content_block_stop", "index": index}))
