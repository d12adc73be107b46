"""Edits, not whole files: a candidate may change a file by exact search/replace edits.

A small model cannot rewrite a 793-line file to fix one line (~8,000 reply tokens), and
what it does instead is copy the shortened view its prompt showed, header and all, or write
"... (your changes here) ...". So a reply may give, per file, a list of edits:

    {"file_path": "src/p.py", "edits": [{"search": "<exact text now in the file>",
                                         "replace": "<the text that takes its place>"}]}

This module turns such a reply (its shape: governance.stated_candidate) into the whole-file
Candidate everything after GENERATE judges (`stated`): nothing downstream ever sees an
edit. It is strict, and every refusal is an EditRefused (a CandidateParseError) saying what
went wrong, which the next turn is told:

- each search text must occur exactly once in the file as it stands (the live file, the
  sandbox's copy, or in L2 the candidate so far); no match and two matches are refused,
  the first naming the closest line of the file (for a search of several lines, the run
  of the file's lines most like it, verbatim). In a Python file, a search that matches
  no characters but is the same code as exactly one place (its tokens in order, a string
  literal by its value, white space and line breaks aside: governance.edit_tokens) is
  applied there, its replace moved to the file's indentation when the search was written
  at another; the same code at two places is refused as two matches;
- the edits of one file are located in its text as it stands and must not overlap;
- a file's line endings are kept: a CRLF file is matched and written with CRLF when the
  model wrote plain newlines; a search ending in a newline matches the file's last line
  without one (the replace then loses its final newline too); a replace keeps the final
  newline its search had;
- a path written from '/' ('/src/x.py', '/home/user/repo/src/x.py') names the existing
  file its longest tail of components is (`from_root`); a new file or a delete from '/' is
  left as written, for the path gates to refuse;
- whole content that is a copy of a shortened file view (its "(lines 1-137 of 793 shown;
  read_file reads the rest)" header) or holds a placeholder line the file did not have
  ("... (your changes here) ...", "# ... rest of file unchanged") is refused as such.

Which form the prompt asks for (`form_for`) is decided here, in one place: whole content
for a new file or one whose text fits WHOLE_MAX_TOKENS (and half the brain's reply cap),
edits for anything larger or shown shortened.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from governance import edit_blocks
from governance.edit_tokens import reindented, token_spans
from governance.errors import CandidateParseError
from governance.fs import nofollow
from governance.fs.protected import normalize
from governance.schemas import Candidate, FileChange, parse_model_json
from governance.stated_candidate import Edit, StatedCandidate, StatedFile

# The form a prompt asks for, by file: whole content up to this many tokens (estimated at
# CHARS_PER_TOKEN characters each), never more than half the brain's reply cap.
WHOLE_MAX_TOKENS = 400
CHARS_PER_TOKEN = 3
MAX_BASE_BYTES = 8_000_000  # a larger file cannot be edited (nor shown: prompts)


class Refusal(StrEnum):
    NO_MATCH = "no_match"
    MANY_MATCHES = "many_matches"
    OVERLAP = "overlap"
    NO_FILE = "no_file"
    TRUNCATED_COPY = "truncated_copy"


class EditRefused(CandidateParseError):
    """A stated change that cannot be made as stated; `kind` says which rule refused it."""

    def __init__(self, message: str, kind: Refusal, file_path: str, edit: int | None = None):
        super().__init__(message)
        self.kind, self.file_path, self.edit = kind, file_path, edit


# The text of a file as it stands, by the path the model named (None: no such file).
Base = Callable[[str], str | None]


NO_CHANGE_STATED = ("model reply states no change: it holds no SEARCH/REPLACE block and no "
                    "candidate.1 JSON object")


def stated(text: str, base: Base) -> Candidate:
    """The whole-file Candidate a reply states, its edits applied to `base`'s texts.
    CandidateParseError when the reply is no candidate.1; EditRefused when an edit cannot
    be applied exactly or whole content is a copy of a shortened view."""
    reply = _stated_reply(text, base)
    try:
        return resolved(reply, base)
    except CandidateParseError:
        raise
    except Exception as exc:  # a reply this could not resolve is refused, never a crash
        raise CandidateParseError(f"the reply's change could not be applied "
                                  f"({type(exc).__name__}: {exc})"[:300]) from None


def _stated_reply(text: str, base: Base) -> StatedCandidate:
    """The reply's candidate.1 object, or failing one, the change its SEARCH/REPLACE blocks
    state (governance.edit_blocks): either form is read from any reply."""
    blocks = edit_blocks.has_blocks(text)
    if not blocks and "{" not in text:  # neither form: said so in both forms' words (a
        # brain told to write blocks, told "no JSON object found", was steered to JSON)
        raise CandidateParseError(NO_CHANGE_STATED)
    try:
        return parse_model_json(text, StatedCandidate, "candidate.1")
    except CandidateParseError:
        if not blocks:
            raise
    try:
        return StatedCandidate.model_validate(edit_blocks.stated_blocks(
            text, lambda rel: _exists(base, rel)))
    except ValueError as exc:  # pydantic's: more edits than a file may have
        raise CandidateParseError(f"model reply's blocks are not a valid change: "
                                  f"{str(exc)[:300]}") from None


def _exists(base: Base, rel: str) -> bool:
    try:
        return base(from_root(rel, base)) is not None
    except (OSError, ValueError):  # unsafe or unreadable: the gates say why
        return False


def resolved(reply: StatedCandidate, base: Base) -> Candidate:
    if reply.no_op:
        return Candidate(no_op=True, rationale=reply.rationale)
    stated_files = [m for f in reply.stated_files() if (m := _meant(f)) is not None]
    if not stated_files:
        raise CandidateParseError("model reply changes nothing: each of its edits replaces "
                                  "its search text with the same text")
    changes = [_resolved_file(f, base) for f in stated_files]
    if reply.files is None:
        return Candidate(file_path=changes[0].file_path, full_content=changes[0].full_content,
                         rationale=reply.rationale)
    try:
        return Candidate(files=changes, rationale=reply.rationale)
    except ValueError as exc:  # the same path twice
        raise CandidateParseError(f"model reply is not a valid candidate.1: {exc}") from None


def _meant(f: StatedFile) -> StatedFile | None:
    """`f` without the edits that change nothing, whatever the file holds (the replace is
    the search, exactly), and with an edit stated twice, exactly, once; None when no edit
    is left (the file is stated unchanged). Qwen2.5-Coder-1.5B wrote the fix as its first
    block, then a block for each failing test's file with the same text on both sides and
    a search the file does not hold: 4 of 12 replies were the fix so (stop 62). Every
    other edit is applied exactly as before, so the change is what the reply states."""
    if f.edits is None:
        return f
    kept = list(dict.fromkeys((e.search, e.replace) for e in f.edits if e.search != e.replace))
    if not kept:
        return None
    if len(kept) == len(f.edits):
        return f
    return f.model_copy(update={"edits": [Edit(search=a, replace=b) for a, b in kept]})


def from_root(path: str, base: Base) -> str:
    """A path written from '/' read as the repository file it names: '/src/x.py' or
    '/home/user/repo/src/x.py' for src/x.py, the longest tail of its components that is a
    file here. Qwen2.5-Coder-1.5B wrote them so after being told the relative form, op
    after op. Only an existing file is read so (a new file or a delete is never guessed
    at); anything else is left as written, for the path gates to refuse as such. A tail of
    one name is taken only from a path of one ('/m.py'): '/app/utils.py', meant as a new
    file, would otherwise overwrite the repository's top-level utils.py."""
    parts = [p for p in path.split("/") if p not in ("", ".")] if path.startswith("/") else []
    for at in range(max(1, len(parts) - 1) if parts else 0):
        tail = "/".join(parts[at:])
        try:
            if base(tail) is not None:
                return tail
        except (OSError, ValueError):  # unsafe, unreadable: not this tail
            continue
    return path


