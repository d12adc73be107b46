"""Engine: one loaded model with its tokenizer and decode settings, ready for chat.

It accepts an Ouro checkpoint directory, any transformers model directory, a .gguf file
(a Qwen2 one runs on its own quantized blocks, kernel/gguf_model.py; others through
transformers' dequantizing loader), or nothing (the embedded SmolLM2 model). Ouro models
decode fast (full depth) or deep (adaptive); plain models decode directly, optionally
through the re-prompt loop.

The engine keeps one stepper between chats: the next tool round, a retry or an L2
iteration whose prompt extends the last one prefills only what is new (generated tokens
included). A prompt that departs earlier (a compaction, a re-ground) reuses the common
prefix, which gives the same tokens as a cold start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from kernel import defaults
from kernel.decode import Generation, GenerationConfig, generate
from kernel.errors import ModelLoadError
from kernel.exit_policy import make_policy
from kernel.fast_plain import plain_stepper, with_precision
from kernel.gguf_file import architecture
from kernel.gguf_model import GgufModel, GgufStepper, load_gguf, runs_here
from kernel.gpu_model import GpuModel
from kernel.gpu_stepper import GpuStepper, gpu_model, resolve_device
from kernel.grammar import Constraint
from kernel.lora import apply_lora
from kernel.memory import limit_arenas, trim
from kernel.ouro_loader import is_ouro_dir, load_ouro
from kernel.plain import embedded_model_path, load_plain
from kernel.precision import DEFAULT_DEVICE, DEFAULT_PRECISION
from kernel.quantize import cuda_four_bit, quantize_ouro
from kernel.reprompt import LoopedAnswer, looped
from kernel.samples import generate_samples, sample_seeds
from kernel.steppers import PREFILL_CHUNK, OuroDeep, OuroFast, PrefillHook, Stepper
from kernel.tokenizer import ChatTokenizer

Progress = Callable[[int, int, str], None]
DEFAULT_CONTEXT = 2048  # a model whose config names no trained context length
DEFAULT_STOPS = GenerationConfig().stop_ids


@dataclass(frozen=True)
class EngineConfig:
    model: str | None = None  # Ouro dir, transformers dir or .gguf; None = embedded
    mode: str = defaults.MODE  # fast | deep (deep needs an Ouro model)
    exit_policy: str = defaults.EXIT_POLICY
    q: float = defaults.Q
    eps: float = defaults.EPS
    patience: int = defaults.PATIENCE
    depth: int | None = None
    ut_steps: int | None = None
    int8_kv: bool = False
    lora: str | None = None
    lora_merge: bool = True
    load_in_4bit: bool = False
    precision: str = DEFAULT_PRECISION  # auto | int8 | float32 (kernel/precision.py)
    device: str = DEFAULT_DEVICE  # auto | cpu | cuda (kernel/gpu_stepper.py)
    cache_dir: str | None = None
    reprompt_loops: int = defaults.REPROMPT_LOOPS  # plain models: >1 loops the re-prompt
    reuse_prefix: bool = True  # keep the cache between chats; a new prompt reuses its prefix
    # Tokens per prefill pass (a cancel waits at most one); None: the model's own choice
    # (the lean forward's FastLlama.prefill_chunk), else PREFILL_CHUNK.
    prefill_chunk: int | None = None
    idle_release_s: float = 300.0  # drop a kept cache unused this long (0: keep it)
    generation: GenerationConfig = field(default_factory=GenerationConfig)


class Engine:
    def __init__(self, model: Any, tokenizer: ChatTokenizer, kind: str, name: str,
                 config: EngineConfig):
        if config.mode == "deep" and kind != "ouro":
            raise ModelLoadError("deep mode needs an Ouro (looped) model; "
                                 f"{name} is a plain model")
        self.model, self.tokenizer, self.kind, self.name = model, tokenizer, kind, name
        self.config = replace(config, generation=self.own_stops(config.generation))
        self._lock = threading.Lock()  # one generation at a time per loaded model
        self._kept: Stepper | None = None  # the stepper whose cache the next chat reuses
        self._kept_key: tuple[Any, ...] = ()
        self._idle: threading.Timer | None = None  # counts down to dropping the kept cache

    @classmethod
    def load(cls, config: EngineConfig, progress: Progress | None = None) -> Engine:
        limit_arenas()  # before the big allocations: pool threads share two malloc arenas
        source = Path(config.model).expanduser() if config.model else embedded_model_path()
        four_bit = cuda_four_bit() if config.load_in_4bit else None
        # The GPU path needs bf16 weights it can fuse: a 4-bit base and an unmerged adapter
        # keep their own (bitsandbytes, PEFT) layers.
        unmerged = bool(config.lora) and not config.lora_merge
        on_gpu = resolve_device(config.device) == "cuda" and four_bit is None and not unmerged
        if runs_here(source, architecture(source) if source.suffix == ".gguf" else None):
            return cls._load_gguf(source, config, progress)
        if source.is_dir() and is_ouro_dir(source):
            model = load_ouro(source, ut_steps=config.ut_steps, progress=progress,
                              **({"dtype": torch.bfloat16, "device": "cuda"} if on_gpu else {}))
            if four_bit is not None:
                model = quantize_ouro(model, four_bit)
            tokenizer = ChatTokenizer.from_file(source / "tokenizer.json")
            kind = "ouro"
        else:
            if progress:
                progress(0, 1, source.name)
            cache = Path(config.cache_dir).expanduser() if config.cache_dir else None
            lean = config.precision != "float32" and not config.lora and not on_gpu
            model, model_dir = load_plain(source, cache, four_bit, lean=lean)
            tokenizer = ChatTokenizer.from_file(model_dir / "tokenizer.json")
            kind = "plain"
            if progress:
                progress(1, 1, "done")
        if config.lora:
            model = apply_lora(model, config.lora, merge=config.lora_merge)
        if on_gpu:
            model = gpu_model(model, kind, "cuda")
        else:
            model = with_precision(model, kind, config.precision,
                                   four_bit=four_bit is not None, unmerged_lora=unmerged)
        trim()  # the loader's temporary float32 copies are freed: give their pages back
        return cls(model, tokenizer, kind, source.name, config)

    @classmethod
    def _load_gguf(cls, source: Path, config: EngineConfig,
                   progress: Progress | None) -> Engine:
        """A Qwen2 GGUF on its quantized blocks (kernel/gguf_model.py). The options that
        need float weights or another device are refused here, with the reason."""
        if config.lora or config.load_in_4bit or config.mode == "deep" or config.int8_kv:
            raise ModelLoadError(f"{source.name}: a quantized GGUF model runs plain, on its "
                                 "own blocks (no LoRA, 4-bit base, deep mode or int8 KV)")
        # device "auto" takes the CPU here (the blocks have no CUDA kernels); "cuda" asked
        # for by name is refused rather than quietly not given.
        if config.precision == "float32" or config.device == "cuda":
            raise ModelLoadError(f"{source.name}: a quantized GGUF model runs on the CPU, on "
                                 "its own blocks (precision float32 and CUDA do not apply)")
        if progress:
            progress(0, 1, source.name)
        cache = Path(config.cache_dir).expanduser() if config.cache_dir else None
        model, tokenizer = load_gguf(source, cache)
        if progress:
            progress(1, 1, "done")
        return cls(model, tokenizer, "plain", source.name, config)

    @property
    def prefill_chunk(self) -> int:
        """Tokens per prefill pass: the setting, else what the model's forward prefers."""
        return self.config.prefill_chunk or getattr(self.model, "prefill_chunk", PREFILL_CHUNK)

    def own_stops(self, config: GenerationConfig) -> GenerationConfig:
        """`config` with this model's stop tokens where it names the default ones (SmolLM2's
        <|im_end|>, <|endoftext|> = 2, 0): a GGUF's tokenizer places them elsewhere."""
        own = tuple(getattr(self.tokenizer, "stop_ids", DEFAULT_STOPS))
        if config.stop_ids == DEFAULT_STOPS and own != DEFAULT_STOPS:
            return replace(config, stop_ids=own)
        return config

    @property
    def context_tokens(self) -> int:
        """The positions the model was trained on (its config's max_position_embeddings; 2048
        where it names none): the serve API's context size, and the window governance fits
        its prompts to (KernelProvider.context_tokens)."""
        value = getattr(getattr(self.model, "config", None), "max_position_embeddings", None)
        return value if isinstance(value, int) and value > 0 else DEFAULT_CONTEXT

    @property
    def total_steps(self) -> int:
        return self.model.steps if self.kind == "ouro" else 1

    def stepper(self) -> Stepper:
        """A fresh stepper (empty cache) for this engine's model and settings."""
        c = self.config
        policy = make_policy(c.exit_policy, q=c.q, eps=c.eps, patience=c.patience,
                             depth=c.depth) if c.mode == "deep" else None
        if isinstance(self.model, GpuModel):
            return GpuStepper(self.model, self.prefill_chunk, policy)
        if isinstance(self.model, GgufModel):
            return GgufStepper(self.model, self.prefill_chunk)
        if self.kind == "plain":
            return plain_stepper(self.model, self.prefill_chunk)
        if policy is not None:
            return OuroDeep(self.model, policy, c.int8_kv, chunk=self.prefill_chunk)
        return OuroFast(self.model, c.int8_kv, chunk=self.prefill_chunk)

    def _cache_key(self) -> tuple[Any, ...]:
        """Everything that decides what a cached position holds: another model (a new
        LoRA merge is a new object), mode, policy, KV precision or chunking starts cold."""
        c = self.config
        return (id(self.model), self.kind, c.mode, c.exit_policy, c.q, c.eps, c.patience,
                c.depth, c.int8_kv, self.prefill_chunk)

    def _warm_stepper(self) -> Stepper:
        """The kept stepper when its cache is still valid for this engine, else a new one.
        Called under the lock."""
        if not self.config.reuse_prefix:
            return self.stepper()
        key = self._cache_key()
        if self._kept is None or key != self._kept_key:
            self.forget()
            self._kept, self._kept_key = self.stepper(), key
        return self._kept

    def forget(self) -> None:
        """Drop the kept cache (its tensors go with it); the next chat starts cold."""
        kept, self._kept = self._kept, None
        if kept is not None and hasattr(kept, "release"):
            kept.release()

    def release_if_idle(self) -> bool:
        """Drop the kept cache unless a chat is running (then it is in use: keep it)."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self.forget()
        finally:
            self._lock.release()
        return True

    @property
    def cached_tokens(self) -> int:
        return len(getattr(self._kept, "tokens", ()))

    def chat(self, messages: Sequence[dict[str, str]], config: GenerationConfig | None = None,
             cancel: threading.Event | None = None,
             on_token: Callable[[int], None] | None = None,
             constraint: Constraint | None = None,
             on_prefill: PrefillHook | None = None) -> Generation:
        """One reply; `on_token` sees each token as it is chosen (for streaming servers);
        `constraint` (kernel.grammar) masks each token; `on_prefill` hears a prefill's chunks.
        The prompt's prefix already in the kept cache is not computed again."""
        config = self.own_stops(config or self.config.generation)
        with self._lock:
            try:
                return generate(self._warm_stepper(), self.tokenizer,
                                self.tokenizer.chat(messages), config, cancel=cancel,
                                on_token=on_token, constraint=constraint,
                                on_prefill=on_prefill)
            finally:
                trim()  # the prefill's activations are freed: give their pages back
                self._arm_idle_release()

    def chat_samples(self, messages: Sequence[dict[str, str]], n: int,
                     config: GenerationConfig | None = None,
                     cancel: threading.Event | None = None,
                     constraints: Callable[[], Constraint | None] | None = None,
                     on_prefill: PrefillHook | None = None,
                     seeds: Sequence[int] | None = None) -> list[Generation]:
        """`n` replies to one prompt, decoded together (kernel.samples): the prompt is
        prefilled once, and sample i is the reply `chat` gives with seed seeds[i] (by
        default config.seed + i, or fresh random seeds; each Generation names its seed),
        with its own canary, its own constraint from `constraints` and its own exit reason.
        The re-prompt loop does not run: the N samples, judged by governance, replace it."""
        config = self.own_stops(config or self.config.generation)
        seeds = list(seeds) if seeds is not None else sample_seeds(config, n)
        if len(seeds) != n or n < 1:
            raise ValueError(f"{n} samples need {n} seeds, got {len(seeds)}")
        with self._lock:
            try:
                return generate_samples(self._warm_stepper(), self.tokenizer,
                                        self.tokenizer.chat(messages), config, seeds,
                                        cancel=cancel, constraints=constraints,
                                        on_prefill=on_prefill)
            finally:
                trim()
                self._arm_idle_release()

    def _arm_idle_release(self) -> None:
        """(Re)start the countdown after which an unused kept cache is dropped."""
        if self._idle is not None:
            self._idle.cancel()
        if self._kept is None or self.config.idle_release_s <= 0:
            return
        self._idle = threading.Timer(self.config.idle_release_s, self._release_idle)
        self._idle.daemon = True
        self._idle.start()

    def _release_idle(self) -> None:
        if self.release_if_idle():
            trim()

    def looped_chat(self, messages: Sequence[dict[str, str]],
                    config: GenerationConfig | None = None,
                    cancel: threading.Event | None = None,
                    constraints: Callable[[], Constraint | None] | None = None,
                    on_prefill: PrefillHook | None = None) -> LoopedAnswer | None:
        """The re-prompt loop for plain models (None when it does not apply); `constraints`
        makes a fresh constraint for each loop's answer. The answer's timing counts every
        loop's prefill and decode (the first loop's prompt is most of it): what the brain's
        speed is read from."""
        if self.kind != "plain" or self.config.reprompt_loops <= 1:
            return None
        fresh = constraints or (lambda: None)
        gens: list[Generation] = []

        def run(m: Sequence[dict[str, str]]) -> Generation:
            gens.append(self.chat(m, config, cancel, constraint=fresh(), on_prefill=on_prefill))
            return gens[-1]

        answer = looped(run, messages, max_loops=self.config.reprompt_loops)
        answer.generation = replace(answer.generation,
                                    prefill_tokens=sum(g.prefill_tokens for g in gens),
                                    prefill_seconds=sum(g.prefill_seconds for g in gens),
                                    decoded_tokens=sum(len(g.token_ids) for g in gens),
                                    seconds=sum(g.seconds for g in gens))
        return answer
