"""What the embedded model can do, said once: the start-up warning, `status`, `init` and
`doctor` all read this module.

The embedded SmolLM2-135M-Instruct runs every part of the machinery (the tool loop, the
gates, the ledger), but it does not do real work: asked in a plain chat for a one-line fix
(the TODO in inflection's `dasherize`: also turn spaces into dashes) it wrote a correct
function in 0 of 24 samples, greedy and at temperature 0.8. A user whose only brain it is
should hear that at once, not after a day of honest postmortems.

The note travels in the `status` reply (`brain_note`), so the CLI's light path only prints
it and imports nothing for it.
"""

from __future__ import annotations

from typing import Any

EMBEDDED_ONLY = (
    "the embedded SmolLM2-135M is the only brain: it runs the machinery but does not do "
    "real work (asked for a one-line fix it wrote a correct function in 0 of 24 samples)")
ADD_ONE = ("run `ouroboros init` to add a real one (a local Ollama or OpenAI-compatible "
           "server, or an API key)")
HOW_TO_GET_ONE = (
    "start a local server with a coding model (`ollama serve` and `ollama pull "
    "qwen2.5-coder:7b`, or LM Studio, llama.cpp, vLLM) or export an API key "
    "(ANTHROPIC_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY), then `ouroboros init --force`")


def embedded_only(provider: Any) -> bool:
    """`provider` (a ProviderSection) leaves the embedded model as the only brain: the
    in-process kernel with no model of its own and no [[provider.http]] entry."""
    return provider.name == "kernel" and not provider.model and not provider.http


def brain_note(provider: Any) -> str | None:
    """The warning for `provider` (a ProviderSection) when the embedded model is its only
    brain, else None."""
    return f"{EMBEDDED_ONLY}; {ADD_ONE}" if embedded_only(provider) else None
