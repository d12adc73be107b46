"""Which expressions of a function are exact ints whatever its inputs: pure, over the AST.

`int(x)` of an exact int is `x` itself, so a candidate that drops a redundant `int()` (or
adds one) around such an expression changes nothing, though its shape is a mutant's
(governance.proof.mutant_shaped): si-prefix's `split` answering `expof10` instead of
`int(expof10)` waited for review (wave 18) where `expof10` is bound only to `int(...)` of a
logarithm and to floor divisions and products of itself with whole numbers.

An expression is an exact int when it is an int literal (never a bool), a call of the
builtin `int`, `len` or `ord`, or `int.from_bytes` (names the module and the function never
rebind), an item of `struct.unpack(...)` or `struct.unpack_from(...)` whose literal format
gives an integer code at that literal index (the module imports `struct` by that name and
binds it no other way: otpauth's `struct.unpack(">I", ...)[0] & 0x7FFFFFFF` written `%
0x80000000` waited for review, wave 30), a local name every binding of which in the
function is an exact int, or `+ - * // % << >> & | ^` and unary `- + ~` over exact ints
(`**` and `/` are not: a negative power and true division answer floats). Anything else (a
parameter, an attribute, a global, another call) is unknown, and unknown is never an int:
the shape then stands.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_INT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.LShift, ast.RShift,
            ast.BitAnd, ast.BitOr, ast.BitXor)
_INT_UNARY = (ast.USub, ast.UAdd, ast.Invert)
_INT_CALLS = frozenset({"int", "len", "ord"})
_STRUCT = "struct."  # the mark in `calls` that `struct` is the standard module here
_UNPACK = frozenset({"unpack", "unpack_from"})
# a struct format's items: a byte order first, then [count]code; `x` pads and makes none,
# `s` and `p` make one (bytes) whatever their count; these codes make ints (`?` a bool)
_FORMAT = re.compile(r"\s*(\d*)([xcbB?hHiIlLqQnNefdspP])")
_INT_CODES = frozenset("bBhHiIlLqQnNP")


@dataclass(frozen=True)
class ExactInts:
    """What is an exact int in one function: its `names`, the builtin `calls` it may use."""

    names: frozenset[str]
    calls: frozenset[str]

    def holds(self, node: ast.AST) -> bool:
        return is_exact_int(node, self.names, self.calls)


def exact_ints(fn: ast.AST, module: ast.AST) -> ExactInts:
    """What is an exact int in `fn`: the local names that are at every use (each binding
    an exact int, an augmented one by an int operator and an exact int; none bound
    otherwise: a loop target, a `with`, an import, a walrus, a deletion, a global or
    nonlocal name) and the builtins `int` and `len` where nothing rebinds them."""
    bindings: dict[str, list[ast.expr | None]] = {}
    for node in _own_scope(fn):
        for name, value in _bound(node):
            bindings.setdefault(name, []).append(value)
    for node in ast.walk(fn):  # a nested scope's `nonlocal n` rebinds this function's n
        if isinstance(node, ast.Nonlocal):
            for name in node.names:
                bindings.setdefault(name, []).append(None)
    params = {a.arg for a in ast.walk(fn) if isinstance(a, ast.arg)}
    own = set(bindings) | params
    struct = {_STRUCT} if _imported_struct(module) and "struct" not in own else set()
    calls = frozenset(_INT_CALLS - _rebound(module) - own) | struct
    # The greatest set closed under the rule, by induction over the run: each binding's
    # value is made of names that hold, by then, values of earlier bindings (or raise).
    ints = set(bindings) - params
    while True:
        now = {name for name in ints
               if all(v is not None and is_exact_int(v, frozenset(ints), calls)
                      for v in bindings[name])}
        if now == ints:
            return ExactInts(frozenset(ints), calls)
        ints = now


def _own_scope(fn: ast.AST) -> list[ast.AST]:
    """The nodes of `fn`'s own scope: a nested def, class or lambda is named, not entered
    (a name bound only in it is not the function's)."""
    out, todo = [], list(ast.iter_child_nodes(fn))
    while todo:
        node = todo.pop()
        out.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                 ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))
    return out


def is_exact_int(node: ast.AST, names: frozenset[str], calls: frozenset[str]) -> bool:
    """Whether `node` is an exact int, given the exact-int `names` and the builtins
    `calls` not rebound."""
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "from_bytes" and _named(node.func.value, "int", calls)
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in calls \
            and len(node.args) == 1 and not node.keywords \
            and not isinstance(node.args[0], ast.Starred)
    if isinstance(node, ast.Subscript):
        return _STRUCT in calls and _struct_int(node)
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, _INT_OPS) and is_exact_int(node.left, names, calls) \
            and is_exact_int(node.right, names, calls)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, _INT_UNARY) and is_exact_int(node.operand, names, calls)
    return False


