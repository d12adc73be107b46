"""Where a value a function compares comes from: which parameter, and the way from it
(an attribute, an item, a length, a number written in a text, an element or key looped
over), through the locals assigned or looped over from it, in source order; and the value
of a constant expression. governance.proof.boundaries reads a function's comparisons
through it.

Pure: trees in, values out.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from governance.proof.ast_helpers import is_docstring

Step = tuple[object, ...]  # ("attr", name) | ("item", key) | ("len",) | ("digits",)
# | ("each",) (an element of a list, a value of a dict) | ("key",)
# (a dict's key) | ("ord",) (a character's code point: the boundary is the character)
Source = tuple[str, tuple[Step, ...]]  # a parameter, and the way from it to a value

_CONVERSIONS = frozenset({"int", "float", "str", "Decimal", "abs", "round", "list", "tuple",
                          "sorted", "set", "frozenset"})
_TEXT_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "casefold", "title",
                           "capitalize"})
_MATCHES = frozenset({"match", "fullmatch", "search"})
_PIECES = frozenset({"partition", "rpartition", "split", "rsplit", "splitlines"})


def literal(node: ast.AST) -> object:
    """A literal's value (`frozenset({...})` as its set too); None for anything else."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in ("frozenset", "set", "tuple") and len(node.args) == 1:
        node = node.args[0]
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None


_FOLDED = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}


def _folded(e: ast.BinOp, tables: Mapping[str, object]) -> object:
    """Arithmetic on two constant numbers (hsluv's white bound `l > 100-1e-7`); None where
    a side is no number or the sum cannot be taken."""
    left, right = constant(e.left, tables), constant(e.right, tables)
    if not all(isinstance(v, int | float | Decimal) and not isinstance(v, bool)
               for v in (left, right)):
        return None
    with contextlib.suppress(ArithmeticError, TypeError, ValueError):
        return _FOLDED[type(e.op)](left, right)
    return None


