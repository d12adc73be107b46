"""Models over HTTP: Ollama, OpenAI-compatible and Anthropic servers as CandidateProviders.

Each call streams one reply (httpx, async) within the caller's deadline and returns its
text, the server's own token counts, a cost from the configured price per million tokens,
and the text-only collapse proximity (kernel.canary's text detector; an `ouroboros serve`
behind the URL also hands over its kernel telemetry, kept under `telemetry["ouroboros"]`).
Given a reply shape with tool lines (the tool loop's), a provider sends them as the API's
native tools and writes the calls it gets back into the text as tool lines
(kernel.http.tools): the tool loop alone parses them, as it parses the kernel's.
Every failure is a ProviderFailure whose `mode` says what kind it was, for a failback
policy to act on (the modes of the design's failback FSM; this module has no FSM):

    RATE_LIMIT    429 (with the server's Retry-After, when it gave one)
    TIMEOUT       the deadline passed, or 408/504
    SERVER_ERROR  other 5xx (529 and a full `serve` queue included), an in-stream error,
                  a reply that breaks the protocol or its size caps
    CONNECTION    nothing answered: refused, reset, DNS, TLS
    CONTENT       the request itself was refused (400, 401, 403, 404, 413, ...)

The API key is read once from the environment variable the config names (never from the
config itself), sent only as the API's auth header, and scrubbed from every message this
module makes: a hostile server that echoes it back in an error cannot put it in a log.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from governance.brains.provider import (
    CollapseSignal,
    ModelReply,
    ProviderHealth,
    ReplyShape,
    Steering,
)
from governance.schemas import ModelUsage
from kernel import defaults
from kernel.blocks_grammar import blocks_gbnf
from kernel.canary import text_proximity
from kernel.http.stream import Mode, ProviderFailure, Tally
from kernel.http.tools import ToolCallError, ToolSpec, tool_specs
from kernel.provider import SYSTEM

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True, kw_only=True)
class HttpProviderConfig:
    """One HTTP brain, built from its [[provider.http]] entry (daemon.brains.providers.http_config):
    the knobs' defaults and the price table live in the settings alone."""

    kind: Literal["ollama", "openai", "anthropic"]
    base_url: str  # e.g. http://127.0.0.1:11434 (Ollama), https://api.openai.com/v1
    model: str
    api_key_env: str | None  # the NAME of the environment variable holding the key
    max_tokens: int
    temperature: float
    usd_per_mtok_in: float  # price per million prompt tokens ($0 for local servers)
    usd_per_mtok_out: float
    native_tools: bool  # send a shape's tool lines as the API's tools (kernel.http.tools)
    # "gbnf": a shape's blocks go as a GBNF grammar in the request's `grammar` (llama.cpp)
    grammar: Literal["none", "gbnf"] = "none"
    context_tokens: int | None = None  # the model's window: prompts are fitted to it
    # The entry set no window: learn_window asks the server for the model's (served_window)
    # and takes it where it is smaller than context_tokens, or where there is none.
    window_from_server: bool = False
    connect_timeout_s: float = 10.0  # not a setting
    system_prompt: str = SYSTEM  # not a setting: the kernel's
    name: str = ""  # in usage and the ledger; default "<kind>:<model>"


