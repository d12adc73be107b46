"""ServedModel: the loaded Engine as the APIs see it, and Job: one request's generation.

The APIs hand over chat messages and Sampling; this module checks the prompt against the
model's context (an overflow is refused, never truncated; the token budget is clamped to the
room left and to the per-request cap, serve.max_tokens), turns Sampling into the kernel's
GenerationConfig (what a request leaves unset is the configured [provider] value), and runs
the generation through the ModelQueue, whole or streamed. Streamed text is the final text's
prefix: it holds back a possible stop string's beginning and a half-decoded character. A
request that must call a tool is decoded under the grammar of its tool lines (a ReplyShape,
kernel.grammar, as KernelProvider decodes). Only the Engine's public API is used.

Fairness (the generation slot's lease): a generation that has held the model for
serve.max_share_s while another request waits for it is stopped at its next token (or
prefill chunk) through its cancel event, and reports exit reason "preempted" (each API's
"length" finish); the waiting request then runs. Alone, a generation runs to its budget.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from daemon.config.serve import ServeSection
from daemon.serve.errors import ApiError, Kind
from daemon.serve.queue import ModelQueue, QueueFull, Ticket
from governance.brains.provider import ReplyShape
from kernel.decode import Generation, GenerationConfig
from kernel.engine import Engine
from kernel.grammar import Grammars
from kernel.provider import collapse_signal

log = structlog.get_logger("daemon.serve")

ROLES = frozenset({"system", "user", "assistant", "tool"})
# daemon.config.serve's defaults, for a ServedModel built without settings (tests).
MAX_TOKENS = ServeSection.model_fields["max_tokens"].default
MAX_SHARE_S = ServeSection.model_fields["max_share_s"].default
INLINE_TOKENIZE_CHARS = 16_384
GREEDY_BELOW = 1e-4


@dataclass(frozen=True)
class Sampling:
    """What one request may set; None keeps the configured value."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    repetition_penalty: float | None = None


@dataclass(frozen=True)
class Prepared:
    messages: list[dict[str, str]]
    config: GenerationConfig
    prompt_tokens: int
    shape: ReplyShape | None = None  # the grammar the reply is decoded under, if any


@dataclass
class Finished:
    generation: Generation
    prompt_tokens: int
    queued_s: float  # waiting for the model's turn
    wall_s: float  # the request from admission to the last token
    stop_sequence: str | None  # which stop string ended it, if one did
    telemetry: dict[str, Any] = field(default_factory=dict)

    @property
    def completion_tokens(self) -> int:
        return len(self.generation.token_ids)