def _resolved_file(f: StatedFile, base: Base) -> FileChange:
    if f.action == "delete":
        return FileChange(file_path=f.file_path, action="delete", rationale=f.rationale)
    if (rel := from_root(f.file_path, base)) != f.file_path:
        f = f.model_copy(update={"file_path": rel})
    try:
        old = base(f.file_path)
    except (OSError, ValueError) as exc:  # an unsafe path, not UTF-8: the gates say why
        if f.edits is not None:
            raise EditRefused(f"{f.file_path}: cannot be read to apply edits: {exc}"[:300],
                              Refusal.NO_FILE, f.file_path) from None
        old = None
    if f.edits is not None:
        if old is None:
            raise EditRefused(f"{f.file_path}: edits need a file that exists; give a new "
                              "file as full_content", Refusal.NO_FILE, f.file_path)
        content = apply_edits(f.file_path, old, f.edits)
    else:
        assert f.full_content is not None
        content = f.full_content
        if why := copied_view(content, old):
            raise EditRefused(f"{f.file_path}: full_content {why}; give edits (exact "
                              "search/replace) instead", Refusal.TRUNCATED_COPY, f.file_path)
    return FileChange(file_path=f.file_path, full_content=content, rationale=f.rationale)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    replace: str
    n: int  # the edit's number, 1-based