def _named(node: ast.AST, name: str, calls: frozenset[str]) -> bool:
    return isinstance(node, ast.Name) and node.id == name and name in calls


def _struct_int(node: ast.Subscript) -> bool:
    """`struct.unpack(FMT, ...)[K]` with the item FMT gives at K an int."""
    call, at = node.value, _index(node.slice)
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr in _UNPACK and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "struct" and call.args
            and isinstance(call.args[0], ast.Constant) and at is not None):
        return False
    fmt = call.args[0].value
    fmt = fmt.decode("ascii", "replace") if isinstance(fmt, bytes) else fmt
    codes = _items(fmt) if isinstance(fmt, str) else None
    return codes is not None and -len(codes) <= at < len(codes) and codes[at] in _INT_CODES


def _index(node: ast.AST) -> int | None:
    """A literal int index (`[0]`, `[-1]`), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _index(node.operand)
        return -inner if inner is not None and isinstance(node.operand, ast.Constant) else None
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _items(fmt: str) -> list[str] | None:
    """The code of each item a struct format unpacks to, or None if it is not one."""
    rest, out = fmt[1:] if fmt[:1] in "@=<>!" else fmt, []
    while rest.strip():
        found = _FORMAT.match(rest)
        if found is None:
            return None
        count, code = int(found.group(1) or 1), found.group(2)
        out += [] if code == "x" else [code] if code in "sp" else [code] * count
        rest = rest[found.end():]
    return out


def _imported_struct(module: ast.AST) -> bool:
    """Whether the module's only binding of `struct` is `import struct`."""
    binds = [node for node in ast.walk(module) for name, _ in _bound(node)
             if name == "struct"]
    stored = any(_stores_struct(n) for n in ast.walk(module))
    plain = all(isinstance(b, ast.Import) and any(a.name == "struct" and a.asname is None
                                                  for a in b.names) for b in binds)
    return bool(binds) and plain and not stored


def _stores_struct(node: ast.AST) -> bool:
    """`struct = ...`, `struct.unpack = ...` or `setattr(struct, ...)`: the module rebinds
    or patches it, and its items are then whatever the patch answers."""
    if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del)):
        target = node.value if isinstance(node, ast.Attribute) else node
        return isinstance(target, ast.Name) and target.id == "struct"
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id in ("setattr", "delattr") and bool(node.args) \
        and isinstance(node.args[0], ast.Name) and node.args[0].id == "struct"


def _bound(node: ast.AST) -> list[tuple[str, ast.expr | None]]:
    """(name, the expression bound to it, or None where that is not one expression)."""
    if isinstance(node, ast.Assign):
        return [(t.id, node.value if len(node.targets) == 1 else None)
                for t in node.targets if isinstance(t, ast.Name)] + _others(node.targets)
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [(node.target.id, node.value)]
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        op = node.value if isinstance(node.op, _INT_OPS) else None
        return [(node.target.id, op)]
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return _unknown([node.target])
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return _unknown([i.optional_vars for i in node.items if i.optional_vars])
    if isinstance(node, ast.NamedExpr):
        return [(node.target.id, None)]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [((a.asname or a.name).split(".")[0], None) for a in node.names]
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return [(n, None) for n in node.names]
    if isinstance(node, ast.Delete):
        return _unknown(node.targets)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [(node.name, None)]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [(node.name, None)]
    if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:  # `case n:`
        return [(node.name, None)]
    if isinstance(node, ast.MatchMapping) and node.rest:
        return [(node.rest, None)]
    return []


def _others(targets: list[ast.expr]) -> list[tuple[str, ast.expr | None]]:
    """The names inside unpacked targets (`a, b = ...`, `for i, x in ...`): unknown."""
    return [(n.id, None) for t in targets if not isinstance(t, ast.Name)
            for n in ast.walk(t) if isinstance(n, ast.Name)]


def _unknown(targets: list[ast.expr]) -> list[tuple[str, ast.expr | None]]:
    """Every name in `targets`, bound to what no expression says (a loop's items)."""
    return [(n.id, None) for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _rebound(module: ast.AST) -> set[str]:
    """The names the module binds anywhere (a module-level `int = ...`, an import, a def
    of that name), or declares global: any of them may shadow a builtin."""
    return {name for node in ast.walk(module) for name, _ in _bound(node)} | {
        node.id for node in ast.walk(module)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
