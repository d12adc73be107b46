"""What a failing test's own call ran in the library, for a repair's prompt: a failure
asserted in the test's frame names the test's own call (`sqlparse.split`), and the fix lies
below it (sensors.failure_calls records the calls in the jail: evidence `called`).

Issue 50's stop 64: shown only `split`, Qwen2.5-Coder-1.5B edited `split` or the test. So
the section names every function the call ran, in the order first called, indented by
depth (the call tree as entered), and shows the code of the innermost ones that do work,
taken from the innermost end until the budget is spent (the outer ones are named only):
the statement splitter's `_change_splitlevel` and the lexer's `get_tokens`, not the
entry's plumbing. Construction (`__init__`, dunders) and one-line helpers are named, not
shown. Pure: evidence and texts in, text out.
"""

from __future__ import annotations

from governance.brains.reached_code import Source, code_of, fenced
from governance.memory.lessons import one_line

MAX_NAMED = 30  # call-tree lines
MIN_LINES = 4  # a def shorter than this (a getter, a one-line helper) is named, not shown
MAX_DEPTH_INDENT = 8


def called_functions(evidence: dict) -> list[tuple[str, int]]:
    """The evidence's `called` entries as (`fn:<file>::<name>`, depth), well-formed ones."""
    raw = evidence.get("called")
    out = []
    for entry in raw if isinstance(raw, list) else ():
        fn, depth = (entry.get("fn"), entry.get("depth")) if isinstance(entry, dict) \
            else (None, None)
        if isinstance(fn, str) and fn.startswith("fn:") and "::" in fn \
                and type(depth) is int and depth > 0:
            out.append((fn, depth))
    return out


def below(calls: list[tuple[str, int]], causes: frozenset[str]) -> list[tuple[str, int]]:
    """The calls under a cause's first entry (those after it, deeper than it, until the
    call tree returns to its depth): what the reached function ran first. Calls are
    recorded at their first entry only, so a function it ran that an earlier call of the
    test had entered is not under it. [] when no cause was entered or nothing was first
    entered under it: semver's db55f27cb7c3 reached `__hash__`, whose `to_tuple` had run
    under `__eq__` already; shown the code the test's other calls ran (`ensure_str`,
    `parse`), the 1.5B model copied that back in 6 of 16 replies."""
    out: list[tuple[str, int]] = []
    for n, (fn, depth) in enumerate(calls):
        if fn not in causes:
            continue
        for inner, d in calls[n + 1:]:
            if d <= depth:
                break
            out.append((inner, d))
    return list(dict.fromkeys(out))


def _worth_showing(fn: str) -> bool:
    name = fn.rpartition("::")[2].rpartition(".")[2]
    return not (name.startswith("__") and name.endswith("__")) and "<" not in fn


def chosen(evidence: dict, source: Source | None, room: int,
           skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """fn -> its code section, for the innermost called functions that fit `room`
    (characters), taken from the last entered back; `skip`: causes shown already."""
    if source is None:
        return {}
    out: dict[str, str] = {}
    for fn, _ in reversed(below(called_functions(evidence), skip)):
        if fn in skip or fn in out or not _worth_showing(fn) or room <= 200:
            continue
        path, _, name = fn[3:].partition("::")
        text = source(path)
        code = code_of(text, name, max_chars=min(room, 3_000)) if text else None
        if code is None or code.last - code.first + 1 < MIN_LINES or code.cut:
            continue
        block = (f"- {one_line(path, 200)}, function {one_line(name, 200)} (lines "
                 f"{code.first}-{code.last}):\n{fenced(code.text, 'python')}")
        if len(block) > room:
            continue
        out[fn] = block
        room -= len(block)
    return out


def called_files(evidence: dict, source: Source | None, room: int,
                 skip: frozenset[str] = frozenset()) -> list[str]:
    """The files of the called functions whose code the section shows, in call order."""
    shown = chosen(evidence, source, room, skip)
    return list(dict.fromkeys(fn[3:].partition("::")[0] for fn in shown))


def called_section(evidence: dict, source: Source | None, room: int,
                   skip: frozenset[str] = frozenset()) -> str:
    """The call tree under the reached function (`skip`: the causes, shown already) and the
    innermost functions' code; '' when the evidence names no calls under a cause."""
    calls = [c for c in called_functions(evidence) if c[0] in skip]
    calls = [*calls[:1], *below(called_functions(evidence), skip)]
    if len(calls) < 2:  # no cause entered, or it ran nothing below it
        return ""
    tree = [f"{'  ' * (min(depth, MAX_DEPTH_INDENT) - 1)}- "
            f"{one_line(fn[3:].replace('::', ' '), 200)}" for fn, depth in calls[:MAX_NAMED]]
    more = len(calls) - MAX_NAMED
    shown = chosen(evidence, source, room, skip)
    text = ("## What the failing test's call ran in the library\nThe failure is asserted in "
            "the test itself: the wrong result may come from any function its call ran. "
            "In the order first called, indented by depth:\n" + "\n".join(tree)
            + (f"\n(+{more} more)" if more > 0 else ""))
    if shown:
        text += ("\nThe innermost of them, as the file has them now (a search text copied "
                 "from them matches):\n" + "\n".join(
                     shown[fn] for fn in dict.fromkeys(f for f, _ in calls) if fn in shown))
    return text
