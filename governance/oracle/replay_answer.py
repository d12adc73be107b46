"""One input answered by one tree, for the replay runner (governance.oracle.replay_runner).

An answer is what a caller can observe: the returned value (an iterator's items), or the
type of the exception raised (a SystemExit's status too), what it printed to stdout (a CLI's
answer), and the arguments as the call left them (a mutated list is a difference), in a
canonical form (`canon`: types kept, 1 is not 1.0, Decimal('1.10') is not Decimal('1.1'); a
dict's order kept, an object's attributes by name). Each call starts from the same state of
the `random` module (seeded with RANDOM_SEED), so a function that draws from it answers
steadily and alike on both trees when the draws are alike (`random()*top` refactored to
`top*random()`): two unseeded calls of a random function may agree by chance, and a
candidate's second answer moving beside such a base would read as a new dependence on
randomness; the clock, random bytes, ids and its module's names too (governance.oracle.
replay_clock). Each call runs twice; each row says whether the two answers were alike, what
kind the second was, and how long the first took: the daemon judges an answer that moves or
times out on one tree only (governance.oracle.differential.compare). A call that cannot be
unpickled here is no evidence.

Copied beside the runner as `_ouroboros_answer`; standard library only, Python 3.9 and
later.
"""

import base64
import contextlib
import dis
import hashlib
import io
import random
import reprlib
import signal
import sys
import time

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_canon import (
        ADDRESS,
        RANDOM_SEED,
        canon,
        environ_of,
        lazy,
        loads,
        show,
        unwrapped,
    )
    from _ouroboros_class_state import installed
    from _ouroboros_clock import globals_of, reset, unclocked
    from _ouroboros_environ import environed
    from _ouroboros_inputs import code_names
    from _ouroboros_kinds import alien, exotic, foreign
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.canon import (
        ADDRESS,
        RANDOM_SEED,
        canon,
        environ_of,
        lazy,
        loads,
        show,
        unwrapped,
    )
    from governance.oracle.class_state import installed
    from governance.oracle.replay_clock import globals_of, reset, unclocked
    from governance.oracle.replay_environ import environed
    from governance.oracle.replay_inputs import code_names
    from governance.oracle.replay_kinds import alien, exotic, foreign

_PRINTED_CHARS = 4000  # of what a call printed to stdout (its end), part of its answer
_PLAIN = ("int", "str", "bool", "NoneType")
_RAISE = dis.opmap["RAISE_VARARGS"]
_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict = 80, 80, 8, 8


# {qualname: the captured arguments (pickles) of the functions it defines}: a callable it
# answers is called with each (`applied`). Set once from the job by the runner's main,
# before its peer forks (the peer answers with it too); this process answers one job.
_APPLIED = {}


def applying(job_functions):
    """Record each function's `applied` arguments (governance.proof.check_record.applied)
    from the job's function specs."""
    for spec in job_functions:
        blobs = [base64.b64decode(b) for b in spec.get("applied") or [] if isinstance(b, str)]
        if blobs:
            _APPLIED[str(spec.get("qualname"))] = blobs


def applied(fn, value):
    """What a callable `value` that `fn` answered answers to the captured arguments of the
    functions `fn` defines, canonical (an exception by its type), or None: a factory's
    answer is its closure, alike by name on both trees whatever the closure does
    (parsy's `regex` wrapping a list of groups as one group, careless, answered a parser
    as its base did, wave 21)."""
    blobs = _APPLIED.get(getattr(fn, "__qualname__", None))
    if not blobs or not callable(value) or isinstance(value, type):
        return None
    out = []
    for blob in blobs:
        try:
            args, kwargs = loads(unwrapped(blob)[0])
            out.append(canon(value(*args, **kwargs)))
        except _Timeout:
            raise
        except (Exception, SystemExit) as exc:
            out.append(["raise", f"{type(exc).__module__}.{type(exc).__qualname__}"])
    return out


class _Timeout(BaseException):
    """A call ran past its time: raised from the timer's signal, through any except."""


def on_alarm(signum, frame):
    """The call timer's signal handler (the runner's main installs it)."""
    raise _Timeout()


