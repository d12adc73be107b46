"""The callers a differential check lifts to when a touched function's own calls cannot be
replayed (its arguments do not pickle: a `re.Match`, a parser, an open file): a function
of the repository seen on the stacks of its calls, whose calls can be replayed and whose
answers carry the touched function's (governance.phases.behaviour_check).

Pure: a file's text in, a Target out. The inputs generated at a caller are varied towards
the touched function's constants first, then the caller's own: the literals the caller's
text must carry to decide there (`parse('9:30 pm')` is varied to '13:30 pm' by the 12 in
`to_minutes`).
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from itertools import zip_longest

from governance.oracle.differential import MAX_CONSTANTS, Target
from governance.proof.behaviour import _functions, _literals, _Scope

MAX_CALLERS = 4  # lifted to, per touched function: the ones on most of its stacks
_CARRIED_NUMBERS, _CARRIED_WORDS = 12, 8
# Captured calls of a caller each carried value goes on: which of them reach the comparison
# is not known (a parser's 100 calls, two of them with a time in the afternoon).
CALLER_SPREAD = 6


def callable_from_outside(qualname: str) -> bool:
    """A nested function, a lambda or a comprehension has no name to call it by."""
    return not any(part.startswith("<") for part in qualname.split("."))


def caller_target(text: str, path: str, qualname: str, reached: Target) -> Target | None:
    """`path::qualname` as a function to replay, its inputs varied towards the constants of
    the function it reaches (`reached`: what decides there) first, then its own, and its
    boundaries those `reached`'s carry (carried_values)."""
    node = _functions(text).get(qualname)
    if node is None or not callable_from_outside(qualname):
        return None
    span = frozenset(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    consts = list(reached.constants) + _literals(node) + _Scope(text).around(node)
    values = tuple(carried_values(reached))
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args,
                              *node.args.kwonlyargs)]
    return Target(path, qualname, span, tuple(dict.fromkeys(consts))[:MAX_CONSTANTS],
                  tuple((p, values) for p in params if p not in ("self", "cls")))


def carried_values(reached: Target) -> list[object]:
    """The boundary values a caller's arguments carry towards what `reached` compares: each
    number it compares or names written into the caller's text (and one either side), each
    word it compares written in its other cases inside the text (`'9:30 PM'` as
    `'9:30 pm'`), and the numbers as numbers."""
    leaves = [v for _, values in reached.boundaries for v in values] + list(reached.constants)
    numbers = list(dict.fromkeys(n for n in map(_whole, leaves) if n is not None))
    words = list(dict.fromkeys(v.strip().lower() for v in leaves
                               if isinstance(v, str) and v.strip()))
    digits = [("digits", m) for n in numbers[:_CARRIED_NUMBERS] for m in (n, n + 1, n - 1)
              if m >= 0]
    cased = [("within", w, form) for w in words[:_CARRIED_WORDS]
             for form in dict.fromkeys((w.upper(), w.lower(), w.title())) if form != w
             or w == w.upper()]
    mixed = [x for pair in zip_longest(digits, cased) for x in pair if x is not None]
    return list(dict.fromkeys(mixed + numbers[:_CARRIED_NUMBERS]))


def _whole(value: object) -> int | None:
    """A whole number a boundary value names, if any (a tagged one by its number)."""
    if isinstance(value, (list, tuple)) and len(value) == 2 and value[0] in ("num", "digits"):
        value = value[1]
    with contextlib.suppress(ValueError, TypeError, ArithmeticError):
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            d = Decimal(str(value))
            if d == d.to_integral_value() and 0 <= d < 10 ** 6:
                return int(d)
    return None
