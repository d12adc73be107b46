"""The canonical form of a value a caller can observe, shared by the jailed parts of the
differential check: the replay runner's answers (governance.oracle.replay_runner) and the
call probe of the capture plugin (governance.oracle.capture_plugin).

Copied into a run's private plugin directory as `_ouroboros_canon` (governance.oracle.run_dir)
and imported there before any repository code is on sys.path: it imports only the standard
library and runs on Python 3.9 and later, like the repository's own interpreter may.

`canon(obj)` is a JSON-able form that equal observable states share: types kept (1 is not
1.0, Decimal('1.10') is not Decimal('1.1')), a dict's order kept (iteration order is
observable), a set sorted, an object read by its attributes by name (not the order they
were set in), an in-memory stream by what was written to it, a bound method by its object
(an XML writer holding `stream.write` is the text it wrote), anything else by its repr
without addresses. A lazy value (a generator, a map)
is read for what it yields when `consume` is true (the replay runner owns the value); the
probe inside a live test passes false: the test still needs its items.

How those parts write a call's values as a pickle is governance.oracle.pickler.
"""

import base64
import builtins
import hashlib
import inspect
import io
import itertools
import json
import pickle
import re
import reprlib
import types

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_unpickle import loads
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle.unpickle import loads

# The state of `random` every replayed call and every traced test starts from, on both trees
# (governance.oracle.replay_runner, capture_plugin): two unseeded runs of a random function
# agree by chance, and a candidate drawing alike beside such a base would read as changed.
RANDOM_SEED = 20_491
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_DEPTH, _ITEMS = 8, 200
_BUILTINS = vars(builtins)
# An int wider than this is written as its hex: json writes ints as decimal digits, which
# Python refuses past 4,300 of them (sys.get_int_max_str_digits); 13,000 bits is ~3,900.
_BITS = 13_000


class _Short(reprlib.Repr):
    def repr_int(self, x, level):
        """An int past int-to-text's limit, by its hex's ends (repr would raise)."""
        if x.bit_length() <= _BITS:
            return super().repr_int(x, level)
        h = hex(x)
        return f"{h[:20]}...{h[-8:]} ({x.bit_length()} bits)"


_repr = _Short()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict = 80, 80, 8, 8


def canon(obj, depth=0, stack=(), consume=True):
    """A JSON-able form of `obj` that equal observable states share."""
    return _Walk(consume).form(obj, depth, stack)


