"""ScriptedEngine: a stand-in for the served model, clearly named, for tests that need the
model to write a given text (a tiny random checkpoint writes a tool line only under a
grammar, and Ollama's API has no way to ask for one).

Everything but the decode is the real tiny engine (tokenizer, config, weights' metadata):
`chat()` "writes" the next scripted reply token by token through the real tokenizer, calls
`on_token` for each like the decode loop, and keeps the messages it was given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from kernel.decode import Generation, GenerationConfig
from kernel.engine import Engine


class ScriptedEngine:
    def __init__(self, engine: Engine, *replies: str):
        self._engine = engine
        self.replies = list(replies)
        self.seen: list[list[dict[str, str]]] = []
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # all but the decode: the real engine's
        return getattr(self._engine, name)

    def script(self, *replies: str) -> None:
        with self.lock:
            self.replies = list(replies)
            self.seen.clear()

    def chat(self, messages: Sequence[dict[str, str]], config: GenerationConfig | None = None,
             cancel: threading.Event | None = None,
             on_token: Callable[[int], None] | None = None,
             constraint: Any = None, on_prefill: Any = None) -> Generation:
        with self.lock:
            self.seen.append([dict(m) for m in messages])
            text = self.replies.pop(0) if self.replies else "(script exhausted)"
        ids = self._engine.tokenizer.encode(text)
        for token in ids:
            if on_token is not None:
                on_token(token)
        return Generation(ids, self._engine.tokenizer.decode(ids), "stop", [1] * len(ids),
                          [0.0] * len(ids), len(self._engine.tokenizer.chat(messages)),
                          0.001, None)