class Flow:
    """Which parameter an expression's value comes from, and the way there: the def's
    parameters, and the locals assigned (or looped over) from them, in source order."""

    def __init__(self, node: ast.AST, accessors: Mapping[str, ast.AST] | None = None):
        a = node.args  # type: ignore[attr-defined]
        self.params = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
        first = (*a.posonlyargs, *a.args)[:1]
        self.receiver = first[0].arg if first else None
        self.accessors = accessors or {}
        self.locals: dict[str, Source] = {}
        # `self.x = f(param)`: what the method's own code set on its receiver, read back
        # later in it (multipart's `self.boundary = to_bytes(boundary)` then its length
        # compared, wave 13), by the attribute's name
        self.attrs: dict[str, Source] = {}
        binds = [n for n in ast.walk(node) if isinstance(n, ast.Assign | ast.AnnAssign
                                                         | ast.NamedExpr | ast.For
                                                         | ast.comprehension)]
        for n in sorted(binds, key=position):
            target = n.targets[0] if isinstance(n, ast.Assign) else n.target
            for name, found in self._bound(n, target):
                if found and isinstance(name, ast.Name) and name.id not in self.params:
                    self.locals.setdefault(name.id, found)
                elif found and self._own(name):
                    self.attrs.setdefault(name.attr, found)  # type: ignore[attr-defined]

    def _bound(self, n: ast.AST, target: ast.AST) -> list[tuple[ast.AST, Source | None]]:
        """The names an assignment or a loop binds, each with where its value comes from."""
        if isinstance(n, ast.For | ast.comprehension):
            looped = self._looped(target, n.iter)
            if looped is not None:
                return looped
            return [(target, then(self.source(n.iter), ("item", 0)))]  # the first item
            # stands for all
        value = n.value  # type: ignore[attr-defined]
        each = self._each_of(target, value)
        pairs = zip(target.elts, each, strict=True) if each else [(target, value)]
        return [(name, self.source(expr)) for name, expr in pairs]

    def _each_of(self, target: ast.AST, value: ast.AST) -> list[ast.AST] | None:
        """What each name of `a, b = ...` is bound from: `int(x), int(y)` each its own;
        a call given one tuple of parameters as long (configobj's `(min_val, max_val) =
        _is_num_param(names, (min, max), to_float=True)` converts each), each from its
        own there; None for any other assignment."""
        if not isinstance(target, ast.Tuple | ast.List):
            return None
        n = len(target.elts)
        if isinstance(value, ast.Tuple) and len(value.elts) == n:
            return value.elts
        if not isinstance(value, ast.Call):
            return None
        held = [a.elts for a in value.args if isinstance(a, ast.Tuple | ast.List)
                and len(a.elts) == n and any(self.source(e) for e in a.elts)]
        return held[0] if len(held) == 1 else None

    def _looped(self, target: ast.AST, it: ast.AST) -> list[tuple[ast.AST, Source | None]] | None:
        """A loop over a collection's elements: `for i, x in enumerate(xs)` (x: each of
        xs), `for k, v in d.items()` (k: a key of d, v: each of its values), `for v in
        d.values()`, `for k in d.keys()`; None for any other loop."""
        if not isinstance(it, ast.Call):
            return None
        how = it.func.id if isinstance(it.func, ast.Name) else \
            it.func.attr if isinstance(it.func, ast.Attribute) else None
        pair = isinstance(target, ast.Tuple) and len(target.elts) == 2
        if how == "enumerate" and it.args and pair:
            return [(target.elts[1], then(self.source(it.args[0]), ("each",)))]
        if not isinstance(it.func, ast.Attribute) or it.args:
            return None
        inner = self.source(it.func.value)
        if how == "items" and pair:
            return [(target.elts[0], then(inner, ("key",))),
                    (target.elts[1], then(inner, ("each",)))]
        if how in ("values", "keys") and not pair:
            return [(target, then(inner, ("each",) if how == "values" else ("key",)))]
        return None

    def _own(self, e: ast.AST) -> bool:
        """Whether `e` is an attribute of the receiver (`self.x`)."""
        return isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) \
            and self.receiver is not None and e.value.id == self.receiver

    def source(self, e: ast.AST | None) -> Source | None:
        if isinstance(e, ast.Name):
            return (e.id, ()) if e.id in self.params else self.locals.get(e.id)
        if self._own(e) and e.attr in self.attrs:  # type: ignore[union-attr]
            return self.attrs[e.attr]  # type: ignore[union-attr]
        if isinstance(e, ast.Attribute):
            return then(self.source(e.value), ("attr", e.attr))
        if isinstance(e, ast.Subscript):
            if isinstance(e.slice, ast.Slice) or _piece(e.value):
                return self.source(_piece(e.value) or e.value)  # a slice or a piece of it
                # (`path.partition("/")[0]`): near enough to what it holds
            return then(self.source(e.value), _item(constant(e.slice, {})))
        if isinstance(e, ast.BoolOp) and isinstance(e.op, ast.Or):  # `m.group(2) or 0`
            return next(filter(None, map(self.source, e.values)), None)
        return self._through_call(e) if isinstance(e, ast.Call) else None

    def _through_call(self, e: ast.Call) -> Source | None:
        name = e.func.id if isinstance(e.func, ast.Name) else \
            e.func.attr if isinstance(e.func, ast.Attribute) else None
        if name == "len" and isinstance(e.func, ast.Name) and e.args:
            return then(self.source(e.args[0]), ("len",))
        if (name in _CONVERSIONS or _converts(e)) and e.args:
            return self.source(e.args[0])
        if name == "ord" and isinstance(e.func, ast.Name) and e.args:  # a character's code
            return then(self.source(e.args[0]), ("ord",))
        if isinstance(e.func, ast.Attribute) and name in _TEXT_METHODS:
            return self.source(e.func.value)
        if isinstance(e.func, ast.Attribute) and name == "get" and e.args:
            return then(self.source(e.func.value), _item(constant(e.args[0], {})))
        if isinstance(e.func, ast.Attribute) and name in _MATCHES and e.args:
            # `PATTERN.match(text)` or `re.match(pattern, text)`: what its groups read
            # (`int(m.group(1))`) is a number inside the text
            text = e.args[1] if len(e.args) > 1 and isinstance(e.func.value, ast.Name) \
                and e.func.value.id == "re" else e.args[0]
            return then(self.source(text), ("digits",))
        if isinstance(e.func, ast.Attribute) and name == "group":
            return self.source(e.func.value)
        return self._accessed(e)

    def _accessed(self, e: ast.Call) -> Source | None:
        """`self.m()` where `m`, a method of the same class, only returns an expression of
        its own `self` (pyasn1's `asNumbers` returns `tuple(self._value)`): the way to what
        it returns, from this function's receiver."""
        func = e.func
        if e.args or e.keywords or not isinstance(func, ast.Attribute) \
                or not isinstance(func.value, ast.Name) or func.value.id != self.receiver \
                or func.attr not in self.accessors:
            return None
        accessor = self.accessors[func.attr]
        body = [s for s in accessor.body if not is_docstring(s)]  # type: ignore[attr-defined]
        if len(body) != 1 or not isinstance(body[0], ast.Return):
            return None
        inner = Flow(accessor)  # no accessors of its own: one step, never a loop
        found = inner.source(body[0].value)
        if found is None or found[0] != inner.receiver:
            return None
        return (self.receiver, found[1]) if self.receiver else None


