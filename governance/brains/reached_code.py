"""The library code a failure reached, as the file has it now, for a repair's prompt.

A small model asked to fix a failure edits by exact search/replace, and what it cannot see
it invents: Qwen2.5-Coder-1.5B, shown a 740-line module cut to its first 162 lines, wrote
edits for a method that does not exist (`compare_with_subclass`) and searched for lines of
the failing test (issue 50's semver run: 8 of 9 edits matched nothing). So the prompt shows
the functions the signal names (`fn:<file>::<Class.method>` causes, sensors.failure_causes)
verbatim and unnumbered, right under "Where the failure reached the library": a search text
copied from them matches the file. Under each, the newest change to it (the commit's own
lines, sensors.newest_change), which is most often what a regression's fix undoes, as the
edit that would undo it. Pure:
texts in, text out; a file that does not parse, or a symbol it does not define, shows
nothing.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from governance.memory.lessons import one_line
from governance.python_ast import parse_python

MAX_LINES = 60  # of one function: the head of a longer one, said as such
MAX_CHARS = 3_000  # of one function's text
Source = Callable[[str], str | None]  # a repository file's text, None when not shown


@dataclass(frozen=True)
class Code:
    """A definition's lines as the file has them: `first`-`last` (1-based, its decorators
    included), `text` those lines (or their head: `cut`)."""

    first: int
    last: int
    text: str
    cut: bool


def span(tree: ast.Module, symbol: str) -> tuple[int, int] | None:
    """The lines (decorators included) of the def or class `symbol` names (`f`, `C.m`,
    `outer.inner`), found by walking the bodies name by name; None when not defined."""
    body: list[ast.stmt] = tree.body
    node: ast.AST | None = None
    for name in symbol.split("."):
        node = next((n for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef
                                                   | ast.ClassDef) and n.name == name), None)
        if node is None:
            return None
        body = node.body
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return first, node.end_lineno or node.lineno


def code_of(text: str, symbol: str, max_lines: int = MAX_LINES,
            max_chars: int = MAX_CHARS) -> Code | None:
    """`symbol`'s definition in `text`, verbatim (its whole lines, their indentation kept),
    cut to its first lines within `max_lines` and `max_chars`; None when `text` does not
    parse or does not define it."""
    try:
        where = span(parse_python(text), symbol)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if where is None:
        return None
    first, last = where
    lines = text.splitlines(keepends=True)[first - 1:last]
    shown, used = [], 0
    for line in lines[:max_lines]:
        if used + len(line) > max_chars:
            break
        shown.append(line)
        used += len(line)
    return Code(first, last, "".join(shown), cut=len(shown) < len(lines))


MAX_REACHED = 5  # library functions a prompt names
MAX_REACHED_CHARS = 6_000  # of their code in all: the functions past it are named only


def reached_section(evidence: dict, source: Source | None, form: str = "json") -> str:
    """The library functions the failure reached (the signal's `fn:` causes, computed at
    intake from where each failure was raised and its innermost library frame), named as
    the place to change; with a `source` of the files' texts, each with its code as the
    file has it now, verbatim, so that an edit copied from it matches, and under it the
    newest change to it (the sensor's `newest_change`) as the edit that would undo it, in
    the reply `form` the brain is told. '' when the signal names none."""
    named, _ = _named(evidence, source, form)
    if not named:
        return ""
    shown = (" Their code is as the file has it now: a search text copied from it matches."
             if any("\n" in n for n in named) else "")
    return ("## Where the failure reached the library\nThe failing tests are the "
            f"specification, not the place to edit: change the library code they reach.{shown}\n"
            + "\n".join(named))


def _named(evidence: dict, source: Source | None, form: str) -> tuple[list[str], int]:
    """Each cause's line (with its code and newest change, when shown), and what they
    leave of MAX_REACHED_CHARS."""
    changes = shown_changes(evidence, source, form)
    named, room = [], MAX_REACHED_CHARS
    for cause in reached_functions(evidence)[:MAX_REACHED]:
        path, _, fn = cause[3:].partition("::")
        line = f"- {one_line(path, 200)}, function {one_line(fn, 200)}"
        code = _shown_code(source(path), fn, room) if source is not None else ""
        if code and cause in changes:
            code += changes[cause]
        room -= len(code)
        named.append(line + code)
    return named, room


def reached_room(evidence: dict, source: Source | None, form: str = "json") -> int:
    """What the causes' code leaves of MAX_REACHED_CHARS for the called functions'."""
    return _named(evidence, source, form)[1]


def reached_functions(evidence: dict) -> list[str]:
    """The signal's `fn:<file>::<function>` causes, in its order."""
    causes = evidence.get("causes") if isinstance(evidence.get("causes"), list) \
        else [evidence.get("cause")]
    return [c for c in causes if isinstance(c, str) and c.startswith("fn:") and "::" in c]


def shown_changes(evidence: dict, source: Source | None = None,
                  form: str = "json") -> dict[str, str]:
    """Each cause's newest change (sensors.newest_change) as the section says it under the
    function's code: the commit, its subject quoted on one line, then the edit that would
    undo it in the reply format the brain is told (`form`: undone). A malformed entry (a
    hand-filed signal's) is left out."""
    out = {}
    entries = evidence.get("newest_change")
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in (
                "cause", "commit", "subject", "diff")):
            continue
        where = (f"commit {entry['commit'][:12]} ({one_line(entry['subject'], 200)!r})"
                 if entry["commit"] else "the edits not committed yet")
        path = entry["cause"][3:].partition("::")[0]
        text = source(path) if source is not None and path else None
        if shown := undone(entry["diff"][:3_000], path, text, form):
            out[entry["cause"]] = (f"\n  The newest change to it, {where}, undone (the code "
                                   f"as it was before it; whether to undo it is yours to "
                                   f"judge):\n{shown}")
    return out


