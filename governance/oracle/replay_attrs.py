"""An object's attributes as the replay runner varies them (governance.oracle.replay_values'
neighbours, governance.oracle.replay_bounds' boundary values): read and set where they are
held, in the object's __dict__ or in a slot, never through a setter (which may refuse the
value an input needs, or do more than set it); a property whose getter only returns another
attribute (`return self._day`) is varied through that attribute.

Why slots and properties: hijridate's `Hijri` keeps its date in `__slots__` behind read-only
properties, so its objects had no neighbours and the boundary values computed for
`self.day` (1, 0, 2) could not be placed; a careless `_check_date` that dropped `1 <= day`
landed (wave 10). Only a getter that plainly returns one attribute is read through: what
any other getter computes cannot be set by setting what it reads.

Copied into a run's private plugin directory as `_ouroboros_attrs` (governance.oracle.
run_dir) beside the runner, and imported there before the tree under test is on sys.path:
it imports only the standard library and runs on Python 3.9 and later.
"""

import ast
import functools
import inspect
import textwrap


def held(obj, name):
    """The name of the attribute of `obj` that holds what `obj.<name>` reads: `name` where
    its __dict__ or a filled slot holds it; the attribute a plain property of its class
    (`returned`) returns, where that one is held so; else None."""
    if _holds(obj, name):
        return name
    under = returned(type(obj), name)
    return under if under is not None and _holds(obj, under) else None


def read(obj, name):
    """The value `obj.<name>` reads, from where it is held (AttributeError where it is not
    held: a computed property is no attribute to vary)."""
    where = held(obj, name)
    if where is None:
        raise AttributeError(name)
    return getattr(obj, where)


def put(obj, name, value):
    """Set the held attribute `name` of `obj` (an attribute `held` named): in its __dict__,
    or through the slot's own descriptor, so that no __setattr__ or setter of the class
    runs (a frozen object is varied as a caller could have built it)."""
    space = getattr(obj, "__dict__", None)
    if isinstance(space, dict) and name in space:
        space[name] = value
    else:
        object.__setattr__(obj, name, value)


_PLAIN = (bool, int, float, str, bytes)


def shadowed(obj, names):
    """(name, value) of the plain values (a number, a text, bytes) `obj` reads from its
    class under the `names` the code reads: each may be held in `obj`'s own __dict__ instead,
    as an object of a class that set it otherwise would read it. crccheck's CRC classes
    keep their `_width` as a class attribute, and no captured receiver was one of width 8,
    where `process`'s branch turns (wave 29). Each keeps its kind when varied
    (replay_values): a class that sets another width sets an int, and a width of 4.7
    refused crccheck's correct `(width + 7) // 8`. None for an object with no __dict__."""
    space = getattr(obj, "__dict__", None)
    if not isinstance(space, dict):
        return []
    out = []
    for name in sorted(names):
        if name in space or name.startswith("__"):
            continue
        try:
            value = inspect.getattr_static(type(obj), name)
        except (AttributeError, Exception):
            continue
        if type(value) in _PLAIN:
            out.append((name, value))
    return out


def _holds(obj, name):
    space = getattr(obj, "__dict__", None)
    if isinstance(space, dict) and name in space:
        return True
    return name in slots(type(obj)) and hasattr(obj, name)


def slots(cls):
    """The names of the slots `cls` and its bases declare (a lone name written as a text
    is one slot), but __dict__ and __weakref__."""
    out = set()
    for c in getattr(cls, "__mro__", ()):
        declared = c.__dict__.get("__slots__", ())
        out.update([declared] if isinstance(declared, str) else
                   [s for s in declared if isinstance(s, str)])
    return out - {"__dict__", "__weakref__"}


@functools.lru_cache(maxsize=256)  # asked for every input varied on an object of the class
def returned(cls, name):
    """The attribute a property `name` of `cls` returns where its getter's body is only
    `return self.<attr>` (a docstring beside it); else None."""
    try:
        prop = inspect.getattr_static(cls, name, None)
    except Exception:  # an odd class (a metaclass that refuses the lookup)
        return None
    if not isinstance(prop, property) or prop.fget is None:
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(prop.fget)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return None  # no source to read (built in C, made by exec): not plain
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not fn.args.args:
        return None
    body = fn.body[1:] if fn.body and _docstring(fn.body[0]) else fn.body
    value = body[0].value if len(body) == 1 and isinstance(body[0], ast.Return) else None
    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) \
            and value.value.id == fn.args.args[0].arg and not value.attr.startswith("__"):
        return value.attr
    return None


def _docstring(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)
