"""KernelProvider: the in-process model as a CandidateProvider for governance.

Chat turns go in; the model's text, token counts, latency, canary/depth telemetry and the
reply's collapse signal (the token canary's sustained proximity) come out. Tool calls in
the text are the tool loop's to parse. A ReplyShape (the forms the reply may take, as JSON
Schemas) is decoded under its grammar (kernel.grammar); telemetry["grammar"] says how it
ended (complete, cut by max_new_tokens or a collapse, or unconstrained and why). A
Steering from the re-ground reflex bends one turn: canary to adapt (deeper loop on Ouro
as proximity rises, repetition penalty rising with it), a firmer penalty, cooler sampling,
fewer tokens; a retry after a repeated answer asks for a temperature floor and a seed.
Generation runs on a worker thread and is cancelled between tokens when the
deadline passes or the caller is cancelled; a deadline miss is a ProviderError.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import structlog

from governance.brains.provider import (
    CollapseSignal,
    ModelReply,
    ProviderHealth,
    ReplyShape,
    Steering,
)
from governance.errors import DeadlineMissed, ProviderError
from governance.schemas import ModelUsage
from kernel import defaults
from kernel.canary import text_proximity
from kernel.decode import Generation, GenerationConfig
from kernel.engine import Engine
from kernel.grammar import Grammar, GrammarConstraint, Grammars
from kernel.sampling import GREEDY_BELOW

_T = TypeVar("_T")
PROGRESS_EVERY_S = 10.0  # a long prefill says how far it has come this often
log = structlog.get_logger("kernel.provider")
MEASURE_PROMPT_TOKENS = 256  # the start-up measurement: ~3 s of prefill on a 2-core AVX2 box
MEASURE_REPLY_TOKENS = 32  # 16 decoded in under throughput.MIN_SECONDS (50 ms) on a Zen 5 EPYC
SYSTEM = ("You are the code-writing model of a governed maintenance daemon. Follow the "
          "output contract in the user's message exactly.")


class KernelProvider:
    name = "kernel"
    # What it charges is nominal (usd_per_mtok bounds local compute; no money is spent):
    # read as getattr(p, "nominal_price", False), as ProviderChain reads takes_shape.
    nominal_price = True
    takes_shape = True  # governance hands it the reply's shape (governance.brains.provider.shaped)
    takes_samples = True  # best-of-N's samples decoded as one batch (generate_samples)

    def __init__(self, engine: Engine, system_prompt: str = SYSTEM, *, constrain: bool = True,
                 blocks: bool = True, usd_per_mtok: float = defaults.USD_PER_MTOK,
                 window: int | None = None):
        self.engine = engine
        self.window = window  # a cap on the model's own window ([provider] context_tokens)
        self.usd_per_mtok = usd_per_mtok  # the charge per million tokens (prompt + reply)
        self.system_prompt = system_prompt
        self.constrain = constrain  # False: JSON shapes are ignored (decode as before)
        self.blocks = blocks  # a blocks shape decoded under its grammar (kernel.blocks_grammar)
        self.grammars = Grammars(engine.tokenizer, engine.config.generation.stop_ids)

    async def generate(self, prompt: str, *, deadline: float, steer: Steering | None = None,
                       shape: ReplyShape | None = None) -> ModelReply:
        return await self.complete([{"role": "user", "content": prompt}], deadline=deadline,
                                   steer=steer, shape=shape)

    async def generate_samples(self, prompt: str, n: int, *, deadline: float,
                               steer: Steering | None = None,
                               shape: ReplyShape | None = None) -> list[ModelReply]:
        """Best-of-N's `n` replies to one prompt in one call (complete_samples)."""
        return await self.complete_samples([{"role": "user", "content": prompt}], n,
                                           deadline=deadline, steer=steer, shape=shape)

    async def plan(self, prompt: str, *, deadline: float,
                   shape: ReplyShape | None = None) -> ModelReply:
        return await self.complete([{"role": "user", "content": prompt}], deadline=deadline,
                                   shape=shape)

    @property
    def context_tokens(self) -> int:
        """The model's context window in tokens, or the configured cap where that is smaller:
        governance fits its prompts to it (governance.phases.route_brains.context_window)."""
        own = self.engine.context_tokens
        return own if self.window is None else min(own, self.window)

    def count_tokens(self, text: str) -> int:
        """`text`'s length in this model's tokens (what a model step's deadline is sized to)."""
        return len(self.engine.tokenizer.encode(text))

    async def measure(self, prompt_tokens: int = MEASURE_PROMPT_TOKENS,
                      reply_tokens: int = MEASURE_REPLY_TOKENS) -> ModelUsage:
        """One short call of known size, for a first estimate of this brain's speed at
        start (governance.routes.throughput.measured): a prompt of about `prompt_tokens` prefilled
        and exactly `reply_tokens` decoded (no stop token, no canary, greedy)."""
        words = " ".join(["the"] * prompt_tokens)  # one token a word
        config = replace(self.engine.config.generation, max_new_tokens=reply_tokens,
                         stop_ids=(), stop_strings=(), temperature=0.0,
                         canary=replace(self.engine.config.generation.canary, mode="off"))
        start = time.monotonic()
        gen = await asyncio.to_thread(self.engine.chat, [{"role": "user", "content": words}],
                                      config)
        return ModelUsage(provider=self.name, model=self.engine.name,
                          prompt_tokens=gen.prompt_tokens, completion_tokens=len(gen.token_ids),
                          latency_ms=(time.monotonic() - start) * 1000,
                          prefill_tokens=gen.prefill_tokens,
                          prefill_ms=gen.prefill_seconds * 1000)

    async def health(self) -> ProviderHealth:
        e = self.engine
        detail = f"{e.name} ({e.kind}, mode={e.config.mode}, steps={e.total_steps})"
        return ProviderHealth(healthy=True, detail=detail)

    async def complete(self, turns: Sequence[dict[str, str]], *, deadline: float,
                       steer: Steering | None = None,
                       shape: ReplyShape | None = None) -> ModelReply:
        """One reply to `turns` (system prompt prepended), within `deadline`, decoded under
        `shape`'s grammar when given."""
        messages, opening, shape = self._opened(turns, shape)
        config = steered(self.engine.config.generation, steer)
        (gen, loops), latency_ms = await self._within(
            deadline, lambda cancel: self._run(messages, cancel, config, shape))
        if gen.exit_reason == "cancelled":
            raise DeadlineMissed(f"generation missed its deadline after "
                                 f"{len(gen.token_ids)} tokens", prompt_tokens=gen.prompt_tokens,
                                 completion_tokens=len(gen.token_ids),
                                 partial_text=opening + gen.text)
        if steer is not None and (steer.temperature_floor or steer.seed is not None):
            loops = {**loops, "sampling": {"temperature": config.temperature,
                                           "top_p": config.top_p, "seed": gen.seed}}
        return self._reply(gen, loops, latency_ms, opening=opening)

    def _opened(self, turns: Sequence[dict[str, str]], shape: ReplyShape | None
                ) -> tuple[list[dict[str, str]], str, ReplyShape | None]:
        """(the messages, the reply's opening, the shape decoded under): the system prompt
        first; a shape's `opening` as the assistant's turn begun (Tokenizer.chat continues
        it). A blocks shape's grammar takes the opening in (kernel.grammar: `begun`); a JSON
        shape's describes a reply from its start, and an opened reply decodes without it."""
        messages = [{"role": "system", "content": self.system_prompt}, *turns]
        opening = shape.opening if shape is not None else ""
        if shape is not None and shape.block_files:  # its grammar begins with the opening
            decoded = shape if self.blocks else None
        else:
            decoded = shape if self.constrain and not opening else None
        if opening:
            return [*messages, {"role": "assistant", "content": opening}], opening, decoded
        return messages, "", decoded

    async def complete_samples(self, turns: Sequence[dict[str, str]], n: int, *,
                               deadline: float, steer: Steering | None = None,
                               shape: ReplyShape | None = None) -> list[ModelReply]:
        """`n` replies to `turns` for best-of-N, decoded as one batch (Engine.chat_samples:
        the prompt prefilled once, each sample the single decode with its seed). Each reply
        has its own text, canary collapse signal and grammar outcome; its telemetry names
        `sample` (its index), `samples` (n) and `seed`. A greedy configuration samples at
        defaults.SAMPLE_TEMPERATURE / SAMPLE_TOP_P (n greedy replies would be one reply n
        times), and the re-prompt loop does not run. Usage: the first reply carries the
        call (the prompt's cost, the prefill, the latency, every token the batch decoded);
        each later one its own completion's cost, with no latency of its own. Samples cut by
        the deadline are left out; with none finished the deadline is missed."""
        messages, opening, shape = self._opened(turns, shape)
        config = sampling(steered(self.engine.config.generation, steer))
        (gens, telemetry), latency_ms = await self._within(
            deadline, lambda cancel: self._run_samples(messages, n, cancel, config, shape))
        done = [i for i, gen in enumerate(gens) if gen.exit_reason != "cancelled"]
        if not done:
            raise DeadlineMissed(f"{n} samples missed their deadline",
                                 partial_text=opening + gens[0].text,
                                 prompt_tokens=gens[0].prompt_tokens,
                                 completion_tokens=sum(len(g.token_ids) for g in gens))
        first = replace(gens[done[0]], prefill_tokens=gens[0].prefill_tokens,
                        prefill_seconds=gens[0].prefill_seconds,
                        decoded_tokens=sum(len(g.token_ids) for g in gens))
        replies = [self._reply(first, telemetry[done[0]], latency_ms, opening=opening)]
        for i in done[1:]:
            reply = self._reply(gens[i], telemetry[i], 0.0, charge_prompt=False,
                                opening=opening)
            reply.usage.prefill_tokens = reply.usage.prefill_ms = reply.usage.decode_tokens = None
            replies.append(reply)
        return replies

    async def _within(self, deadline: float, work: Callable[[threading.Event], _T]
                      ) -> tuple[_T, float]:
        """`work(cancel)` on a worker thread, `cancel` set when the deadline passes or the
        caller is cancelled; its result and the milliseconds it took."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineMissed("the generation deadline had already passed")
        cancel = threading.Event()
        timer = asyncio.get_running_loop().call_later(remaining, cancel.set)
        start = time.monotonic()
        try:
            out = await asyncio.to_thread(work, cancel)
        except asyncio.CancelledError:
            cancel.set()  # the worker stops at the next token
            raise
        except Exception as exc:
            raise ProviderError(f"kernel generation failed: {type(exc).__name__}: {exc}") from exc
        finally:
            timer.cancel()
        return out, (time.monotonic() - start) * 1000

    def _run(self, messages: list[dict[str, str]], cancel: threading.Event,
             config: GenerationConfig,
             shape: ReplyShape | None) -> tuple[Generation, dict[str, Any]]:
        grammar = self.grammars.compile(shape) if shape is not None else None
        made: list[GrammarConstraint] = []

        def fresh() -> GrammarConstraint | None:  # one per generation (a re-prompt loop: each)
            c = (self.grammars.constraint(grammar, config.max_new_tokens)
                 if grammar is not None else None)
            if c is not None:
                made.append(c)
            return c

        progress = PrefillProgress(self.engine.name)
        # A reply begun for the model (an opening) is continued once: the re-prompt loop
        # asks for a whole new answer, which would not begin with it.
        looped = None if messages[-1]["role"] == "assistant" else self.engine.looped_chat(
            messages, config, cancel=cancel, constraints=fresh, on_prefill=progress)
        if looped is not None:
            return looped.generation, {"loops": looped.loops, "loop_exit": looped.exit_reason,
                                       "loop_confidence": round(looped.confidence, 4),
                                       **grammar_telemetry(grammar, made)}
        gen = self.engine.chat(messages, config, cancel=cancel, constraint=fresh(),
                               on_prefill=progress)
        return gen, grammar_telemetry(grammar, made)

    def _run_samples(self, messages: list[dict[str, str]], n: int, cancel: threading.Event,
                     config: GenerationConfig, shape: ReplyShape | None
                     ) -> tuple[list[Generation], list[dict[str, Any]]]:
        grammar = self.grammars.compile(shape) if shape is not None else None
        made: list[GrammarConstraint | None] = []

        def fresh() -> GrammarConstraint | None:  # one per sample
            made.append(self.grammars.constraint(grammar, config.max_new_tokens)
                        if grammar is not None else None)
            return made[-1]

        gens = self.engine.chat_samples(messages, n, config, cancel=cancel, constraints=fresh,
                                        on_prefill=PrefillProgress(self.engine.name))
        return gens, [{"sample": i, "samples": n, "seed": gen.seed,
                       **grammar_telemetry(grammar, [c for c in made[i : i + 1] if c])}
                      for i, gen in enumerate(gens)]

    def _reply(self, gen: Generation, loops: dict[str, Any], latency_ms: float, *,
               charge_prompt: bool = True, opening: str = "") -> ModelReply:
        telemetry: dict[str, Any] = {
            "exit_reason": gen.exit_reason, "mean_depth": round(gen.mean_depth, 3),
            "total_steps": self.engine.total_steps, "tokens_per_s": round(gen.tokens_per_s, 2),
            "confidence": round(gen.confidence, 4), **loops}
        if gen.canary is not None:
            summary = gen.canary.summary()
            telemetry["canary_max_proximity"] = summary["max_proximity"]
            telemetry["canary_alarms"] = summary["alarms"]
            telemetry["canary_collapsed"] = summary["collapsed"]
            telemetry["canary_mode"] = gen.canary.config.mode
        charged = (gen.prompt_tokens if charge_prompt else 0) + len(gen.token_ids)
        usage = ModelUsage(provider=self.name, model=self.engine.name,
                           prompt_tokens=gen.prompt_tokens,
                           completion_tokens=len(gen.token_ids),
                           cost_usd=charged * self.usd_per_mtok / 1e6, nominal=True,
                           latency_ms=latency_ms, prefill_tokens=gen.prefill_tokens,
                           prefill_ms=gen.prefill_seconds * 1000,
                           decode_tokens=gen.decoded_tokens)
        if opening:
            telemetry["opening"] = opening[:200]
        return ModelReply(text=opening + gen.text, usage=usage, telemetry=telemetry,
                          collapse=collapse_signal(gen))


class PrefillProgress:
    """Says how far a long prefill has come, at most every PROGRESS_EVERY_S: on a slow CPU a
    tool-loop prompt takes minutes before the first token, and a terminal user should see
    it move (the log line's fields: tokens done and in all, seconds so far)."""

    def __init__(self, model: str, clock: Callable[[], float] = time.monotonic):
        self.model, self.clock = model, clock
        self.start = self.last = clock()

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.last >= PROGRESS_EVERY_S and done < total:
            self.last = now
            log.info("prefilling the prompt", model=self.model, done=done, total=total,
                     seconds=round(now - self.start, 1))


def grammar_telemetry(grammar: Grammar | None,
                      made: list[GrammarConstraint]) -> dict[str, Any]:
    """telemetry["grammar"]: the shape, and how its last constraint ended (or why none ran)."""
    if grammar is None:
        return {}
    return {"grammar": {**grammar.telemetry(), **(made[-1].telemetry() if made else {})}}


def collapse_signal(gen: Generation) -> CollapseSignal:
    """The token canary's sustained proximity; with the canary off, the text detector's."""
    if gen.canary is None:
        return CollapseSignal(proximity=round(text_proximity(gen.token_ids).sustained, 4),
                              exit_reason=gen.exit_reason, source="text")
    return CollapseSignal(proximity=round(gen.canary.sustained, 4),
                          collapsed=gen.exit_reason == "collapse", exit_reason=gen.exit_reason,
                          source="canary")


def sampling(config: GenerationConfig) -> GenerationConfig:
    """Best-of-N's settings: a greedy configuration samples at the defaults' temperature and
    top-p; a sampling one is kept as it is."""
    if config.temperature >= GREEDY_BELOW:
        return config
    return replace(config, temperature=defaults.SAMPLE_TEMPERATURE, top_p=defaults.SAMPLE_TOP_P)


def steered(config: GenerationConfig, steer: Steering | None) -> GenerationConfig:
    """The generation settings for one steered turn (the configured ones when unsteered).
    Adapt needs a canary: one that is off stays off (an operator's choice)."""
    if steer is None:
        return config
    canary = config.canary
    if steer.adapt and canary.mode == "observe":
        canary = replace(canary, mode="adapt")
    temperature = steer.temperature(config.temperature, defaults.SAMPLE_TEMPERATURE)
    # A floor that makes a greedy configuration sample (a retry after a repeated answer)
    # samples as best-of-N does, within the defaults' top-p: the whole tail of a small
    # model's vocabulary is noise.
    top_p = defaults.SAMPLE_TOP_P if config.temperature < GREEDY_BELOW <= temperature \
        else config.top_p
    return replace(config, canary=canary,
                   repetition_penalty=config.repetition_penalty + steer.penalty_boost,
                   temperature=temperature, top_p=min(config.top_p, top_p),
                   seed=steer.seed if steer.seed is not None else config.seed,
                   max_new_tokens=max(1, int(config.max_new_tokens * steer.token_scale)))
