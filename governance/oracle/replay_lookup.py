"""How the replay runner finds the function a spec names, on its own tree: by its file and
qualified name (a private method by its mangled name, a property as one function); and a
function defined inside another, rebuilt from this tree's own code object with the free
variables (and defaults) a captured call of it saw (the capture plugin pickles them beside
the call's arguments).

A nested function cannot be reached from outside by name, and what its enclosing function
returns is a function, alike by name on both trees: a change inside it (voluptuous's
`validate_callable` trapping `TypeError` beside `ValueError`) went unjudged. Its calls are
grouped by the closure they came with; each group is one function to the runner, its
inputs generated from that group's calls (a closure's cells are held as captured: they are
what the enclosing call made, not inputs).

Copied into a run's private plugin directory as `_ouroboros_lookup` (governance.oracle.
run_dir); standard library only, Python 3.9 and later.
"""

import base64
import contextlib
import inspect
import os
import pickle
import types

MAX_CLOSURES = 32  # closures a nested function's generated inputs are made for
LOCALS = ".<locals>."


def function_at(root, file, qualname, closure=None):
    """The function object for `qualname` in the module at `file`, unwrapped; a function
    defined inside another rebuilt with `closure`."""
    if LOCALS in qualname:
        return rebuilt(function_at(root, file, enclosing(qualname)), qualname, closure)
    rel = file[len("src/"):] if file.startswith("src/") and os.path.isdir(
        os.path.join(root, "src")) else file
    dotted = rel[:-3].replace("/", ".")
    if dotted.endswith(".__init__"):
        dotted = dotted[:-len(".__init__")]
    module = __import__(dotted, fromlist=["_"])
    owner, parts = module, qualname.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, _mangled(owner, part))
    raw = inspect.getattr_static(owner, _mangled(owner, parts[-1]))
    if isinstance(raw, (staticmethod, classmethod)):
        raw = raw.__func__
    elif isinstance(raw, property):
        return _accessed(raw)
    return inspect.unwrap(raw)


def _accessed(prop):
    """A property as one function: read with the object alone, set with a value too. Its
    getter and setter share one qualified name, so the capture holds calls of both; the
    getter alone answered the setter's calls with a TypeError on both trees, and hpack's
    `int()` dropped from its table size's setter waited for review."""
    getter = inspect.unwrap(prop.fget) if prop.fget is not None else None
    if prop.fset is None:
        return getter
    setter = inspect.unwrap(prop.fset)

    def accessed(obj, *value):
        return setter(obj, *value) if value or getter is None else getter(obj)
    with contextlib.suppress(TypeError, ValueError):  # the setter's names place a value
        accessed.__signature__ = inspect.signature(setter)
    return accessed


def _mangled(owner, name):
    """The name a class stores `name` under: `__check` in class `_Ids` is `_Ids__check`
    (a qualname keeps the name as the code writes it)."""
    if inspect.isclass(owner) and name.startswith("__") and not name.endswith("__"):
        return f"_{owner.__name__.lstrip('_')}{name}"
    return name


def enclosing(qualname):
    """The qualified name of the function a nested one is defined in (the outermost one
    reachable by name): `f.<locals>.g.<locals>.h` is defined, at last, in `f`."""
    return qualname.split(LOCALS, 1)[0]


def groups(calls):
    """[(closure, [(index, call)...])] of a function's captured calls, by the closure each
    came with: the first closure of each kind (the capture plugin's: its free variables'
    types) first, then each kind's second, and so on, so the first few span the kinds; a
    function reached by name has one group, with no closure."""
    out, rank, seen = {}, {}, {}
    for index, call in enumerate(calls):
        closure = call.get("closure")
        if closure not in out:
            kind = call.get("kind")
            seen[kind] = seen.get(kind, 0) + 1
            rank[closure] = (seen[kind], index)
        out.setdefault(closure, []).append((index, call))
    return sorted(out.items(), key=lambda group: rank[group[0]])


def rebuilt(outer, qualname, closure):
    """The function `qualname` defined inside `outer`, made from this tree's own code with
    the free variables and defaults of `closure` (base64 pickle of (cells by name,
    defaults, keyword defaults)); LookupError where this tree defines no such function, or
    one that reads a free variable the captured call's closure did not hold."""
    if closure is None:
        raise LookupError("a nested function cannot be called without its closure")
    outer = inspect.unwrap(outer)
    codes = _codes_in(getattr(outer, "__code__", None), qualname)
    if not codes:
        raise LookupError(f"no function {qualname} in this tree")
    cells, defaults, kwdefaults = pickle.loads(base64.b64decode(closure))
    # two defs of one name (spfpm's `validate`, one under `try`, one under `except`): the
    # one whose free variables the captured closure holds, the first of those
    code = next((c for c in codes if all(n in cells for n in c.co_freevars)), None)
    if code is None:
        missing = [n for n in codes[0].co_freevars if n not in cells]
        raise LookupError(f"{qualname} reads {missing[0]}, which its captured closure lacks")
    function = types.FunctionType(code, outer.__globals__, code.co_name,
                                  tuple(defaults) if defaults else None,
                                  tuple(types.CellType(cells[n]) for n in code.co_freevars))
    function.__kwdefaults__ = dict(kwdefaults) if kwdefaults else None
    function.__qualname__ = qualname
    return function


def _codes_in(code, qualname):
    """The code objects named `qualname` among those `code` holds, at any depth, in the
    order of the source."""
    if code is None:
        return []
    inside = qualname[len(enclosing(qualname)) + len(LOCALS):]
    wanted = [p for p in inside.split(".") if p != "<locals>"]
    found, todo = [], [(code, 0)]
    while todo:
        here, depth = todo.pop(0)
        for const in here.co_consts:
            if not isinstance(const, types.CodeType):
                continue
            if getattr(const, "co_qualname", qualname) == qualname \
                    and const.co_name == wanted[-1] and depth == len(wanted) - 1:
                found.append(const)
            elif depth + 1 < len(wanted) and const.co_name == wanted[depth]:
                todo.append((const, depth + 1))
    return found
