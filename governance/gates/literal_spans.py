"""Where a Python text's string literals and comments lie, line by line: the text the ASCII
gate (governance.gates.ascii_gate) treats as content, never as code to repair.

Found with `tokenize` over the whole text, so prefixes, escapes, docstrings, bytes and
f-strings are exact; an f-string counts whole, from its opening quote to its closing one,
expressions included, as Python 3.11's tokenizer reports it (3.12's pieces are joined back).

A text that does not tokenize (a syntax error, an unterminated string, a stray quote) gets a
conservative guess instead (`scan`), and `exact` says so: a span runs from an ASCII quote to
its closing quote, to the end of the line when a single quote is never closed there, or to the
end of the text for an unclosed triple quote; a `#` outside them runs to the end of its line.
An unclosed quote swallows the rest of what follows it, so the guess errs toward "literal".
Curly quotes are not quotes to either: a `'` a model wrote as U+2019 where Python wants `'`
is code, so the gate can repair it.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

STRING, COMMENT = "string literal", "comment"
_KINDS = {tokenize.STRING: STRING, tokenize.COMMENT: COMMENT}
# Python 3.12 splits an f-string into tokens; 3.11 has none of these (-1 never matches).
_FSTRING_START = getattr(tokenize, "FSTRING_START", -1)
_FSTRING_END = getattr(tokenize, "FSTRING_END", -1)
_QUOTES = ("'", '"')


class Untokenizable(Exception):
    """The text does not tokenize; the message says where and why."""


@dataclass(frozen=True)
class Span:
    """Columns [start, end) of one line that are inside a literal or a comment."""

    start: int
    end: int
    kind: str  # STRING or COMMENT


@dataclass(frozen=True)
class LiteralSpans:
    """Every line's literal and comment spans (0-based line numbers), and how they were found."""

    by_line: dict[int, tuple[Span, ...]]
    exact: bool  # True: from tokenize; False: scan()'s conservative guess
    error: str = ""  # why tokenize refused the text (when not exact)

    def kind_at(self, line: int, col: int) -> str | None:
        """STRING or COMMENT when (line, col) is inside one, None for code."""
        return next((s.kind for s in self.by_line.get(line, ()) if s.start <= col < s.end),
                    None)


def find(text: str, lines: Sequence[str]) -> LiteralSpans:
    """The spans of `text`, whose lines split on "\\n" only are `lines`: tokenized when it
    tokenizes, else scanned (see the module docstring)."""
    try:
        return LiteralSpans(_freeze(tokenized(text, lines)), exact=True)
    except Untokenizable as exc:
        return LiteralSpans(_freeze(scan(lines)), exact=False, error=str(exc))


def tokenized(text: str, lines: Sequence[str]) -> dict[int, list[Span]]:
    """Spans from Python's tokenizer; Untokenizable when it refuses the text, or reports a
    quote it could not close (Python 3.11 carries on past one as an error token)."""
    out: dict[int, list[Span]] = {}
    depth, opened = 0, (0, 0)  # f-string nesting, and where the outermost one opened
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.ERRORTOKEN and tok.string.startswith(_QUOTES):
                raise Untokenizable(f"line {tok.start[0]}: a quote that is never closed")
            if tok.type == _FSTRING_START:
                depth, opened = depth + 1, tok.start if depth == 0 else opened
            elif tok.type == _FSTRING_END:
                depth -= 1
                if depth == 0:
                    _add(out, lines, opened, tok.end, STRING)
            elif depth == 0 and tok.type in _KINDS:
                _add(out, lines, tok.start, tok.end, _KINDS[tok.type])
    except (tokenize.TokenError, SyntaxError) as exc:
        raise Untokenizable(_why(exc)) from None
    return out


def _why(exc: Exception) -> str:
    """A tokenizer error in a line the model can act on."""
    if isinstance(exc, SyntaxError):
        return f"line {exc.lineno}: {exc.msg}"
    message, where = (*exc.args, "", None)[:2]
    return f"line {where[0]}: {message}" if isinstance(where, tuple) else str(message)


def _add(out: dict[int, list[Span]], lines: Sequence[str], start: tuple[int, int],
         end: tuple[int, int], kind: str) -> None:
    """Record a token from (row, col) `start` to `end` (rows 1-based) line by line."""
    (r1, c1), (r2, c2) = start, end
    if not 1 <= r1 <= r2 <= len(lines):  # the rows are readline's; anything else is a bug
        raise Untokenizable(f"line {r1}: a token the gate cannot place")
    for row in range(r1, r2 + 1):
        lo = c1 if row == r1 else 0
        hi = c2 if row == r2 else len(lines[row - 1])
        out.setdefault(row - 1, []).append(Span(lo, hi, kind))


def scan(lines: Sequence[str]) -> dict[int, list[Span]]:
    """The conservative guess for a text that does not tokenize (the module docstring)."""
    out: dict[int, list[Span]] = {}
    quote = ""  # the open string's delimiter: ', ", ''' or """; "" in code
    for i, line in enumerate(lines):
        start, col, continued = 0, 0, False
        while col < len(line):
            ch = line[col]
            if quote and ch == "\\":
                continued = line[col + 1:] in ("\n", "\r\n")
                col += 2
            elif quote and line.startswith(quote, col):
                col += len(quote)
                out.setdefault(i, []).append(Span(start, col, STRING))
                quote = ""
            elif quote:
                col += 1
            elif ch == "#":
                out.setdefault(i, []).append(Span(col, len(line), COMMENT))
                break
            elif ch in _QUOTES:
                quote = ch * 3 if line.startswith(ch * 3, col) else ch
                start, col = col, col + len(quote)
            else:
                col += 1
        if quote:  # still open at the end of the line: the rest of it is literal
            out.setdefault(i, []).append(Span(start, len(line), STRING))
            quote = "" if len(quote) == 1 and not continued else quote
    return out


def _freeze(spans: dict[int, list[Span]]) -> dict[int, tuple[Span, ...]]:
    return {line: tuple(found) for line, found in spans.items()}
