"""ReplayProvider: a stand-in model that plays a recorded JSONL script of model turns.

For tests and demos only: it is named as such everywhere it appears (provider name
"replay", the Provider trailer of its commits). Each line of the script is one turn:

    {"purpose": "generate", "text": "<the model's reply text>", "prompt_tokens": 120,
     "completion_tokens": 80, "cost_usd": 0.0}

`purpose` ("generate" or "plan") is optional; when given, a call takes the next turn with
that purpose. `match` (optional) is a substring the prompt must contain for a call to take
that turn, so concurrent ops each get their own answer. A script that runs out raises
ProviderError, as a dead model would.

`error` (optional) makes the turn a failure instead of a reply, as a real server's would be:
{"error": {"mode": "RATE_LIMIT", "message": "...", "retry_after_s": 30}} raises a
ProviderError with that failback mode (RATE_LIMIT, TIMEOUT, SERVER_ERROR, CONNECTION,
CONTENT). `healthy` (an attribute, default True) is what health() answers, so the failback
state machine's probes can be driven too.

`telemetry` (optional) is what the model side would have reported; with
"collapse_proximity" (0..1) and optionally "exit_reason" it states the reply's collapse
signal (source "script"), so tests drive the re-ground reflex deterministically. Without it
the text-only detector reads the reply (source "text"). Each call's Steering is kept in
`steers`, so tests can see what the reflex asked of a turn.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from governance.brains.provider import CollapseSignal, ModelReply, ProviderHealth, Steering
from governance.errors import DeadlineMissed, ProviderError
from governance.schemas import ModelUsage
from kernel.canary import text_proximity


class ScriptTelemetry(BaseModel):
    """What a scripted turn says the model side reported (kept in the reply's telemetry)."""

    model_config = ConfigDict(extra="allow")

    collapse_proximity: float | None = Field(default=None, ge=0.0, le=1.0)
    exit_reason: str = Field(default="", max_length=40)


class ScriptedFailure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["RATE_LIMIT", "TIMEOUT", "SERVER_ERROR", "CONNECTION", "CONTENT"]
    message: str = "scripted failure"
    retry_after_s: float | None = Field(default=None, ge=0)


class ReplayTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str | None = None
    match: str | None = None
    text: str = ""
    error: ScriptedFailure | None = None
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0.0)
    nominal: bool = False  # cost_usd replays the kernel's nominal charge (ModelUsage.nominal)
    delay_s: float = Field(default=0.0, ge=0.0)
    telemetry: ScriptTelemetry | None = None


def collapse_of(text: str, stated: ScriptTelemetry | None) -> CollapseSignal:
    """The reply's collapse signal: as the script states it (a stated exit reason alone
    keeps the detector's proximity), else the text detector's."""
    canary = text_proximity(text)
    detected = round(canary.sustained, 4)
    if stated is None or (stated.collapse_proximity is None and not stated.exit_reason):
        # No verdict of its own: the policy's threshold decides on the proximity.
        return CollapseSignal(proximity=detected, source="text")
    proximity = detected if stated.collapse_proximity is None else stated.collapse_proximity
    return CollapseSignal(proximity=proximity, collapsed=stated.exit_reason == "collapse",
                          exit_reason=stated.exit_reason, source="script")