class _Walk:
    """One `canon` call's walk. A container or an object that the walk meets again at the
    same depth is written from its first form, where nothing in that form hung on the path
    to it (no `<cycle>` it holds points above it): a receiver
    copied beside the objects that point back at it (configparser's section proxies, each
    holding the parser it was copied from: wave 31) was walked once per proxy, 230,000
    values and half a CPU second an input, and two such inputs spent a function's budget.
    A form kept holds its object, so no id is reused while the walk lasts."""

    def __init__(self, consume):
        self.consume, self.kept, self.low = consume, {}, _NONE

    def form(self, obj, depth, stack):
        if depth > _DEPTH:
            return "<deep>"
        if id(obj) in stack:  # the lowest place on the path a form points back to
            self.low = min(self.low, stack.index(id(obj)))
            return "<cycle>"
        key = (id(obj), depth)
        if key in self.kept:
            return self.kept[key][1]
        outer, self.low = self.low, _NONE
        out = self._form(obj, depth, stack)
        if self.low >= len(stack) and _deep(obj):
            self.kept[key] = (obj, out)
        self.low = min(outer, self.low)
        return out

    def _form(self, obj, depth, stack):
        if isinstance(obj, int) and not isinstance(obj, bool) and obj.bit_length() > _BITS:
            return [type(obj).__name__, hex(obj)]  # past int-to-text's limit: never as digits
        if obj is None or isinstance(obj, (bool, int, str)):
            return [type(obj).__name__, obj]
        if isinstance(obj, float):
            return ["float", repr(obj)]
        if isinstance(obj, (bytes, bytearray, memoryview)):  # a view by its bytes, not "<memory>"
            return [type(obj).__name__, bytes(obj[:4096]).hex()]
        if inspect.ismodule(obj):  # its name: its repr holds its file, in one tree or the other
            return ["module", obj.__name__]
        if obj is _BUILTINS:  # the interpreter's namespace, which the runner itself writes into
            # (its mutant switch, its stable `id`): a table holding it (evalidate's globals after
            # `eval` put `__builtins__` in them) compares by that, never by the runners' own state
            return ["builtins", "<namespace>"]
        inner = (*stack, id(obj))
        kind = f"{type(obj).__module__}.{type(obj).__qualname__}"

        def each(items):
            return [self.form(x, depth + 1, inner) for x in items]
        if isinstance(obj, (list, tuple)):
            return [kind, each(list(obj)[:_ITEMS]), len(obj)]
        if isinstance(obj, dict):  # insertion order is observable (iteration, repr, json)
            return [kind, [each(pair) for pair in list(obj.items())[:_ITEMS]], len(obj)]
        if isinstance(obj, (set, frozenset)):
            return [kind, sorted(each(list(obj)[:_ITEMS]), key=json.dumps), len(obj)]
        if isinstance(obj, BaseException):
            return [kind, self.form(obj.args, depth + 1, inner)]
        if lazy(obj):  # a generator, map, zip...: what it yields is the answer
            return [kind, each(itertools.islice(obj, _ITEMS))] if self.consume else [kind, "<lazy>"]
        if isinstance(obj, (io.StringIO, io.BytesIO)):  # what was written is the answer, and
            # where a reader left it is what the caller's next read starts from
            if obj.closed:
                return [kind, "<closed>"]
            return [kind, self.form(obj.getvalue()[:65536], depth + 1, inner), obj.tell()]
        owner = getattr(obj, "__self__", None)
        if isinstance(obj, (types.MethodType, types.BuiltinMethodType)) and owner is not None \
                and not inspect.ismodule(owner):  # a writer's `_write = stream.write`: the stream
            return [kind, getattr(obj, "__qualname__", ""),
                    self.form(owner, depth + 1, inner)]
        state = state_of(obj)
        if state is not None:  # attributes by name: the order they were set in is no behaviour
            return [kind, [[name, self.form(v, depth + 1, inner)] for name, v in state]]
        try:
            return [kind, ADDRESS.sub("", repr(obj))[:2000]]
        except Exception as exc:  # an object its __init__ has not built yet (no slot set, its
            # repr reads one): what repr raises is all there is to read
            return [kind, f"<repr raises {type(exc).__name__}>"]


_NONE = float("inf")  # no place on the path: the form points back to none


_LEAVES = (str, int, float, bytes, bytearray, memoryview, type(None))


def _deep(obj):
    """Whether a form is worth keeping: anything but a leaf, which is cheap to write, and a
    lazy value, which is read once, as it yields once."""
    return not isinstance(obj, _LEAVES) and not lazy(obj)


def lazy(obj):
    return isinstance(obj, types.GeneratorType) or (
        type(obj).__module__ in ("builtins", "itertools") and hasattr(type(obj), "__next__"))


def state_of(obj):
    """(name, value) of an instance's attributes, sorted; None for what has none."""
    if inspect.isroutine(obj) or inspect.isclass(obj) or inspect.ismodule(obj):
        return None
    found = dict(getattr(obj, "__dict__", None) or {})
    slots = [s for c in type(obj).__mro__ for s in getattr(c, "__slots__", ())
             if isinstance(s, str) and s not in ("__dict__", "__weakref__")]
    found.update((s, getattr(obj, s)) for s in slots if hasattr(obj, s))
    if not found and not hasattr(obj, "__dict__"):
        return None
    return sorted(found.items(), key=lambda kv: str(kv[0]))


