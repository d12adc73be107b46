"""ASCII strictness on the lines a candidate adds or changes, in Python files (configurable
suffixes; other text files may carry UTF-8). What a character may be depends on where it is
(governance.gates.literal_spans finds the string literals and comments):

- In code, a known confusable whose ASCII meaning is unambiguous (a curly quote used as a
  quote, a no-break space, `…`) is repaired; any other non-ASCII character is refused.
- In a string literal (docstrings, bytes and f-strings included) or a comment, a printable
  non-ASCII character is content: accepted as written, never repaired, since a repair there
  would change what the program does (a default argument `'…'` is not `'...'`). A repository
  that wants ASCII there too says so (`governance.ascii_literals`), and it is then refused.
- Everywhere, strings and comments included, an invisible or bidirectional control character
  (zero-width characters, U+202A-U+202E and U+2066-U+2069 overrides and isolates, other Cc and
  Cf characters, line and paragraph separators, bad bytes) is refused: it makes code read
  differently from what runs ("Trojan Source"). In code the zero-width ones are confusables
  and repaired; inside a literal a repair would change its meaning, so it is refused with the
  escape to write instead.
- A file that does not tokenize gets literal_spans' conservative guess: nothing inside what
  looks like a quoted span or a comment is repaired, and any non-ASCII character there is
  refused, naming the syntax error (the guess may be wrong, so nothing there is taken as
  content either). The code around it is judged as above.

Every repair is returned as a `Repair` naming the file, the line and its text before and
after, so the ledger shows what the gate changed in the candidate.

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
  it was written by the model, so it is judged like any other.
- Lines are split on "\\n" only: U+2028, U+0085 and friends are characters to judge, not
  line breaks to hide behind.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from governance.fs import nofollow
from governance.fs.protected import PathEscape
from governance.gates import literal_spans
from governance.gates.literal_spans import COMMENT, LiteralSpans
from governance.schemas import Candidate, FileChange

CONFUSABLES: dict[str, str] = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u3000": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    "\u2026": "...", "\u00d7": "*", "\u2044": "/", "\u2215": "/", "\uff08": "(", "\uff09": ")",
}
# Confusable quotes: one character for one, so repairing them first moves no column.
QUOTES = {ch: to for ch, to in CONFUSABLES.items() if to in ("'", '"')}
STRICT_SUFFIXES = (".py", ".pyi")
MAX_BASE_BYTES = 4_000_000
MAX_PROBLEM_LINES = 5  # per file, so the model sees more than the first offender
MAX_RECORDED_REPAIRS = 20  # repaired lines a ledger record lists
REPAIR_TEXT_CAP = 160  # characters of a repaired line's before and after text it keeps
# Refused everywhere, inside literals and comments too: control and format characters (bidi
# overrides and isolates, zero-width characters), surrogates (bad bytes) and line and
# paragraph separators; and the Hangul fillers, letters that render as nothing.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")

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


@dataclass(frozen=True)
class Repair:
    """One line the gate rewrote in the candidate: what it was and what it became."""

    file: str
    line: int  # 1-based, in the candidate
    before: str  # the line as the model wrote it, without its line ending
    after: str
    characters: int  # confusables replaced on it

    def note(self) -> str:
        return (f"{self.file} line {self.line}: repaired {self.characters} confusable "
                "character(s) in code")

    def record(self, cap: int = REPAIR_TEXT_CAP) -> dict[str, object]:
        """The ledger's form: both texts cut to `cap` characters around the first change."""
        first = next((i for i, (a, b) in enumerate(zip(self.before, self.after, strict=False))
                      if a != b), 0)
        lo = max(0, min(first - cap // 4, len(self.before) - cap))
        return {"file": self.file, "line": self.line, "characters": self.characters,
                "before": self.before[lo:lo + cap], "after": self.after[lo:lo + cap]}


def records(repairs: Sequence[Repair], limit: int = MAX_RECORDED_REPAIRS) -> list[dict]:
    """What the ledger keeps of a candidate's repairs: the first `limit` lines."""
    return [r.record() for r in repairs[:limit]]


def invisible(ch: str) -> bool:
    """A character that renders as nothing or reorders what is shown (Trojan Source)."""
    return unicodedata.category(ch) in INVISIBLE_CATEGORIES or ch in INVISIBLE_LETTERS


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, repr(ch))})"


def _in_code(ch: str) -> str:
    """Why a non-ASCII character that is no confusable is refused in code."""
    if invisible(ch):
        return f"invisible or control character {_describe(ch)} in code; remove it"
    return f"non-ASCII character U+{ord(ch):04X} ({ch!r}) in code; write ASCII"


