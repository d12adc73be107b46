"""What a refusal's evidence looks like on a terminal, under a transition, a thought or a
review: failing tests' texts (governance.oracle.failure_text) and the lines a gate changed
in the candidate (governance.gates.ascii_gate's repairs). Anything not in the form the
ledger's writers use is skipped: the ledger holds what older or other versions wrote."""

from __future__ import annotations

import re
from typing import Any

# Failure texts (governance.oracle.failure_text) under a transition or thought: each
# failing test's message and the end of its traceback and output; --json shows them whole.
FAILURES_SHOWN = 5
MESSAGE_SHOWN_LINES, TAIL_SHOWN_LINES, OUTPUT_SHOWN_LINES = 4, 6, 3
FAILURE_LINE_CHARS = 200
# What a test printed reaches the human's terminal: no escape sequences, no bidi controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e"
                      r"\u2066-\u2069]")


def failure_block(failures: Any, indent: str = "       ") -> str:
    """The lines of a payload's `failures`, or '' (anything not in their form is skipped:
    the ledger holds what older or other versions wrote)."""
    if not isinstance(failures, list):
        return ""
    entries = [f for f in failures if isinstance(f, dict) and isinstance(f.get("test"), str)]
    lines: list[str] = []
    for f in entries[:FAILURES_SHOWN]:
        message = _shown_lines(f.get("message"), MESSAGE_SHOWN_LINES, head=True)
        test = _CONTROL.sub("?", f["test"])[:FAILURE_LINE_CHARS]
        lines.append(f"{indent}FAILED {test}: " + (message[0] if message else "?"))
        lines += [f"{indent}    {line}" for line in message[1:]]
        lines += [f"{indent}  | {line}" for line in _shown_lines(f.get("tail"),
                                                                 TAIL_SHOWN_LINES)]
        lines += [f"{indent}  > {line}" for line in _shown_lines(f.get("output"),
                                                                 OUTPUT_SHOWN_LINES)]
    if len(entries) > FAILURES_SHOWN:
        lines.append(f"{indent}... {len(entries) - FAILURES_SHOWN} more failing tests "
                     "(ouroboros ledger OP --json shows all)")
    return "".join(f"\n{line}" for line in lines)


def _shown_lines(text: Any, count: int, head: bool = False) -> list[str]:
    """The first (head) or last `count` non-blank lines of `text`, each cut to a width."""
    if not isinstance(text, str):
        return []
    text = _CONTROL.sub("?", text.replace("\r\n", "\n").expandtabs(4))
    lines = [line[:FAILURE_LINE_CHARS] for line in text.split("\n") if line.strip()]
    return lines[:count] if head else lines[-count:]


REPAIRS_SHOWN = 5


def repairs_block(repairs: Any, indent: str = "       ", by: str = "the ASCII gate") -> str:
    """The lines a gate changed in a candidate (GENERATE's `ascii_repairs`; `by` the
    repository's linter: VALIDATE's `lint.rewritten`): each file:line with its text
    before and after (a side that is null: the line was added, or removed), or ''."""
    if not isinstance(repairs, list):
        return ""
    entries = [r for r in repairs if isinstance(r, dict) and isinstance(r.get("file"), str)]
    if not entries:
        return ""
    lines = [f"{indent}{by} changed {len(entries)} line(s) of the candidate:"]
    for r in entries[:REPAIRS_SHOWN]:
        where = _CONTROL.sub("?", f"{r['file']}:{r.get('line', '?')}")[:FAILURE_LINE_CHARS]
        lines.append(f"{indent}  {where}")
        lines += [f"{indent}    {label} {_ascii(r.get(key))}"
                  for label, key in (("-", "before"), ("+", "after"))
                  if key not in r or r[key] is not None]
    if len(entries) > REPAIRS_SHOWN:
        lines.append(f"{indent}  ... {len(entries) - REPAIRS_SHOWN} more (ledger OP --json)")
    return "".join(f"\n{line}" for line in lines)


def _ascii(text: Any) -> str:
    """A repaired line as escapes: what was changed must be visible, never rendered (a
    confusable or a bidi control shows as \\u2026, not as itself)."""
    if not isinstance(text, str):
        return "?"
    return text.strip()[:FAILURE_LINE_CHARS].encode("ascii", "backslashreplace").decode()
