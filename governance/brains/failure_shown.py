"""How a repair's first failing test fails, for its prompt: the statement that failed and
what the test run said.

The goal names the failing tests, and a goal's line is capped, so a prompt said which tests
failed but not how: in the first hour on semver the assertion (`assert '3.5.5' == '3.5.0'`)
was cut off after the fifth test's name, and Qwen2.5-Coder-1.5B, shown the function and the
change that broke it but not what the test expected, wrote that change again. The
sensor's evidence holds the failure (`where`, `message`, `test_id`: sensors.test_failure);
this shows it, the failing statement as the test file has it and the message fenced as
data (it is the test run's text). Pure: evidence and file texts in, text out; a signal
without a failure message shows nothing.
"""

from __future__ import annotations

import ast
import re

from governance.brains.reached_code import Source, fenced
from governance.memory.lessons import one_line
from governance.python_ast import parse_python

MESSAGE_LINES, MESSAGE_CHARS = 16, 1_200
STATEMENT_LINES = 8


def failure_section(evidence: dict, source: Source | None) -> str:
    """'## How the first failing test fails': its id and place, the statement at that
    line (with a `source`), and the message; '' when the evidence holds no message."""
    message = evidence.get("message")
    if not isinstance(message, str) or not message.strip():
        return ""
    test, where = evidence.get("test_id"), evidence.get("where")
    head = one_line(test, 300) if isinstance(test, str) and test else "The first failing test"
    at = f" at {one_line(where, 300)}" if isinstance(where, str) and where else ""
    parts = [f"## How the first failing test fails\n{head} fails{at}:"]
    if isinstance(where, str) and source is not None and (shown := _statement(where, source)):
        parts.append(fenced(shown, "python"))
    lines = message.strip("\n").splitlines()[:MESSAGE_LINES]
    parts.append(fenced("\n".join(lines)[:MESSAGE_CHARS], "text"))
    return "\n".join(parts)


def _statement(where: str, source: Source) -> str:
    """The statement of a Python file at `path:line` (its whole lines, a few at most), or
    the line itself where the file does not parse; '' where it cannot be read."""
    m = re.fullmatch(r"(.+?):(\d+)", where.strip())
    if m is None:
        return ""
    path, line = m.group(1), int(m.group(2))
    try:
        text = source(path)
    except (OSError, ValueError):
        return ""
    lines = (text or "").splitlines()
    if not 1 <= line <= len(lines):
        return ""
    first, last = line, line
    if path.endswith(".py"):
        try:
            tree = parse_python(text or "")
        except (SyntaxError, ValueError, RecursionError):
            tree = None
        spans = [(n.lineno, n.end_lineno or n.lineno) for n in ast.walk(tree or ast.Module())
                 if isinstance(n, ast.stmt) and not isinstance(n, ast.FunctionDef | ast.ClassDef
                                                               | ast.AsyncFunctionDef)
                 and n.lineno <= line <= (n.end_lineno or n.lineno)
                 and not _compound(n)]
        if spans:
            first, last = max(spans)  # the innermost simple statement holding the line
    return "\n".join(lines[first - 1:min(last, first + STATEMENT_LINES - 1)])


def _compound(node: ast.stmt) -> bool:
    """A statement with a body of statements (if, for, with, try, ...)."""
    return any(isinstance(getattr(node, f, None), list) and getattr(node, f)
               and isinstance(getattr(node, f)[0], ast.stmt)
               for f in ("body", "orelse", "finalbody", "handlers"))
