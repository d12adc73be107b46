from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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

