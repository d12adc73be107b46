"""Shared by the serve tests: a tiny chat-capable Ouro checkpoint, and a real uvicorn
server on an ephemeral loopback port in a thread of the test process (tests.local_http)."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from daemon.serve.app import LIMITS, build_app, serving_config
from daemon.serve.model import ServedModel
from daemon.serve.queue import ModelQueue
from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig
from kernel.engine import Engine, EngineConfig
from kernel.plain import default_cache_root, dequantized_dir, embedded_model_path
from sensors.http_limits import Limits
from tests.kernel.tiny import tiny_checkpoint
from tests.local_http import serving


@functools.cache
def tiny_chat_checkpoint(**overrides: Any) -> Path:
    """A tiny random Ouro checkpoint with the embedded model's real tokenizer beside it,
    built once per test process and config (serve test modules read it, none writes it)."""
    root = Path(tempfile.mkdtemp(prefix="tiny-chat-ouro-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    path = tiny_checkpoint(root / "ouro", vocab_size=49152, **overrides)
    tokenizer = dequantized_dir(embedded_model_path(), default_cache_root()) / "tokenizer.json"
    shutil.copy(tokenizer, path / "tokenizer.json")
    return path


def tiny_engine(checkpoint: Path, max_new_tokens: int = 8, **config: Any) -> Engine:
    gen = GenerationConfig(max_new_tokens=max_new_tokens, canary=CanaryConfig(mode="observe"))
    return Engine.load(EngineConfig(model=str(checkpoint), generation=gen, **config))


@contextmanager
def running(engine: Engine, *, name: str = "ouroboros", max_waiting: int = 4,
            allow_remote: bool = False, limits: Limits = LIMITS,
            **model_options: Any) -> Iterator[tuple[str, ServedModel]]:
    """(base URL, the served model) of a live `serve` app under `serve`'s own uvicorn
    config (the shared HTTP limits); stopped and drained on exit. `model_options`:
    ServedModel's (max_tokens, max_share_s)."""
    model = ServedModel(engine, name, ModelQueue(max_waiting), **model_options)
    app = build_app(model, allow_remote=allow_remote)
    config = serving_config(app, limits, timeout_graceful_shutdown=2)
    try:
        with serving(app, config=config) as url:
            yield url, model
    finally:
        model.queue.close()
