"""Fitting text to a brain's context window: how much of it the first prompt of a model step
may take, and how much the tool rounds' transcript may grow to after it.

A brain that declares `context_tokens` (the in-process kernel: its model's trained context;
an HTTP brain: its entry's, 8,192 for an ollama one) gets prompts fitted to it
(governance.phases.route_brains.context_window picks the smallest among the brains a step may
ask); one that does not (a hosted API whose entry sets none) gets the prompts as before.

A prompt past its model's window is not merely slow: the positions beyond it were never
trained (and Ollama drops the front of it). On a real repository a 15,700-token first prompt
to the embedded model (8,192 positions) spent the whole 180 s deadline in prefill.
"""

from __future__ import annotations

# The characters a token is taken to hold when text is cut to fit: code runs 3.0-3.5 in
# SmolLM2's tokenizer, so the usual 4 would overfill; a fitted prompt is counted afterwards
# with the brain's own tokenizer where it has one, and cut again if still over.
FIT_CHARS_PER_TOKEN = 3
# With tool rounds to follow, the first prompt takes at most this share of the window; the
# rounds' transcript and the reply share the rest.
TOOLS_PROMPT_SHARE = 0.5
REPLY_SHARE = 0.25  # of the window, kept free for the reply while the transcript grows
MIN_PROMPT_TOKENS = 512  # a window too small for this gets it anyway (and the model's cut)


def prompt_tokens(window: int, reply_tokens: int, *, tools: bool) -> int:
    """The tokens the first prompt of a model step may take in a `window`-token context."""
    room = int(window * TOOLS_PROMPT_SHARE) if tools else window - reply_tokens
    return max(MIN_PROMPT_TOKENS, room)


def transcript_chars(window: int, prompt_chars: int) -> int:
    """The characters the tool rounds' transcript may reach after a prompt of
    `prompt_chars`, leaving REPLY_SHARE of the window for the reply (the tool loop's
    compaction budget; it compacts at 75% of it)."""
    room = int(window * (1 - REPLY_SHARE)) * FIT_CHARS_PER_TOKEN - prompt_chars
    return max(MIN_PROMPT_TOKENS * FIT_CHARS_PER_TOKEN, room)
