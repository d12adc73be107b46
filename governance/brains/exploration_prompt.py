"""The exploration protocol, said in GENERATE's prompt when the brain works through Venom's
tools: the steps the exploration gate (tools.exploration) enforces, placed before the
Output so the prompt's stable prefix (governance.brains.prompts) is unchanged."""

from __future__ import annotations

from governance.schemas import OperationContext
from ledger.redact import redact


def exploration_protocol(ctx: OperationContext, min_calls: int) -> str:
    """The steps the exploration gate (tools.exploration) enforces, said up front."""
    targets = ", ".join(ctx.envelope.target_files)
    tests = [f for f in ctx.context_files if "test" in f.rsplit("/", 1)[-1]]
    scoped = ", ".join(tests) if tests else "the tests that exercise the targets"
    return "\n".join([
        "## Exploration protocol (checked before your change is accepted)",
        f"1. Read each target file with read_file first: {targets}.",
        f"2. Make at least {min_calls} exploration calls (read_file, list_symbols, "
        "search_code, glob_files, list_dir, get_callers, git_log, git_blame) before "
        "you answer.",
        "3. Read every file you change with read_file in a reply BEFORE the one that "
        "edits it; a file edited in the same reply that reads it, or never read, is refused.",
        f"4. After editing, run the scoped tests with run_tests: {scoped}.",
        "5. Then reply without tool calls, as described under Output.",
        "An answer that skips a step is sent back naming what is missing."])


def with_exploration_protocol(prompt: str, ctx: OperationContext, min_calls: int) -> str:
    """`prompt` with the exploration protocol placed just before its Output section."""
    section = redact(exploration_protocol(ctx, min_calls))
    head, sep, tail = prompt.rpartition("\n\n## Output\n")
    if not sep:
        return f"{prompt}\n\n{section}"
    return f"{head}\n\n{section}{sep}{tail}"