class HttpProvider:
    """The request lifecycle shared by the three APIs; subclasses say what differs."""

    kind = ""
    chat_path = ""
    health_path = ""
    # a shape's tool lines become native tools (governance.brains.provider.shaped)
    takes_shape = True

    def __init__(self, config: HttpProviderConfig, *,
                 environ: Mapping[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self.name = config.name or f"{config.kind}:{config.model}"
        self.context_tokens = config.context_tokens  # read by governance's prompt fitting
        # where the window came from: "set" (the entry), "server" (learnt), "default" (an
        # ollama entry's, the server's being larger or untold); "" not asked yet, or none
        self.window_from = "" if config.window_from_server else "set"
        self._window_asked = not config.window_from_server
        self._key = _key(config, os.environ if environ is None else environ)
        self.tools_refused = ""  # why the server refused native tools, once it did
        self.grammar_refused = ""  # why it failed a request with a grammar, once it did
        self._last_prompt = ""  # the server's prompt cache holds its prefix (`_fresh_part`)
        # best-of-N's samples at once (governance.brains.provider.asks_in_parallel): a
        # priced brain is a hosted one; a free one is a local server on this machine's cores
        self.parallel_samples = config.usd_per_mtok_in > 0 or config.usd_per_mtok_out > 0
        self._client = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/"), headers=self.auth_headers(self._key),
            timeout=httpx.Timeout(None, connect=config.connect_timeout_s),
            transport=transport, follow_redirects=False)

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}({self.name} at {self.config.base_url})"

    # -- what each API defines ------------------------------------------------------------
    def auth_headers(self, key: str | None) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"} if key else {}

    def body(self, messages: list[dict[str, str]], max_tokens: int, temperature: float,
             tools: list[ToolSpec], must_call: bool) -> dict[str, Any]:
        """The request; `tools` (may be empty) as the API's tool definitions, and
        `must_call`: the shape allows nothing but tool calls."""
        raise NotImplementedError

    async def read(self, response: httpx.Response, tally: Tally) -> None:
        raise NotImplementedError

    def listed(self, data: Any) -> bool:
        """Whether the health endpoint's answer lists the configured model."""
        raise NotImplementedError

    async def served_window(self) -> int | None:
        """The model's context window as the server tells it; None where it tells none."""
        return None

    # -- CandidateProvider ----------------------------------------------------------------
    async def generate(self, prompt: str, *, deadline: float, steer: Steering | None = None,
                       shape: ReplyShape | None = None) -> ModelReply:
        return await self.complete([{"role": "user", "content": prompt}], deadline=deadline,
                                   steer=steer, shape=shape)

    async def plan(self, prompt: str, *, deadline: float,
                   shape: ReplyShape | None = None) -> ModelReply:
        return await self.complete([{"role": "user", "content": prompt}], deadline=deadline,
                                   shape=shape)

    async def health(self) -> ProviderHealth:
        try:
            async with asyncio.timeout(self.config.connect_timeout_s):
                response = await self._client.get(self.health_path)
            if response.status_code != 200:
                return ProviderHealth(healthy=False, detail=self._scrub(
                    f"{self.name}: {self.health_path} answered {response.status_code}"))
            unlisted = not self.listed(response.json())
        except (httpx.HTTPError, TimeoutError, ValueError, AttributeError, TypeError) as exc:
            return ProviderHealth(healthy=False, detail=self._scrub(
                f"{self.name}: {type(exc).__name__}: {exc}"),
                unreachable=isinstance(exc, httpx.TransportError | TimeoutError))
        await self.learn_window()
        if unlisted:  # the server answers: not down; the model is the config's to fix
            return ProviderHealth(healthy=True, model_unlisted=True, detail=(
                f"{self.name}: {self.config.base_url} answers but does not list model "
                f"{self.config.model!r}: set the entry's `model` to one it lists (llama.cpp's "
                "server: start it with --model_alias); its calls ask for it all the same"))
        return ProviderHealth(healthy=True,
                              detail=f"{self.name} at {self.config.base_url}{self.window_text}")

    @property
    def window_text(self) -> str:
        """', a 4,096-token window (server)', or '' without one."""
        return (f", a {self.context_tokens:,}-token window ({self.window_from})"
                if self.context_tokens else "")

    async def learn_window(self) -> None:
        """Where the entry set no window: the server's, where it is smaller than an ollama
        entry's default or the only one. Asked once it answers (daemon start-up, else the
        first healthy health check); a server that tells none leaves the window as it was."""
        if self._window_asked:
            return
        try:
            async with asyncio.timeout(self.config.connect_timeout_s):
                served = await self.served_window()
        except (httpx.TransportError, TimeoutError):
            return  # nothing answered: asked again at the next health check
        except (httpx.HTTPError, ValueError, AttributeError, TypeError):
            served = None
        self._window_asked = True
        if served and (self.context_tokens is None or served < self.context_tokens):
            self.context_tokens, self.window_from = served, "server"
        elif self.context_tokens:
            self.window_from = "default"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def complete(self, turns: list[dict[str, str]], *, deadline: float,
                       steer: Steering | None = None,
                       shape: ReplyShape | None = None) -> ModelReply:
        """One streamed reply to `turns` (the system prompt first), within `deadline`;
        `shape`'s tool lines go as native tools (unless native_tools is off), and the
        calls that come back are tool lines in the reply's text."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProviderFailure("the generation deadline had already passed", "TIMEOUT",
                                  deadline_missed=True)
        messages = [{"role": "system", "content": self.config.system_prompt}, *turns]
        fresh = self._fresh_part(messages)
        max_tokens, temperature = self._steered(steer)
        tally, start = Tally(), time.monotonic()
        try:
            async with asyncio.timeout(remaining):
                await self._request(messages, max_tokens, temperature, shape, tally,
                                    steer.seed if steer is not None else None)
        except TimeoutError:
            raise self._spent(ProviderFailure(
                f"{self.name}: the deadline passed after {len(tally.text)} characters",
                "TIMEOUT", deadline_missed=True), tally) from None
        except ProviderFailure as exc:
            raise self._spent(exc, tally) from None
        except httpx.HTTPError as exc:  # transport failures, and bodies that do not decode
            mode: Mode = ("TIMEOUT" if isinstance(exc, httpx.TimeoutException) else
                          "CONNECTION" if isinstance(exc, httpx.TransportError) else
                          "SERVER_ERROR")
            raise self._spent(ProviderFailure(self._scrub(
                f"{self.name}: {type(exc).__name__}: {exc}"), mode), tally) from None
        estimated = tally.estimate(sum(len(m["content"]) for m in messages))
        prefill = self._prefill(fresh, tally, start)
        # off the loop: the text canary reads the whole reply, as long as the server made it
        return await asyncio.to_thread(self._reply, tally, (time.monotonic() - start) * 1000,
                                       estimated, prefill)

    # -- the parts ------------------------------------------------------------------------
    async def _request(self, messages: list[dict[str, str]], max_tokens: int,
                       temperature: float, shape: ReplyShape | None, tally: Tally,
                       seed: int | None = None) -> None:
        """One streamed request; with native tools where the shape has tool lines, and its
        grammar where the entry says the server takes one. A server that refuses tools
        (Ollama: "<model> does not support tools") is asked again without, and from then on
        never sent them: calls ride in the text. One that fails a request with a grammar
        before any text (a grammar it cannot parse) is asked again without, and not sent one
        again: a blocks reply is read and judged as any other."""
        tools = tool_specs(shape.lines, secret=self._key) \
            if shape is not None and self.config.native_tools and not self.tools_refused \
            else []
        must_call = bool(tools) and shape is not None and shape.final is None \
            and not shape.prose
        grammar, refused = self._grammar(shape, tally), ""
        while True:
            try:
                await self._stream(self.seeded({**self.body(
                    messages, max_tokens, temperature, tools, must_call), **grammar}, seed),
                    tally)
            except ProviderFailure as exc:
                if tools and exc.status == 400 and "tool" in str(exc).lower():
                    self.tools_refused, tools, must_call = str(exc)[:300], [], False
                elif grammar and exc.status in (400, 422, 500) and not tally.text:
                    refused, grammar = str(exc)[:300], {}
                else:
                    raise
                continue
            if refused:  # answered without it: the grammar was what it failed on
                self.grammar_refused = tally.extra["grammar_refused"] = refused
            return

    def _grammar(self, shape: ReplyShape | None, tally: Tally) -> dict[str, str]:
        """{"grammar": a blocks reply's GBNF} (kernel.blocks_grammar) where this server
        takes one and the shape names the files, its size in the telemetry; {} otherwise."""
        if self.config.grammar != "gbnf" or self.grammar_refused or shape is None \
                or not shape.block_files:
            return {}
        text = blocks_gbnf(shape.block_files, shape.opening)
        tally.extra["grammar"] = f"blocks of {len(shape.block_files)} files, {len(text)} chars"
        return {"grammar": text}

    def _steered(self, steer: Steering | None) -> tuple[int, float]:
        c = self.config
        if steer is None:
            return c.max_tokens, c.temperature
        return max(1, int(c.max_tokens * steer.token_scale)), \
            steer.temperature(c.temperature, defaults.SAMPLE_TEMPERATURE)

    def seeded(self, body: dict[str, Any], seed: int | None) -> dict[str, Any]:
        """`body` asking for sampling seed `seed` (a retry after a repeated answer, a
        best-of-N sample after the first), where the API takes one: OpenAI's top-level
        `seed` (vLLM, llama.cpp's server honour it)."""
        return body if seed is None else {**body, "seed": seed}

    async def _stream(self, body: dict[str, Any], tally: Tally) -> None:
        async with self._client.stream("POST", self.chat_path, json=body) as response:
            if response.status_code != 200:
                raise await self._refusal(response)
            try:
                await self.read(response, tally)
            except ToolCallError as exc:
                raise ProviderFailure(self._scrub(f"{self.name}: {exc}"),
                                      "SERVER_ERROR") from None
            except (KeyError, TypeError, ValueError, IndexError, AttributeError,
                    RecursionError) as exc:  # what a hostile frame can make json/dicts raise
                raise ProviderFailure(f"{self.name}: a reply that breaks the protocol "
                                      f"({type(exc).__name__})", "SERVER_ERROR") from None

    async def _refusal(self, response: httpx.Response) -> ProviderFailure:
        status = response.status_code
        raw = bytearray()
        async for chunk in response.aiter_bytes():
            raw += chunk
            if len(raw) > MAX_ERROR_CHARS * 4:
                break
        detail = _error_message(bytes(raw))[:MAX_ERROR_CHARS]
        mode: Mode = ("RATE_LIMIT" if status == 429 else
                      "TIMEOUT" if status in (408, 504) else
                      "SERVER_ERROR" if status >= 500 else "CONTENT")
        return ProviderFailure(self._scrub(f"{self.name} answered {status}: {detail}"), mode,
                               status=status, retry_after_s=_retry_after(response))

    def _spent(self, exc: ProviderFailure, tally: Tally) -> ProviderFailure:
        exc.prompt_tokens, exc.completion_tokens = tally.prompt_tokens, tally.completion_tokens
        exc.partial_text = tally.text
        return exc

    def _fresh_part(self, messages: list[dict[str, str]]) -> float:
        """The share of the prompt's characters past the prefix it shares with the last
        prompt sent: a local server keeps that prefix (llama.cpp's, Ollama's), from the
        moment it starts reading it, so the last prompt is this one from now on."""
        text = "\n".join(m["content"] for m in messages)
        shared = len(os.path.commonprefix([self._last_prompt, text]))  # noqa: RUF071 (texts)
        self._last_prompt = text
        return (len(text) - shared) / len(text) if text else 1.0

    @staticmethod
    def _prefill(fresh: float, tally: Tally, start: float) -> tuple[int, float] | None:
        """(the prompt tokens the server read anew, ms to the first text), or None where no
        text came. A call that shares most of the last prompt starts in a second; timed
        whole, its speed taken for the brain's made a cold prompt's deadline pass before
        its first token (through llama.cpp's server on two cores, 427 prompt tokens/s taken
        from cached calls, 35 measured cold: sqlparse's card, stop 83). The tokens read
        anew are the prompt's in proportion to its characters (`_fresh_part`)."""
        if tally.first_at is None:
            return None
        return round(tally.prompt_tokens * fresh), (tally.first_at - start) * 1000

    def _reply(self, tally: Tally, latency_ms: float, estimated: dict[str, str],
               prefill: tuple[int, float] | None = None) -> ModelReply:
        c, text = self.config, tally.text
        cost = (tally.prompt_tokens * c.usd_per_mtok_in
                + tally.completion_tokens * c.usd_per_mtok_out) / 1e6
        usage = ModelUsage(provider=self.name, model=c.model, prompt_tokens=tally.prompt_tokens,
                           completion_tokens=tally.completion_tokens, cost_usd=cost,
                           latency_ms=latency_ms,
                           prefill_tokens=prefill[0] if prefill else None,
                           prefill_ms=prefill[1] if prefill else None)
        proximity = round(text_proximity(text).sustained, 4)
        native = {"native_tool_calls": len(tally.calls.calls)} if tally.calls.calls else {}
        if self.tools_refused:
            native["native_tools_refused"] = self.tools_refused
        if estimated:  # the server reported no usage: the counts are the daemon's guess
            native["tokens_estimated"] = estimated
        return ModelReply(text=text, usage=usage,
                          telemetry={"finish_reason": tally.finish[:64], **native,
                                     **tally.extra},
                          collapse=CollapseSignal(proximity=proximity,
                                                  exit_reason=tally.finish[:64], source="text"))

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "[redacted]") if self._key else text


def _key(config: HttpProviderConfig, environ: Mapping[str, str]) -> str | None:
    if not config.api_key_env:
        return None
    key = environ.get(config.api_key_env, "")
    if not key:
        raise ValueError(f"provider {config.kind}:{config.model}: the environment variable "
                         f"{config.api_key_env} (its api_key_env) is not set")
    return key


def _retry_after(response: httpx.Response) -> float | None:
    try:
        value = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return value if 0 <= value <= 3600 else None


def _error_message(raw: bytes) -> str:
    """The human part of any of the three APIs' error bodies, else the raw text."""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip() or "(no body)"
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error if error is not None else data)


