"""ASCII strictness on candidate content: repair known confusables where the ASCII meaning
is unambiguous, reject what is left. Strict for Python (configurable suffixes); other text
files may carry UTF-8."""

from __future__ import annotations

from collections.abc import Sequence

from governance.schemas import Candidate, FileChange

CONFUSABLES: dict[str, str] = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u3000": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    "\u2026": "...", "\u00d7": "*", "\u2044": "/", "\u2215": "/", "\uff08": "(", "\uff09": ")",
}
STRICT_SUFFIXES = (".py", ".pyi")


def check(candidate: Candidate, strict_suffixes: Sequence[str] = STRICT_SUFFIXES,
          ) -> tuple[Candidate, list[str], list[str]]:
    """(repaired candidate, repairs made, problems left)."""
    repairs: list[str] = []
    problems: list[str] = []
    changes: list[FileChange] = []
    for change in candidate.changes():
        text = change.full_content
        if text is None or not change.file_path.endswith(tuple(strict_suffixes)) or \
                text.isascii():
            changes.append(change)
            continue
        fixed = text.translate(str.maketrans(CONFUSABLES))
        if fixed != text:
            n = sum(ch in CONFUSABLES for ch in text)
            repairs.append(f"{change.file_path}: repaired {n} confusable character(s)")
        for lineno, line in enumerate(fixed.splitlines(), 1):
            bad = next((ch for ch in line if not ch.isascii()), None)
            if bad is not None:
                problems.append(f"{change.file_path} line {lineno}: non-ASCII character "
                                f"U+{ord(bad):04X} ({bad!r}); write ASCII (escape it in strings)")
                break
        changes.append(change.model_copy(update={"full_content": fixed}))
    if not repairs:
        return candidate, [], problems
    return Candidate(files=changes, rationale=candidate.rationale), repairs, problems
