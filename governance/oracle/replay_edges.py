"""How near a call passes to the edges of a change, on the base's tree: the search's steer
toward the inputs where a rewritten comparison's two sides meet (governance.proof.edges
names them: the text of each side; the comparisons with those sides are found again in the
text the file runs, which the mutants' switches rewrite).

While a call runs, a trace hook watches only the code objects of the function's file that
hold an edge's line; at that line it reads both sides in the frame and keeps the least
distance between them (two numbers: their difference). The sides are read by a small
interpreter, never by eval: names, constants, arithmetic on numbers, attributes kept as
plain values (an instance's or class's own, a slot, a named tuple's field, never a property
or `__getattr__`), items of the built-in containers under plain keys, and len(), ord() and
abs() of built-in values. So no code of the tree runs for a reading and the answer the
search compares is the one the call gives untraced; anything else is simply not read.

Copied beside the replay runner as `_ouroboros_edges`: standard library only.
"""

import ast
import builtins
import collections
import dis
import inspect
import math
import operator
import os
import sys
import types

_CONTAINERS = (list, tuple, dict, str, bytes, range, set, frozenset)
_KEYS = (int, str, bytes, bool)
_NUMBERS = (int, float, bool)
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_SIGNS = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_CALLS = {"len": (len, _CONTAINERS), "ord": (ord, (str,)), "abs": (abs, _NUMBERS)}
# what a slot, a named tuple's field and the like are: C getters that run no Python code
_PLAIN_GETTERS = (types.MemberDescriptorType, types.GetSetDescriptorType,
                  type(collections.namedtuple("_Pair", "a").a))  # a named tuple's field


class _Unread(Exception):
    """A side that cannot be read without running the tree's code (or is not there)."""


def _name(node, frame):
    for space in (frame.f_locals, frame.f_globals):
        if node.id in space:
            return space[node.id]
    if node.id in _CALLS or not hasattr(builtins, node.id):
        raise _Unread()
    return getattr(builtins, node.id)


def _attribute(obj, name):
    try:
        found = inspect.getattr_static(obj, name)
    except AttributeError:
        raise _Unread() from None
    getter = getattr(type(found), "__get__", None)
    if getter is None:
        return found  # a plain value, the instance's or its class's
    if type(found) in _PLAIN_GETTERS:  # exactly: a class of the tree named like one is not
        return found.__get__(None if isinstance(obj, type) else obj,
                             obj if isinstance(obj, type) else type(obj))
    raise _Unread()  # a property, a method: code of the tree


def _item(container, key):
    if type(container) not in _CONTAINERS or not (type(key) in _KEYS or type(key) is slice):
        raise _Unread()
    return container[key]


def _call(node, frame):
    fn, kinds = _CALLS[node.func.id]
    value = _read(node.args[0], frame)
    if type(value) not in kinds:
        raise _Unread()
    return fn(value)


def _read(node, frame):
    """A side's value in `frame`, or _Unread."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return _name(node, frame)
    if isinstance(node, ast.Attribute):
        return _attribute(_read(node.value, frame), node.attr)
    if isinstance(node, ast.Subscript):
        return _item(_read(node.value, frame), _read(node.slice, frame))
    if isinstance(node, ast.Slice):
        return slice(*(None if p is None else _read(p, frame)
                       for p in (node.lower, node.upper, node.step)))
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _read(node.left, frame), _read(node.right, frame)
        if type(left) not in _NUMBERS or type(right) not in _NUMBERS:
            raise _Unread()
        return _ARITHMETIC[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _SIGNS:
        value = _read(node.operand, frame)
        if type(value) not in _NUMBERS:
            raise _Unread()
        return _SIGNS[type(node.op)](value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _CALLS and len(node.args) == 1 and not node.keywords:
        return _call(node, frame)
    raise _Unread()


def _distance(left, right):
    if type(left) not in _NUMBERS or type(right) not in _NUMBERS:
        return None
    d = abs(float(left) - float(right))
    return d if math.isfinite(d) else None


def _located(text, wanted):
    """{line: [(side, side)]}: where `text` compares two sides of `wanted`."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    at = {}
    for compare in (n for n in ast.walk(tree) if isinstance(n, ast.Compare)):
        sides = [compare.left, *compare.comparators]
        for left, right in zip(sides, sides[1:]):  # noqa: B905, RUF007 (Python 3.9)
            if (ast.unparse(left), ast.unparse(right)) in wanted:
                at.setdefault(compare.lineno, []).append((left, right))
    return at


