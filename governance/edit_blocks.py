"""SEARCH/REPLACE blocks: the edit form code models are trained and measured on.

A candidate.1 reply is JSON, and a small model writing a file's lines inside a JSON string
must escape every quote and line break it copies. Aider's benchmark measures each model
per edit format, and its "diff" format, which Qwen2.5-Coder's report also scores, is plain
text: the file's path on a line, then blocks of

    <<<<<<< SEARCH
    <lines copied exactly from the file>
    =======
    <their new text>
    >>>>>>> REPLACE

and, to add lines after one and change none, `<<<<<<< AFTER`, the line(s) they follow,
`=======`, the lines added, `>>>>>>> INSERT`: begun with the row a missing table row would
follow and the divider, Qwen2.5-Coder-1.5B wrote the new row as that row's REPLACE, and a
landed candidate dropped sqlparse's `MATCH` keyword (issue 50, stop 74); an insertion
cannot drop the line it follows.

On the first hour's repair (semver's bump_minor, the change that broke it shown) the 1.5B
model wrote the right edit in 2 of 8 samples as blocks, 1 of 10 as JSON, and its blocks
were whole and exact where its JSON strings were not (docs/brains.md, "Edit forms").

This module reads blocks into the StatedCandidate a JSON reply states
(governance.stated_candidate; `stated_blocks`), so candidate_edits applies and refuses them
by the same rules; and it names the form each brain is told (FAMILIES, by model family,
as tools.toolcalls does for tool calls; governance.brains.brain_names reads them:
form_for_names, reply_form_of).
Both forms are read from any reply: the one told is the one asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from governance.errors import CandidateParseError

SEARCH, DIVIDER, REPLACE = "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE"
AFTER, INSERT = "<<<<<<< AFTER", ">>>>>>> INSERT"
MAX_BLOCKS = 64
RATIONALE_CHARS = 600

# The marker words in any case: Qwen2.5-Coder-1.5B wrote '<<<<<<< search' and '<<<<<<<
# Search' in 2 of 6 replies to one prompt (stop 63); the markers stay the structure.
# The opener says what a block is (an AFTER block's anchor is kept); either closer ends it.
_BLOCK = re.compile(r"^[ \t]*<{5,9} ?(?P<kind>(?i:search|after))[ \t]*\n(?P<old>.*?)"
                    r"^[ \t]*={7}[ \t]*\n(?P<new>.*?)^[ \t]*>{5,9} ?(?i:replace|insert)[ \t]*$",
                    re.MULTILINE | re.DOTALL)
_FENCE = re.compile(r"^\s*(```|~~~)[\w+-]*\s*$")
# A path line as models write it: bare, in backticks or bold, after '#', 'File:' or
# 'filename:', with a colon after it, or with the lines it means ('src/m.py:299-311').
_PATH_DECOR = re.compile(r"^(?:#+\s*|[-*]\s+)?(?:(?:file(?:name)?|path)\s*:\s*)?[`*\"']*"
                         r"(?P<path>[^\s`*\"':]+?)(?::\d+(?:-\d+)?)?[`*\"']*:?$", re.IGNORECASE)


# A line of a repair prompt's quoted view as the model copies it into a block:
# 'sqlparse/keywords.py:65: (r'[A-ZÀ-Ü]\w*(?=\s*\.)', tokens.Name),' (governance.brains.
# quoted_words shows each line so, its indentation stripped).
_QUOTED = re.compile(r"^(?P<path>[^\s:`*]+):(?P<line>\d+): ?(?P<text>.*)$")


class ReplyForm(StrEnum):
    JSON = "json"  # candidate.1 objects (governance.brains.prompts CHANGE_CONTRACT)
    BLOCKS = "blocks"  # a path line, then SEARCH/REPLACE blocks (BLOCKS_CONTRACT)


# The model families told the blocks form: a pattern searched in the brain's model name
# (lower case); any other model is told JSON. Code models, which Aider measures in it.
FAMILIES: tuple[tuple[str, ReplyForm], ...] = (
    (r"coder|codestral|devstral|starcoder|codegemma|codellama|deepseek", ReplyForm.BLOCKS),
)


def has_blocks(text: str) -> bool:
    return _BLOCK.search(text) is not None


def contents_left_out(text: str) -> str:
    """`text` with each whole block's lines left out, its markers kept: the file's text
    a block copies (a REPLACE repeats its SEARCH but for the change) is no loop of the
    model's (kernel.canary.prose_of). A block cut off inside stays as it is."""
    return _BLOCK.sub(lambda m: m.group(0)[:m.start("old") - m.start()] + DIVIDER + "\n"
                      + m.group(0)[m.end("new") - m.start():], text)


