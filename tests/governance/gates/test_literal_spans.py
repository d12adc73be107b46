"""Where string literals and comments lie: exact from tokenize, a conservative guess from scan
when the text does not tokenize."""

from __future__ import annotations

import pytest

from governance.gates.ascii_gate import split_lines
from governance.gates.literal_spans import COMMENT, STRING, LiteralSpans, find, scan

# A well-formed file with a non-ASCII character in every kind of place; "@" marks code.
SAMPLE = (
    '"""Module doc \u2026\n'
    'still the docstring \u2014 here."""\n'
    "import re\n"
    "\n"
    "\n"
    "def f(tail='\u2026', sep=b'x', *, pat=r'\\d\u00e9'):  # a comment \u2019\n"
    "    # a whole-line comment: caf\u00e9\n"
    "    s = f'{tail!r:>{3}} \u00b7 {\"\u00e9\"}'  # \"quoted\" comment \u2026\n"
    "    t = 'it\\'s \u2026' + \"a # \u00e9 in a string\"\n"
    "    u = 'a\\\n"
    "\u2026 continued'\n"
    "    return s @ t\n"
)


def _kinds(text: str, via_scan: bool = False) -> list[tuple[int, int, str | None]]:
    """(line, column, kind) of every non-ASCII character of `text`."""
    lines = split_lines(text)
    if via_scan:
        found = LiteralSpans({i: tuple(s) for i, s in scan(lines).items()}, exact=False)
    else:
        found = find(text, lines)
        assert found.exact, found.error
    return [(i, c, found.kind_at(i, c)) for i, line in enumerate(lines)
            for c, ch in enumerate(line) if not ch.isascii() or ch == "@"]


def test_tokenize_places_every_character():
    kinds = [(i, k) for i, _, k in _kinds(SAMPLE)]
    assert kinds == [(0, STRING), (1, STRING), (5, STRING), (5, STRING), (5, COMMENT),
                     (6, COMMENT), (7, STRING), (7, STRING), (7, COMMENT), (8, STRING),
                     (8, STRING), (10, STRING), (11, None)]


def test_the_scan_agrees_with_tokenize_on_a_file_that_tokenizes():
    assert _kinds(SAMPLE, via_scan=True) == _kinds(SAMPLE)


@pytest.mark.parametrize("text, why", [
    ("def f():\n  x = 1\n y = 2\n", "line 3: unindent does not match"),
    ("x = '''abc\n", "line 1: EOF in multi-line string"),
    ("x = 'abc\n", "line 1: a quote that is never closed"),
])
def test_text_that_does_not_tokenize_is_scanned_and_says_why(text, why):
    found = find(text, split_lines(text))
    assert not found.exact and found.error.startswith(why)


@pytest.mark.parametrize("text, literal, code", [
    # An unclosed single quote runs to the end of its line, not further.
    ("x = 'ab\u2026\ny = \u2026\n", [(0, 7)], [(1, 4)]),
    # An unclosed triple quote runs to the end of the text.
    ("x = '''ab\n\u2026\n# \u2026\n", [(1, 0), (2, 2)], []),
    # A backslash at the end of a line carries a single-quoted string on.
    ("x = 'a\\\n\u2026'\ny = \u2026\n", [(1, 0)], [(2, 4)]),
    # A # in a string is not a comment; a curly quote is no quote.
    ("x = '#' \u2019\u2026\u2019\n", [], [(0, 8), (0, 9), (0, 10)]),
])
def test_the_scan_errs_toward_literal(text, literal, code):
    lines = split_lines(text)
    spans = scan(lines)

    def inside(i: int, c: int) -> bool:
        return any(s.start <= c < s.end for s in spans.get(i, []))

    assert all(inside(i, c) for i, c in literal)
    assert not any(inside(i, c) for i, c in code)