def _in_literal(ch: str, kind: str, spans: LiteralSpans, ascii_literals: bool) -> str | None:
    """Why a non-ASCII character inside a literal or comment is refused, or None: content."""
    fix = "remove it" if kind == COMMENT else \
        f"write it as an escape ({ch.encode('unicode_escape').decode()}) if it is meant"
    if invisible(ch):
        return (f"invisible or bidirectional control character {_describe(ch)} inside a "
                f"{kind}: it can make code read differently from what runs, so it is "
                f"refused even there; {fix}")
    if not spans.exact:  # the spans are a guess: neither repair nor take it as content
        return (f"non-ASCII character {_describe(ch)} in what may be a {kind}, and the file "
                f"does not tokenize ({spans.error}); fix that first (nothing there is repaired)")
    if ascii_literals:
        return (f"non-ASCII character {_describe(ch)} inside a {kind}, and this repository "
                f"wants ASCII there too (governance.ascii_literals); "
                f"{'write ASCII' if kind == COMMENT else fix}")
    return None


def _judge(line: str, i: int, spans: LiteralSpans, ascii_literals: bool) -> tuple[str, int,
                                                                                  str | None]:
    """(line with its code confusables repaired, how many, the first problem or None)."""
    out: list[str] = []
    repaired, problem = 0, None
    for col, ch in enumerate(line):
        if ch.isascii():
            out.append(ch)
            continue
        kind = spans.kind_at(i, col)
        if kind is None and ch in CONFUSABLES:
            out.append(CONFUSABLES[ch])
            repaired += 1
            continue
        why = _in_code(ch) if kind is None else _in_literal(ch, kind, spans, ascii_literals)
        out.append(ch)
        problem = problem or why
    return "".join(out), repaired, problem


def _requoted(lines: Sequence[str], touched: Sequence[int], spans: LiteralSpans) -> list[str]:
    """`lines` with the confusable quotes in code on `touched` lines made ASCII. Done before
    the rest, so that what a model's `“…”` encloses becomes the literal it meant, and its
    content is judged as content (kept), not as code (rewritten to `"..."`)."""
    out = list(lines)
    for i in touched:
        out[i] = "".join(QUOTES[ch] if ch in QUOTES and spans.kind_at(i, col) is None else ch
                         for col, ch in enumerate(lines[i]))
    return out


def _check_file(change: FileChange, base: BaseReader, ascii_literals: bool
                ) -> tuple[FileChange, list[Repair], list[str]]:
    """(change, repairs, problems) for one strict file with non-ASCII text."""
    text = change.full_content
    assert text is not None
    lines = split_lines(text)
    touched = [i for i in changed_lines(base(change.file_path), lines) if not lines[i].isascii()]
    if not touched:
        return change, [], []
    spans = literal_spans.find(text, lines)
    requoted = _requoted(lines, touched, spans)
    if requoted != lines:  # the quotes moved where the literals are: find them again
        spans = literal_spans.find("".join(requoted), requoted)
    repairs: list[Repair] = []
    problems: list[str] = []
    for i in touched:
        fixed, count, problem = _judge(requoted[i], i, spans, ascii_literals)
        count += sum(a != b for a, b in zip(lines[i], requoted[i], strict=True))
        if count:
            repairs.append(Repair(change.file_path, i + 1, _key(lines[i]), _key(fixed), count))
            requoted[i] = fixed
        if problem is not None and len(problems) < MAX_PROBLEM_LINES:
            problems.append(f"{change.file_path} line {i + 1}: {problem}")
    if not repairs:
        return change, [], problems
    return change.model_copy(update={"full_content": "".join(requoted)}), repairs, problems


def check(candidate: Candidate, strict_suffixes: Sequence[str] = STRICT_SUFFIXES,
          base: BaseReader = no_base, ascii_literals: bool = False,
          ) -> tuple[Candidate, list[Repair], list[str]]:
    """(repaired candidate, repairs made, problems left). `base` gives each file's text
    before the change; lines it already has are neither judged nor rewritten.
    `ascii_literals` refuses printable non-ASCII in string literals and comments too."""
    repairs: list[Repair] = []
    problems: list[str] = []
    changes: list[FileChange] = []
    for change in candidate.changes():
        text = change.full_content
        if text is None or not change.file_path.endswith(tuple(strict_suffixes)) or \
                text.isascii():
            changes.append(change)
            continue
        try:
            change, made, found = _check_file(change, base, ascii_literals)
        except Exception as exc:  # a gate that breaks refuses; it never crashes the op
            made, found = [], [f"{change.file_path}: the ASCII gate could not check it "
                               f"({type(exc).__name__}: {exc})"]
        changes.append(change)
        problems.extend(found)
        repairs.extend(made)
    if not repairs:
        return candidate, [], problems
    return Candidate(files=changes, rationale=candidate.rationale), repairs, problems
