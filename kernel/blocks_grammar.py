"""A SEARCH/REPLACE reply's grammar (GBNF): what a code model told blocks may write, as a
grammar a server or the kernel decodes under.

Told the blocks form, Qwen2.5-Coder-1.5B through llama.cpp's server wrote a whole block in
18 of 64 replies to sqlparse's tasks: the rest named a file above a block for another,
wrote a keyword for the SEARCH marker (`<<<<<<< ALTER`), a location for a path
(`sqlparse/keywords.py:676`), or prose (stop 83). Under this grammar a reply is blocks or
the no-change object, and nothing else:

    root     ::= blocks | no-op
    blocks   ::= fence? block+ fence? why?
    block    ::= file-i (search-i | after-i)+    for each file the shape names
    search-i ::= "<<<<<<< SEARCH\\n" run-i "=======\\n" text ">>>>>>> REPLACE\\n"
    after-i  ::= "<<<<<<< AFTER\\n" run-i "=======\\n" text ">>>>>>> INSERT\\n"
    run-i    ::= any line of file i, then the lines after it in the file, in a row
                 (in Python, neither begun nor ended inside a string of several lines)
    text     ::= lines none of which is a marker, nor begins with ">" (a closer does)

A SEARCH part so copies a run of its file's lines, whole, whitespace included: it matches
the file (once, unless the run is there twice, which the edit rules refuse). What the
change does governance judges as it judges any reply (governance.edit_blocks); the grammar
decides nothing. A file too large to list (more than MAX_LINES distinct lines or
MAX_CHARS characters) takes any lines. A reply begun for the model (the shape's `opening`)
is written into the grammar as its first text, with the rest of what it begins: a server
that cannot continue an assistant's turn decodes it as forced tokens.

Measured through llama.cpp's server (Qwen2.5-Coder-1.5B, two cores, 200 reply tokens, a
grammar of parse.py's 1,090 lines): 11.7 s without a grammar, 11.3 s under this one; with
each line an alternative of one rule, 44.7 s (llama.cpp keeps a stack per alternative it
has not ruled out, so shared beginnings are factored out: _trie).
"""

from __future__ import annotations

import itertools
import os
import tokenize
from collections.abc import Mapping, Sequence

from governance.edit_blocks import AFTER, DIVIDER, INSERT, REPLACE, SEARCH

MAX_LINES = 4000  # a file's distinct lines listed; past it, any line
MAX_CHARS = 200_000
NO_OP = '"{\\"schema\\": \\"candidate.1\\", \\"no_op\\": true, \\"rationale\\": \\"" ' \
        '[^"\\\\\\n]* "\\"}"'


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _runs_of(mark: str, name: str, count: int, last: str) -> list[str]:
    """`name-1` .. `name-count`: the rest of a line begun with 1 .. `count` of `mark`,
    another `mark` only below `count`, or where `last` says what must follow it."""
    rules = []
    for k in range(1, count + 1):
        more = f' | "{mark}" {name}-{k + 1}' if k < count or last else ""
        rules.append(f'{name}-{k} ::= "" | [^{mark}\\n] [^\\n]*{more}')
    return [*rules, *([f"{name}-{count + 1} ::= {last}"] if last else [])]


# A line of a block's new text: never one the edit rules read as a marker (governance.
# edit_blocks._MARKER: blanks, then 5 to 9 of '<' or '>', or exactly 7 of '='), and never
# '>' where it begins (the closer's). parse's model wrote '======= insert =======' inside
# its new text under a rule that only kept '>' out, and the reply was refused (stop 85).
_TEXT = [
    "text ::= tline*",
    'tline ::= tstart "\\n"',
    'tstart ::= "" | [ \\t]+ tafter | tfirst',
    'tfirst ::= [^ \\t\\n<=>] [^\\n]* | "<" lt-1 | "=" eq-1',
    'tafter ::= "" | [^ \\t\\n<=>] [^\\n]* | "<" lt-1 | "=" eq-1 | ">" gt-1',
    *_runs_of("<", "lt", 4, ""),
    *_runs_of(">", "gt", 4, ""),
    *_runs_of("=", "eq", 6, '"=" [^\\n]*'),  # seven, then an eighth: no marker
]


