"""Whether the inputs reached a moved boundary: a tripwire at each comparison a preserve
change made strict or non-strict (governance.proof.mutant_shaped's "`>` to `>=`").

Such a change differs from its base only where the comparison's two sides are equal, and a
preserve refactor shaped like a mutant waits for review because, on libraries the rules
were not grown on, no input went there (a length bound made inclusive landed). But a
correct one waits too: crccheck's `process` widened to `>=` where the branch does nothing
at the boundary, pychord's bass lowered at `>=` where the two are never equal (wave 29).
So the candidate's comparison gets one more switched expression beside its mutants (the
replay runner answers the inputs with it on, as it does with each mutant, governance.
oracle.replay_mutants): the comparison as written, through the runner's `boundary`, which
raises where its strict and non-strict forms part in the outermost call of the function (a recursion
that meets the boundary deeper is not the input compared: fastjsonschema's `walk`, wave
11). An input that sets it off reached the boundary, and both trees answered it alike
(the check compares only inputs both answered); a shape all of whose moved
boundaries were reached so is no longer a reason to wait. A tripwire says nothing of the
line's tests: it is no mutant of the line (governance.proof.noticed leaves it out).

Pure: texts and trees in, data out. Only a comparison of one operator, alone of its kind
on its line in the function, is wired; any other stays a mutant's shape.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from governance.proof.ast_diff import functions
from governance.proof.ast_helpers import parse
from governance.proof.mutant_shaped import Shaped

WHAT = "boundary reached"  # a tripwire's `Mutant.what`: never a mutant of its line
BOUNDARY = "_ouroboros_boundary"  # governance.oracle.replay_mutants.BOUNDARY
FIRST_ID = 200_001  # beside the candidate's mutants (1..) and the base's (100_001..)
_MOVED = {"`>` to `>=`": ast.GtE, "`>=` to `>`": ast.Gt,
          "`<` to `<=`": ast.LtE, "`<=` to `<`": ast.Lt}


@dataclass(frozen=True)
class Wire:
    """One candidate comparison to trip where its sides are equal."""

    id: int
    file: str
    line: int
    col: int
    shape: Shaped


def planned(shaped: Iterable[Shaped], texts: dict[str, str], first_id: int = FIRST_ID
            ) -> list[Wire]:
    """A wire for each boundary moved by one strictness (`texts`: file -> candidate text)."""
    out: list[Wire] = []
    for s in shaped:
        op = _MOVED.get(s.what) if s.path in texts else None
        if op is None:
            continue
        found = _compares(texts[s.path], s.function, s.line, op)
        if len(found) == 1:
            out.append(Wire(first_id + len(out), s.path, s.line, found[0].col_offset, s))
    return out


def waiting(shaped: Sequence[Shaped], wires: Sequence[Wire], tripped: set[int]
            ) -> list[Shaped]:
    """`shaped` less the functions whose every shape is a moved boundary an input reached
    (its wire tripped)."""
    reached = {(w.shape.path, w.shape.function, w.shape.line, w.shape.what)
               for w in wires if w.id in tripped}
    by_function: dict[tuple[str, str], list[Shaped]] = {}
    for s in shaped:
        by_function.setdefault((s.path, s.function), []).append(s)
    return [s for group in by_function.values()
            if not all((g.path, g.function, g.line, g.what) in reached for g in group)
            for s in group]


def located(tree: ast.Module, wires: Sequence[Wire]) -> list[tuple[ast.Compare, Wire]]:
    """The comparison nodes of `tree` (a candidate's, freshly parsed) the wires name."""
    at = {(w.line, w.col): w for w in wires}
    return [(n, at[(n.lineno, n.col_offset)]) for n in ast.walk(tree)
            if isinstance(n, ast.Compare) and (n.lineno, n.col_offset) in at]


def wire(tree: ast.Module, found: Sequence[tuple[ast.Compare, Wire]],
         switched_on: Callable[[int], ast.expr]) -> None:
    """Put `(tripwire if <switch> == id else comparison)` where each found node stands
    (found before the mutants were switched in: a mutant wraps the node, never copies it)."""
    for node, w in found:
        guarded = ast.IfExp(switched_on(w.id), _tripwire(node), node)
        _swap(tree, node, ast.copy_location(guarded, node))


def _tripwire(node: ast.Compare) -> ast.expr:
    """`getattr(__import__('builtins'), BOUNDARY)(L, R, 'op')`: `L op R` through the
    runner's tripwire (governance.oracle.replay_mutants.boundary); no name of the module's."""
    builtins = ast.Call(ast.Name("__import__", ast.Load()), [ast.Constant("builtins")], [])
    helper = ast.Call(ast.Name("getattr", ast.Load()), [builtins, ast.Constant(BOUNDARY)], [])
    return ast.Call(helper, [copy.deepcopy(node.left), copy.deepcopy(node.comparators[0]),
                             ast.Constant(_symbol(node.ops[0]))], [])


def _compares(text: str, function: str, line: int, op: type) -> list[ast.Compare]:
    try:
        fn = functions(parse(text, "candidate")).get(function)
    except ValueError:
        return []
    return [n for n in ast.walk(fn) if isinstance(n, ast.Compare) and n.lineno == line
            and len(n.ops) == 1 and isinstance(n.ops[0], op)] if fn is not None else []


def _symbol(op: ast.cmpop) -> str:
    return {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<="}[type(op)]


def _swap(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        if parent is new:
            continue
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                value[[id(v) for v in value].index(id(old))] = new
                return
