"""The library's files parsed for a repair prompt's searches (quoted_words' tables,
case_compared's comparisons, phrase_rows' pattern lists): each file once a prompt, one tree
alive at a time, none past MAX_PARSED characters (`ast.parse` holds the GIL, and the prompt
is built at every step from a worker thread beside the event loop), a file that does not
parse (a hostile one) skipped.
"""

from __future__ import annotations

import ast

from governance.python_ast import parse_python

MAX_PARSED = 128 << 10  # characters of a file searched


def parsed(text: str) -> ast.Module | None:
    """`text`'s tree; None past MAX_PARSED or where it does not parse."""
    if len(text) > MAX_PARSED:
        return None
    try:
        return parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # a hostile file
        return None
