"""The repository's files as a model step's prompt shows them.

A file enters a prompt only through nofollow (a symlink is named, never followed), never
when protected, and whole when it fits its share of the prompt's budget, else the lines
around what the signal names under a header saying which lines they are. The form a change
to each target is asked in (edits or whole) follows from what was shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from governance import candidate_edits as edits
from governance.fs import nofollow
from governance.fs.protected import protected_reason
from governance.schemas import OperationContext

MAX_FILE_CHARS = 24_000
MAX_FILE_BYTES = 8_000_000  # a larger file is named, not read
REPLY_TOKENS = 1024  # the reply cap a change's form is sized to (an HTTP brain's default)

# (text or None, the line naming a file not shown): read_for_prompt, or a cached one
Reader = Callable[[Path, str], tuple[str | None, str]]
Shown = tuple[list[str], dict[str, edits.Form]]  # the sections, and each target's form


def read_for_prompt(root: Path, rel: str) -> tuple[str | None, str]:
    """(the file's text, "") read without following any symlink; or (None, the line that
    names it instead) for a protected file, a symlink or anything else unsafe."""
    try:
        why = protected_reason(rel, "")
        if why:
            return None, f"--- {rel} (protected: {why}; not shown)"
        data = nofollow.read_bytes(root, rel, limit=MAX_FILE_BYTES)
    except FileNotFoundError:
        return None, f"--- {rel} (does not exist yet)"
    except nofollow.TooLarge:
        return None, f"--- {rel} (larger than {MAX_FILE_BYTES} bytes, not shown)"
    except (OSError, ValueError) as exc:  # UnsafePath / PathEscape: a symlink, a bad name
        return None, f"--- {rel} (not shown: {exc})"
    if b"\x00" in data[:8192]:
        return None, f"--- {rel} (binary file, {len(data)} bytes, not shown)"
    return data.decode("utf-8", "replace"), ""


def excerpt(text: str, limit: int, focus: Sequence[int] = ()) -> tuple[str, int, int]:
    """Whole lines of `text` within `limit` characters: from the first line, or with focus
    lines (1-based) from a quarter of the room before the first of them. Returns the
    excerpt and its first and last line numbers (last < first: nothing fitted)."""
    lines = text.splitlines(keepends=True)
    first = min((n for n in focus if 1 <= n <= len(lines)), default=1) - 1
    before = limit // 4 if first else 0
    while first > 0 and len(lines[first - 1]) <= before:
        first, before = first - 1, before - len(lines[first - 1])
    last, used = first, 0
    while last < len(lines) and used + len(lines[last]) <= limit:
        used, last = used + len(lines[last]), last + 1
    return "".join(lines[first:last]), first + 1, last


def text_block(rel: str, text: str, limit: int = MAX_FILE_CHARS,
               focus: Sequence[int] = ()) -> str:
    """A file's text for a prompt: whole when it fits `limit` characters, else the lines
    around `focus` (or its head) under a header naming the range; named only when not one
    line fits."""
    if len(text) <= limit:
        return f"--- {rel}\n{text}"
    shown, first, last = excerpt(text, limit, focus)
    total = len(text.splitlines())
    if last < first:
        return (f"--- {rel} ({total} lines, {len(text)} chars: not shown, no room in this "
                "brain's context; read_file reads any lines)")
    return f"--- {rel} (lines {first}-{last} of {total} shown; read_file reads the rest)\n{shown}"


def file_block(root: Path, rel: str, limit: int = MAX_FILE_CHARS,
               focus: Sequence[int] = (), read: Reader | None = None
               ) -> tuple[str, edits.Form | None]:
    """A file's block, and the form a change to it is asked in (None: not shown)."""
    text, refused = (read or read_for_prompt)(root, rel)
    if text is None:
        return refused, ("whole" if refused.endswith("(does not exist yet)") else None)
    block = text_block(rel, text, limit, focus)
    return block, edits.form_for(text, REPLY_TOKENS, shortened=not block.endswith(text))


def live_block(root: Path, rel: str) -> str:
    """One live file for a prompt, as the generation prompt shows it."""
    return file_block(root, rel)[0]


def _file_blocks(root: Path, files: Sequence[str], budget: int | None,
                 focus: dict[str, Sequence[int]], read: Reader | None
                 ) -> list[tuple[str, edits.Form | None]]:
    """`files` in order, each given an equal share of what the ones before it left of
    `budget` characters (MAX_FILE_CHARS at most each; no budget: MAX_FILE_CHARS each)."""
    blocks: list[tuple[str, edits.Form | None]] = []
    for i, rel in enumerate(files):
        share = MAX_FILE_CHARS if budget is None else \
            min(MAX_FILE_CHARS, max(0, budget) // (len(files) - i))
        blocks.append(file_block(root, rel, share, focus.get(rel, ()), read))
        if budget is not None:
            budget -= len(blocks[-1][0])
    return blocks


def files_shown(ctx: OperationContext, root: Path, budget: int | None,
                read: Reader | None) -> Shown:
    """The op's targets, then its related files, in the op's order, sharing `budget`
    characters (None: MAX_FILE_CHARS each); the first target shows the lines the signal
    names when cut short."""
    env = ctx.envelope
    extra = [f for f in ctx.context_files if f not in env.target_files]
    blocks = _file_blocks(root, [*env.target_files, *extra], budget,
                          {env.target_files[0]: env.focus_lines}, read)
    out = ["## Target files\n" + "\n\n".join(b for b, _ in blocks[:len(env.target_files)])]
    if extra:
        out.append("## Related files\n" + "\n\n".join(b for b, _ in
                                                     blocks[len(env.target_files):]))
    forms = {rel: form for rel, (_, form) in zip(env.target_files, blocks, strict=False)
             if form is not None}
    return out, forms