def show(value, first=()):
    """A short text of a value: an object by its attributes, not its address; those named
    in `first` (what the function reads) before the rest."""
    if isinstance(value, (io.StringIO, io.BytesIO)) and not value.closed:  # its content
        at = value.tell()
        return (f"{type(value).__name__}({_repr.repr(value.getvalue())}"
                f"{f', at {at}' if at else ''})")
    own = type(value).__repr__ is not object.__repr__
    state = state_of(value) if not own or first else None
    if state is not None and not own:
        state = sorted(state, key=lambda kv: kv[0] not in first)
        inner = ", ".join(f"{k}={_repr.repr(v)}" for k, v in state[:6])
        return f"{type(value).__name__}({inner})"
    # an object's own repr may hide what the function reads: parso's `<Leaf: if>` told
    # nobody that its prefix was '\r' (wave 28), so those attributes follow it
    read = [f"{k}={_repr.repr(v)}" for k, v in (state or ()) if k in first][:4]
    text = f"{_repr.repr(value)} with {', '.join(read)}" if read else _repr.repr(value)
    return ADDRESS.sub("", text)


# -- a call's ambient input: the sys.argv a test set for it, the environment it reads -----
# A CLI's `main()` takes no arguments; the test sets `sys.argv` and calls it (roman's
# tests), so its input is the argv it ran under. The capture wraps such a call's pickle
# with that argv (`ambient`), and the replay runner answers it under the same argv on both
# trees; an input made from it (a generated one, the search's) runs under the runner's own.
AMBIENT = "ouroboros.ambient"
_AMBIENT_MARK = AMBIENT.encode("ascii")  # near the start of every wrapper's pickle
_ARGV_ITEMS, _ARGV_CHARS = 64, 1000
_ENV_NAMES = 8  # environment variables one input sets or unsets


def argv_of(argv, start):
    """`argv` as a call's ambient input, when it is not the process's own at `start` and is
    plain text of a bounded size; else None."""
    if argv == start or not isinstance(argv, list) or len(argv) > _ARGV_ITEMS \
            or not all(type(a) is str and len(a) <= _ARGV_CHARS for a in argv):
        return None
    return list(argv)


def ambient(blob, argv, environ=None):
    """A call's pickle with the argv it ran under and, for an input made to vary them, the
    environment variables it runs with ({name: text, or None for unset})."""
    extra = {"environ": environ} if environ else {}
    return pickle.dumps((AMBIENT, {"argv": argv, **extra}, blob), protocol=4)


def environ_of(blob):
    """The environment variables `ambient` wrapped a call's pickle with, or None: names
    and texts of a bounded size only (a value of None unsets its name). A pickle that is no
    wrapper is not unpickled here (its arguments' pickle can be large)."""
    if _AMBIENT_MARK not in blob[:64]:
        return None
    value = loads(blob)
    if not (isinstance(value, tuple) and len(value) == 3 and value[0] == AMBIENT
            and isinstance(value[1], dict)):
        return None
    env = value[1].get("environ")
    if not isinstance(env, dict) or not env or len(env) > _ENV_NAMES or not all(
            type(k) is str and 0 < len(k) <= _ARGV_CHARS and "=" not in k and "\0" not in k
            and (v is None or (type(v) is str and len(v) <= _ARGV_CHARS and "\0" not in v))
            for k, v in env.items()):
        return None
    return dict(env)


def unwrapped(blob):
    """(the call's own pickle, its argv or None) of a pickle `ambient` may have wrapped. A
    pickle that is no wrapper is not unpickled here: one that does not load where it is
    read (pure-eval's test class given an attribute by the test that made the call) is
    that call's failure, and it failed the whole replay run here (wave 31)."""
    if _AMBIENT_MARK not in blob[:64]:
        return blob, None
    value = loads(blob)
    if isinstance(value, tuple) and len(value) == 3 and value[0] == AMBIENT \
            and isinstance(value[1], dict) and isinstance(value[2], bytes):
        argv = value[1].get("argv")
        return value[2], argv_of(argv, None)
    return blob, None


def made_call(prefix, blob):
    """A call the runner made itself (lent by kin, left to a changed default), in the
    capture's form and keyed by its own pickle: both trees key the same input alike."""
    return {"pickle": base64.b64encode(blob).decode("ascii"),
            "key": prefix + hashlib.sha256(blob).hexdigest()[:20]}