def answered(fn, blob, timeout_s, held=None):
    """(canonical answer, short text) of one call on freshly unpickled arguments; with
    `held`, the arguments and the answer are kept there, so a second call's are made
    elsewhere in memory."""
    blob, clock = unclocked(blob)
    inner, argv = unwrapped(blob)
    args, kwargs = loads(inner)
    if held is not None:
        held.append((args, kwargs))
    random.seed(RANDOM_SEED)
    reset(fn, clock)  # the clock, random bytes, ids, its module's names: alike in every run
    space = globals_of(fn)
    before = dict(space) if space is not None else None
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    printed, own_argv, env = io.StringIO(), sys.argv, environ_of(blob)
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()), \
                environed(env):
            sys.argv = argv if argv is not None else own_argv
            value = fn(*installed(args), **kwargs)  # a class's tables set on it (ClassState)
            if held is not None:
                held.append(value)
            out = {"kind": "return", "value": canon(value)}
            closure = applied(fn, value)
            if closure is None and callable(value) and not isinstance(value, type):
                out["opaque"] = True  # a callable compared by its name alone
        shown = _yielded(value, out["value"]) if lazy(value) else _repr.repr(value)
        if closure is not None:  # the callable shown without its address: alike on both trees
            out["applied"] = closure
            shown = f"{ADDRESS.sub('', shown)} answering {_repr.repr(closure)}"
    except _Timeout:
        return {"kind": "timeout"}, "timed out"
    except (Exception, SystemExit) as exc:
        out, shown = _raised(exc)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.argv = own_argv
    signal.setitimer(signal.ITIMER_REAL, timeout_s)  # the arguments' own code runs here too
    try:
        out["args"] = _left(args, kwargs)
        if rebound := _rebound(space, before):
            out["module"] = rebound
    except _Timeout:
        return {"kind": "timeout"}, "timed out"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if text := ADDRESS.sub("", printed.getvalue())[-_PRINTED_CHARS:]:
        out["printed"] = text  # what a CLI answers with: roman's main prints the numeral
        shown += f", prints {_repr.repr(text)}"
    return out, shown


def _left(args, kwargs):
    """The arguments as the call left them, canonical; or the exception reading them
    raised: their own code runs there (a dict subclass's `items()`, with a mutant switched
    on in it: configobj's `Section.items` crashed the runner once, wave 14)."""
    try:
        return canon((args, kwargs))
    except Exception as exc:
        return ["unreadable", f"{type(exc).__module__}.{type(exc).__qualname__}"]


def _rebound(space, before):
    """The names of the function's module the call bound anew (`global`), canonical, or
    None: numericalunits' reset_units and set_derived_units_and_constants answer None and
    set every unit as a module global, so a mutant of those lines answered alike on every
    input and its correct refactors waited for review (wave 35)."""
    if space is None or before is None:
        return None
    names = sorted(k for k, v in space.items() if before.get(k, before) is not v)
    if not names:
        return None
    try:
        return canon([[k, space[k]] for k in names])
    except Exception as exc:
        return ["unreadable", names, f"{type(exc).__module__}.{type(exc).__qualname__}"]


def _raised(exc):
    """(answer, short text) of a call that raised `exc`: a SystemExit's status (a CLI's
    main: what its caller sees), else the exception's type, and its words where they are
    the code's own (a library's error, or a raise statement's: hyperframe's inlined
    message went unjudged), where the interpreter's may name its frames."""
    if isinstance(exc, SystemExit):
        return ({"kind": "raise", "type": "builtins.SystemExit", "code": canon(exc.code)},
                f"exits with {_repr.repr(exc.code)}")
    out = {"kind": "raise", "type": f"{type(exc).__module__}.{type(exc).__qualname__}"}
    if type(exc).__module__ != "builtins" or own_words(exc):
        out["message"] = _message(exc)
    return out, f"raises {type(exc).__name__}: {_repr.repr(str(exc))}"


def _yielded(value, answer):
    """A generator's answer for people: what it yielded (canon consumed it), not its
    address."""
    items = [x[1] if isinstance(x, list) and len(x) == 2 and x[0] in _PLAIN else x
             for x in answer[1]] if isinstance(answer, list) and len(answer) > 1 else []
    return f"{type(value).__name__} yielding {_repr.repr(items)}"


def own_words(exc):
    """Whether a builtin exception's words are the code's own, so a caller's reading of
    them is behaviour: it was raised by a raise statement (the innermost frame of its
    traceback stands at RAISE_VARARGS), or it is a KeyError, whose argument is the key
    missing, even where a subscript raised it. The interpreter's own messages (a
    TypeError naming a helper's arguments) may name a function a refactor renamed.
    `raise KeyError(k)` with the normalised key in place of the caller's landed (wave 9):
    'zz' reported as 'ZZ' was both trees raising KeyError."""
    if isinstance(exc, KeyError):
        return True
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code.co_code
    return 0 <= tb.tb_lasti < len(code) and code[tb.tb_lasti] == _RAISE


def _message(exc):
    try:
        return ADDRESS.sub("", str(exc))[:2000]
    except Exception:  # a __str__ that fails: the type alone
        return None


