"""The files a blocks reply may change, as the candidate's reply shape carries them
(ReplyShape.block_files): a provider that decodes under a grammar of the blocks
(kernel.blocks_grammar) lets the SEARCH parts copy only these files' lines.

They are the files the prompt points the change at: those the failure reached (a repair),
then the op's targets and related files, as the prompt shows them. Not a repair's failing
test files: they are its specification and the spec gate refuses a change to them
(governance.phases.generate), and Qwen2.5-Coder-1.5B aimed its blocks at them on four
tasks of parse's history (issue 50). Not a file the prompt may not show (protected, a
symlink, binary, too large): read as the prompt reads it (files_shown.read_for_prompt).
In L2's repair turns, a file the change so far wrote is its version of that file
(`changed_reader`): what the next blocks are applied to, so what their SEARCH copies.
"""

from __future__ import annotations

from pathlib import Path

from governance.brains.files_shown import Reader, read_for_prompt
from governance.brains.prompts import failing_test_files, reached_files
from governance.candidate_edits import Base
from governance.edit_blocks import ReplyForm
from governance.fs.protected import protected_reason
from governance.schemas import OperationContext, Source

MAX_FILES = 8


def block_files(ctx: OperationContext, root: Path, read: Reader | None = None,
                opened: str = "") -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(path, its lines) of each file a blocks reply of this op may change, the file the
    reply is `opened` on first; () for an op told the JSON form, and for any op but a
    repair: the grammar has no new file (a repair's place is code that exists), and an op
    that adds a test or moves code into a new module must be free to write one."""
    if ReplyForm(ctx.reply_form) is not ReplyForm.BLOCKS \
            or ctx.envelope.source != Source.TEST_FAILURE:
        return ()
    env, spec = ctx.envelope, set(failing_test_files(ctx))
    named = [*([opened] if opened else []), *reached_files(ctx, root, read),
             *env.target_files, *ctx.context_files]
    files: list[tuple[str, tuple[str, ...]]] = []
    for rel in dict.fromkeys(named):
        if rel in spec or len(files) == MAX_FILES:
            continue
        text = (read or read_for_prompt)(root, rel)[0]
        if text is not None:
            files.append((rel, tuple(text.splitlines())))
    return tuple(files)


def changed_reader(base: Base) -> Reader:
    """A Reader of what blocks are applied to: `base`'s text (the change so far, else the
    live file), where the prompt may show the file at all (never a protected one: its lines
    would reach the model as the grammar's)."""
    def read(root: Path, rel: str) -> tuple[str | None, str]:
        shown, line = read_for_prompt(root, rel)
        if protected_reason(rel, ""):
            return None, line
        try:
            text = base(rel)
        except (OSError, ValueError):  # a symlink, a bad name, not UTF-8: as the prompt
            return shown, line
        return (text, "") if text is not None else (shown, line)
    return read