def _literal(text: str) -> str:
    """`text` as a GBNF string literal: a quote, a backslash and the line breaks escaped,
    any other control character as `\\xNN` (llama.cpp's grammar knows no `\\f`, and a
    form feed between a file's sections is common in Python), and every other character
    as itself."""
    return '"' + "".join(_ESCAPES.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 32 or c == "\x7f"
                                            else c) for c in text) + '"'


def _file_rules(i: int, path: str, lines: Sequence[str]) -> list[str]:
    """The rules of the shape's i-th file: its path line, its blocks, and what a SEARCH or
    AFTER part may copy: a run of its lines in a row (any lines where it has too many)."""
    run = f"run-{i}" if _listed(lines) else "any-line+"
    rules = [
        f"file-{i} ::= {_literal(path + chr(10))} (search-{i} | after-{i})+",
        f"search-{i} ::= {_literal(SEARCH + chr(10))} {run} {_literal(DIVIDER + chr(10))} "
        f"text {_literal(REPLACE + chr(10))}",
        f"after-{i} ::= {_literal(AFTER + chr(10))} {run} {_literal(DIVIDER + chr(10))} "
        f"text {_literal(INSERT + chr(10))}",
    ]
    return rules + (_runs(i, path, lines) if _listed(lines) else [])


def _runs(i: int, path: str, lines: Sequence[str]) -> list[str]:
    """`run-i`: a line of the file, then the lines after it in the file, as many as the
    model copies (`at-i-n` is line n and what may follow it in a row). In Python a run
    neither begins nor ends inside a string of several lines: the run goes on to the
    string's end, or stops before it."""
    texts = [t + "\n" for t in lines]
    begins, ends = _bounds(path, texts)
    follow: dict[str, list[str]] = {}
    may_end: set[str] = set()
    for n, text in enumerate(texts):
        if not begins[n]:
            continue
        follow.setdefault(text, [])
        if n + 1 < len(texts):
            follow[text].append(f"at-{i}-{n + 1}")
        if ends[n] or n + 1 == len(texts):
            may_end.add(text)
    rules = [f"at-{i}-{n} ::= {_literal(t)}"
             + (f" at-{i}-{n + 1}{'?' if ends[n] else ''}" if n + 1 < len(texts) else "")
             for n, t in enumerate(texts)]
    after = {t: _followed(refs, t in may_end) for t, refs in follow.items()}
    return _trie(f"run-{i}", list(follow), after) + rules


def _bounds(path: str, texts: Sequence[str]) -> tuple[list[bool], list[bool]]:
    """Whether a run may begin at each line, and end after it: not inside a Python string
    of several lines. Qwen2.5-Coder-1.5B's SEARCH parts copied a function's head and half
    its docstring, and their REPLACE parts the head alone: the docstring's rest was left
    as code, a syntax error, in four of parse's six ops (stop 84). Any line of a file that
    is not Python, or does not tokenize."""
    begins, ends = [True] * len(texts), [True] * len(texts)
    if not path.endswith((".py", ".pyi")):
        return begins, ends
    try:
        tokens = list(tokenize.generate_tokens(iter(texts).__next__))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return begins, ends
    for tok in tokens:
        (first, _), (last, _) = tok.start, tok.end
        if tok.type == tokenize.STRING and last > first:
            for row in range(first + 1, last + 1):
                begins[row - 1] = False
            for row in range(first, last):
                ends[row - 1] = False
    return begins, ends


def _followed(refs: Sequence[str], may_end: bool) -> str:
    """What may follow a run's first line: the next line of each place it is at, the run
    ending there only where `may_end`."""
    if not refs:
        return ""
    either = refs[0] if len(refs) == 1 else f"({' | '.join(refs)})"
    return f"{either}?" if may_end else either


