"""Memory: the embedded model's load leaves no file mapping behind (a view into the
safetensors mmap kept the whole 540 MB file resident), and the glibc helpers behave. How
RSS evolves across ops is measured by bench/kernel_memory.py, not asserted here (it
depends on everything else the process does)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kernel import memory
from kernel.engine import Engine, EngineConfig

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def mapped(name: str) -> list[str]:
    return [line for line in Path("/proc/self/maps").read_text().splitlines()
            if line.endswith(name)]


@pytest.mark.slow
def test_the_embedded_model_load_keeps_no_mapping_of_its_weights_file(smollm2_dir):
    engine = Engine.load(EngineConfig())
    # This file only: other tests' tiny Ouro checkpoints are mapped too, legitimately.
    weights = str((smollm2_dir / "model.safetensors").resolve())
    assert mapped(weights) == [], "a weight still views the mmapped file"
    assert engine.chat([{"role": "user", "content": "hi"}]).token_ids is not None


def test_rss_is_read_and_trim_and_the_arena_cap_answer_plainly(monkeypatch):
    assert memory.rss_bytes() > 10 << 20
    assert memory.trim() in (True, False)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")  # an operator's setting wins
    assert memory.limit_arenas() is False
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert memory.limit_arenas() is (memory._libc() is not None)
