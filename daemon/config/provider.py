"""[provider]: the in-process kernel's knobs, the HTTP brains ([[provider.http]]) and the
list prices of known hosted model families (daemon.config.settings assembles the sections)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from daemon.config.base import Section
from kernel import defaults
from kernel.precision import DEFAULT_DEVICE, DEFAULT_PRECISION

OLLAMA_CONTEXT = 8192  # num_ctx asked of an ollama server unless its entry says otherwise


class HttpProviderEntry(Section):
    """One [[provider.http]] brain: an Ollama, OpenAI-compatible or Anthropic server."""

    kind: Literal["ollama", "openai", "anthropic"]
    # What routes ([routes.*].brains) and the ledger call it; default "<kind>:<model>".
    name: str | None = Field(default=None, min_length=1, max_length=100)
    base_url: str = Field(min_length=1, max_length=2000, pattern=r"^https?://")
    model: str = Field(min_length=1, max_length=200)
    # The NAME of the environment variable holding the key; the key itself is never config.
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
    max_tokens: int = Field(default=1024, ge=1)
    temperature: float = Field(default=0.0, ge=0)
    # $ per million prompt / completion tokens; unset: from provider.prices by model family
    # ($0 for an ollama server or one on this machine)
    usd_per_mtok_in: float | None = Field(default=None, ge=0)
    usd_per_mtok_out: float | None = Field(default=None, ge=0)
    # Tool calls as the API's native `tools` (false: in the reply's text only, as the kernel).
    native_tools: bool = True
    # "gbnf": a blocks reply is decoded under its grammar, sent as GBNF in the request's
    # `grammar` field (llama.cpp's server; kernel.blocks_grammar). "none": not sent (other
    # servers refuse or ignore the field).
    grammar: Literal["none", "gbnf"] = "none"
    # The model's context window in tokens: prompts are fitted to it (governance/brains/
    # window.py), and an ollama server is asked for it (`options.num_ctx`). Unset, the
    # server is asked for the model's own window at start (kernel.http: Ollama's /api/show,
    # an OpenAI-compatible server's model card), and an ollama entry takes at most
    # OLLAMA_CONTEXT: Ollama's own default (2,048-4,096 by version) silently drops the
    # front of a longer prompt. Unset, and the server says none: prompts as they are.
    context_tokens: int | None = Field(default=None, ge=defaults.MIN_WINDOW,
                                        le=defaults.MAX_WINDOW)

    @property
    def window(self) -> int | None:
        """The window before the server is asked: the entry's, else an ollama entry's
        OLLAMA_CONTEXT."""
        if self.context_tokens is None and self.kind == "ollama":
            return OLLAMA_CONTEXT
        return self.context_tokens


class Price(Section):
    usd_per_mtok_in: float = Field(ge=0)
    usd_per_mtok_out: float = Field(ge=0)


# List prices ($ per million tokens, in / out) of known hosted model families, matched as the
# longest prefix of an entry's model name. Prices change: a [provider.prices."<prefix>"]
# table overrides one, and an entry's own usd_per_mtok_in/out override the table.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00), "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60), "gpt-4.1": (2.00, 8.00), "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40), "o3": (2.00, 8.00), "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00), "gpt-5": (1.25, 10.00),
    "claude-3-haiku": (0.25, 1.25), "claude-3-5-haiku": (0.80, 4.00),
    "claude-haiku-4": (1.00, 5.00), "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00), "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00), "claude-opus-4-5": (5.00, 25.00),
}


def _price_table() -> dict[str, Price]:
    return {k: Price(usd_per_mtok_in=i, usd_per_mtok_out=o) for k, (i, o) in PRICES.items()}


class ProviderSection(Section):
    name: Literal["kernel", "replay", "none"] = "kernel"
    # HTTP brains, in order. With any, the brains form a failback chain
    # (governance.brains.failback): these first and the in-process one (`name`) last, or
    # the other way with http_first off.
    http: list[HttpProviderEntry] = Field(default_factory=list, max_length=8)
    http_first: bool = True
    # How often a brain in backoff is asked whether it answers again (its health check),
    # in seconds; None: by how far its backoff still runs (60 s, then 20, 10, and 5 s once
    # it ran out: governance.brains.failback.ADAPTIVE). A work waiting for a brain starts
    # within one interval of its server answering again.
    probe_interval_s: float | None = Field(default=None, gt=0, le=3600)
    prices: dict[str, Price] = Field(default_factory=_price_table)  # see PRICES
    replay_script: str | None = None
    # The in-process kernel: an Ouro or transformers directory or a .gguf file;
    # None = the embedded SmolLM2-135M-Instruct.
    model: str | None = None
    mode: Literal["fast", "deep"] = defaults.MODE
    exit_policy: Literal["qexit", "converge", "accel", "fixed"] = defaults.EXIT_POLICY
    q: float = Field(default=defaults.Q, gt=0, le=1)
    eps: float = Field(default=defaults.EPS, ge=0)
    patience: int = Field(default=defaults.PATIENCE, ge=1)
    depth: int | None = Field(default=None, ge=1)
    ut_steps: int | None = Field(default=None, ge=1)
    int8_kv: bool = False
    lora: str | None = None
    lora_merge: bool = True
    load_in_4bit: bool = False
    # auto: the lean int8 forward for plain Llama-family models (the embedded one included),
    # float32 for Ouro; int8: int8 for Ouro too; float32: the reference path everywhere.
    precision: Literal["auto", "int8", "float32"] = DEFAULT_PRECISION
    # auto: a CUDA device when torch sees one (bf16, CUDA graphs), else the CPU; cuda where
    # torch sees none is a start-up error that says why.
    device: Literal["auto", "cpu", "cuda"] = DEFAULT_DEVICE
    cache_dir: str | None = None  # dequantized GGUF cache; default ~/.cache/ouroboros/models
    # A cap on the window the in-process model's prompts are fitted to; None: the model's
    # own (Qwen2.5-Coder: 32,768). On a 2-core CPU a prompt prefills at ~40 tokens/s, so a
    # 10,000-token prompt is four minutes before the first reply token: a cap of 4,096 keeps
    # a step's prompt near 2,000 tokens.
    context_tokens: int | None = Field(default=None, ge=defaults.MIN_WINDOW,
                                       le=defaults.MAX_WINDOW)
    max_new_tokens: int = Field(default=defaults.MAX_NEW_TOKENS, ge=1)
    temperature: float = Field(default=defaults.TEMPERATURE, ge=0)
    top_p: float = Field(default=defaults.TOP_P, gt=0, le=1)
    seed: int | None = None
    # None: the model's own: a .gguf coder model's (1.0, 0: an edit copies the file's lines
    # verbatim), else the seeds' (1.3, 3). kernel/defaults.py says why.
    repetition_penalty: float | None = Field(default=None, ge=1)
    no_repeat_ngram: int | None = Field(default=None, ge=0)
    # Decode the in-process model's replies under a grammar of the daemon's JSON forms
    # (kernel/grammar.py). None: on, but off for a code model (governance.edit_blocks
    # FAMILIES), which is told the SEARCH/REPLACE edits and tool calls it was trained on,
    # and decodes its blocks under their grammar (kernel/blocks_grammar.py). False: no
    # grammar at all.
    constrain: bool | None = None
    canary: Literal["off", "observe", "adapt"] = defaults.CANARY_MODE
    canary_threshold: float = Field(default=defaults.CANARY_THRESHOLD, gt=0, le=1)
    canary_patience: int = Field(default=defaults.CANARY_PATIENCE, ge=1)
    reprompt_loops: int = Field(default=defaults.REPROMPT_LOOPS, ge=1, le=8)
    # What the in-process kernel charges per million tokens (prompt + reply), so the per-op
    # and daily cost ceilings bound local compute too. $0.10: a 200k-token op costs $0.02,
    # so the default daily $5 allows ~250 such ops a day.
    usd_per_mtok: float = Field(default=defaults.USD_PER_MTOK, ge=0)

    @field_validator("http")
    @classmethod
    def _names_unique(cls, value: list[HttpProviderEntry]) -> list[HttpProviderEntry]:
        """Routes and the ledger tell brains apart by name: two entries for the same
        <kind>:<model> need their own `name`s, or one of them could never be asked."""
        names = [e.name or f"{e.kind}:{e.model}" for e in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice or any(n in ("kernel", "replay") for n in names):
            raise ValueError(f"two brains share a name ({', '.join(twice or names)}): give "
                             "each [[provider.http]] entry its own `name`")
        return value

    @field_validator("prices", mode="before")
    @classmethod
    def _over_the_known_prices(cls, value: Any) -> Any:
        """A [provider.prices] table adds to and overrides PRICES, never erases it."""
        if not isinstance(value, dict):
            return value
        known = {k: {"usd_per_mtok_in": i, "usd_per_mtok_out": o}
                 for k, (i, o) in PRICES.items()}
        return {**known, **value}

