"""Writing a captured call's values as a pickle, shared by the jailed parts of the
differential check: the capture plugin (governance.oracle.capture_plugin) writes each call
so, and the replay runner (governance.oracle.replay_runner) the inputs it makes; they are
read back by governance.oracle.unpickle.

pickle, with what it cannot write as it is written as what it stands for (`_ByName`): a
class its module binds under another name by that name, a standard stream as the loading
process's, a file only written to as an in-memory stream, a fixed-offset zone as the
standard library's, an `__init__`'s object as a bare instance (`Bare`); and by cloudpickle,
borrowed from the tree's interpreter or the daemon's (`borrowed`), where pickle cannot
write a value at all (`dumped`).

Copied into a run's private plugin directory as `_ouroboros_pickler` (governance.oracle.
run_dir) and imported there before any repository code is on sys.path: it imports only the
standard library and runs on Python 3.9 and later, like the repository's own interpreter
may.
"""

import codecs
import copyreg
import datetime
import functools
import importlib
import inspect
import io
import operator
import os
import pickle
import sys
import types

try:  # in the jail: beside it, in the run's plugin directory
    from _ouroboros_unpickle import NAMESPACE
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle.unpickle import NAMESPACE


def borrowed(name, fallback):
    """Module `name` from the tree's interpreter, else from `fallback` (the daemon's
    site-packages, which the jail shows read-only), put on sys.path for the import only:
    the tree's own later imports never see it. None when neither has it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if not fallback or not os.path.isdir(fallback):
            return None
    sys.path.append(fallback)
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
    finally:
        sys.path.remove(fallback)


def remembering(by_value):
    """cloudpickle (`by_value`, or None) with the module of each object whose
    `__module__` is None looked up once: cloudpickle searches every loaded module's names
    for it on each dump, and dissect.cstruct's parsers, compiled by exec, are such
    functions; an input holding them took 16 ms to pickle, the runner keys thousands, and
    its replays timed out. The object is held, so its id is never another's."""
    inner = getattr(by_value, "cloudpickle", None)
    find = getattr(inner, "_whichmodule", None)
    if find is None or getattr(find, "remembered", False):
        return by_value
    seen = {}

    def whichmodule(obj, name):
        if getattr(obj, "__module__", None) is not None:
            return find(obj, name)
        hit = seen.get((id(obj), name))
        if hit is None or hit[0] is not obj:
            hit = seen[(id(obj), name)] = (obj, find(obj, name))
        return hit[1]
    whichmodule.remembered = True
    inner._whichmodule = whichmodule
    return by_value


class _ByName(pickle.Pickler):
    """pickle, and a class its module binds under a name other than its own (aniso8601's
    `DateTuple = namedtuple("Date", ...)`) by that name: pickle looks classes up by their
    own name and fails, and cloudpickle then copies the class by value, so every input
    held an instance of a look-alike class the library's isinstance checks refuse, on both
    trees alike, and no input told a change apart."""

    def reducer_override(self, obj):
        if isinstance(obj, type):
            name = _bound_as(obj)
            if name is not None:
                return getattr, (sys.modules[obj.__module__], name)
        elif isinstance(obj, types.ModuleType) and sys.modules.get(obj.__name__) is obj:
            return importlib.import_module, (obj.__name__,)
        elif isinstance(obj, datetime.tzinfo):
            return _fixed_zone(obj) or NotImplemented
        elif isinstance(obj, dict) and _guarded_mapping(type(obj)):
            return (copyreg.__newobj__, (type(obj),), (list(obj.items()), vars(obj)),
                    None, None, _dict_state)
        elif _standard_name(obj) is not None:
            return StandardStream, (_standard_name(obj),)
        elif _sink(obj):  # written to, never read: what a call writes is in memory
            return _memory_stream(obj), ()
        elif isinstance(obj, codecs.CodecInfo):
            return _codec(obj)
        elif isinstance(obj, BaseException) and isinstance(type(obj).__init__, types.FunctionType):
            return _exception(obj)
        elif isinstance(type(obj).__reduce__, types.FunctionType) and _refuses(obj):
            return _by_state(obj)
        elif type(obj) in DICT_VIEWS:  # pickle refuses a view: configparser's writer
            # takes a section's `.items()`, whose values were never varied (wave 31)
            return operator.methodcaller(DICT_VIEWS[type(obj)]), (view_source(obj),)
        elif isinstance(obj, memoryview) and obj.ndim == 1 and obj.format in ("B", "b", "c"):
            # pickle refuses a view; hyperframe parses every frame's body from one, so no
            # parse_body call was ever replayed: it travels as a view of its bytes
            return memoryview, (obj.tobytes(),)
        return NotImplemented


