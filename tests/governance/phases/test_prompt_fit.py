"""GENERATE fits its prompt to the context window its brain declares (the in-process kernel
does; the replay stand-in here declares one), and leaves it as before where none does."""

from __future__ import annotations

import json

from governance.brains import window
from governance.brains.files_shown import MAX_FILE_CHARS
from governance.phase import Phase
from tests.governance.brains.test_prompt_window import LONG
from tests.helpers import commit_files, replay, run_op

NO_OP = json.dumps({"schema": "candidate.1", "no_op": True, "rationale": "nothing to do"})
FITTED = "prompt fitted to the context window"


async def _op(tmp_path, declared: int | None):
    repo = commit_files(tmp_path / "r", {"pkg/__init__.py": "", "pkg/big.py": LONG})
    provider = replay(NO_OP)
    if declared is not None:
        provider.context_tokens = declared
    end, chain = await run_op(repo, tmp_path / "l.db", "pkg/big.py", provider=provider)
    fits = [t["data"] for t in chain["thoughts"] if t["msg"] == FITTED]
    return end, fits, provider.prompts[-1]


async def test_a_declared_window_bounds_the_prompt(tmp_path):
    end, [fit], prompt = await _op(tmp_path, 2048)
    assert end is not Phase.APPLY and fit["window"] == 2048
    assert fit["prompt_tokens"] <= fit["room_tokens"] < 2048
    assert len(prompt) <= fit["room_tokens"] * window.FIT_CHARS_PER_TOKEN + 100  # headings
    assert "--- pkg/big.py (lines 1-" in prompt and "read_file reads the rest" in prompt


async def test_no_declared_window_leaves_the_prompt_as_before(tmp_path):
    _, fits, prompt = await _op(tmp_path, None)
    assert fits == [] and len(prompt) > MAX_FILE_CHARS


async def test_a_window_too_small_for_anything_still_asks_with_every_section(tmp_path):
    """A hostile checkpoint's config may declare 1 position: the prompt gets the floor
    (MIN_PROMPT_TOKENS), the file what the sections leave of it, the goal and the output
    contract stay, and the op goes on to an answer rather than an exception."""
    end, [fit], prompt = await _op(tmp_path, 1)
    assert fit["room_tokens"] == window.MIN_PROMPT_TOKENS
    assert len(prompt) <= window.MIN_PROMPT_TOKENS * window.FIT_CHARS_PER_TOKEN + 100
    assert "--- pkg/big.py (" in prompt  # shown in part, or named with read_file's lines
    assert "## Goal" in prompt and "## Output" in prompt
    assert end is not Phase.APPLY
