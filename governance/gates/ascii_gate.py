"""ASCII strictness on the lines a candidate adds or changes: repair known confusables where
the ASCII meaning is unambiguous, reject what is left. Strict for Python (configurable
suffixes); other text files may carry UTF-8.

Only the candidate's own lines are judged. Each strict file is diffed line by line
(difflib) against its base text, the file as it is before the change; lines the diff calls
equal are left byte-for-byte as the candidate has them, however non-ASCII they are (a
`Malmö` a human wrote stays). A file with no base (new, unreadable, not UTF-8-clean enough
to match) counts as all added: the conservative direction, since an unmatched line is only
ever checked more, never less.

Decisions:
- Line endings are not content: a line whose only change is CRLF -> LF is untouched.
- A moved line counts as changed. difflib reports a move as a deletion plus an insertion,
  and the gate does not try to recognise moves: a line at a position the human did not put
  it was written by the model, so it must be ASCII (or repairable) like any other.
- Lines are split on "\\n" only: U+2028, U+0085 and friends are characters to judge, not
  line breaks to hide behind.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from pathlib import Path

from governance.fs import nofollow
from governance.fs.protected import PathEscape
from governance.schemas import Candidate, FileChange

CONFUSABLES: dict[str, str] = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u3000": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    "\u2026": "...", "\u00d7": "*", "\u2044": "/", "\u2215": "/", "\uff08": "(", "\uff09": ")",
}
_REPAIR = str.maketrans(CONFUSABLES)
STRICT_SUFFIXES = (".py", ".pyi")
MAX_BASE_BYTES = 4_000_000
MAX_PROBLEM_LINES = 5  # per file, so the model sees more than the first offender

BaseReader = Callable[[str], str | None]  # repo-relative path -> base text, None if none


def no_base(_: str) -> None:
    """Every file is new: every line is judged."""
    return None


def live_reader(root: Path, limit: int = MAX_BASE_BYTES) -> BaseReader:
    """Base texts from the tree at `root`, read without following symlinks; anything that
    cannot be read that way (missing, a symlink, huge, a hostile path) has no base."""
    def read(rel: str) -> str | None:
        try:
            data = nofollow.read_bytes(root, rel, limit)
        except (OSError, PathEscape):
            return None
        return data.decode("utf-8", "surrogateescape")  # bad bytes just never match
    return read


def split_lines(text: str) -> list[str]:
    """Lines with their "\\n" kept; splits on "\\n" only (see the module docstring)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def _key(line: str) -> str:
    """A line's content for comparison: without its line ending."""
    line = line[:-1] if line.endswith("\n") else line
    return line[:-1] if line.endswith("\r") else line


def changed_lines(base: str | None, lines: Sequence[str]) -> list[int]:
    """Indices into `lines` (the candidate's) that are added or changed relative to `base`."""
    if base is None:
        return list(range(len(lines)))
    matcher = difflib.SequenceMatcher(None, [_key(x) for x in split_lines(base)],
                                      [_key(x) for x in lines])
    return [j for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal"
            for j in range(j1, j2)]


def _check_file(change: FileChange, base: BaseReader) -> tuple[FileChange, str | None,
                                                                list[str]]:
    """(change, repair note or None, problems) for one strict file with non-ASCII text."""
    assert change.full_content is not None
    lines = split_lines(change.full_content)
    touched = [i for i in changed_lines(base(change.file_path), lines) if not lines[i].isascii()]
    repaired = 0
    problems: list[str] = []
    for i in touched:
        fixed = lines[i].translate(_REPAIR)
        if fixed != lines[i]:
            repaired += sum(ch in CONFUSABLES for ch in lines[i])
            lines[i] = fixed
        bad = next((ch for ch in fixed if not ch.isascii()), None)
        if bad is not None and len(problems) < MAX_PROBLEM_LINES:
            problems.append(f"{change.file_path} line {i + 1}: non-ASCII character "
                            f"U+{ord(bad):04X} ({bad!r}); write ASCII (escape it in strings)")
    if not repaired:
        return change, None, problems
    note = f"{change.file_path}: repaired {repaired} confusable character(s) on changed lines"
    return change.model_copy(update={"full_content": "".join(lines)}), note, problems


def check(candidate: Candidate, strict_suffixes: Sequence[str] = STRICT_SUFFIXES,
          base: BaseReader = no_base) -> tuple[Candidate, list[str], list[str]]:
    """(repaired candidate, repairs made, problems left). `base` gives each file's text
    before the change; lines it already has are neither judged nor rewritten."""
    repairs: list[str] = []
    problems: list[str] = []
    changes: list[FileChange] = []
    for change in candidate.changes():
        text = change.full_content
        if text is None or not change.file_path.endswith(tuple(strict_suffixes)) or \
                text.isascii():
            changes.append(change)
            continue
        try:
            change, note, found = _check_file(change, base)
        except Exception as exc:  # a gate that breaks refuses; it never crashes the op
            note, found = None, [f"{change.file_path}: the ASCII gate could not check it "
                                 f"({type(exc).__name__}: {exc})"]
        changes.append(change)
        problems.extend(found)
        if note:
            repairs.append(note)
    if not repairs:
        return candidate, [], problems
    return Candidate(files=changes, rationale=candidate.rationale), repairs, problems