class ServedModel:
    def __init__(self, engine: Engine, name: str, queue: ModelQueue, *,
                 max_tokens: int = MAX_TOKENS, max_share_s: float = MAX_SHARE_S):
        if max_tokens < 1 or not max_share_s > 0:
            raise ValueError(f"max_tokens ({max_tokens}) and max_share_s ({max_share_s}) "
                             "must be positive")
        self.engine, self.name, self.queue = engine, name, queue
        self.max_tokens, self.max_share_s = max_tokens, max_share_s
        self.created = int(time.time())
        self.outcomes: Counter[str] = Counter()  # generations run, by exit reason
        self.context = engine.context_tokens
        self.longest_token = _longest_token(engine.tokenizer)
        self.grammars = Grammars(engine.tokenizer, engine.config.generation.stop_ids)

    def accepts(self, model: str) -> bool:
        return model in (self.name, f"{self.name}:latest")

    def check_model(self, model: str, param: str = "model") -> None:
        if not self.accepts(model):
            raise ApiError(Kind.NOT_FOUND, f"model {model[:200]!r} not found; this server "
                           f"serves {self.name!r}", param)

    async def prepare(self, messages: list[dict[str, str]], sampling: Sampling,
                      shape: ReplyShape | None = None) -> Prepared:
        """The messages checked and counted against the context; ApiError otherwise."""
        for m in messages:
            if m["role"] not in ROLES:
                raise ApiError(Kind.BAD_REQUEST, f"unknown role {m['role'][:50]!r} (one of "
                               f"{', '.join(sorted(ROLES))})", "messages")
            try:
                m["content"].encode("utf-8")
            except UnicodeEncodeError:
                raise ApiError(Kind.BAD_REQUEST, "message text is not valid Unicode (a lone "
                               "surrogate)", "messages") from None
        size = sum(len(m["content"]) for m in messages)
        if size > self.context * self.longest_token:  # too long whatever it tokenizes to
            raise ApiError(Kind.CONTEXT, f"the prompt is at least "
                           f"{size // self.longest_token} tokens; this model's context is "
                           f"{self.context} tokens", "messages")
        # A body near the size cap takes seconds to tokenize: off the event loop.
        # A usual prompt takes well under a millisecond, less than the thread hop.
        ids = await asyncio.to_thread(self.engine.tokenizer.chat, messages) \
            if size > INLINE_TOKENIZE_CHARS else self.engine.tokenizer.chat(messages)
        room = self.context - len(ids)
        if room < 1:
            raise ApiError(Kind.CONTEXT, f"the prompt is {len(ids)} tokens; this model's "
                           f"context is {self.context} tokens", "messages")
        return Prepared(messages, self._config(sampling, room), len(ids), shape)

    def _config(self, s: Sampling, room: int) -> GenerationConfig:
        base = self.engine.config.generation
        temperature = base.temperature if s.temperature is None else s.temperature
        # A temperature or top_p near 0 means "the likeliest token": greedy, as the hosted
        # APIs treat it (below ~1e-38 float32 sampling would divide into inf and NaN).
        if temperature < GREEDY_BELOW or (s.top_p is not None and s.top_p < GREEDY_BELOW):
            temperature = 0.0
        asked = base.max_new_tokens if s.max_tokens is None else s.max_tokens
        return replace(
            base, max_new_tokens=min(asked, room, self.max_tokens),
            temperature=temperature, top_p=s.top_p or base.top_p,
            seed=base.seed if s.seed is None else s.seed,
            repetition_penalty=s.repetition_penalty or base.repetition_penalty,
            stop_strings=s.stop or base.stop_strings,
            loop_lines=0)  # a client asked for what it asked for (a poem's refrain too)

    def start(self, prepared: Prepared) -> Job:
        """Admit one generation (ApiError OVERLOADED when the queue is full)."""
        cancel = threading.Event()
        try:
            ticket = self.queue.admit(cancel)
        except QueueFull as exc:
            raise ApiError(Kind.OVERLOADED, f"the model is busy: {exc}; retry later") from None
        return Job(self, prepared, ticket)

    def telemetry(self, gen: Generation, queued_s: float) -> dict[str, Any]:
        """The kernel's account of one generation: the extra `ouroboros` field."""
        canary = gen.canary.summary() if gen.canary is not None else None
        return {"exit_reason": gen.exit_reason, "mean_depth": round(gen.mean_depth, 3),
                "total_steps": self.engine.total_steps,
                "canary_max_proximity": canary["max_proximity"] if canary else None,
                "collapse_proximity": collapse_signal(gen).proximity,
                "tokens_per_s": round(gen.tokens_per_s, 2),
                "queue_ms": round(queued_s * 1000, 1)}


def _longest_token(tokenizer: Any) -> int:
    """The most characters one token decodes to (81 for SmolLM2's vocabulary): a prompt
    longer than context x this overflows without being tokenized (seconds for megabytes)."""
    return max(len(tokenizer.decode([i], skip_special=False))
               for i in range(tokenizer.vocab_size)) or 1