DICT_VIEWS = {type({}.keys()): "keys", type({}.values()): "values", type({}.items()): "items"}


def view_source(view):
    """A dict whose view of the same kind holds what `view` holds, in its order (the dict it
    views is not reachable before Python 3.10: a values view's keys are its positions)."""
    kind = DICT_VIEWS[type(view)]
    return dict(view) if kind == "items" else dict.fromkeys(view) if kind == "keys" \
        else dict(enumerate(view))


def _exception(exc):
    """An exception of a class with an `__init__` of its own, as it is: made by its builtin
    base's `__new__` with its arguments, its attributes set, its `__init__` never run.
    pickle's default calls the class with `args` on load, so an `__init__` taking other
    arguments failed there: iso639-lang's DeprecatedLanguageValue, built from keywords
    alone, was never replayed, and its remedy written when `change_to` is present instead
    of when it is truthy landed (wave 20)."""
    base = next(k for k in type(exc).__mro__ if k.__module__ == "builtins")
    return base.__new__, (type(exc), *exc.args), dict(vars(exc)) or None


def _refuses(obj):
    """Whether an object's own `__reduce__` answers no reduction (NotImplemented, None):
    nepali-datetime's dates and datetimes, so none of their methods' calls was replayed,
    and a careless `__add__` landed (wave 20)."""
    try:
        return not isinstance(obj.__reduce__(), (str, tuple))
    except Exception:
        return False  # it raises: pickle says so itself


def _by_state(obj):
    """An object as its state: a bare instance of its class (object.__new__, never its own
    `__new__`, which wants arguments) with its __dict__ and slots set as they are."""
    slots = {name: getattr(obj, name) for c in type(obj).__mro__
             for name in getattr(c, "__slots__", ()) if isinstance(name, str)
             and name not in ("__dict__", "__weakref__") and hasattr(obj, name)}
    return copyreg._reconstructor, (type(obj), object, None), \
        (dict(vars(obj)) if hasattr(obj, "__dict__") else None, slots or None)


def _codec(info):
    """A codec's CodecInfo as pickle can load it again: the registry's own by its name
    (the same object on load), another from its parts. pickle's default form calls
    CodecInfo.__new__ with the tuple's four items and fails on load, so no captured call
    holding one was ever replayed (webencodings' Encoding holds one: `_get_encoding`'s
    narrowing to `isinstance` landed, wave 15)."""
    try:
        if codecs.lookup(info.name) is info:
            return codecs.lookup, (info.name,)
    except (LookupError, TypeError):
        pass
    return codecs.CodecInfo, (info.encode, info.decode, info.streamreader, info.streamwriter,
                              info.incrementalencoder, info.incrementaldecoder, info.name), \
        dict(vars(info))


def _guarded_mapping(cls):
    """Whether `cls`, a dict subclass pickled as pickle does by default, refuses some
    keys in its own __setitem__: pickle loads a dict's items through it, so one whose
    keys it holds but would refuse does not load again (asteval's nested symbol table
    keeps 'False' and refuses it as an attribute name: half its interpreters' calls were
    lost, wave 9)."""
    return cls is not dict and cls.__setitem__ is not dict.__setitem__ \
        and cls.__reduce_ex__ is dict.__reduce_ex__ and cls.__reduce__ is dict.__reduce__ \
        and getattr(cls, "__setstate__", None) is None and hasattr(cls, "__dict__")


def _dict_state(obj, state):
    """A guarded mapping's items and attributes put back as dict and object set them."""
    items, attributes = state
    dict.update(obj, items)
    object.__getattribute__(obj, "__dict__").update(attributes)


def _standard_name(obj):
    """'stdout' or 'stderr' where `obj` is that stream of this process (as it is now, or
    as the interpreter started it), else None."""
    if obj is sys.stdout or obj is sys.__stdout__:
        return "stdout"
    if obj is sys.stderr or obj is sys.__stderr__:
        return "stderr"
    return None