def undone(diff: str, path: str, text: str | None, form: str) -> str:
    """The edit that undoes a unified diff's hunks, in the told `form`: SEARCH/REPLACE
    blocks under the file's path, or a candidate.1 edits list. Each hunk's SEARCH is its
    lines as they are now, trimmed of the context around the changed ones while what is
    left still matches the file (`text`) once. Shown the lines now and before as two
    blocks, Qwen2.5-Coder-1.5B wrote the commit's change again (searched the old lines,
    replaced them with the new) in most samples; shown this, it wrote the fix in 7 of 8
    (stop 61). '' when `diff` has no hunk."""
    pairs = [_trimmed(now, was, text) for now, was in hunks(diff)]
    if not pairs:
        return ""
    if form == "blocks":
        return f"{one_line(path, 300)}\n" + "\n".join(
            f"<<<<<<< SEARCH\n{now}\n=======\n{was}\n>>>>>>> REPLACE" for now, was in pairs)
    return json.dumps({"file_path": path, "edits": [{"search": now + "\n", "replace": was + "\n"}
                                                    for now, was in pairs]})


def hunks(diff: str) -> list[tuple[list[str], list[str]]]:
    """Each hunk of a unified diff as (its lines now, its lines before)."""
    out = []
    for hunk in re.split(r"^(?=@@ )", diff, flags=re.MULTILINE):
        head, _, body = hunk.partition("\n")
        if re.match(r"@@ -\d+(?:,\d+)? \+\d+", head) is None:
            continue
        lines = body.split("\n")
        out.append(([ln[1:] for ln in lines if ln[:1] in (" ", "+")],
                    [ln[1:] for ln in lines if ln[:1] in (" ", "-")]))
    return out


def _trimmed(now: list[str], was: list[str], text: str | None) -> tuple[str, str]:
    """A hunk's (now, before) with shared context lines taken off both ends while the
    lines now, so shortened, still match `text` exactly once (all context is kept where
    the file is not known) and one line is left of each side."""
    def unique(lines: list[str]) -> bool:
        return text is not None and bool(lines) and text.count("\n".join(lines) + "\n") == 1
    while len(now) > 1 and len(was) > 1 and now[0] == was[0] and unique(now[1:]):
        now, was = now[1:], was[1:]
    while len(now) > 1 and len(was) > 1 and now[-1] == was[-1] and unique(now[:-1]):
        now, was = now[:-1], was[:-1]
    return "\n".join(now), "\n".join(was)


def fenced(text: str, lang: str) -> str:
    """`text` in a code fence longer than any run of backticks in it."""
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall("`+", text)), default=0))
    return f"{fence}{lang}\n{text.rstrip(chr(10))}\n{fence}"


def _shown_code(text: str | None, symbol: str, room: int) -> str:
    """`symbol`'s code for the section (from its own line on), '' when it cannot be shown:
    a file not shown, a symbol it does not define, no room left."""
    code = code_of(text, symbol, max_chars=min(room, 3_000)) if text and room > 200 else None
    if code is None or not code.text:
        return ""
    ends = code.first + code.text.count("\n") - 1
    of = f" of {code.first}-{code.last}" if code.cut else ""
    return (f" (lines {code.first}-{ends}{of}, as the file has them now):\n"
            f"{fenced(code.text, 'python')}")
