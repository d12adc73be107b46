"""The callers a differential check lifts to when a touched function's own calls cannot be
replayed (its arguments do not pickle: a `re.Match`, a parser, an open file): a function
of the repository seen on the stacks of its calls, whose calls can be replayed and whose
answers carry the touched function's (governance.proof.differential_check).

Pure: a file's text in, a Target out. The inputs generated at a caller are varied towards
the touched function's constants first, then the caller's own: the literals the caller's
text must carry to decide there (`parse('9:30 pm')` is varied to '13:30 pm' by the 12 in
`to_minutes`).
"""

from __future__ import annotations

import ast
import contextlib
from decimal import Decimal
from itertools import zip_longest

from governance.oracle.differential import MAX_CONSTANTS, Target
from governance.proof.behaviour import Scope, _functions, literals

MAX_CALLERS = 4  # lifted to, per touched function: the ones on most of its stacks
_CARRIED_NUMBERS, _CARRIED_WORDS = 12, 8
_CARRIED_PAIRS = 6  # replay_text's _PAIRS: the first name=value pairs of a text
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
    consts = list(reached.constants) + literals(node) + Scope(text).around(node)
    values = tuple(carried_values(reached))
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args,
                              *node.args.kwonlyargs)]
    own = tuple((p, values) for p in params if p not in ("self", "cls"))
    return Target(path, qualname, span, tuple(dict.fromkeys(consts))[:MAX_CONSTANTS],
                  own + forwarded(text, node, reached, set(params)))


def forwarded(text: str, node: ast.AST, reached: Target, own: set[str]
              ) -> tuple[tuple[str, tuple[object, ...]], ...]:
    """Where the caller builds the reached method's object from its own `**kwargs`
    (`handler = _DictSAXHandler(separator, **kwargs)`), each attribute the method tests
    that the class's `__init__` takes by that name is the caller's keyword argument, no
    call of it passed (`strip_whitespace=False`): the attribute's boundary values, passed
    to the caller by that name."""
    kwarg = node.args.kwarg  # type: ignore[attr-defined]
    owner = reached.qualname.rpartition(".")[0]
    init = _functions(text).get(f"{owner}.__init__") if owner else None
    if kwarg is None or init is None or not _builds(node, owner.rpartition(".")[2], kwarg.arg):
        return ()
    takes = {a.arg for a in (*init.args.args, *init.args.kwonlyargs)} - own
    found: dict[str, list[object]] = {}
    for param, values in reached.boundaries:
        for v in values if param in ("self", "cls") else ():
            if isinstance(v, tuple) and len(v) == 3 and v[0] == "attr" and v[1] in takes \
                    and v[2] not in found.get(v[1], ()):
                found.setdefault(str(v[1]), []).append(v[2])
    return tuple((name, tuple(vs)) for name, vs in found.items())


def _builds(node: ast.AST, cls: str, kwarg: str) -> bool:
    """Whether `node` calls `cls` passing its own `**kwarg` on."""
    return any(isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None))
               == cls and any(k.arg is None and isinstance(k.value, ast.Name)
                              and k.value.id == kwarg for k in n.keywords)
               for n in ast.walk(node))


def carried_values(reached: Target) -> list[object]:
    """The boundary values a caller's arguments carry towards what `reached` compares: each
    number it compares or names written into the caller's text (and one either side), each
    word it compares written in its other cases inside the text (`'9:30 PM'` as
    `'9:30 pm'`); where it tests an argument's truth (`if attrs and ...`: an empty
    collection), the text with each of its first `name=value` pairs taken out (an XML
    element left with only its namespace declarations); and the numbers as numbers."""
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
    tested = any(p not in ("self", "cls") and ("value", None) in values
                 for p, values in reached.boundaries)
    unpaired = [("unpaired", i) for i in range(_CARRIED_PAIRS)] if tested else []
    return list(dict.fromkeys(mixed + unpaired + numbers[:_CARRIED_NUMBERS]))


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
