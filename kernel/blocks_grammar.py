"""A SEARCH/REPLACE reply's grammar (GBNF): what a code model told blocks may write, as a
grammar a server or the kernel decodes under.

Told the blocks form, Qwen2.5-Coder-1.5B through llama.cpp's server wrote a whole block in
18 of 64 replies to sqlparse's tasks: the rest named a file above a block for another,
wrote a keyword for the SEARCH marker (`<<<<<<< ALTER`), a location for a path
(`sqlparse/keywords.py:676`), or prose (stop 83). Under this grammar a reply is blocks or
the no-change object, and nothing else:

    root     ::= blocks | no-op
    blocks   ::= block+ why?
    block    ::= file-i (search-i | after-i)+    for each file the shape names
               | new-path "\\n" empty-search      a file the shape does not name: new
    search-i ::= "<<<<<<< SEARCH\\n" line-i* "=======\\n" text ">>>>>>> REPLACE\\n"
    after-i  ::= "<<<<<<< AFTER\\n" line-i+ "=======\\n" text ">>>>>>> INSERT\\n"
    line-i   ::= one of file i's lines, whole, as the file has it
    text     ::= lines not beginning with '>' (a closer does)

A SEARCH part so copies lines of its file, whitespace included, in some order: whether they
are its lines in a row, and what the change does, governance judges as it judges any reply
(governance.edit_blocks); the grammar decides nothing. A file too large to list (more than
MAX_LINES lines or MAX_CHARS characters) takes any lines. A reply begun for the model (the
shape's `opening`) is written into the grammar as its first text, with the rest of what it
begins: a server that cannot continue an assistant's turn decodes it as forced tokens.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence

from governance.edit_blocks import AFTER, DIVIDER, INSERT, REPLACE, SEARCH

MAX_LINES = 4000  # a file's distinct lines listed; past it, any line
MAX_CHARS = 200_000
NO_OP = '"{\\"schema\\": \\"candidate.1\\", \\"no_op\\": true, \\"rationale\\": \\"" ' \
        '[^"\\\\\\n]* "\\"}"'


def literal(text: str) -> str:
    """`text` as a GBNF string literal: JSON's escapes (quote, backslash, control
    characters) are GBNF's too, and any other character stands as itself."""
    return json.dumps(text, ensure_ascii=False)


def _file_rules(i: int, path: str, lines: Sequence[str]) -> list[str]:
    """The rules of the shape's i-th file: its path line, its blocks, its lines."""
    distinct = list(dict.fromkeys(lines))
    line = f"line-{i}" if _listed(distinct) else "any-line"
    rules = [
        f"file-{i} ::= {literal(path + chr(10))} (search-{i} | after-{i})+",
        f"search-{i} ::= {literal(SEARCH + chr(10))} {line}* {literal(DIVIDER + chr(10))} "
        f"text {literal(REPLACE + chr(10))}",
        f"after-{i} ::= {literal(AFTER + chr(10))} {line}+ {literal(DIVIDER + chr(10))} "
        f"text {literal(INSERT + chr(10))}",
    ]
    if _listed(distinct):
        rules.extend(_trie(f"line-{i}", [t + "\n" for t in distinct] or ["\n"]))
    return rules


def _trie(name: str, texts: Sequence[str]) -> list[str]:
    """Rules matching exactly `texts` (none a prefix of another), shared beginnings
    factored out: llama.cpp's grammar keeps a stack per alternative it has not ruled out, and
    a rule of parse.py's 1,090 lines as alternatives decoded at 4.5 tokens/s where any
    line decoded at 15 (Qwen2.5-Coder-1.5B, two cores)."""
    rules: list[str] = []
    pending, names = [(name, list(texts))], itertools.count(1)
    while pending:
        rule, group = pending.pop()
        alternatives = []
        for first in dict.fromkeys(t[0] for t in group):
            branch = [t for t in group if t[0] == first]
            shared = os.path.commonprefix(branch)  # noqa: RUF071 (texts)
            if len(branch) == 1:
                alternatives.append(literal(shared))
                continue
            child = f"{name}-{next(names)}"
            alternatives.append(f"{literal(shared)} {child}")
            pending.append((child, [t[len(shared):] for t in branch]))
        rules.append(f"{rule} ::= " + " | ".join(alternatives))
    return rules


def blocks_gbnf(files: Sequence[tuple[str, Sequence[str]]], opening: str = "") -> str:
    """The grammar of a blocks reply changing `files` ((path, its lines) each) or a new
    file, or saying no change is needed; begun with `opening` where there is one."""
    files_rule = " | ".join(f"file-{i}" for i in range(len(files)))
    rules = [
        "root ::= " + (_opened(opening, files) if opening else "blocks | no-op"),
        "blocks ::= fence? block+ fence? why?",
        'fence ::= "```" [a-z]* "\\n"',
        f"block ::= {files_rule}",
        f"no-op ::= {NO_OP}",
        'text ::= ("\\n" | [^>\\n] [^\\n]* "\\n")*',
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
        return f"{literal(opening)} any-line* [^\\n]*"  # begins no block of a file it lists
    i = paths.index(done[opener - 1])
    closer = literal((REPLACE if done[opener] == SEARCH else INSERT) + "\n")
    more = f"(search-{i} | after-{i})* block* fence? why?"
    if DIVIDER in done[opener + 1:]:  # in the new text: the begun line, then the rest
        rest = f'[^\\n]* "\\n" text {closer}' if partial else f"text {closer}"
    elif partial:
        return f"{literal(opening)} any-line* [^\\n]*"  # a SEARCH line begun: any text
    else:
        line = f"line-{i}" if _listed(files[i][1]) else "any-line"
        rest = f"{line}* {literal(DIVIDER + chr(10))} text {closer}"
    return f"{literal(opening)} {rest} {more}"


def _listed(lines: Sequence[str]) -> bool:
    """Whether a file's lines are listed in its rules (else its SEARCH takes any line)."""
    distinct = set(lines)
    return len(distinct) <= MAX_LINES and sum(map(len, distinct)) <= MAX_CHARS