def digest(answer, seen=None):
    """An answer's sha256, each part of its form hashed once: canon writes a part it meets
    again as the same list (governance.oracle.canon._Walk), which JSON would write out each
    time (configparser's 101 section proxies each held their parser's form: 15 MB of JSON,
    0.4 CPU s an input). `seen`: the hashes of the parts of an answer already digested
    (the answer's own parts are digested after it)."""
    if not isinstance(answer, (list, tuple, dict)):  # a leaf by itself (a part an answer
        return hashlib.sha256(b"leaf" + _leaf(answer)).hexdigest()  # lacks: None)
    return _hashed(answer, {} if seen is None else seen).hex()


def _hashed(form, seen):
    """The sha256 of a list, tuple or dict of the form, kept by its id while the answer
    holding it lasts; a leaf is written into its container's hash, typed and sized."""
    if id(form) in seen:
        return seen[id(form)]
    h = hashlib.sha256(b"dict" if isinstance(form, dict) else b"list")  # a tuple as JSON
    if isinstance(form, dict):
        pairs = sorted(form.items(), key=lambda kv: (type(kv[0]).__name__, str(kv[0])))
        items = [x for pair in pairs for x in pair]
    else:
        items = form
    for x in items:
        if isinstance(x, (list, tuple, dict)):
            h.update(b"(" + _hashed(x, seen))
        else:
            h.update(_leaf(x))
    seen[id(form)] = out = h.digest()
    return out


def _leaf(x):
    """A leaf's bytes, typed and sized: 1, True, 1.0 and '1' all apart, and a subclass of
    one (an IntEnum) as its builtin value, as in JSON; what JSON cannot write raises, as
    it did (the runner then answers nothing for the input: no evidence, never a pass)."""
    kind = next((k for k in (bool, int, float, str) if isinstance(x, k)), None)
    if kind is None and x is not None:
        raise TypeError(f"an answer holds a {type(x).__name__}, which JSON cannot write")
    text = "None" if kind is None else str.__str__(x) if kind is str else kind.__repr__(x)
    text = text.encode("utf-8", "surrogatepass")
    return b"%s:%d:" % (getattr(kind, "__name__", "none").encode(), len(text)) + text


_PARTS = ("value", "args", "printed", "module")  # an answer's parts a difference is named by


def arguments_of(blob):
    """A captured call's own pickle (its ambient argv left out), or `blob` where it does
    not load here (the row says so)."""
    try:
        return unwrapped(blob)[0]
    except Exception:
        return blob


def answer_row(fn, key, blob, timeout_s, kinds=None):
    """One input's result row: its answer's digest, both runs alike or not; with `kinds`
    (what the captured calls passed, and the parameters), whether it is `foreign`."""
    try:
        began = time.monotonic()
        held = []  # the first call's arguments live on through the second: an answer that
        # holds an address (hpack encodes `str(memoryview)`, '<memory at 0x...>') is then
        # unsteady, not alike twice by a reused address and different on the other tree
        first, shown = answered(fn, blob, timeout_s, held)
        took = time.monotonic() - began  # the daemon judges a one-sided timeout by it
        second, _ = answered(fn, blob, timeout_s, held)
        inner, clock = unclocked(blob)
        env = environ_of(inner)
        inner, argv = unwrapped(inner)
        args, kwargs = loads(inner)
    except Exception as exc:
        return {"key": key, "problem": f"{type(exc).__name__}: {exc}"[:200]}
    seen = {}  # the parts of `first` hashed with it
    row = {"key": key, "input": _input_text(fn, args, kwargs, (argv, env), clock),
           "answer": digest(first, seen), "shown": shown, "kind": first["kind"],
           # which part of an answer differs, where both trees' texts of it are alike
           "parts": {k: digest(first.get(k), seen) for k in _PARTS},
           "deterministic": first == second, "again": second["kind"],
           "opaque": first.get("opaque") is True,
           # raised in the code's own words: its raise statement's answer (`_raised`)
           "own": first["kind"] == "raise" and "message" in first,
           "seconds": round(took, 4)}
    if kinds is not None:
        row["foreign"] = foreign(args, kwargs, *kinds)
        row["alien"] = alien(args, kwargs, *kinds)
        row["exotic"] = exotic(args, kwargs, *kinds)
    return row


def _input_text(fn, args, kwargs, ambient, clock):
    """An input as people read it: the attributes of an object the function reads first,
    the argv, environment and clock it was answered under."""
    names = code_names(fn)
    argv, env = ambient
    text = ", ".join([show(a, names) for a in args]
                     + [f"{k}={show(v, names)}" for k, v in kwargs.items()])
    if argv is not None:
        text = f"{text} [sys.argv {_repr.repr(argv)}]".lstrip()
    if env:
        text = f"{text} [environ {_repr.repr(env)}]".lstrip()
    if clock is not None:
        text = f"{text} [clock {clock} ns]".lstrip()
    return text[:300]
