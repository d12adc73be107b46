"""ReplayProvider: a stand-in model that plays a recorded JSONL script of model turns.

For tests and demos only: it is named as such everywhere it appears (provider name
"replay", the Provider trailer of its commits). Each line of the script is one turn:

    {"purpose": "generate", "text": "<the model's reply text>", "prompt_tokens": 120,
     "completion_tokens": 80, "cost_usd": 0.0}

`purpose` ("generate" or "plan") is optional; when given, a call takes the next turn with
that purpose. `match` (optional) is a substring the prompt must contain for a call to take
that turn, so concurrent ops each get their own answer. A script that runs out raises
ProviderError, as a dead model would.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from governance.errors import ProviderError
from governance.provider import ModelReply, ProviderHealth
from governance.schemas import ModelUsage


class ReplayTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str | None = None
    match: str | None = None
    text: str
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0.0)
    delay_s: float = Field(default=0.0, ge=0.0)


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

    def __init__(self, turns: list[ReplayTurn]):
        self._turns = list(turns)
        self.prompts: list[str] = []

    @classmethod
    def from_file(cls, path: Path) -> ReplayProvider:
        return cls(load_script(path))

    def _next(self, purpose: str, prompt: str) -> ReplayTurn:
        for i, turn in enumerate(self._turns):
            if turn.purpose in (None, purpose) and (turn.match or "") in prompt:
                return self._turns.pop(i)
        raise ProviderError(f"replay script has no {purpose} turn left")

    async def _reply(self, purpose: str, prompt: str, deadline: float) -> ModelReply:
        self.prompts.append(prompt)
        turn = self._next(purpose, prompt)
        start = time.monotonic()
        if turn.delay_s:
            if start + turn.delay_s > deadline:
                raise ProviderError("replay turn would miss the generation deadline",
                                    prompt_tokens=turn.prompt_tokens or len(prompt) // 4)
            await asyncio.sleep(turn.delay_s)
        usage = ModelUsage(provider=self.name, model="replay-script",
                           prompt_tokens=turn.prompt_tokens or len(prompt) // 4,
                           completion_tokens=turn.completion_tokens or len(turn.text) // 4,
                           cost_usd=turn.cost_usd,
                           latency_ms=(time.monotonic() - start) * 1000)
        return ModelReply(text=turn.text, usage=usage)

    async def generate(self, prompt: str, *, deadline: float) -> ModelReply:
        return await self._reply("generate", prompt, deadline)

    async def plan(self, prompt: str, *, deadline: float) -> ModelReply:
        return await self._reply("plan", prompt, deadline)

    async def health(self) -> ProviderHealth:
        return ProviderHealth(healthy=True, detail=f"replay script, {len(self._turns)} turns left")