def apply_edits(rel: str, text: str, edits: list[Edit]) -> str:
    """`text` with every edit applied, each located in `text` as it stands (EditRefused)."""
    crlf = "\r\n" in text
    spans = sorted((_locate(rel, text, e, n, crlf, len(edits))
                    for n, e in enumerate(edits, 1)), key=lambda s: s.start)
    for a, b in itertools.pairwise(spans):
        if b.start < a.end:
            raise EditRefused(f"{rel}: edits {a.n} and {b.n} overlap (their search texts "
                              "share lines); merge them into one edit", Refusal.OVERLAP, rel,
                              b.n)
    out, at = [], 0
    for s in spans:
        out += [text[at:s.start], s.replace]
        at = s.end
    return "".join([*out, text[at:]])


def _locate(rel: str, text: str, e: Edit, n: int, crlf: bool, total: int) -> _Span:
    search, replace = e.search, e.replace
    if crlf and "\r" not in search:  # the model writes "\n"; the file has CRLF
        search, replace = search.replace("\n", "\r\n"), replace.replace("\n", "\r\n")
    nl = "\r\n" if crlf else "\n"
    if search.endswith(nl) and replace and not replace.endswith(nl):
        replace += nl  # a replaced line keeps its line ending
    which = f"edit {n} of {total}" if total > 1 else "the edit"
    starts = _starts(text, search)
    if not starts and search.endswith(nl) and not text.endswith(nl):
        cut = search[:-len(nl)]  # the last line has no newline: match it at the end
        if text.endswith(cut) and len(_starts(text, cut)) == 1:
            return _Span(len(text) - len(cut), len(text), replace.removesuffix(nl), n)
    if not starts and rel.endswith(".py"):  # the same code, copied otherwise (edit_tokens)
        same = token_spans(text, search)
        moved = reindented(text, same[0][0], search, replace) if len(same) == 1 else None
        if moved is not None:
            return _Span(*same[0], moved, n)
        starts = [start for start, _ in same] if len(same) > 1 else []
    if not starts:
        raise EditRefused(f"{rel}: {which}: its search text matches nothing in the file"
                          f"{_closest(text, e.search)}; copy the search text exactly from "
                          "the file, whitespace included", Refusal.NO_MATCH, rel, n)
    if len(starts) > 1:
        lines = ", ".join(str(text.count("\n", 0, s) + 1) for s in starts[:5])
        raise EditRefused(f"{rel}: {which}: its search text matches {len(starts)} places "
                          f"(lines {lines}); add lines around it until it matches one",
                          Refusal.MANY_MATCHES, rel, n)
    return _Span(starts[0], starts[0] + len(search), replace, n)


def _starts(text: str, search: str) -> list[int]:
    """Every position `search` starts at, overlapping ones included (at most 6)."""
    out: list[int] = []
    at = text.find(search)
    while at >= 0 and len(out) < 6:
        out.append(at)
        at = text.find(search, at + 1)
    return out


CLOSEST_LINES = 12  # of the file, shown when a search text matches nothing
CLOSEST_CHARS = 1_200