class Edges:
    """The edges of one function's change (`pairs`: the job's [side, side] texts), where
    its code runs: each comparison of `text` (the file `filename` as loaded, its mutants'
    switches in it or not) with those two sides, at its line; measured call by call."""

    def __init__(self, filename, text, pairs):
        self.filename = filename
        self.at = _located(text, {tuple(p) for p in pairs}) if pairs else {}
        self.codes = {}  # code object -> whether it holds an edge's line
        self.nearest = None

    @classmethod
    def of(cls, fn, file, pairs, loaded_text):
        """`fn`'s edges, where its code is the tree's `file` (`loaded_text(path)`: the text
        that file runs); none where it is not (a property's accessor)."""
        code = getattr(fn, "__code__", None)
        path = getattr(code, "co_filename", "")
        if not pairs or not os.path.normpath(path).endswith(os.sep + os.path.normpath(file)):
            return cls("", "", ())
        try:  # a text too deep to walk, a file gone: no steering, never a failed search
            return cls(path, loaded_text(path), pairs)
        except (OSError, RecursionError, MemoryError, ValueError):
            return cls("", "", ())

    def measured(self, call):
        """(call(), the least distance between an edge's sides while it ran: None where
        no edge was reached or read)."""
        if not self.at:
            return call(), None
        self.nearest = None
        before = sys.gettrace()
        sys.settrace(self._entered)
        try:
            return call(), self.nearest
        finally:
            sys.settrace(before)

    def _entered(self, frame, event, arg):
        code = frame.f_code
        key = (code, code.co_filename)  # equal code objects of two files are two functions
        held = self.codes.get(key)
        if held is None:
            try:  # a hook that raised would end in the call it watches
                held = code.co_filename == self.filename \
                    and any(line in self.at for _, line in dis.findlinestarts(code))
            except Exception:
                held = False
            self.codes[key] = held
        return self._line if held else None

    def _line(self, frame, event, arg):
        if event == "line" and frame.f_lineno in self.at:
            for left, right in self.at[frame.f_lineno]:
                try:
                    d = _distance(_read(left, frame), _read(right, frame))
                except Exception:  # _Unread, or a side not there yet (the timeout's alarm
                    continue  # is a BaseException: it goes on to end the call)
                if d is not None and (self.nearest is None or d < self.nearest):
                    self.nearest = d
        return self._line


def nudgeable(calls, receiver=False):
    """[(call's index, slot)] of the captured calls' arguments a step moves: a whole number
    (no bool), a float, a one-character text; a method's object never."""
    out = []
    for i, (args, kwargs) in enumerate(calls):
        out += [(i, ("a", j)) for j, v in enumerate(args)
                if (j or not receiver) and _steppable(v)]
        out += [(i, ("k", k)) for k, v in sorted(kwargs.items()) if _steppable(v)]
    return out


def _steppable(value):
    return type(value) in (int, float) or (type(value) is str and len(value) == 1)


def nudged(call, slot, step):
    """`call` with the argument at `slot` moved by `step` (a text's character by code
    point, within Unicode's)."""
    args, kwargs = list(call[0]), dict(call[1])
    where, at = slot
    value = args[at] if where == "a" else kwargs[at]
    moved = chr(min(max(ord(value) + step, 0), sys.maxunicode)) if type(value) is str \
        else value + step
    if where == "a":
        args[at] = moved
    else:
        kwargs[at] = moved
    return args, kwargs