def load_script(path: Path) -> list[ReplayTurn]:
    """Parse a replay script, naming the line of any malformed turn."""
    turns = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read replay script {path}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            turns.append(ReplayTurn.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ValueError(f"{path}:{n}: not a replay turn: {exc}") from exc
    return turns


class ReplayProvider:
    name = "replay"

    def __init__(self, turns: list[ReplayTurn], *, samples_together: bool = False,
                 samples_parallel: bool = False, record: bool = True):
        # samples_together: best-of-N's samples come as the kernel gives them, N scripted
        # turns from one call (generate_samples); samples_parallel: as a hosted HTTP brain
        # takes them, calls at once; else one call per sample, in turn.
        self.takes_samples = samples_together
        self.parallel_samples = samples_parallel
        self.in_flight = self.most_in_flight = 0  # generate calls at once, and the most seen
        self.healthy = True
        self._turns = list(turns)
        # a script of the kernel's nominal charges stands in for the kernel's pricing too
        # (KernelProvider.nominal_price: status says today's cost is nominal)
        self.nominal_price = bool(self._turns) and all(t.nominal for t in self._turns)
        # What a test asks of the calls (each prompt, steer, batch size); `record` off, the
        # stand-in keeps none: a daemon runs it for hours, and each op's prompts (~43 KB)
        # held to the end were the fifth soak's memory growth.
        self.record = record
        self._prompts: list[str] = []
        self._steers: list[Steering | None] = []  # per generate call, what the reflex asked
        self._sample_calls: list[int] = []  # n of each generate_samples call

    def _recorded(self, what: list) -> list:
        # Not recording, a question about what was asked fails loudly: an empty list
        # would pass a test's "never shown X" vacuously.
        if not self.record:
            raise RuntimeError("this replay provider keeps no record (record=False)")
        return what

    @property
    def prompts(self) -> list[str]:
        return self._recorded(self._prompts)

    @property
    def steers(self) -> list[Steering | None]:
        return self._recorded(self._steers)

    @property
    def sample_calls(self) -> list[int]:
        return self._recorded(self._sample_calls)

    @classmethod
    def from_file(cls, path: Path, *, record: bool = False) -> ReplayProvider:
        """The daemon's stand-in, from its config: it records nothing unless asked."""
        return cls(load_script(path), record=record)

    def _next(self, purpose: str, prompt: str) -> ReplayTurn:
        for i, turn in enumerate(self._turns):
            if turn.purpose in (None, purpose) and (turn.match or "") in prompt:
                return self._turns.pop(i)
        raise ProviderError(f"replay script has no {purpose} turn left")

    async def _reply(self, purpose: str, prompt: str, deadline: float) -> ModelReply:
        if self.record:
            self._prompts.append(prompt)
        turn = self._next(purpose, prompt)
        if (e := turn.error) is not None:
            raise ProviderError(f"{self.name}: {e.message}", mode=e.mode,
                                retry_after_s=e.retry_after_s)
        start = time.monotonic()
        if turn.delay_s:
            if start + turn.delay_s > deadline:
                raise DeadlineMissed("replay turn would miss the generation deadline",
                                     prompt_tokens=turn.prompt_tokens or len(prompt) // 4)
            await asyncio.sleep(turn.delay_s)
        usage = ModelUsage(provider=self.name, model="replay-script",
                           prompt_tokens=turn.prompt_tokens or len(prompt) // 4,
                           completion_tokens=turn.completion_tokens or len(turn.text) // 4,
                           cost_usd=turn.cost_usd, nominal=turn.nominal,
                           latency_ms=(time.monotonic() - start) * 1000)
        telemetry: dict[str, Any] = turn.telemetry.model_dump() if turn.telemetry else {}
        # off the loop: the text detector reads the whole reply (a scripted 16,000-line
        # reply held the loop 1.5 s on a loaded box)
        collapse = await asyncio.to_thread(collapse_of, turn.text, turn.telemetry)
        return ModelReply(text=turn.text, usage=usage, telemetry=telemetry, collapse=collapse)

    async def generate(self, prompt: str, *, deadline: float,
                       steer: Steering | None = None) -> ModelReply:
        if self.record:
            self._steers.append(steer)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._reply("generate", prompt, deadline)
        finally:
            self.in_flight -= 1

    async def generate_samples(self, prompt: str, n: int, *, deadline: float,
                               steer: Steering | None = None) -> list[ModelReply]:
        """The next `n` generate turns as one call's samples (a scripted error fails the
        call, as a batch's failure would)."""
        if self.record:
            self._steers.append(steer)
            self._sample_calls.append(n)
        return [await self._reply("generate", prompt, deadline) for _ in range(n)]

    async def plan(self, prompt: str, *, deadline: float) -> ModelReply:
        return await self._reply("plan", prompt, deadline)

    async def health(self) -> ProviderHealth:
        return ProviderHealth(healthy=self.healthy,
                              detail=f"replay script, {len(self._turns)} turns left")
