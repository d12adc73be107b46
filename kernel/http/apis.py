"""The three wire formats behind kernel.http.providers: what each API's request body, auth
header, streamed frames and model listing look like. Base URLs follow each official
client: Ollama's root (http://127.0.0.1:11434), OpenAI's with /v1
(https://api.openai.com/v1), Anthropic's root (https://api.anthropic.com).

Tool calls: a shape's tool lines go as each API's native `tools` (kernel.http.tools), and
the calls that come back (Ollama's whole `message.tool_calls`, OpenAI's indexed
`delta.tool_calls` fragments, Anthropic's `tool_use` blocks with `input_json_delta`
fragments) are written into the reply's text as tool lines: the tool loop alone parses
them, as it parses the kernel's, and governance judges the same text from every model.
With `native_tools` off no provider sends `tools`; calls then ride in the text only.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from kernel import defaults
from kernel.http.providers import HttpProvider, HttpProviderConfig
from kernel.http.stream import ProviderFailure, Tally, lines, sse
from kernel.http.tools import MAX_CALLS, ToolCallError, ToolSpec, anthropic_tools, function_tools

ANTHROPIC_VERSION = "2023-06-01"
MAX_TELEMETRY_CHARS = 4096
ANTHROPIC_ERROR_MODE = {"rate_limit_error": "RATE_LIMIT", "overloaded_error": "SERVER_ERROR",
                        "api_error": "SERVER_ERROR", "timeout_error": "TIMEOUT"}


class OllamaProvider(HttpProvider):
    kind, chat_path, health_path = "ollama", "/api/chat", "/api/tags"

    def body(self, messages: list[dict[str, str]], max_tokens: int, temperature: float,
             tools: list[ToolSpec], must_call: bool) -> dict[str, Any]:
        options: dict[str, Any] = {"num_predict": max_tokens, "temperature": temperature}
        if self.context_tokens:  # the window the prompts were fitted to
            options["num_ctx"] = self.context_tokens
        body = {"model": self.config.model, "messages": messages, "stream": True,
                "options": options}
        return {**body, "tools": function_tools(tools)} if tools else body  # no tool_choice

    async def read(self, response: httpx.Response, tally: Tally) -> None:
        async for line in lines(response):
            if not line.strip():
                continue
            frame = json.loads(line)
            if "error" in frame:
                raise ProviderFailure(self._scrub(f"{self.name}: {frame['error']}"[:2000]),
                                      "SERVER_ERROR")
            message = frame.get("message") or {}
            tally.add(message.get("content") or "")
            calls = message.get("tool_calls") or []
            if not isinstance(calls, list) or len(calls) > MAX_CALLS:
                raise ToolCallError(f"tool_calls is not a list of at most {MAX_CALLS}")
            for call in calls:
                function = call.get("function") or {}
                tally.calls.whole(function.get("name"), function.get("arguments"))
            if frame.get("done"):
                tally.prompt_tokens = int(frame.get("prompt_eval_count") or 0)
                tally.completion_tokens = int(frame.get("eval_count") or 0)
                tally.finish = str(frame.get("done_reason") or "")
                _keep_telemetry(frame, tally)
                return
        raise ProviderFailure(f"{self.name}: the stream ended before `done`", "SERVER_ERROR")

    def seeded(self, body: dict[str, Any], seed: int | None) -> dict[str, Any]:
        """Ollama takes the seed among its options."""
        if seed is None:
            return body
        return {**body, "options": {**body["options"], "seed": seed}}

    def listed(self, data: Any) -> bool:
        names = {m.get(k) for m in data.get("models", []) for k in ("name", "model")}
        return self.config.model in names or f"{self.config.model}:latest" in names

    async def served_window(self) -> int | None:
        """/api/show's `model_info["<architecture>.context_length"]`: what the model was
        trained on (Ollama itself then runs it at num_ctx)."""
        response = await self._client.post("/api/show", json={"model": self.config.model})
        info = response.json().get("model_info") if response.status_code == 200 else None
        found = [v for k, v in (info or {}).items() if k.endswith(".context_length")]
        return _window(found[0] if found else None)


class OpenAiProvider(HttpProvider):
    kind, chat_path, health_path = "openai", "/chat/completions", "/models"

    def body(self, messages: list[dict[str, str]], max_tokens: int, temperature: float,
             tools: list[ToolSpec], must_call: bool) -> dict[str, Any]:
        body = {"model": self.config.model, "messages": messages, "stream": True,
                "stream_options": {"include_usage": True}, "max_tokens": max_tokens,
                "temperature": temperature}
        if tools:
            body["tools"] = function_tools(tools)
            body["tool_choice"] = "required" if must_call else "auto"
        return body

    async def read(self, response: httpx.Response, tally: Tally) -> None:
        async for _, data in sse(response):
            if data.strip() == "[DONE]":
                break
            frame = json.loads(data)
            if "error" in frame:
                raise ProviderFailure(self._scrub(f"{self.name}: {frame['error']}"[:2000]),
                                      "SERVER_ERROR")
            for choice in frame.get("choices") or []:
                delta = choice.get("delta") or {}
                tally.add(delta.get("content") or "")
                _openai_calls(delta.get("tool_calls") or [], tally)
                tally.finish = choice.get("finish_reason") or tally.finish
            if usage := frame.get("usage"):
                tally.prompt_tokens = int(usage.get("prompt_tokens") or 0)
                tally.completion_tokens = int(usage.get("completion_tokens") or 0)
            _keep_telemetry(frame, tally)
        if not tally.finish:
            raise ProviderFailure(f"{self.name}: the stream ended without a finish_reason",
                                  "SERVER_ERROR")

    def listed(self, data: Any) -> bool:
        return any(m.get("id") == self.config.model for m in data.get("data", []))

    async def served_window(self) -> int | None:
        """The model card's window, in the field the server uses for it: vLLM's (and
        `ouroboros serve`'s) `max_model_len`, `context_length` (OpenRouter, LM Studio),
        `context_window` (Groq), llama.cpp's `meta.n_ctx_train`. OpenAI's own card has none."""
        response = await self._client.get(f"/models/{self.config.model}")
        card = response.json() if response.status_code == 200 else {}
        meta = card.get("meta") if isinstance(card.get("meta"), dict) else {}
        return _window(next((v for v in (card.get("max_model_len"), card.get("context_length"),
                                         card.get("context_window"), meta.get("n_ctx_train"))
                             if v is not None), None))


class AnthropicProvider(HttpProvider):
    kind, chat_path, health_path = "anthropic", "/v1/messages", "/v1/models"

    def seeded(self, body: dict[str, Any], seed: int | None) -> dict[str, Any]:
        return body  # the Messages API takes no seed: the temperature floor alone varies it

    def auth_headers(self, key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        return {**headers, "x-api-key": key} if key else headers

    def body(self, messages: list[dict[str, str]], max_tokens: int, temperature: float,
             tools: list[ToolSpec], must_call: bool) -> dict[str, Any]:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        turns = [m for m in messages if m["role"] != "system"]
        body = {"model": self.config.model, "max_tokens": max_tokens, "system": system,
                "messages": turns, "stream": True, "temperature": min(temperature, 1.0)}
        if tools:
            body["tools"] = anthropic_tools(tools)
            body["tool_choice"] = {"type": "any" if must_call else "auto"}
        return body

    async def read(self, response: httpx.Response, tally: Tally) -> None:
        async for event, data in sse(response):
            frame = json.loads(data)
            if event == "error":
                error = frame.get("error") or {}
                raise ProviderFailure(
                    self._scrub(f"{self.name}: {error.get('message', error)}"[:2000]),
                    ANTHROPIC_ERROR_MODE.get(error.get("type"), "SERVER_ERROR"))
            if event == "message_start":
                tally.prompt_tokens = int(frame["message"]["usage"]["input_tokens"])
            elif event == "content_block_start" and \
                    frame["content_block"].get("type") == "tool_use":
                block = frame["content_block"]
                tally.calls.start(frame["index"], block.get("name"))
                if block.get("input"):  # the input whole (fragments usually follow instead)
                    tally.calls.fragment(frame["index"], json.dumps(block["input"]))
            elif event == "content_block_delta" and frame["delta"].get("type") == "text_delta":
                tally.add(frame["delta"]["text"])
            elif event == "content_block_delta" and \
                    frame["delta"].get("type") == "input_json_delta":
                tally.calls.fragment(frame["index"], frame["delta"]["partial_json"])
            elif event == "message_delta":
                tally.completion_tokens = int(frame.get("usage", {}).get("output_tokens") or 0)
                tally.finish = str(frame["delta"].get("stop_reason") or "")
                _keep_telemetry(frame, tally)
            elif event == "message_stop":
                return
        raise ProviderFailure(f"{self.name}: the stream ended before message_stop",
                              "SERVER_ERROR")

    def listed(self, data: Any) -> bool:
        return any(m.get("id") == self.config.model for m in data.get("data", []))


def _openai_calls(items: Any, tally: Tally) -> None:
    """One chunk's `delta.tool_calls`: the first item of an index names the call, every
    item may carry a fragment of its arguments (JSON text, joined in order)."""
    if not isinstance(items, list):
        raise ToolCallError("delta.tool_calls is not a list")
    for item in items:
        function = item.get("function") or {}
        tally.calls.start(item.get("index", 0), function.get("name"))
        if function.get("arguments"):
            tally.calls.fragment(item.get("index", 0), function["arguments"])


def _keep_telemetry(frame: dict[str, Any], tally: Tally) -> None:
    """An `ouroboros serve` behind the URL reports its kernel's telemetry: keep it, when it
    is small (it goes to the ledger; any server may send anything under that name)."""
    value = frame.get("ouroboros")
    if isinstance(value, dict) and len(json.dumps(value)) <= MAX_TELEMETRY_CHARS:
        tally.extra["ouroboros"] = value


PROVIDERS: dict[str, type[HttpProvider]] = {
    "ollama": OllamaProvider, "openai": OpenAiProvider, "anthropic": AnthropicProvider}


def http_provider(config: HttpProviderConfig, **options: Any) -> HttpProvider:
    """The provider for `config.kind`; ValueError when its key's variable is unset."""
    return PROVIDERS[config.kind](config, **options)


def _window(value: Any) -> int | None:
    """A server's window, if it is a plausible one (what a config entry may set)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if defaults.MIN_WINDOW <= value <= defaults.MAX_WINDOW else None
