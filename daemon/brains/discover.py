"""What brains a user already has: local model servers, and API keys in the environment.

`ouroboros init` writes what this finds into ouroboros.toml and `ouroboros doctor` reports
it, so "is there an Ollama?" has one answer. Nothing here sends a key anywhere: local
servers are asked for their model lists (without a key), hosted APIs are only named.

Local servers are probed on their usual loopback ports (CANDIDATES; Ollama's at
`OLLAMA_HOST` when that is set) with a short timeout and no proxy. A server's reply is
untrusted input: it is parsed through pydantic, and a model name that could not go into a
TOML line as it is (quotes, control characters, over 200 characters) is left out.
The repository's test environment is resolved here too (governance.oracle.interpreter, with the
settings' test_python and test_command), for the same reason.
`ouroboros serve` answers on Ollama's port too: its models are marked `self_served`, since
they are this daemon's own in-process model, not a new brain.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from daemon.config.settings import Settings
    from governance.oracle.interpreter import TestEnv

Kind = Literal["ollama", "openai", "anthropic"]
PROBE_TIMEOUT_S = 1.5
MAX_MODELS = 200
SAFE_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}")


@dataclass(frozen=True)
class Candidate:
    """A place a local model server usually listens. `base_url` is as [[provider.http]]
    takes it: Ollama's root, an OpenAI-compatible server's with /v1."""

    kind: Literal["ollama", "openai"]
    base_url: str
    label: str
    # what its entry's `grammar` is set to: llama.cpp's server decodes under a GBNF grammar
    # given in the request (kernel.blocks_grammar)
    grammar: Literal["none", "gbnf"] = "none"


CANDIDATES = (
    Candidate("ollama", "http://127.0.0.1:11434", "Ollama"),
    Candidate("openai", "http://127.0.0.1:8000/v1", "vLLM / SGLang"),
    Candidate("openai", "http://127.0.0.1:8080/v1", "llama.cpp server", grammar="gbnf"),
    Candidate("openai", "http://127.0.0.1:1234/v1", "LM Studio"),
)


@dataclass(frozen=True)
class Hosted:
    """A hosted API the daemon can use when its key variable is set."""

    env: str  # the variable that holds the key ([[provider.http]] api_key_env)
    kind: Kind
    base_url: str
    model: str  # a sensible default; any model the account may use works
    label: str


HOSTED = (
    Hosted("ANTHROPIC_API_KEY", "anthropic", "https://api.anthropic.com", "claude-sonnet-4-5",
           "Anthropic"),
    Hosted("OPENAI_API_KEY", "openai", "https://api.openai.com/v1", "gpt-4.1", "OpenAI"),
    Hosted("OPENROUTER_API_KEY", "openai", "https://openrouter.ai/api/v1", "openai/gpt-4.1",
           "OpenRouter"),
)


@dataclass(frozen=True)
class Found:
    """What one candidate answered: its models, or why it did not answer with them."""

    candidate: Candidate
    models: tuple[str, ...] = ()
    problem: str = ""  # "" when it answered a model list
    self_served: bool = False  # `ouroboros serve`: the daemon's own model over HTTP

    @property
    def up(self) -> bool:
        return not self.problem

    @property
    def usable(self) -> bool:
        """Answered, lists a model, and is not this daemon's own model served back."""
        return self.up and bool(self.models) and not self.self_served


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _OllamaModel(_Loose):
    name: str
    size: int = 0
    details: dict = {}


class _OllamaTags(_Loose):
    models: list[_OllamaModel] = []


class _OpenAIModel(_Loose):
    id: str
    owned_by: str = ""


class _OpenAIModels(_Loose):
    data: list[_OpenAIModel] = []


def candidates(environ: Mapping[str, str]) -> tuple[Candidate, ...]:
    """CANDIDATES, with Ollama where OLLAMA_HOST says it listens (when it is set)."""
    host = environ.get("OLLAMA_HOST", "").strip().rstrip("/")
    if not host:
        return CANDIDATES
    url = host if "://" in host else f"http://{host}"
    if not re.search(r":\d+$", url.split("://", 1)[1]):
        url += ":11434"
    url = url.replace("://0.0.0.0", "://127.0.0.1")  # where it listens, not where to ask
    return (Candidate("ollama", url, "Ollama (OLLAMA_HOST)"),
            *(c for c in CANDIDATES if c.kind != "ollama"))


async def probe_all(where: Sequence[Candidate],
                    timeout_s: float = PROBE_TIMEOUT_S) -> list[Found]:
    """Ask every candidate for its model list at once; never raises for a dead server."""
    async with httpx.AsyncClient(timeout=timeout_s, trust_env=False) as client:
        return list(await asyncio.gather(*(probe(client, c) for c in where)))


async def probe(client: httpx.AsyncClient, where: Candidate) -> Found:
    """One candidate's models (GET /api/tags for Ollama, /models for OpenAI's API)."""
    path = "/api/tags" if where.kind == "ollama" else "/models"
    try:
        reply = await client.get(where.base_url.rstrip("/") + path)
    except httpx.ConnectError:
        return Found(where, problem="nothing listens there")
    except httpx.TimeoutException:
        return Found(where, problem=f"no answer within {client.timeout.read:g} s")
    except httpx.HTTPError as exc:
        return Found(where, problem=f"no answer: {type(exc).__name__}")
    if reply.status_code in (401, 403):
        return Found(where, problem=f"answers but wants a key (HTTP {reply.status_code})")
    if reply.status_code != 200:
        return Found(where, problem=f"answers HTTP {reply.status_code} on {path}")
    try:
        if where.kind == "ollama":
            tags = _OllamaTags.model_validate_json(reply.content).models
            names = [m.name for m in sorted(tags, key=_rank_ollama)]
            own = any(m.details.get("family") in ("plain", "ouro") for m in tags)
        else:
            cards = _OpenAIModels.model_validate_json(reply.content).data
            names = [m.id for m in sorted(cards, key=lambda m: _rank_name(m.id))]
            own = any(m.owned_by == "ouroboros" for m in cards)
    except ValidationError:
        return Found(where, problem=f"answers, but not with {where.kind}'s model list")
    safe = tuple(n for n in names if SAFE_MODEL.fullmatch(n))[:MAX_MODELS]
    return Found(where, models=safe, self_served=own)


def _rank_name(name: str) -> tuple[bool, bool]:
    """Chat models before embedding models, coding models first."""
    low = name.lower()
    return ("embed" in low, "code" not in low)


def _rank_ollama(m: _OllamaModel) -> tuple[bool, bool, int]:
    return (*_rank_name(m.name), -m.size)  # then the biggest


def hosted_keys(environ: Mapping[str, str]) -> list[Hosted]:
    """The HOSTED APIs whose key variable is set (and not empty)."""
    return [h for h in HOSTED if environ.get(h.env, "").strip()]


def test_env(repo: Path, settings: Settings) -> TestEnv:
    """The interpreter the daemon's test runs will use, as the daemon resolves it."""
    from governance.oracle.interpreter import detect

    g = settings.governance
    return detect(repo, g.test_python, g.test_command, state_dir=settings.state_path(repo))
