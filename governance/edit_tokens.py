"""Where an edit's search text is the same Python code as one place of a file, though not
the same characters: the names, operators, numbers and comments in the same order, each
string literal by its value, white space and line breaks aside.

A small model copies code as it reads it, not byte for byte: Qwen2.5-Coder-1.5B wrote
`['minor']` where the file has `["minor"]` with a trailing space, and one line where the
file wraps the same call over five, and each such edit was refused however often the
closest lines were shown (docs/eval.md). A search that is the same code at exactly one
place is applied there (governance.candidate_edits); at none or at two it is refused as
before. Nothing is guessed: a place that differs in one name, one operator, one literal's
value or one comment is no match, and the resulting file is judged like any other.

Pure: texts in, a span out.
"""

from __future__ import annotations

import ast
import re

# A token the compiler reads, or a comment: string literals (any prefix, triple quoted or
# not), comments, names, numbers, operators; the white space between is skipped.
_TOKEN = re.compile(r"""
    (?P<str>(?:[rRbBuUfF]{1,2})?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
        |'(?:\\.|[^\\'\n])*'|"(?:\\.|[^\\"\n])*"))
  | (?P<comment>\#[^\r\n]*)
  | (?P<word>[^\W\d]\w*)
  | (?P<num>\d[\w.]*|\.\d[\w.]*)
  | (?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%@&|^=!<>]=|\.\.\.|[^\s\w])
  | (?P<space>\s+)
""", re.VERBOSE | re.DOTALL)
MIN_TOKENS = 3  # a shorter search is matched by its characters only
# A larger file is matched by its characters only: lexing takes about 0.6 s a megabyte on
# a loaded 2-core EPYC, and an unmatched search is the model's mistake, not worth seconds.
MAX_TEXT_CHARS = 1_000_000


def tokens(text: str) -> list[tuple[str, int, int]] | None:
    """(key, start, end) of each token of `text`, or None where it does not lex (an open
    string literal: a fragment cut inside one is no code to compare). Adjacent string
    literals are one token, as they are one literal to the compiler (`f"a, " f"b"` is
    `f"a, b"`: Qwen wrote a message the file splits over two lines as one)."""
    out: list[tuple[str, int, int]] = []
    run: list[tuple[str, str]] = []  # the literal run being read: (kind, text) parts
    at = 0
    while at < len(text):
        m = _TOKEN.match(text, at)
        if m is None:
            return None
        kind = m.lastgroup
        if kind == "str":
            if not run:
                out.append(("", m.start(), m.end()))
            run.append(_literal(m.group()))
            out[-1] = (_joined(run), out[-1][1], m.end())
        elif kind != "space":
            run = []
            out.append((f"{kind}:{m.group().rstrip()}", m.start(), m.end()))
        at = m.end()
    return out


def _literal(text: str) -> tuple[str, str]:
    """A string literal as the compiler reads it: a plain one by its type and value (its
    quotes and escapes aside), an f-string ("f") by the text between its quotes."""
    if "f" not in text[:2].lower():
        try:
            value = ast.literal_eval(text)
            return type(value).__name__, str(value)
        except (ValueError, SyntaxError, MemoryError):
            return "raw", text
    body = text.lstrip("rRbBuUfF")
    quote = body[:3] if body[:3] in ("\'\'\'", '\"\"\"') else body[:1]
    return "f", body[len(quote):len(body) - len(quote)]


def _joined(parts: list[tuple[str, str]]) -> str:
    """Adjacent literals' key as one: plain text parts written as an f-string's text
    (braces doubled) once any part is an f-string, else their values joined."""
    if any(kind == "f" for kind, _ in parts):
        return "str:f:" + "".join(t if kind == "f" else t.replace("{", "{{").replace("}", "}}")
                                  for kind, t in parts)
    kinds = "/".join(sorted({kind for kind, _ in parts}))
    return f"str:{kinds}:" + "".join(t for _, t in parts)


def token_spans(text: str, search: str) -> list[tuple[int, int]]:
    """The places (start, end) in `text` holding the same code as `search` (at most 6),
    each widened to whole lines where the search starts at a line's start or ends with a
    line break, as an exact match of such a search would be."""
    if len(text) > MAX_TEXT_CHARS:
        return []
    mine, theirs = tokens(search), tokens(text)
    if not mine or theirs is None or len(mine) < MIN_TOKENS:
        return []
    want, keys = [k for k, _, _ in mine], [k for k, _, _ in theirs]
    out = []
    for i in range(len(keys) - len(want) + 1):
        if keys[i] == want[0] and keys[i:i + len(want)] == want:
            out.append(_widened(text, search, theirs[i][1], theirs[i + len(want) - 1][2]))
            if len(out) > 5:
                break
    return out


def reindented(text: str, start: int, search: str, replace: str) -> str | None:
    """`replace` moved to the indentation the file has where a token match starts, when the
    search was written at another (Qwen wrote a method's lines from column 0): the search's
    first line's indentation, which every line of the search and of the replace starts
    with, becomes the file's. None where the replace is not written at the search's
    indentation (it cannot be moved without guessing); the replace as it is where the
    indentations agree."""
    ours = re.match(r"[ \t]*", search).group()
    theirs = re.match(r"[ \t]*", text[start:]).group()
    if ours == theirs:
        return replace
    lines = replace.splitlines(keepends=True)
    if not all(ln.startswith(ours) or not ln.strip() for ln in
               [*search.splitlines(keepends=True), *lines]):
        return None
    return "".join(theirs + ln[len(ours):] if ln.strip() else ln for ln in lines)


def _widened(text: str, search: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) of a token match, from its line's start when the search text starts
    with nothing but indentation, through its line break when the search ends with one
    (the rest of that line white space only)."""
    if not search[:len(search) - len(search.lstrip(" \t"))].strip() and \
            not text[text.rfind("\n", 0, start) + 1:start].strip():
        start = text.rfind("\n", 0, start) + 1
    if search.rstrip(" \t").endswith("\n"):
        rest = re.match(r"[ \t]*\r?\n", text[end:])
        if rest:
            end += rest.end()
    return start, end
