"""Prompts fitted to a brain's context window: a file too long for its share shows the lines
the signal names (not its head), the files share a budget (targets first), and the window
arithmetic leaves room for the tool rounds and the reply."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from governance.brains import window
from governance.brains.files_shown import MAX_FILE_CHARS, excerpt, text_block
from governance.brains.prompts import generation_prompt
from governance.brains.provider_chain import ProviderChain
from governance.phases.route_brains import context_window
from governance.proof.names import breaking_changes
from governance.schemas import MAX_FOCUS_LINES, OperationContext, SignalEnvelope
from kernel.replay import ReplayProvider
from tests.helpers import commit_files

LONG = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(3000))  # ~80 KB


def _ctx(*targets: str, focus: tuple[int, ...] = (), context: tuple[str, ...] = ()):
    env = SignalEnvelope(source="opportunity_miner", target_files=targets, goal="refactor",
                         dedup_key="k", session_id="s", focus_lines=focus)
    return OperationContext(envelope=env, context_files=list(context))


def test_an_excerpt_is_whole_lines_around_the_focus_within_the_limit():
    shown, first, last = excerpt(LONG, 2000, focus=(6001,))  # `def f2000` is line 6001
    lines = LONG.splitlines(keepends=True)
    assert shown == "".join(lines[first - 1:last]) and len(shown) <= 2000
    assert first < 6001 <= last and "def f2000(x):" in shown
    assert 6001 - first < last - 6001  # about a quarter of the room before the focus
    head, one, _ = excerpt(LONG, 2000)
    assert one == 1 and head.startswith("def f0(x):")
    _, a, b = excerpt(LONG, 3, focus=(10,))
    assert b < a  # not one line fits


def test_a_text_block_names_the_range_it_shows_or_shows_all():
    assert text_block("m.py", "x = 1\n", 100) == "--- m.py\nx = 1\n"
    cut = text_block("m.py", LONG, 2000, focus=(6001,))
    header = cut.split("\n", 1)[0]
    assert header.startswith("--- m.py (lines ") and "of 9000 shown" in header
    assert "read_file" in header and "def f2000(x):" in cut
    named = text_block("m.py", LONG, 2)
    assert "\n" not in named and "not shown" in named and "9000 lines" in named


def test_unfitted_the_target_still_shows_the_focus_not_the_head(tmp_path):
    """The defect: a 4,800-line module cut to its first 24,000 characters never showed the
    function at line 4,608 the op was about."""
    repo = commit_files(tmp_path / "r", {"pkg/big.py": LONG})
    prompt = generation_prompt(_ctx("pkg/big.py", focus=(8500,)), repo)
    assert "def f2833(x):" in prompt  # line 8500 is f2833's return; its def is line 8499
    assert "def f0(x):" not in prompt
    assert len(prompt) < MAX_FILE_CHARS + 3000


def test_a_budget_is_shared_targets_first_and_a_file_without_room_is_named(tmp_path):
    repo = commit_files(tmp_path / "r", {"pkg/big.py": LONG, "tests/test_big.py": LONG,
                                         "pkg/small.py": "y = 2\n"})
    ctx = _ctx("pkg/big.py", "pkg/small.py", focus=(30,), context=("tests/test_big.py",))
    unfitted = generation_prompt(ctx, repo)
    for budget in (12_000, 6_000):
        prompt = generation_prompt(ctx, repo, budget)
        assert len(prompt) <= budget + 200, (budget, len(prompt))  # headers are estimated
        assert "--- pkg/small.py\ny = 2\n" in prompt and "def f10(x):" in prompt
        assert "## Related files\n--- tests/test_big.py (lines 1-" in prompt
    assert len(unfitted) > 2 * MAX_FILE_CHARS  # no budget: each file takes its own cap
    starved = generation_prompt(ctx, repo, 700)  # the sections leave the files ~100
    assert "--- tests/test_big.py (9000 lines" in starved and "not shown" in starved
    assert "## Output" in starved and "## Goal" in starved  # the sections are never cut
    overdrawn = generation_prompt(ctx, repo, -5000)  # sections alone past the budget
    assert "--- pkg/big.py (9000 lines" in overdrawn and "## Output" in overdrawn


def test_window_arithmetic_leaves_the_tool_rounds_and_the_reply_their_room():
    assert window.prompt_tokens(8192, 1024, tools=True) == 4096
    assert window.prompt_tokens(8192, 1024, tools=False) == 7168
    assert window.prompt_tokens(600, 1024, tools=False) == window.MIN_PROMPT_TOKENS
    # 8,192 x 0.75 tokens x 3 chars, less a 12,000-char prompt
    assert window.transcript_chars(8192, 12_000) == 6144 * 3 - 12_000
    assert window.transcript_chars(1024, 10**6) == window.MIN_PROMPT_TOKENS * 3


@pytest.mark.parametrize("focus", [(0,), (-3,), tuple(range(1, MAX_FOCUS_LINES + 2))])
def test_focus_lines_are_positive_and_bounded(focus):
    with pytest.raises(ValidationError):
        SignalEnvelope(source="todo", target_files=("a.py",), goal="g", dedup_key="k",
                       session_id="s", focus_lines=focus)


def _named(name: str, declared: int | None) -> ReplayProvider:
    p = ReplayProvider([])
    p.name = name
    if declared is not None:
        p.context_tokens = declared
    return p


def test_the_window_is_the_smallest_the_asked_brains_declare():
    chain = ProviderChain([_named("kernel", 8192), _named("remote", None),
                           _named("small", 2048)])
    assert context_window(chain.routed([])) == 2048
    assert context_window(chain.routed(["kernel", "remote"])) == 8192
    assert context_window(chain.routed(["remote"])) is None
    assert context_window(_named("kernel", 4096)) == 4096
    assert context_window(_named("odd", 0)) is None  # nothing usable declared


def test_a_reply_that_copies_only_the_excerpt_is_a_breaking_change():
    """The careless model: shown ~60 lines around line 6,001 of a module, it writes them back as the
    whole file. The proof's breaking-change rule (governance.proof.names) sees every public
    function the excerpt left out as removed, so such a candidate never auto-commits."""
    shown, _, _ = excerpt(LONG, 2000, focus=(6001,))
    broken = breaking_changes(LONG, shown)
    assert "f0" in " ".join(broken) and len(broken) >= 2900
