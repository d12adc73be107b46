from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kernel.engine import Engine, EngineConfig
from kernel.grammar import Grammars
from kernel.plain import default_cache_root, dequantized_dir, embedded_model_path
from kernel.tokenizer import ChatTokenizer
from tests.kernel.tiny import tiny_checkpoint


@pytest.fixture(scope="session")
def smollm2_dir() -> Path:
    """The embedded model, dequantized once into the user's model cache (~20 s the first
    time on a machine, instant after)."""
    return dequantized_dir(embedded_model_path(), default_cache_root())


@pytest.fixture(scope="session")
def chat_ouro(smollm2_dir: Path, tmp_path_factory) -> Path:
    """A tiny random Ouro checkpoint with the real SmolLM2 tokenizer beside it."""
    path = tiny_checkpoint(tmp_path_factory.mktemp("chat-ouro") / "ouro", vocab_size=49152)
    shutil.copy(smollm2_dir / "tokenizer.json", path / "tokenizer.json")
    return path


@pytest.fixture(scope="session")
def tokenizer(smollm2_dir: Path) -> ChatTokenizer:
    """The embedded model's tokenizer (the grammar tests build their masks over it)."""
    return ChatTokenizer.from_file(smollm2_dir / "tokenizer.json")


@pytest.fixture(scope="session")
def grammars(tokenizer: ChatTokenizer) -> Grammars:
    """One grammar compiler for the session: its llguidance tokenizer view takes ~0.7 s."""
    return Grammars(tokenizer)



@pytest.fixture(scope="session")
def embedded_lean(smollm2_dir: Path) -> Engine:
    """The embedded model on its default (lean int8) path, loaded once for the session:
    its weights are only read, and a load costs 10-25 s on two cores."""
    return Engine.load(EngineConfig())


@pytest.fixture(scope="session")
def embedded_engine(embedded_lean: Engine):
    """`embedded_engine(config)`: a fresh Engine (its own lock and kept cache) over the
    session's embedded model, for any EngineConfig that keeps the default weights."""
    def make(config: EngineConfig) -> Engine:
        assert config.model is None and config.precision == "auto" and not config.lora
        return Engine(embedded_lean.model, embedded_lean.tokenizer, "plain",
                      embedded_lean.name, config)
    return make