def _sink(obj):
    """Whether `obj` is an open file written to and never read (a log, an output file):
    where a call holds one, it travels as an empty in-memory stream of its kind, and what
    the call writes there is part of the arguments as it left them. asteval's tests give
    their interpreters a NamedTemporaryFile('w') to print to, so none of the 74 calls of
    its boolean operator pickled (wave 9)."""
    if type(obj).__module__ == "tempfile" and isinstance(getattr(obj, "file", None), io.IOBase):
        obj = obj.file  # NamedTemporaryFile's wrapper, which does not load again: its file
    if not isinstance(obj, io.IOBase) or isinstance(obj, (io.StringIO, io.BytesIO)):
        return False
    try:
        return not obj.closed and obj.writable() and not obj.readable()
    except Exception:  # a stream that cannot say: left to pickle, which refuses it
        return False


def _memory_stream(sink):
    """The in-memory stream a sink file stands as: text or bytes, as it is written."""
    inner = getattr(sink, "file", sink) if type(sink).__module__ == "tempfile" else sink
    return io.StringIO if isinstance(inner, io.TextIOBase) else io.BytesIO


class StandardStream:
    """A standard stream an object holds, written as the stream of the process that loads
    it, looked up at each use: what a replayed call prints there is the call's printed
    answer (the replay runner redirects both streams around each call). asteval's
    Interpreter keeps `writer = stdout` bound at import, pytest's capturing stream then,
    which neither pickle nor cloudpickle writes, so no call of any of its methods was
    replayed (wave 9) and every change to them waited for review."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __reduce__(self):
        return StandardStream, (self.name,)

    def __getattr__(self, attr):
        if attr.startswith("__"):  # pickle's and canon's probes: this object's own
            raise AttributeError(attr)
        return getattr(getattr(sys, self.name), attr)


def _fixed_zone(zone):
    """A tzinfo its own pickle cannot rebuild, written as the standard library's fixed
    offset it stands for: tzinfo's pickle calls the class with no arguments unless it
    says otherwise, and a test's own `FixedOffset(offset, name)` then fails to load, so
    none of pyasn1's calls with one was replayed. A zone whose offset depends on the
    moment, or one that rebuilds itself, is left as it is (None)."""
    cls = type(zone)
    if cls.__module__ == "datetime" or hasattr(zone, "__getinitargs__") \
            or cls.__reduce__ is not datetime.tzinfo.__reduce__:
        return None
    try:
        inspect.signature(cls).bind()
        return None  # made again with no arguments: its own pickle loads
    except TypeError:
        pass
    except ValueError:  # no signature to read: leave it to pickle
        return None
    try:
        offset, name = zone.utcoffset(None), zone.tzname(None)
        args = (offset, name) if isinstance(name, str) else (offset,)
        datetime.timezone(*args)  # in range, and an offset at all: else it cannot stand in
        return datetime.timezone, args
    except Exception:  # no fixed offset (it needs the moment), or none in range
        return None


def _bound_as(cls):
    """The module-level name `cls` is bound to when its own qualified name does not reach
    it, else None (pickle's own lookup works, or nothing binds it)."""
    module = sys.modules.get(getattr(cls, "__module__", None) or "")
    if module is None:
        return None
    found = module
    for part in getattr(cls, "__qualname__", "").split("."):
        found = getattr(found, part, None)
    if found is cls:
        return None
    return next((k for k, v in vars(module).items() if v is cls and not k.startswith("__")),
                None)


class Bare:
    """The object an `__init__` is handed, as pickle writes it where the object as it is
    will not pickle: a new, bare instance of its class (object.__new__), which is what the
    call received when nothing ran before it. uuid6's UUID keeps its value in a slot that
    its pickle reads, unset until __init__ sets it, so none of its 7,974 constructions
    pickled and its version check, widened from 6..8 to 1..8, waited untold (wave 9). The
    pickle names the class, never this one: it loads as the bare instance anywhere."""

    __slots__ = ("cls",)

    def __init__(self, cls):
        self.cls = cls

    def __reduce__(self):
        return copyreg._reconstructor, (self.cls, object, None)


def bare(fn_name, args):
    """`args` with an `__init__`'s object (`fn_name` says whose) put as a Bare where it
    will not pickle as it is and its class makes it with object.__new__; else `args`."""
    if fn_name != "__init__" or not args or isinstance(args[0], Bare) \
            or type(args[0]).__new__ is not object.__new__:
        return args
    try:
        by_name(args[0])
        return args
    except Exception:
        return [Bare(type(args[0])), *args[1:]]


def by_name(value):
    """`value`'s pickle, classes bound under another name written by that name (_ByName)."""
    buffer = io.BytesIO()
    _ByName(buffer, protocol=4).dump(value)
    return buffer.getvalue()


class _Tokened(_ByName):
    """_ByName, each of the objects `tokens` lists ((the object, its token) pairs) written
    as its token: a key telling values apart, never a pickle to load (replay_inputs keys
    each generated input so before pickling it: a receiver of megabytes pickled once).
    Told by identity, not by `id()`: the replay runner answers `id()` with its own
    numbering (replay_clock), renewed for each call it answers."""

    def __init__(self, file, tokens):
        super().__init__(file, protocol=4)
        self._tokens, self._types = tokens, {type(v) for v, _ in tokens}

    def persistent_id(self, obj):
        if type(obj) in self._types:
            return next((token for v, token in self._tokens if v is obj), None)
        return None


def tokened(value, tokens):
    """`value`'s key with the objects of `tokens` written as their tokens; None when it
    does not pickle so."""
    buffer = io.BytesIO()
    try:
        _Tokened(buffer, tokens).dump(value)
    except Exception:
        return None
    return buffer.getvalue()


def dumped(value):
    """`value`'s pickle, and where pickle cannot write it, by value (`namespaced`); None
    when neither can. The capture writes its calls so, and the inputs made from them
    travel the same way."""
    try:
        return by_name(value)
    except Exception:
        pass
    try:
        return namespaced(value, sys.modules.get("cloudpickle"))
    except Exception:
        return None


def namespaced(value, by_value):
    """`value`'s pickle by `by_value` (cloudpickle, borrowed by the run, or None for
    pickle) after `_ByName`'s rules: what holds a lambda or a local class (simpleeval's
    operator table on `self`) by value, so the replay runner loads it on either tree; and
    each module's namespace it holds, or a copy of one, as that module's name (`NAMESPACE`,
    loaded again by governance.oracle.unpickle as the loading process's). pure-eval's
    Evaluator holds copies of a test's globals, whose `__loader__` reaches all of pytest's
    state, so none of its 55 captured calls was pickled (wave 31); and by value, an input
    made from one held the runner's own `builtins`, its mutant switch included, and no
    tree made the other's. pickle asks no `reducer_override` about a plain dict, but it
    asks `persistent_id` about each object."""
    buffer = io.BytesIO()
    _namespaced(pickle.Pickler if by_value is None else by_value.Pickler)(
        buffer, protocol=4).dump(value)
    return buffer.getvalue()


@functools.lru_cache(maxsize=4)
def _namespaced(base):
    """`base` (a Pickler class) writing modules' namespaces by name and `_ByName`'s rules
    before its own."""
    return type("Namespaced", (base,), {
        "persistent_id": lambda self, obj: _namespace(obj) if type(obj) is dict else None,
        "reducer_override": _both_rules})


def _both_rules(self, obj):
    """`_ByName`'s reduction of `obj`, else the pickler's own (cloudpickle's)."""
    found = _ByName.reducer_override(self, obj)
    inner = getattr(super(type(self), self), "reducer_override", None)
    return inner(obj) if found is NotImplemented and inner is not None else found


def _namespace(space):
    """(NAMESPACE, the module's name, whether a copy, its names) where `space` is a loaded
    module's namespace or holds exactly what it holds (`dict(frame.f_globals)`), else None."""
    name = space.get("__name__")
    module = sys.modules.get(name) if type(name) is str else None
    own = getattr(module, "__dict__", None)
    if type(own) is not dict or not all(type(k) is str for k in space):
        return None
    if own is space:
        return NAMESPACE, name, False, tuple(space)
    missing = object()
    if len(own) == len(space) and all(space.get(k, missing) is v for k, v in own.items()):
        return NAMESPACE, name, True, tuple(space)
    return None