def stated_blocks(text: str, exists: Callable[[str], bool]) -> dict[str, Any]:
    """The candidate.1 object (as a dict, for StatedCandidate) that `text`'s blocks state:
    each block's file is the path line nearest above it (or the block before's); an empty
    SEARCH writes a new file whole (never one that `exists`: in Aider's use it can mean
    "add to", and a whole file replaced by a few lines is no edit). CandidateParseError
    when a block names no file, or when there are none or too many."""
    blocks = list(_BLOCK.finditer(text))
    if not blocks:
        raise CandidateParseError("model reply holds no SEARCH/REPLACE block")
    if len(blocks) > MAX_BLOCKS:
        raise CandidateParseError(f"model reply holds {len(blocks)} SEARCH/REPLACE blocks "
                                  f"(at most {MAX_BLOCKS})")
    if stray := _stray_marker(text, blocks):
        raise CandidateParseError(
            f"model reply holds a SEARCH/REPLACE marker outside a whole block (line {stray}: "
            f"{text.splitlines()[stray - 1].strip()[:80]!r}): each block is {SEARCH!r}, its "
            f"lines, {DIVIDER!r}, their new text, {REPLACE!r} (or {AFTER!r}, the line "
            f"kept, {DIVIDER!r}, the lines added, {INSERT!r}); no part of it was applied")
    files: dict[str, dict] = {}
    path, at = None, 0
    for n, m in enumerate(blocks, 1):
        named = _path_before(text[at:m.start()])
        quoted, search, replace = _unquoted(m["old"], m["new"], exists)
        if m["kind"].casefold() == "after":
            if not search.strip():
                raise CandidateParseError(f"AFTER block {n} copies no line: write the line "
                                          "the new lines follow, exactly as the file has it")
            replace = search + replace  # the line(s) it follows stay
        path = quoted or named or path  # the quoted lines say where they are from
        if path is None:
            raise CandidateParseError(f"SEARCH/REPLACE block {n} names no file: write the "
                                      "file's path on the line before it")
        entry = files.setdefault(path, {"file_path": path})
        if not search.strip():
            if exists(path):
                raise CandidateParseError(f"{path}: a block with an empty SEARCH writes a "
                                          "new file, and this one exists: copy the lines "
                                          "to change into SEARCH")
            if "edits" in entry or "full_content" in entry:
                raise CandidateParseError(f"{path}: a block with an empty SEARCH writes a "
                                          "new file whole, and cannot join other blocks")
            entry["full_content"] = replace
        elif "full_content" in entry:
            raise CandidateParseError(f"{path}: a block with an empty SEARCH writes a new "
                                      "file whole, and cannot join other blocks")
        else:
            entry.setdefault("edits", []).append({"search": search, "replace": replace})
        at = m.end()
    rationale = _rationale(text[at:]) or _rationale(text[:blocks[0].start()])
    return {"schema": "candidate.1", "files": list(files.values()), "rationale": rationale}


def _unquoted(search: str, replace: str, exists: Callable[[str], bool]) \
        -> tuple[str | None, str, str]:
    """A block whose SEARCH is lines copied from the prompt's quoted view, each written
    `path:N: text` (Qwen2.5-Coder-1.5B's reply to sqlparse's b72a8ff42f53, its path line
    the contract's placeholder, issue 50): (that path, the SEARCH and REPLACE without the
    decoration). The lines' own indentation is not in the view: candidate_edits matches
    such a search as the same code, white space aside. (None, search, replace) where a
    line is not so written, the paths differ or name no file; CandidateParseError where the
    lines are not consecutive in the file (no exact edit can state them)."""
    lines = [ln for ln in search.splitlines() if ln.strip()]
    found = [_QUOTED.match(ln) for ln in lines]
    paths = {q.group("path") for q in found if q}
    if not lines or not all(found) or len(paths) != 1 or not exists(path := paths.pop()):
        return None, search, replace
    numbers = [int(q.group("line")) for q in found if q]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        raise CandidateParseError(
            f"{path}: the SEARCH copies lines {', '.join(map(str, numbers))} of the prompt's "
            "view, which are not next to each other in the file: copy the file's lines "
            "themselves, all of them from the first to the last, without the 'path:N:' "
            "before each")

    def undecorated(part: str) -> str:
        return "".join(q.group("text") + "\n" if (q := _QUOTED.match(ln.rstrip("\n")))
                       and q.group("path") == path else ln
                       for ln in part.splitlines(keepends=True))
    return path, undecorated(search), undecorated(replace)


# The divider is seven '=' exactly (a reStructuredText underline inside a block is text).
_MARKER = re.compile(r"^[ \t]*(?:<{5,9}|={7}(?!=)|>{5,9})", re.MULTILINE)


def _stray_marker(text: str, blocks: list[re.Match[str]]) -> int | None:
    """The line of a SEARCH/REPLACE marker outside the whole blocks, if any: a reply whose
    other blocks are malformed states edits that cannot be read, and applying the whole
    ones alone is not what it stated. Qwen2.5-Coder-1.5B wrote one whole block and six as
    '======= SEARCH', two of them rewriting the failing tests' expectations."""
    spans = [(m.start(), m.end()) for m in blocks]
    for m in _MARKER.finditer(text):
        if not any(a <= m.start() < b for a, b in spans):
            return text.count("\n", 0, m.start()) + 1
    return None


def _path_before(gap: str) -> str | None:
    """The path on the last line before a block that is not a fence or blank, when that
    line reads as one (a word with a '.' or '/', no spaces)."""
    for line in reversed(gap.splitlines()):
        if not line.strip() or _FENCE.match(line):
            continue
        m = _PATH_DECOR.match(line.strip())
        if m and ("." in m.group("path") or "/" in m.group("path")):
            return m.group("path")
        return None
    return None


def _rationale(text: str) -> str:
    """The prose around the blocks, on one line; a JSON object there (the 1.5B model
    followed its blocks with a candidate.1 holding only a rationale) gives its rationale."""
    lines = [ln.strip() for ln in text.splitlines()
             if ln.strip() and not _FENCE.match(ln)]
    joined = " ".join(lines)
    if joined.startswith("{"):
        try:
            said = json.loads(joined)
        except (ValueError, RecursionError):
            said = None
        if isinstance(said, dict) and isinstance(said.get("rationale"), str):
            joined = said["rationale"]
    return joined[:RATIONALE_CHARS]
