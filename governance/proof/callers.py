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

from collections.abc import Sequence

from governance.oracle.differential import MAX_CONSTANTS, Target
from governance.proof.behaviour import _functions, _literals, _Scope

MAX_CALLERS = 4  # lifted to, per touched function: the ones on most of its stacks


def callable_from_outside(qualname: str) -> bool:
    """A nested function, a lambda or a comprehension has no name to call it by."""
    return not any(part.startswith("<") for part in qualname.split("."))


def caller_target(text: str, path: str, qualname: str, carried: Sequence[object]) -> \
        Target | None:
    """`path::qualname` as a function to replay, its inputs varied towards `carried` (the
    touched function's constants: what decides there) first, then its own."""
    node = _functions(text).get(qualname)
    if node is None or not callable_from_outside(qualname):
        return None
    span = frozenset(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    consts = list(carried) + _literals(node) + _Scope(text).around(node)
    return Target(path, qualname, span, tuple(dict.fromkeys(consts))[:MAX_CONSTANTS])