def _trie(name: str, texts: Sequence[str], after: Mapping[str, str]) -> list[str]:
    """Rules matching exactly `texts` (none a prefix of another), each followed by what
    `after` names for it, shared beginnings factored out: llama.cpp's grammar keeps a stack
    per alternative it has not ruled out, and a rule of parse.py's 1,090 lines as
    alternatives decoded at 4.5 tokens/s where any line decoded at 15 (Qwen2.5-Coder-1.5B,
    two cores)."""
    rules: list[str] = []
    pending, names = [(name, [(t, t) for t in texts])], itertools.count(1)
    while pending:
        rule, group = pending.pop()
        alternatives = []
        for first in dict.fromkeys(rest[0] for rest, _ in group):
            branch = [(rest, whole) for rest, whole in group if rest[0] == first]
            shared = os.path.commonprefix([rest for rest, _ in branch])  # noqa: RUF071
            if len(branch) == 1:
                alternatives.append(f"{_literal(shared)} {after.get(branch[0][1], '')}".rstrip())
                continue
            child = f"{name}-{next(names)}"
            alternatives.append(f"{_literal(shared)} {child}")
            pending.append((child, [(rest[len(shared):], whole) for rest, whole in branch]))
        rules.append(f"{rule} ::= " + " | ".join(alternatives))
    return rules


def blocks_gbnf(files: Sequence[tuple[str, Sequence[str]]], opening: str = "") -> str:
    """The grammar of a blocks reply changing `files` ((path, its lines) each, at least
    one), or saying no change is needed; begun with `opening` where there is one."""
    files_rule = " | ".join(f"file-{i}" for i in range(len(files)))
    rules = [
        "root ::= " + (_opened(opening, files) if opening else "blocks | no-op"),
        "blocks ::= fence? block+ fence? why?",
        'fence ::= "```" [a-z]* "\\n"',
        f"block ::= {files_rule}",
        f"no-op ::= {NO_OP}",
        *_TEXT,
        'any-line ::= [^\\n]* "\\n"',
        'why ::= [^\\n<>] [^\\n]* "\\n"?',
    ]
    for i, (path, lines) in enumerate(files):
        rules.extend(_file_rules(i, path, lines))
    return "\n".join(rules) + "\n"


def _opened(opening: str, files: Sequence[tuple[str, Sequence[str]]]) -> str:
    """The root of a reply begun with `opening`: the opening, then the rest of the block
    it begins (its marker lines say where it stopped), then any blocks more."""
    lines = opening.split("\n")
    done, partial = lines[:-1], lines[-1]  # the text after the last newline: a line begun
    paths = [p for p, _ in files]
    markers = [n for n, t in enumerate(done) if t in (SEARCH, AFTER, DIVIDER)]
    opener = next((n for n in reversed(markers) if done[n] in (SEARCH, AFTER)), None)
    if opener is None or opener == 0 or done[opener - 1] not in paths:
        return f"{_literal(opening)} any-line* [^\\n]*"  # begins no block of a file it lists
    i = paths.index(done[opener - 1])
    closer = _literal((REPLACE if done[opener] == SEARCH else INSERT) + "\n")
    more = f"(search-{i} | after-{i})* block* fence? why?"
    if DIVIDER in done[opener + 1:]:  # in the new text: the begun line, then the rest
        rest = f'[^\\n]* "\\n" text {closer}' if partial else f"text {closer}"
    elif partial:
        return f"{_literal(opening)} any-line* [^\\n]*"  # a SEARCH line begun: any text
    else:
        run = f"run-{i}" if _listed(files[i][1]) else "any-line+"
        rest = f"{run} {_literal(DIVIDER + chr(10))} text {closer}"
    return f"{_literal(opening)} {rest} {more}"


def _listed(lines: Sequence[str]) -> bool:
    """Whether a file's lines are listed in its rules (else its SEARCH takes any line)."""
    distinct = set(lines)
    return 0 < len(distinct) <= MAX_LINES and sum(map(len, distinct)) <= MAX_CHARS
