"""The Ollama API: /api/chat, /api/generate (NDJSON streams by default, as Ollama's do),
/api/tags, /api/show.

Telemetry: the extra `ouroboros` object on the final (`"done": true`) object. Errors are
`{"error": "..."}` with Ollama's status codes (503 when the queue is full, as Ollama's
OLLAMA_MAX_QUEUE answers). Options the kernel has no knob for (top_k, num_ctx, ...) are
ignored, as Ollama ignores unknown ones; features that would change what the answer means
(images, format, raw, suffix, think) are refused with 400.

Tools (daemon.serve.tools): /api/chat takes `tools`; the kernel's tool lines come back as
`message.tool_calls` (`function.name`, `function.arguments` an object), streamed in a frame
of their own before the final one. An assistant turn's `tool_calls` and a `tool` message's
result go to the kernel as text.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

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
from daemon.serve.errors import Api
from daemon.serve.model import Finished, Sampling, ServedModel
from daemon.serve.tools import Splitter, Tools, call_line, result_text, split, tools
from tools.toolcalls import ToolCall

DONE_REASON = {"stop": "stop", "stop_string": "stop", "length": "length", "collapse": "stop",
               "cancelled": "stop", "preempted": "length"}
CHATML = ("{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n"
          "{{ end }}<|im_start|>assistant\n")


class Options(Strict):
    num_predict: int | None = Field(None, ge=-2)  # -1: no limit but the context; -2: fill it
    temperature: float | None = Field(None, ge=0)
    top_p: float | None = Field(None, ge=0, le=1)
    seed: int | None = Field(None, lt=2**63)  # negative: a random seed, as Ollama's -1
    stop: list[str] | None = None
    repeat_penalty: float | None = Field(None, ge=0.1, le=10)  # 0 would divide by zero


class Function(Strict):
    name: str = Field(max_length=200)
    description: str = Field("", max_length=8192)
    parameters: dict[str, Any] | None = None
    arguments: dict[str, Any] | None = None  # in an assistant turn's tool_calls


class ToolDef(Strict):
    type: str = Field("function", max_length=64)
    function: Function


class CallIn(Strict):
    function: Function


class Message(Strict):
    role: str = Field(max_length=64)
    content: str = ""
    images: list[Any] | None = None
    tool_calls: list[CallIn] | None = Field(None, max_length=MAX_TOOLS)
    tool_name: str | None = Field(None, max_length=200)


class _Request(Strict):
    model: str = Field(max_length=1024)
    stream: bool = True
    options: Options | None = None
    format: Any = None
    think: Any = None
    keep_alive: Any = None  # the model stays loaded for the server's life


class ChatBody(_Request):
    messages: list[Message] = Field(default_factory=list, max_length=MAX_MESSAGES)
    tools: list[ToolDef] | None = Field(None, max_length=MAX_TOOLS)


class GenerateBody(_Request):
    prompt: str = ""
    system: str | None = None
    raw: bool = False
    suffix: str | None = None
    images: list[Any] | None = None
    context: list[int] | None = None  # earlier /api/generate context: this server sends none


class ShowBody(Strict):
    model: str | None = Field(None, max_length=1024)
    name: str | None = Field(None, max_length=1024)  # the older spelling


def sampling(options: Options | None) -> Sampling:
    o = options or Options()
    budget = {None: None, -1: None, -2: 1 << 30}.get(o.num_predict, o.num_predict)
    return Sampling(max_tokens=budget, temperature=o.temperature, top_p=o.top_p,
                    seed=o.seed if o.seed is None or o.seed >= 0 else None,
                    stop=stops(o.stop, "options.stop"), repetition_penalty=o.repeat_penalty)


def _refuse(body: _Request, images: bool) -> None:
    unsupported(body.format not in (None, ""), "format (structured outputs)", "format")
    unsupported(body.think not in (None, False), "thinking", "think")
    unsupported(images, "image input", "images")


def chat_messages(body: ChatBody, given: Tools) -> list[dict[str, str]]:
    out = [{"role": "system", "content": given.system()}] if given else []
    for m in body.messages:
        text = "\n".join([m.content] * bool(m.content) + [
            call_line(c.function.name, c.function.arguments or {}) for c in m.tool_calls or []])
        if m.role == "tool":
            text = result_text(m.tool_name or "", text)
        out.append({"role": m.role, "content": text})
    return out


def _calls(calls: list[ToolCall]) -> list[dict[str, Any]]:
    return [{"function": {"name": c.name, "arguments": c.arguments}} for c in calls]


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _final(model: ServedModel, done: Finished) -> dict[str, Any]:
    gen = done.generation
    return {"model": model.name, "created_at": _now(), "done": True,
            "done_reason": DONE_REASON.get(gen.exit_reason, "stop"),
            "total_duration": int(done.wall_s * 1e9), "load_duration": 0,
            "prompt_eval_count": done.prompt_tokens, "eval_count": done.completion_tokens,
            "eval_duration": int(gen.seconds * 1e9), "ouroboros": done.telemetry}


def _line(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode() + b"\n"


class OllamaApi:
    def __init__(self, model: ServedModel):
        self.model = model

    def routes(self) -> list[Route]:
        guard = endpoint(Api.OLLAMA)
        return [Route("/api/chat", guard(self.chat), methods=["POST"]),
                Route("/api/generate", guard(self.generate), methods=["POST"]),
                Route("/api/tags", guard(self.tags), methods=["GET"]),
                Route("/api/show", guard(self.show), methods=["POST"])]

    async def chat(self, request: Request) -> Response:
        body = validate(ChatBody, await read_json(request))
        self.model.check_model(body.model)
        _refuse(body, any(m.images for m in body.messages))
        given = tools([(t.function.name, t.function.description, t.function.parameters)
                       for t in body.tools or []], "auto")
        if not body.messages:  # Ollama's way to load a model: answer at once
            return self._loaded({"message": {"role": "assistant", "content": ""}})
        return await self._answer(request, chat_messages(body, given), body, "message", given)

    async def generate(self, request: Request) -> Response:
        body = validate(GenerateBody, await read_json(request))
        self.model.check_model(body.model)
        _refuse(body, bool(body.images))
        unsupported(body.raw, "raw (an untemplated prompt)", "raw")
        unsupported(bool(body.suffix), "suffix (fill in the middle)", "suffix")
        if not body.prompt:
            return self._loaded({"response": ""})
        messages = [{"role": "system", "content": body.system}] if body.system else []
        messages.append({"role": "user", "content": body.prompt})
        return await self._answer(request, messages, body, "response")

    def _loaded(self, content: dict[str, Any]) -> Response:
        return JSONResponse({"model": self.model.name, "created_at": _now(), **content,
                             "done": True, "done_reason": "load"})

    async def _answer(self, request: Request, messages: list[dict[str, str]], body: _Request,
                      field: str, given: Tools | None = None) -> Response:
        """`field` carries the text: "message" (chat) or "response" (generate)."""
        job = self.model.start(await self.model.prepare(messages, sampling(body.options)))
        given = given or Tools()
        splitter = Splitter(given)

        def text(piece: str, calls: list[ToolCall] | None = None) -> dict[str, Any]:
            if field != "message":
                return {field: piece}
            return {field: {"role": "assistant", "content": piece,
                            **({"tool_calls": _calls(calls)} if calls else {})}}

        def frame(content: dict[str, Any]) -> bytes:
            return _line({"model": self.model.name, "created_at": _now(), **content,
                          "done": False})

        def piece(p: str) -> bytes:
            return frame(text(p)) if (p := splitter.push(p)) else b""

        def final(done: Finished) -> bytes:
            rest = splitter.finish()
            out = frame(text(rest, splitter.calls)) if rest or splitter.calls else b""
            return out + _line({**text(""), **_final(self.model, done)})

        if body.stream:
            return JobStream(job, frames(job, b"", piece, final,
                                         lambda e: _line({"error": e.message})),
                             "application/x-ndjson")
        done = await complete(request, job)
        if done is None:
            return Response(status_code=CLIENT_GONE)
        return JSONResponse({**_final(self.model, done), **text(*split(done.generation.text,
                                                                      given))})

    async def tags(self, request: Request) -> Response:
        return JSONResponse({"models": [self._entry()]})

    async def show(self, request: Request) -> Response:
        body = validate(ShowBody, await read_json(request))
        self.model.check_model(body.model or body.name or "")
        m, engine = self.model, self.model.engine
        g = engine.config.generation
        return JSONResponse({
            "modelfile": f"# served by ouroboros serve\nFROM {engine.name}\n",
            "parameters": f"temperature {g.temperature}\ntop_p {g.top_p}\n"
                          f"repeat_penalty {g.repetition_penalty}\nnum_predict "
                          f"{g.max_new_tokens}\n",
            "template": CHATML, "details": self._details(), "modified_at": _iso(m.created),
            "model_info": {"general.architecture": engine.kind,
                           "general.parameter_count": _parameters(engine.model),
                           f"{engine.kind}.context_length": m.context,
                           "ouroboros.total_steps": engine.total_steps,
                           "ouroboros.mode": engine.config.mode},
            "capabilities": ["completion", "tools"]})

    def _entry(self) -> dict[str, Any]:
        name = f"{self.model.name}:latest"
        params = _parameters(self.model.engine.model)
        return {"name": name, "model": name, "modified_at": _iso(self.model.created),
                "size": _bytes(self.model.engine.model, params),
                "digest": hashlib.sha256(f"{name}:{self.model.engine.name}:{params}".encode())
                .hexdigest(), "details": self._details()}

    def _details(self) -> dict[str, Any]:
        engine = self.model.engine
        params = _parameters(engine.model)
        return {"parent_model": "", "format": "safetensors", "family": engine.kind,
                "families": [engine.kind], "parameter_size": _size(params),
                "quantization_level": "Q4" if engine.config.load_in_4bit else "F32"}


def _parameters(model: Any) -> int:
    try:
        return sum(p.numel() for p in model.parameters())
    except (AttributeError, TypeError):
        return 0


def _bytes(model: Any, params: int) -> int:
    """The weights' bytes in memory: the lean int8 forward says; else float32."""
    try:
        return int(model.nbytes())
    except (AttributeError, TypeError):
        return params * 4


def _size(n: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}"
    return str(n)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")

