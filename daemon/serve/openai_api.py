"""The OpenAI API: /v1/chat/completions (JSON, or Server-Sent Events with `stream`) and
/v1/models.

Telemetry: the extra top-level `ouroboros` object on the completion and, when streaming, on
the chunk that carries `finish_reason` (the official client keeps unknown fields:
`completion.model_extra["ouroboros"]`). Errors are `{"error": {"message", "type", "param",
"code"}}`; a full queue is 503 with Retry-After. Unsupported features that would change the
answer (n > 1, logprobs, non-text content, JSON response formats) are refused with
400; frequency and presence penalties are accepted and ignored (the kernel's own repetition
penalty and no-repeat n-grams are always on).

Tools (daemon.serve.tools): `tools` and `tool_choice` (auto, none, required, or one named
function) are taken; the kernel's tool lines come back as `message.tool_calls` (streamed:
one `delta.tool_calls` item per call, its arguments whole) with finish_reason "tool_calls".
An assistant turn's `tool_calls` and a `tool` message's result go to the kernel as text.
"""

from __future__ import annotations

import json
import time
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
    JobStream,
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

FINISH = {"stop": "stop", "stop_string": "stop", "length": "length", "collapse": "stop",
          "cancelled": "stop", "preempted": "length"}


class Part(Strict):
    type: str = Field(max_length=64)
    text: str | None = None


class Function(Strict):
    name: str = Field(max_length=200)
    description: str = Field("", max_length=8192)
    parameters: dict[str, Any] | None = None
    arguments: str = Field("", max_length=1 << 20)  # in an assistant turn's tool_calls


class ToolDef(Strict):
    type: Literal["function"]
    function: Function


class CallIn(Strict):
    id: str = Field("", max_length=200)
    type: Literal["function"] = "function"
    function: Function


class Named(Strict):
    type: Literal["function"]
    function: Function


class Message(Strict):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | Annotated[list[Part], Field(max_length=MAX_MESSAGES)] | None = None
    tool_calls: list[CallIn] | None = Field(None, max_length=MAX_TOOLS)
    tool_call_id: str | None = Field(None, max_length=200)


class StreamOptions(Strict):
    include_usage: bool = False


class ResponseFormat(Strict):
    type: str = Field(max_length=64)


class ChatBody(Strict):
    model: str = Field(max_length=1024)
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    seed: int | None = Field(None, ge=0, lt=2**63)
    stop: str | list[str] | None = None
    n: int = Field(1, ge=1)
    tools: list[ToolDef] | None = Field(None, max_length=MAX_TOOLS)
    tool_choice: Literal["auto", "none", "required"] | Named | None = None
    logprobs: bool | None = None
    response_format: ResponseFormat | None = None


def _text(m: Message) -> str:
    if m.content is None or isinstance(m.content, str):
        return m.content or ""
    for part in m.content:
        unsupported(part.type != "text" or part.text is None,
                    f"content of type {part.type[:64]!r}", "messages")
    return "".join(p.text or "" for p in m.content)


def requested_tools(body: ChatBody) -> Tools:
    choice = body.tool_choice or "auto"
    if isinstance(choice, Named):
        choice = choice.function.name
    return tools([(t.function.name, t.function.description, t.function.parameters)
                  for t in body.tools or []], choice)


def messages(body: ChatBody, given: Tools) -> list[dict[str, str]]:
    unsupported(body.n != 1, "n other than 1", "n")
    unsupported(bool(body.logprobs), "logprobs", "logprobs")
    unsupported(body.response_format is not None and body.response_format.type != "text",
                "a response_format other than text", "response_format")
    names: dict[str, str] = {}  # tool_call_id -> the tool's name, for the results
    out = [{"role": "system", "content": given.system()}] if given else []
    for m in body.messages:
        text = _text(m)
        for call in m.tool_calls or []:
            names[call.id] = call.function.name
            text += ("\n" if text else "") + call_line(call.function.name,
                                                       _arguments(call.function.arguments))
        if m.role == "tool":
            text = result_text(names.get(m.tool_call_id or "", ""), text)
        out.append({"role": "system" if m.role == "developer" else m.role, "content": text})
    return out


