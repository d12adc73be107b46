"""The calls a function no test calls borrows from its kin, for the replay runner
(governance.oracle.replay_runner; which functions are kin is governance.proof.kin).

Each kin call the capture pickled is bound to the kin's own signature, and the function's
call is made from it by parameter name: `text` is `text`, and a method's `self` is the
receiver another method of its class was called with. A call of the class's constructor
lends a receiver built by the class from that call's arguments (its `self` was not built
yet when captured), to a method that takes one (not a static or class method). A call
of another class's method or of a function lends its arguments to a method with an object
its class builds with no argument: ebcdic's incremental codecs' `encode(self, text,
final=False)`, which no test calls, took `text` from the stateless codec's `encode(self,
text, errors)`, which every test calls, and had no receiver (wave 26). A
parameter no kin call names and that has no default leaves that kin call out. Each
borrowed call is keyed by its own pickle, so both trees key the same input alike and a
different one apart (each tree builds its inputs with its own code).

Copied beside the runner as `_ouroboros_kin`; standard library only, Python 3.9 and
later.
"""

import base64
import inspect
import signal

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_canon import loads, made_call, unwrapped
    from _ouroboros_lookup import function_at
    from _ouroboros_pickler import dumped
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.canon import loads, made_call, unwrapped
    from governance.oracle.pickler import dumped
    from governance.oracle.replay_lookup import function_at

MAX_LENT = 100  # borrowed calls a function, at most
_BUILD_S = 1.0  # clock seconds of one receiver's construction
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def lent(root, spec, fn):
    """`fn`'s calls built from its kin's captured calls (spec["kin"]), in the capture's
    form, each with its `key`; none where `fn`'s signature cannot be read."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    owner = _owner(root, spec)
    receives = _receives(owner, spec)
    selfish = receives and bool(params) and params[0].name == "self"
    out, seen, bare = [], set(), _Bare(owner)
    for kin in spec.get("kin") or []:
        try:
            donor = function_at(root, spec["file"], kin["qualname"])
        except Exception:
            continue
        build = owner if receives and kin["qualname"] == \
            f"{spec['qualname'].rpartition('.')[0]}.__init__" else None
        for call in kin.get("calls") or []:
            named = _named(donor, call, build, params)
            if selfish and named and not isinstance(named.get("self"), owner):
                named = {**named, "self": bare()}  # another class's or a function's call
            blob = _borrowed(params, named, owner)
            if blob is None or blob in seen:
                continue
            seen.add(blob)
            out.append(made_call("k", blob))
            if len(out) >= MAX_LENT:
                return out
    return out


def _owner(root, spec):
    """The class `spec`'s function is a method of, or None."""
    owner, dot, _ = spec["qualname"].rpartition(".")
    if not dot:
        return None
    try:
        found = function_at(root, spec["file"], owner)
    except Exception:
        return None
    return found if isinstance(found, type) else None


class _Bare:
    """An object of `owner` built with no argument, once, within _BUILD_S; None where it
    cannot be (a constructor with a parameter to fill, or one that fails)."""

    def __init__(self, owner):
        self.owner, self.built, self.tried = owner, None, False

    def __call__(self):
        if not self.tried:
            self.tried = True
            try:
                self.built = _built(self.owner, (), {})
            except BaseException:  # no object to lend: that kin call is left out
                self.built = None
        return self.built


def _receives(owner, spec):
    """Whether `spec`'s function is a method of `owner` called on an object of it: a
    static method's first parameter is its own (wonderwords' `read_words(word_file)` was
    handed a built RandomWord as its file, and no input ever reached its body, wave 25);
    a class method's is the class."""
    if owner is None:
        return False
    found = inspect.getattr_static(owner, spec["qualname"].rpartition(".")[2], None)
    return not isinstance(found, (staticmethod, classmethod))


def _named(donor, call, build, params):
    """{parameter name: value} of one kin call; with `build` (the class, the kin its
    constructor), only the receiver that class builds from the call's arguments."""
    try:
        args, kwargs = loads(unwrapped(base64.b64decode(call["pickle"]))[0])
        if build is not None:
            return {params[0].name: _built(build, args[1:], kwargs)} if params else None
        named = inspect.signature(donor).bind(*args, **kwargs).arguments
    except BaseException:  # a call that no longer binds or builds: nothing lent
        return None
    kinds = {p.name: p.kind for p in inspect.signature(donor).parameters.values()}
    return {k: v for k, v in named.items() if kinds.get(k) not in _VARIADIC}


def _built(cls, args, kwargs):
    """An object of `cls` built from a constructor call's arguments, within _BUILD_S."""
    signal.setitimer(signal.ITIMER_REAL, _BUILD_S)
    try:
        return cls(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _borrowed(params, named, owner):
    """The pickle of a call of a function with `params` made from `named`, or None where
    a parameter without a default is not named, or a method's receiver is no `owner`."""
    if not named:
        return None
    args, kwargs, gap = [], {}, False
    for p in params:
        if p.kind in _VARIADIC:
            continue
        if p.name not in named:
            if p.default is p.empty:
                return None
            gap = True
        elif p.kind in _POSITIONAL and not gap:
            args.append(named[p.name])
        elif p.kind is inspect.Parameter.POSITIONAL_ONLY:
            return None
        else:
            kwargs[p.name] = named[p.name]
    if owner is not None and params and params[0].name == "self" \
            and not (args and isinstance(args[0], owner)):
        return None
    if not args and not kwargs:
        return None
    # written as the capture writes its calls (an object refusing plain pickle by its
    # state: nepali-datetime's dates lend `self` to `isoformat` so); None where nothing can
    return dumped((args, kwargs))
