"""A phrase the failing test is named after, and the library's list of patterns that match
phrases as one: where a fix that is a lexer's row goes, for a repair's prompt.

Some one-line fixes are a row of a list of (pattern, kind) pairs that a lexer tries in
order: sqlparse's `(r'PRIMARY\\s+KEY\\b', tokens.Keyword)`, after `GROUP\\s+BY` and
`ORDER\\s+BY`, so that `'PRIMARY KEY'` is one keyword, and `IF\\s+(NOT\\s+)?EXISTS\\b` (issue
50: two of sqlparse's nine mined one-line fixes). Both words are keys of its keyword table,
so no word is quoted nowhere (quoted_words), and the reached code is the lexer's loop, so
Qwen2.5-Coder-1.5B was shown neither the list nor the place. The test names the phrase
(`test_primary_key_issue740`, `test_split_if_exists_in_begin_end`), and its texts write it
(`'PRIMARY KEY'`). Where the library holds such a list, with rows that are phrases alone
(`NOT\\s+NULL\\b`), and none of its rows that match across a space matches the whole named
phrase, the prompt shows those phrase rows and says the phrase is matched word by word,
and the reply is opened after the last of them (reply_opening).

Patterns are the repository's text: a row is only tried on the phrase when it repeats no
group without bound and has few unbounded repetitions (a hostile pattern cannot hang the
prompt's building on a phrase this short). What is found only shapes a prompt and an
opening; it decides nothing.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from governance.brains.library_trees import parsed
from governance.brains.reached_code import fenced
from governance.python_ast import parse_python

MIN_ROWS = 10  # (text, ...) pairs of a list taken as a lexer's patterns
MIN_PHRASE_ROWS = 3  # of them phrases alone (`GROUP\s+BY\b`)
MAX_SHOWN = 12  # phrase rows shown
MAX_PHRASE = 64  # characters of a named phrase
MAX_WORDS = 6  # of a named phrase (a long literal's runs are not searched past it)
MAX_PATTERN = 300  # characters of a pattern tried on it
MAX_UNBOUNDED = 3  # unbounded repetitions of a pattern tried on it
LINE_CHARS = 160
_PHRASE_ROW = re.compile(r"[A-Za-z]+(?:\\s\+?[A-Za-z]+)+(?:\\b)?")
_ROW_BEGUN = re.compile(r"""^\s*\(\s*[rRbBuU]{0,2}['"]""")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class PhraseRows:
    """The `phrase` the failing test is named after, the `path` of the list of patterns
    matching it word by word, the `rows` of that list that are phrases alone (`path:N:
    text`), and the line of the last of them (`follows`), which a new row may follow."""

    phrase: str
    path: str
    rows: list[str]
    follows: int

    def section(self) -> str:
        """The prompt's paragraph on the phrase and the list's phrase rows."""
        return (f"The failing test is named after the phrase {self.phrase!r} of its texts. "
                f"No pattern of the list in {self.path} matches it as one (it is matched "
                "word by word); these rows of that list match a phrase as one (a fix may "
                "add such a row for it):\n" + fenced("\n".join(self.rows), "text"))


def named_phrase(test_text: str, test_id: str) -> str:
    """The longest run of two or more words, apart only by white space, in a string
    literal of the test function `test_id` names, that the function's name spells
    joined by underscores (`test_primary_key_issue740`, `'PRIMARY KEY'`), as written;
    '' where none is."""
    names = test_id.split("[", 1)[0].split("::")[1:]
    try:
        tree = parse_python(test_text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # a hostile file
        return ""
    node: ast.AST | None = tree
    for name in names:
        node = next((n for n in getattr(node, "body", []) if isinstance(
            n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == name), None)
        if node is None:
            return ""
    if not names:
        return ""
    best = ""
    for text in (n.value for n in ast.walk(node)
                 if isinstance(n, ast.Constant) and isinstance(n.value, str)):
        for run in _runs(text):
            for i in range(len(run)):
                for j in range(i + 2, min(len(run), i + MAX_WORDS) + 1):
                    phrase = " ".join(run[i:j])
                    if len(phrase) > len(best) and len(phrase) <= MAX_PHRASE \
                            and spells(names[-1], run[i:j]):
                        best = phrase
    return best


def spells(name: str, words: list[str]) -> bool:
    """Whether a test function's `name` spells `words` joined by underscores, whole
    (`test_primary_key_issue740` spells PRIMARY KEY, and `test_materialized_view` spells
    MATERIALIZED), in any case."""
    return f"_{'_'.join(words).casefold()}_" in f"_{name.casefold()}_"


def _runs(text: str) -> list[list[str]]:
    """The runs of words of `text` apart only by white space, each word of two letters
    at least."""
    runs: list[list[str]] = [[]]
    end = 0
    for found in _WORD.finditer(text):
        if len(found[0]) < 2 or (runs[-1] and not text[end:found.start()].isspace()):
            runs.append([])
        if len(found[0]) >= 2:
            runs[-1].append(found[0])
        end = found.end()
    return [run for run in runs if len(run) >= 2]


Row = tuple[str, int, int]  # a pattern, its first and last line


def pattern_lists(tree: ast.AST | None) -> list[list[Row]]:
    """The list and tuple literals of a file's tree with at least MIN_ROWS (text, ...)
    pairs, each as its pairs' patterns and lines."""
    found = []
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.List | ast.Tuple):
            rows = [(e.elts[0].value, e.lineno, e.end_lineno or e.lineno) for e in node.elts
                    if isinstance(e, ast.Tuple) and len(e.elts) >= 2
                    and isinstance(e.elts[0], ast.Constant) and isinstance(e.elts[0].value, str)]
            if len(rows) >= MIN_ROWS:
                found.append(rows)
    return found


def phrase_rows(phrase: str, texts: dict[str, str],
                lists: dict[str, list[list[Row]]] | None = None) -> PhraseRows | None:
    """The first list of `texts` (path -> a library file's text; its `lists`, or each
    file's parsed here) with MIN_PHRASE_ROWS rows that are phrases alone, none of whose
    rows matching across a space matches the whole `phrase`; None where there is none, or
    the last phrase row is not one line once in its file."""
    if not phrase:
        return None
    for path, text in texts.items():
        lines = text.splitlines()
        for rows in lists.get(path, []) if lists is not None \
                else pattern_lists(parsed(text)):
            alone = [(p, a) for p, a, b in rows if a == b and _PHRASE_ROW.fullmatch(p)]
            if len(alone) < MIN_PHRASE_ROWS or any(_matches_whole(p, phrase) for p, *_ in rows):
                continue
            last = alone[-1][1]
            if not 0 < last <= len(lines) or lines.count(lines[last - 1]) != 1:
                return None
            shown = [f"{path}:{a}: {lines[a - 1].strip()[:LINE_CHARS]}" for _, a in alone
                     if 0 < a <= len(lines)][-MAX_SHOWN:]
            return PhraseRows(phrase, path, shown, last)
    return None


def _matches_whole(pattern: str, phrase: str) -> bool:
    """Whether `pattern`, one that may match across a space and is safe to try, matches
    the whole of `phrase` from its start, in any case."""
    if ("\\s" not in pattern and " " not in pattern) or not safe(pattern):
        return False
    try:
        found = re.match(pattern, phrase, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError):
        return False
    return found is not None and found.end() == len(phrase)


def safe(pattern: str) -> bool:
    """Whether a pattern may be tried on a short text without catastrophic backtracking:
    no group repeated without bound, few unbounded repetitions, not long."""
    return len(pattern) <= MAX_PATTERN and not re.search(r"\)[*+]|\)\{\d*,\}", pattern) \
        and len(re.findall(r"[*+]|\{\d*,\}", pattern)) <= MAX_UNBOUNDED


def row_begun(row: str) -> str:
    """A new row begun as `row` begins its own, up to its pattern's opening quote
    (`    (r'`); '' where `row` does not begin so."""
    found = _ROW_BEGUN.match(row)
    return found[0] if found else ""
