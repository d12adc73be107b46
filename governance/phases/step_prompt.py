"""The character budget of a model step's prompt, the same for each step of an op.

PLAN, GENERATE and an L2 turn show the same files text (governance.brains.prompts
files_section), so a server's prompt cache keeps it from one step to the next: each sizes
its prompt as GENERATE's first prompt is sized (governance.phases.route_brains.fitted_prompt,
before any refit): the tool prompt's share of the smallest context window among the step's
brains, less the tool manifest. None where no brain declares a window.
"""

from __future__ import annotations

from governance.brains import window as fit
from governance.brains.prompts import with_tools
from governance.brains.provider import CandidateProvider
from governance.phases.deps import PhaseDeps
from governance.phases.route_brains import context_window


def manifest(d: PhaseDeps) -> str:
    """The tool manifest every step's prompt carries after its HEAD when tools are on
    (what the tool session adds to GENERATE's first prompt)."""
    return d.tools.overhead() if d.tools is not None else ""


def budget(d: PhaseDeps, view: CandidateProvider) -> int | None:
    window = context_window(view)
    if window is None:
        return None
    tools = d.tools is not None
    room = fit.prompt_tokens(window, d.policy.work.reply_tokens, tools=tools)
    return room * fit.FIT_CHARS_PER_TOKEN - len(manifest(d))


def framed(prompt: str, d: PhaseDeps) -> str:
    """A step's prompt with the tool manifest where GENERATE's has it (after the HEAD)."""
    return with_tools(prompt, manifest(d))