def _arguments(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except (ValueError, RecursionError):
        return text  # the kernel sees what the client sent


def _calls(calls: list[ToolCall]) -> list[dict[str, Any]]:
    return [{"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function",
             "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
            for c in calls]


def sampling(body: ChatBody) -> Sampling:
    return Sampling(max_tokens=body.max_completion_tokens or body.max_tokens,
                    temperature=body.temperature, top_p=body.top_p, seed=body.seed,
                    stop=stops(body.stop, "stop"))


def _sse(data: dict[str, Any] | str) -> bytes:
    return f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()


def _usage(done: Finished) -> dict[str, int]:
    return {"prompt_tokens": done.prompt_tokens, "completion_tokens": done.completion_tokens,
            "total_tokens": done.prompt_tokens + done.completion_tokens}


class OpenAiApi:
    def __init__(self, model: ServedModel):
        self.model = model

    def routes(self) -> list[Route]:
        guard = endpoint(Api.OPENAI)
        return [Route("/v1/chat/completions", guard(self.chat), methods=["POST"]),
                Route("/v1/models", guard(self.models), methods=["GET"]),
                Route("/v1/models/{model:path}", guard(self.one_model), methods=["GET"])]

    async def chat(self, request: Request) -> Response:
        body = validate(ChatBody, await read_json(request))
        self.model.check_model(body.model)
        given = requested_tools(body)
        prepared = await self.model.prepare(messages(body, given), sampling(body),
                                            given.shape())
        job = self.model.start(prepared)
        head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()),
                "model": self.model.name, "system_fingerprint": None}
        if body.stream:
            usage = body.stream_options is not None and body.stream_options.include_usage
            return JobStream(job, self._stream(job, head, usage, given),
                             "text/event-stream")
        done = await complete(request, job)
        if done is None:
            return Response(status_code=CLIENT_GONE)
        text, calls = split(done.generation.text, given)
        message = {"role": "assistant", "content": text or (None if calls else ""),
                   "refusal": None}
        if calls:
            message["tool_calls"] = _calls(calls)
        finish = "tool_calls" if calls else FINISH.get(done.generation.exit_reason, "stop")
        return JSONResponse({
            **head, "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": finish}],
            "usage": _usage(done), "ouroboros": done.telemetry})

    def _stream(self, job, head: dict[str, Any], usage: bool, given: Tools):
        splitter = Splitter(given)
        def chunk(delta: dict[str, Any], finish: str | None = None,
                  **extra: Any) -> dict[str, Any]:
            return {**head, "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                 "finish_reason": finish}],
                    **({"usage": None} if usage else {}), **extra}

        def piece(text: str) -> bytes:
            return _sse(chunk({"content": text})) if (text := splitter.push(text)) else b""

        def final(done: Finished) -> bytes:
            rest = splitter.finish()
            out = _sse(chunk({"content": rest})) if rest else b""
            for i, call in enumerate(_calls(splitter.calls)):
                out += _sse(chunk({"tool_calls": [{"index": i, **call}]}))
            reason = "tool_calls" if splitter.calls else \
                FINISH.get(done.generation.exit_reason, "stop")
            out += _sse(chunk({}, reason, ouroboros=done.telemetry))
            if usage:
                out += _sse({**head, "object": "chat.completion.chunk", "choices": [],
                             "usage": _usage(done)})
            return out + _sse("[DONE]")

        return frames(job, _sse(chunk({"role": "assistant", "content": ""})), piece, final,
                      lambda e: _sse(error_body(Api.OPENAI, e)))

    async def models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [self._card()]})

    async def one_model(self, request: Request) -> Response:
        self.model.check_model(request.path_params["model"])
        return JSONResponse(self._card())

    def _card(self) -> dict[str, Any]:
        return {"id": self.model.name, "object": "model", "created": self.model.created,
                "owned_by": "ouroboros", "max_model_len": self.model.context}  # as vLLM's