def _closest(text: str, search: str) -> str:
    """The file's lines nearest the search text, said for the next turn verbatim: the run
    of as many lines as the search has, around the lines nearest its first lines, that is
    most like it (difflib); a small model corrects a search it can copy (it invented a
    method name, or wrote the file's double quotes as single ones)."""
    lines = text.splitlines()
    want = [ln for ln in search.splitlines() if ln.strip()][:CLOSEST_LINES]
    if not want or not lines:
        return ""
    anchors = {lines.index(m) for ln in want[:3]
               for m in difflib.get_close_matches(ln, lines, n=3, cutoff=0.6)}
    if not anchors:
        return ""
    size, joined = len(want), "\n".join(want)

    def likeness(start: int) -> float:
        return difflib.SequenceMatcher(None, joined, "\n".join(lines[start:start + size]),
                                       autojunk=False).ratio()
    starts = {max(0, a - k) for a in anchors for k in range(min(3, size))}
    best = max(sorted(starts), key=likeness)
    if size == 1:
        return f" (the closest line, {best + 1}, is {lines[best][:160]!r})"
    shown = "\n".join(lines[best:best + size])[:CLOSEST_CHARS]
    return (f" (the closest lines, {best + 1}-{best + shown.count(chr(10)) + 1}, are, as "
            f"the file has them:\n{shown}\n)")


# What a model copies from a shortened view: the view's header (governance.brains.prompts
# text_block), and placeholder lines standing for code it did not write.
_VIEW_HEADER = re.compile(r"^--- .*\((?:lines \d+-\d+ of \d+ shown; read_file reads the rest|"
                          r"\d+ lines, \d+ chars: not shown)", re.MULTILINE)
_PLACEHOLDER = re.compile(
    r"^\s*(?:#|//|/\*|<!--|--)?\s*(?:\.\.\.|…)?\s*[\(\[]?\s*(?:your (?:changes|code) here|"
    r"(?:the )?rest of (?:the )?(?:file|code|module|class|function)(?: (?:is |stays |remains )?"
    r"(?:unchanged|the same|as before))?|existing code(?: here| unchanged)?|"
    r"(?:other |remaining )?(?:code|lines|functions|methods) unchanged|unchanged code)"
    r"\s*[\)\]]?\s*(?:\.\.\.|…)?\s*(?:\*/|-->)?\s*$", re.IGNORECASE)


def copied_view(content: str, old: str | None) -> str | None:
    """Why whole `content` is a copy of a shortened view or holds a placeholder line (a
    line the file did not have), else None."""
    if m := _VIEW_HEADER.search(content):
        return f"copies the prompt's shortened view of the file ({m.group(0)[:120]!r})"
    had = set((old or "").splitlines())
    for line in content.splitlines():
        if line not in had and _PLACEHOLDER.match(line) and ("..." in line or "…" in line
                                                              or "here" in line.lower()
                                                              or "rest of" in line.lower()):
            return f"holds a placeholder, not code ({line.strip()[:120]!r})"
    return None


def live_base(root: Path, allow_non_ascii: bool = False, *,
              allow_hardlinks: bool = False) -> Base:
    """The files under `root` (the live tree, or a sandbox's copy: `allow_hardlinks`) as a
    Base: read without following a symlink, UTF-8 (ValueError otherwise), None for a file
    that does not exist."""
    def read(raw: str) -> str | None:
        rel = normalize(raw, allow_non_ascii=allow_non_ascii)
        try:
            return nofollow.read_bytes(root, rel, limit=MAX_BASE_BYTES,
                                       allow_hardlinks=allow_hardlinks).decode("utf-8")
        except FileNotFoundError:
            return None
    return read


Form = Literal["edits", "whole"]


def form_for(text: str | None, reply_tokens: int, shortened: bool = False) -> Form:
    """The form the prompt asks for a file in: whole content for a new file or a small one
    (up to WHOLE_MAX_TOKENS, and half the brain's reply cap); edits for a larger one or one
    the prompt shows shortened."""
    if text is None:
        return "whole"
    tokens = len(text) // CHARS_PER_TOKEN
    if shortened or tokens > min(WHOLE_MAX_TOKENS, reply_tokens // 2):
        return "edits"
    return "whole"