class Job:
    """One admitted generation; `result()` or `events()` once, `withdraw()` any time."""

    def __init__(self, model: ServedModel, prepared: Prepared, ticket: Ticket):
        self.model, self.prepared, self.ticket = model, prepared, ticket
        self.admitted = time.monotonic()
        self.started: float | None = None
        self.grammar: Any = None  # the constraint's telemetry(), once it ran
        self.preempted = False  # stopped by the lease: another request waited its turn

    def withdraw(self) -> None:
        self.ticket.withdraw()

    def _submit(self, on_token=None) -> asyncio.Future[Generation]:
        p, engine = self.prepared, self.model.engine

        def work() -> Generation:
            self.started = time.monotonic()
            constraint = None
            if p.shape is not None:  # compiled here: a hostile schema costs the worker
                grammars = self.model.grammars
                constraint = grammars.constraint(grammars.compile(p.shape),
                                                 p.config.max_new_tokens)
                self.grammar = constraint.telemetry if constraint is not None else None
            try:
                gen = engine.chat(p.messages, p.config, self.ticket.cancel,
                                  on_token=self._leased(on_token), constraint=constraint,
                                  on_prefill=lambda done, total: self._lease())
            except BaseException:
                self.model.outcomes["error"] += 1  # counted too: no generation goes unseen
                raise
            if self.preempted and gen.exit_reason == "cancelled":
                gen.exit_reason = "preempted"
            self.model.outcomes[gen.exit_reason] += 1  # only this thread writes it
            log.info("generation", exit=gen.exit_reason, prompt_tokens=p.prompt_tokens,
                     tokens=len(gen.token_ids), seconds=round(gen.seconds, 3))
            return gen

        try:
            return self.ticket.submit(work)
        except QueueFull as exc:
            raise ApiError(Kind.OVERLOADED, str(exc)) from None

    def _leased(self, on_token: Callable[[int], None] | None) -> Callable[[int], None]:
        def each(token: int) -> None:
            self._lease()
            if on_token is not None:
                on_token(token)

        return each

    def _lease(self) -> None:
        """On the worker, per token and prefill chunk: past max_share_s with a request
        waiting, cancel this generation (decode stops before its next token)."""
        if (not self.preempted and self.started is not None
                and time.monotonic() - self.started >= self.model.max_share_s
                and self.model.queue.depth > 1):
            self.preempted = True
            self.ticket.cancel.set()
            log.info("generation preempted", share_s=self.model.max_share_s,
                     waiting=self.model.queue.depth - 1)

    async def result(self) -> Finished:
        gen = await self._submit()
        return self._finished(gen)

    async def events(self) -> AsyncIterator[str | Finished]:
        """Text pieces as they are decoded, then the Finished record."""
        loop = asyncio.get_running_loop()
        tokens: asyncio.Queue[int | None] = asyncio.Queue()

        def post(token: int) -> None:
            try:
                loop.call_soon_threadsafe(tokens.put_nowait, token)
            except RuntimeError:  # the loop is closed: the server stopped under this stream
                self.ticket.cancel.set()  # so the generation stops at its next token

        future = self._submit(post)
        # Runs after every token the worker posted: both go through the loop's FIFO.
        future.add_done_callback(lambda _: tokens.put_nowait(None))
        text = IncrementalText(self.model.engine.tokenizer, self.prepared.config.stop_strings)
        while (token := await tokens.get()) is not None:
            if piece := text.push(token):
                yield piece
        done = self._finished(await future)
        if rest := text.finish(done.generation.text):
            yield rest
        yield done

    def _finished(self, gen: Generation) -> Finished:
        now = time.monotonic()
        queued = (self.started or now) - self.admitted
        stop = None
        if gen.exit_reason == "stop_string":
            full = self.model.engine.tokenizer.decode(gen.token_ids)
            hits = [(full.find(s), s) for s in self.prepared.config.stop_strings if s in full]
            stop = min(hits)[1] if hits else None
        telemetry = self.model.telemetry(gen, queued)
        if self.grammar is not None:
            telemetry["grammar"] = self.grammar()
        return Finished(gen, self.prepared.prompt_tokens, queued, now - self.admitted, stop,
                        telemetry)


class IncrementalText:
    """Decoded text, released only where it is final: never half a character, never the
    first characters of what may become a stop string."""

    def __init__(self, tokenizer: Any, stop_strings: Sequence[str]):
        self.tokenizer, self.stops = tokenizer, tuple(stop_strings)
        self.hold = max((len(s) for s in self.stops), default=1) - 1
        self.ids: list[int] = []
        self.sent = ""
        self.stopped = False

    def push(self, token: int) -> str:
        self.ids.append(token)
        if self.stopped:
            return ""
        text = self.tokenizer.decode(self.ids)
        if text.endswith("\ufffd"):  # a character split across tokens: wait for the rest
            return ""
        # A stop string never starts inside what was sent: `hold` characters stay back.
        hits = [at for s in self.stops if (at := text.find(s, len(self.sent))) >= 0]
        if hits:
            self.stopped, end = True, min(hits)
        else:
            end = len(text) - self.hold
        return self._release(text, end)

    def _release(self, text: str, end: int) -> str:
        if end <= len(self.sent):
            return ""
        piece = text[len(self.sent):end]
        self.sent += piece
        return piece

    def finish(self, final: str) -> str:
        """What is left of the final text (the kernel's own, stop strings cut)."""
        return final[len(self.sent):] if final.startswith(self.sent) else ""