def _converts(e: ast.Call) -> bool:
    """A helper called by name with one argument and named as a conversion of it
    (`to_bytes(x)`, `as_text(x)`): its value is that argument's, in another type."""
    return isinstance(e.func, ast.Name) and e.func.id.startswith(("to_", "as_")) \
        and len(e.args) == 1 and not e.keywords


def _piece(e: ast.AST) -> ast.AST | None:
    """The text `e` cuts into pieces (`x.partition(sep)`, `x.split(sep)`...), else None."""
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) \
            and e.func.attr in _PIECES:
        return e.func.value
    return None


def then(inner: Source | None, step: Step | None) -> Source | None:
    """The way to `inner`, one step further."""
    return None if inner is None or step is None else (inner[0], (*inner[1], step))


def _item(key: object) -> Step | None:
    return ("item", key) if isinstance(key, int | str) and not isinstance(key, bool) else None


def position(n: ast.AST) -> tuple[int, int]:
    at = n if hasattr(n, "lineno") else n.target  # a comprehension has no position
    return at.lineno, at.col_offset


def constant(e: ast.AST | None, tables: Mapping[str, object]) -> object:
    """The value of a constant expression: a literal, `-n`, `Decimal("0.5")` (as a Decimal),
    a name the module binds to a literal, arithmetic on numbers of these (`100 - 1e-7`);
    None for anything else."""
    if isinstance(e, ast.BinOp) and type(e.op) in _FOLDED:
        return _folded(e, tables)
    if isinstance(e, ast.Name):
        return tables.get(e.id)
    if isinstance(e, ast.Attribute) and e.attr.isupper():  # `self.LIMIT`: a class's table
        return tables.get(e.attr)
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name | ast.Attribute) \
            and getattr(e.func, "id", getattr(e.func, "attr", "")) == "Decimal" \
            and len(e.args) == 1 and isinstance(e.args[0], ast.Constant):
        with contextlib.suppress(InvalidOperation, TypeError, ValueError):
            return Decimal(str(e.args[0].value))
        return None
    if e is None or (isinstance(e, ast.Constant) and (e.value is None
                                                     or isinstance(e.value, bool))):
        return None
    value = literal(e)
    return None if isinstance(value, bool) else value
