"""What the embedded model can do, said once: the start-up warning, `status`, `init` and
`doctor` all read this module.

The embedded SmolLM2-135M-Instruct runs every part of the machinery (the tool loop, the
gates, the ledger), but it does not do real work: asked in a plain chat for a one-line fix
(the TODO in inflection's `dasherize`: also turn spaces into dashes) it wrote a correct
function in 0 of 24 samples, greedy and at temperature 0.8. A user whose only brain it is
should hear that at once, not after a day of honest postmortems.

The note travels in the `status` reply (`brain_note`), so the CLI's light path only prints
it and imports nothing for it. It is worded when shown, from the config file as it is then:
"run `ouroboros init`" only while there is no file (once init has run, what init cannot do
for the user: a server or a key), and "restart the daemon" once the file changed since the
daemon read it (`ConfigRead`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
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


@dataclass(frozen=True)
class ConfigRead:
    """The config file a daemon's settings came from (or would have: `<repo>/ouroboros.toml`)
    and its modification time when they were read (None: there was no file)."""

    path: Path
    mtime_ns: int | None

    @classmethod
    def now(cls, path: Path) -> ConfigRead:
        return cls(path, _mtime_ns(path))


def _mtime_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns if path.is_file() else None
    except OSError:  # unreadable or a name too long: as good as absent for this note
        return None


def brain_note(provider: Any, read: ConfigRead | None = None) -> str | None:
    """The warning for `provider` (a ProviderSection) when the embedded model is its only
    brain, else None; its hint from `read`'s file as it is now (see the module docstring).
    Without `read`, as if there were no file."""
    if not embedded_only(provider):
        return None
    now = None if read is None else _mtime_ns(read.path)
    if read is not None and now is not None and now != read.mtime_ns:
        return (f"{EMBEDDED_ONLY}; {read.path.name} changed since the daemon read it: "
                "restart the daemon to use it")
    return f"{EMBEDDED_ONLY}; {ADD_ONE if now is None else HOW_TO_GET_ONE}"
