"""A streamed reply as it arrives: its lines and Server-Sent Events, what it said so far
(Tally, with the token counts estimated where the server reports none), and the typed
failure a request ends in (ProviderFailure, whose `mode` the failback chain acts on).
kernel.http.providers' request lifecycle and kernel.http.apis' readers use these."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from governance.errors import ProviderError
from kernel.http.tools import NativeCalls

MAX_LINE_CHARS = 1 << 20  # one NDJSON line or SSE field
MAX_REPLY_CHARS = 4 << 20
# A reply whose server reports no token counts (llama.cpp's server ignores
# stream_options.include_usage) is counted by estimate, marked so in its telemetry: the
# prompt by its characters (governance.routes.deadlines.CHARS_PER_TOKEN), the reply by its
# streamed text chunks (such a server streams one token a chunk).
CHARS_PER_TOKEN = 4
Mode = Literal["RATE_LIMIT", "TIMEOUT", "SERVER_ERROR", "CONNECTION", "CONTENT"]


class ProviderFailure(ProviderError):
    def __init__(self, message: str, mode: Mode, *, status: int | None = None,
                 retry_after_s: float | None = None, **spent: Any):
        super().__init__(message, mode=mode, retry_after_s=retry_after_s, **spent)
        self.status = status


@dataclass
class Tally:
    """What one streamed reply said so far."""

    pieces: list[str] = field(default_factory=list)
    chars: int = 0
    chunks: int = 0  # pieces of text streamed: the reply's tokens, where none are reported
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. a serve's `ouroboros`
    calls: NativeCalls = field(default_factory=NativeCalls)  # native tool calls, if any
    first_at: float | None = None  # time.monotonic() when the first text came

    def add(self, text: str) -> None:
        if text and self.first_at is None:
            self.first_at = time.monotonic()
        self.chars += len(text)
        if self.chars > MAX_REPLY_CHARS:
            raise ProviderFailure(f"the reply passed {MAX_REPLY_CHARS} characters",
                                  "SERVER_ERROR")
        self.pieces.append(text)
        self.chunks += bool(text)

    def estimate(self, prompt_chars: int) -> dict[str, str]:
        """Token counts where the server reported none: how each was estimated."""
        if self.prompt_tokens or self.completion_tokens:
            return {}
        self.prompt_tokens = -(-prompt_chars // CHARS_PER_TOKEN)
        self.completion_tokens = self.chunks + len(self.calls.calls)
        return {"prompt": f"characters/{CHARS_PER_TOKEN}", "completion": "stream chunks"}

    @property
    def text(self) -> str:
        """The prose, then each native tool call as a canonical tool line."""
        prose, calls = "".join(self.pieces), self.calls.render()
        if not calls:
            return prose
        return f"{prose}\n{calls}" if prose and not prose.endswith("\n") else prose + calls


async def lines(response: httpx.Response) -> AsyncIterator[str]:
    """The body's lines, each at most MAX_LINE_CHARS (a server may not send one endless)."""
    buffer = ""
    async for chunk in response.aiter_text():
        buffer += chunk
        *complete, buffer = buffer.split("\n")
        for line in complete:
            yield line.rstrip("\r")
        if len(buffer) > MAX_LINE_CHARS:
            raise ProviderFailure(f"a line passed {MAX_LINE_CHARS} characters", "SERVER_ERROR")
    if buffer:
        yield buffer.rstrip("\r")


async def sse(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) per Server-Sent Event; data lines joined, comments skipped."""
    event, data = "", []
    async for line in lines(response):
        if not line:
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield event or "message", "\n".join(data)
