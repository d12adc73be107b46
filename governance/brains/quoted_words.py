"""Where the failing test's words are quoted in the library, for a repair's prompt.

Many one-line fixes are a row of a table, not a line of a function: sqlparse's keyword
`MATERIALIZED` missing from its KEYWORDS dict, `DIV` listed as a keyword instead of an
operator. No call reaches a table, so the code the failure reached and the code its call ran
(reached_code, called_code) never show it, and Qwen2.5-Coder-1.5B, shown parse() and the
grouping engine, edited them or the test (issue 50: three of sqlparse's mined one-line
fixes are such rows; each run ended in a postmortem). The words the failing test feeds the
library (the identifiers in its string literals: `'CREATE MATERIALIZED VIEW ...'`) are what
such a table is keyed by: the lines of the library's files that quote one of them
(`'VIEW': tokens.Keyword,`) show where the table is and how its rows are written; a word
no file quotes is said to be quoted nowhere (a row to add), with the rows of the largest
table keyed like it between which it sorts (`'DIV'` between `'DISPATCH'` and `'DO'`).

Pure but for listing the package's files (no symlink followed, bounded); texts in, text out.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from governance.brains.case_compared import Found, compared_in, first_found, spelling
from governance.brains.library_trees import parsed
from governance.brains.phrase_rows import (
    PhraseRows,
    Row,
    named_phrase,
    pattern_lists,
    phrase_rows,
    spells,
)
from governance.brains.reached_code import Source, fenced
from governance.python_ast import parse_python

MAX_WORDS = 12  # of the test's, in the order it writes them
MAX_TEST_WORDS = 200  # of two letters and more, for case_compared
MAX_LINES = 12  # quoting lines shown, at most PER_WORD a word
PER_WORD = 2
MAX_FILES, MAX_DEPTH = 200, 4  # a package's .py files searched
MAX_BYTES, ALL_BYTES = 1 << 20, 8 << 20  # of one file, of all (a 22 MB data tree: the
# prompt is built at every step)
LINE_CHARS = 160
MIN_TABLE = 20  # keys of a dict literal taken as a table a missing word's row may go in
_SKIPPED = frozenset({"tests", "test", "testing", "docs", "examples", "__pycache__"})


def words_of(test_text: str, test_id: str, least: int = 3, most: int = MAX_WORDS) -> list[str]:
    """The identifiers inside the string literals of the test function `test_id` names
    (`file::name` or `file::Class::name`, parameters cut), in order, each once in any
    case (as first written), of `least` characters at least, `most` of them."""
    names = test_id.split("[", 1)[0].split("::")[1:]
    try:
        tree = parse_python(test_text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # a hostile file
        return []
    node: ast.AST | None = tree
    for name in names:
        node = next((n for n in getattr(node, "body", []) if isinstance(
            n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == name), None)
        if node is None:
            return []
    texts = sorted((n.lineno, n.col_offset, n.value) for n in ast.walk(node)
                   if isinstance(n, ast.Constant) and isinstance(n.value, str))
    identifier = re.compile(rf"[A-Za-z_][A-Za-z0-9_]{{{least - 1},}}")
    found = [w for _, _, text in texts for w in identifier.findall(text)]
    first: dict[str, str] = {}
    for word in found:
        first.setdefault(word.casefold(), word)
    return list(first.values())[:most]


@dataclass(frozen=True)
class Quotes:
    """What the library says of the failing test's words: the lines that quote one (a
    dict's key rows first), the words none quotes, the rows between which the first of
    those would sit, and the files of the tables (dict literals of MIN_TABLE text keys at
    least) these rows are in (`table_files`: where a fix that is a row goes, for the
    prompt's Output), and of those the files a word quoted nowhere has its place in
    (`place_files`: where its missing row goes), the words so placed (`placed`), and the
    row the first of them would follow (`follows`: its file and line); and the phrase the
    test is named after that a list of patterns matches word by word (`phrase`:
    governance.brains.phrase_rows), whose file is among `table_files`; and the lines
    comparing a value with a word of the test as written, where their function compares
    that value through a case method elsewhere (`compared`: governance.brains.
    case_compared)."""

    lines: list[str]
    nowhere: list[str]
    places: list[str]
    table_files: list[str]
    place_files: list[str]
    placed: list[str]
    follows: tuple[str, int] | None = None
    phrase: PhraseRows | None = None
    compared: tuple[Found, ...] = ()

    def section(self) -> str:
        """'## Where the failing test's words are quoted in the library'; '' when no line
        quotes a word, no table has a place for one, no phrase is matched word by word and
        no comparison is in another case."""
        if not self.lines and not self.places and self.phrase is None and not self.compared:
            return ""
        parts = ["## Where the failing test's words are quoted in the library"]
        if self.lines:
            parts += ["Lines of the library that quote a word of the failing test's texts (a "
                      "table the failure reads is keyed by such words; a fix may be a row of "
                      "it):", fenced("\n".join(self.lines), "text")]
        if self.nowhere:
            parts.append("Quoted nowhere in the library: " + ", ".join(self.nowhere) + ".")
        if self.places:
            # said plainly: told "the rows around its place", Qwen2.5-Coder-1.5B rewrote
            # the rows' values and added none (issue 50, stop 74)
            parts += [f"A row for {' and '.join(self.placed)} would go between these rows of "
                      "the library's largest table keyed like it (a fix may add that row "
                      "there):", fenced("\n".join(self.places), "text")]
        if self.phrase is not None:
            parts.append(self.phrase.section())
        if self.compared:
            parts += ["Lines comparing a value with a word of the failing test's texts as "
                      "written, in another case than the test's, where the same function "
                      "compares that value through .upper(), .lower() or .casefold() "
                      "elsewhere:", fenced("\n".join(
                          f"{path}:{n}: {line.strip()[:LINE_CHARS]}"
                          for path, n, line in self.compared), "text")]
        return "\n".join(parts)


def quoted(words: Sequence[str], texts: dict[str, str],
           tables: list[Table] | None = None) -> Quotes:
    """The Quotes of `words` in `texts` (path -> a library file's text), any case; its
    `tables` (dict_tables), or found here."""
    tables = dict_tables(texts) if tables is None else tables
    rows = {(path, n) for path, keys in tables for _, n in keys}
    shown: list[tuple[str, str, bool]] = []  # (path, line shown, whether a table's row)
    nowhere: list[str] = []
    lines = [(path, i, line) for path, text in texts.items()
             for i, line in enumerate(text.splitlines(), 1)]
    for word in words:
        quote = re.compile(rf"""(['"]){re.escape(word)}\1(\s*:\s*\S)?""", re.IGNORECASE)
        found = [(m, path, i, line) for path, i, line in lines if (m := quote.search(line))]
        if not found:
            nowhere.append(word)
        # a table's row (the word a dict's key) before other quotes of it
        found.sort(key=lambda x: x[0].group(2) is None)
        shown += [(path, f"{path}:{i}: {line.strip()[:LINE_CHARS]}", (path, i) in rows)
                  for _, path, i, line in found[:PER_WORD]]
    shown = shown[:MAX_LINES]
    placed = [(word, at) for word in nowhere
              if (at := table_place(word, tables))][:PER_WORD]
    return Quotes([line for _, line, _ in shown], nowhere,
                  [_row(path, n, texts) for _, (path, ns) in placed for n in ns],
                  sorted({path for path, _, row in shown if row} | {p for _, (p, _) in placed}),
                  list(dict.fromkeys(p for _, (p, _) in placed)), [w for w, _ in placed],
                  (placed[0][1][0], placed[0][1][1][0]) if placed else None)


def _row(path: str, n: int, texts: dict[str, str]) -> str:
    """A file's line as the prompt quotes it: `path:N: text`, stripped and cut."""
    return f"{path}:{n}: {texts[path].splitlines()[n - 1].strip()[:LINE_CHARS]}"


Table = tuple[str, list[tuple[str, int]]]  # a dict literal's path, its (text key, line)s


def dict_tables(texts: dict[str, str]) -> list[Table]:
    """Every dict literal of `texts` with at least MIN_TABLE text keys (library_trees:
    each file parsed once, none past its bound)."""
    return [table for path, text in texts.items() if "{" in text
            for table in tables_in(path, parsed(text))]


def tables_in(path: str, tree: ast.AST | None) -> list[Table]:
    """The dict literals of one file's tree with at least MIN_TABLE text keys."""
    found: list[Table] = []
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Dict):
            keys = [(k.value, k.lineno) for k in node.keys if isinstance(k, ast.Constant)
                    and isinstance(k.value, str)]
            if len(keys) >= MIN_TABLE:
                found.append((path, keys))
    return found


def table_place(word: str, tables: Sequence[Table]) -> tuple[str, list[int]] | None:
    """The file of the largest of `tables` keyed by words written as `word` is (all
    capitals, or not), and the lines of its two rows between which `word` sorts: where a
    missing keyword's row goes (sqlparse's `'DIV'` between `'DISPATCH'` and `'DO'`); None
    where no table has MIN_TABLE such keys."""
    best: Table | None = None
    for path, keys in tables:
        like = [(k, n) for k, n in keys if k.isupper() == word.isupper()]
        if len(like) >= MIN_TABLE and (best is None or len(like) > len(best[1])):
            best = (path, like)
    if best is None:
        return None
    path, rows = best
    ordered = sorted(rows)
    at = next((i for i, (key, _) in enumerate(ordered) if key > word), len(ordered))
    return path, [n for _, n in ordered[max(0, at - 1):at + 1]]


def package_files(root: Path, near: Sequence[str]) -> list[str]:
    """The .py files (paths relative to `root`) of the top-level packages the files `near`
    lie in, tests, docs and examples left out; no symlink followed, at most MAX_FILES,
    none past MAX_BYTES, ALL_BYTES together."""
    tops = list(dict.fromkeys(p.split("/", 1)[0] for p in near if "/" in p))
    out: list[str] = []
    sizes = [0]
    for top in tops:
        _walk(root, top, 0, out, sizes)
    return out[:MAX_FILES]


def _walk(root: Path, rel: str, depth: int, out: list[str], sizes: list[int]) -> None:
    """The .py files under `rel`, in name order, none larger than MAX_BYTES, until
    MAX_FILES or ALL_BYTES (sizes[0]) are reached."""
    if depth > MAX_DEPTH or len(out) >= MAX_FILES or sizes[0] > ALL_BYTES:
        return
    try:
        entries = sorted(os.scandir(root / rel), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink() or entry.name.startswith("."):
            continue
        path = f"{rel}/{entry.name}"
        if entry.is_dir(follow_symlinks=False) and entry.name not in _SKIPPED:
            _walk(root, path, depth + 1, out, sizes)
        elif entry.is_file(follow_symlinks=False) and entry.name.endswith(".py") \
                and not entry.name.startswith("test_"):
            try:
                size = entry.stat(follow_symlinks=False).st_size
            except OSError:  # gone since it was listed
                continue
            if size <= MAX_BYTES and sizes[0] + size <= ALL_BYTES:
                sizes[0] += size
                out.append(path)


def library_quotes(evidence: dict, source: Source, root: Path,
                   near: Sequence[str]) -> Quotes | None:
    """The Quotes for a repair whose evidence names its first failing test (`test_id`),
    the library searched being the packages of the files `near` (the reached code's);
    None without a test or words."""
    test_id = evidence.get("test_id")
    if not isinstance(test_id, str) or "::" not in test_id:
        return None
    test_text = source(test_id.split("::", 1)[0])
    # the test's words of two letters and more ('as' too, for case_compared), read once;
    # of them, the first MAX_WORDS of three letters and more are what the library quotes
    every = words_of(test_text, test_id, least=2, most=MAX_TEST_WORDS) if test_text else []
    words = [w for w in every if len(w) >= 3][:MAX_WORDS]
    if not words:
        return None
    texts = {rel: text for rel in package_files(root, near) if (text := source(rel))}
    spelt = spelling(every)
    named = named_phrase(test_text, test_id)
    tables: list[Table] = []
    compared: list[Found] = []
    lists: dict[str, list[list[Row]]] = {}
    for path, text in texts.items():  # each file parsed once, one tree alive at a time
        if (tree := parsed(text)) is not None:
            tables += tables_in(path, tree)
            compared += compared_in(path, tree, text, spelt)
            lists[path] = pattern_lists(tree) if named else []
    quotes = replace(quoted(words, texts, tables), compared=tuple(first_found(compared)))
    test_name = test_id.split("[", 1)[0].rpartition("::")[2]
    # what the test is named after leads: a missing word it names is the table's row
    # (test_materialized_view: MATERIALIZED, not the phrase MATERIALIZED VIEW), a phrase
    # it names the lexer's (test_split_if_exists_in_begin_end: IF EXISTS, not its TASK)
    if any(spells(test_name, [w]) for w in quotes.placed):
        return quotes
    phrase = phrase_rows(named, texts, lists)
    return quotes if phrase is None else replace(
        quotes, phrase=phrase, table_files=sorted({*quotes.table_files, phrase.path}))
