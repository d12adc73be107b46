"""Engine: one loaded model with its tokenizer and decode settings, ready for chat.

It accepts an Ouro checkpoint directory, any transformers model directory, a .gguf file,
or nothing (the embedded SmolLM2 model). Ouro models decode fast (full depth) or deep
(adaptive); plain models decode directly, optionally through the re-prompt loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernel.decode import Generation, GenerationConfig, generate
from kernel.errors import ModelLoadError
from kernel.exit_policy import make_policy
from kernel.lora import apply_lora
from kernel.ouro_loader import is_ouro_dir, load_ouro
from kernel.plain import embedded_model_path, load_plain
from kernel.quantize import cuda_four_bit, quantize_ouro
from kernel.reprompt import LoopedAnswer, looped
from kernel.steppers import OuroDeep, OuroFast, Plain, Stepper
from kernel.tokenizer import ChatTokenizer

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class EngineConfig:
    model: str | None = None  # Ouro dir, transformers dir or .gguf; None = embedded
    mode: str = "fast"  # fast | deep (deep needs an Ouro model)
    exit_policy: str = "qexit"
    q: float = 0.5
    eps: float = 0.05
    patience: int = 1
    depth: int | None = None
    ut_steps: int | None = None
    int8_kv: bool = False
    lora: str | None = None
    lora_merge: bool = True
    load_in_4bit: bool = False
    cache_dir: str | None = None
    reprompt_loops: int = 1  # plain models: >1 enables the looped re-prompt approximation
    generation: GenerationConfig = field(default_factory=GenerationConfig)


class Engine:
    def __init__(self, model: Any, tokenizer: ChatTokenizer, kind: str, name: str,
                 config: EngineConfig):
        if config.mode == "deep" and kind != "ouro":
            raise ModelLoadError("deep mode needs an Ouro (looped) model; "
                                 f"{name} is a plain model")
        self.model, self.tokenizer, self.kind, self.name = model, tokenizer, kind, name
        self.config = config
        self._lock = threading.Lock()  # one generation at a time per loaded model

    @classmethod
    def load(cls, config: EngineConfig, progress: Progress | None = None) -> Engine:
        source = Path(config.model).expanduser() if config.model else embedded_model_path()
        four_bit = cuda_four_bit() if config.load_in_4bit else None
        if source.is_dir() and is_ouro_dir(source):
            model = load_ouro(source, ut_steps=config.ut_steps, progress=progress)
            if four_bit is not None:
                model = quantize_ouro(model, four_bit)
            tokenizer = ChatTokenizer.from_file(source / "tokenizer.json")
            kind = "ouro"
        else:
            if progress:
                progress(0, 1, source.name)
            cache = Path(config.cache_dir).expanduser() if config.cache_dir else None
            model, model_dir = load_plain(source, cache, four_bit)
            tokenizer = ChatTokenizer.from_file(model_dir / "tokenizer.json")
            kind = "plain"
            if progress:
                progress(1, 1, "done")
        if config.lora:
            model = apply_lora(model, config.lora, merge=config.lora_merge)
        return cls(model, tokenizer, kind, source.name, config)

    @property
    def total_steps(self) -> int:
        return self.model.steps if self.kind == "ouro" else 1

    def stepper(self) -> Stepper:
        c = self.config
        if self.kind == "plain":
            return Plain(self.model)
        if c.mode == "deep":
            policy = make_policy(c.exit_policy, q=c.q, eps=c.eps, patience=c.patience,
                                 depth=c.depth)
            return OuroDeep(self.model, policy, c.int8_kv)
        return OuroFast(self.model, c.int8_kv)

    def chat(self, messages: Sequence[dict[str, str]], config: GenerationConfig | None = None,
             cancel: threading.Event | None = None,
             on_token: Callable[[int], None] | None = None) -> Generation:
        """One reply; `on_token` sees each token as it is chosen (for streaming servers)."""
        config = config or self.config.generation
        with self._lock:
            return generate(self.stepper(), self.tokenizer, self.tokenizer.chat(messages),
                            config, cancel=cancel, on_token=on_token)

    def looped_chat(self, messages: Sequence[dict[str, str]],
                    config: GenerationConfig | None = None,
                    cancel: threading.Event | None = None) -> LoopedAnswer | None:
        """The re-prompt loop for plain models (None when it does not apply)."""
        if self.kind != "plain" or self.config.reprompt_loops <= 1:
            return None
        return looped(lambda m: self.chat(m, config, cancel), messages,
                      max_loops=self.config.reprompt_loops)
