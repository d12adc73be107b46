"""The differential check's capture plugin: the calls the tests make to the functions a change
touches, pickled at entry, for replay on the base and on the candidate; with `trace`, every
call recorded in order by the call probe (governance.oracle.call_probe), for comparing two
runs of the tests call by call; with `stacks`, the repository's functions on the stack of
each call, so the check can lift to a caller whose calls can be replayed (governance.oracle.
differential).

Copied into the run's private plugin directory and loaded with `-p _ouroboros_capture`
beside the oracle plugin; it imports nothing of ours but its stdlib-only helpers copied
beside it, and everything it needs from the standard library is imported here, before any
repository code is on sys.path. The functions come from `capture.json` beside this file: a
repository-relative file and a qualified name each. A trace hook (sys.settrace,
threading.settrace) sees every Python call; a call of a watched function has its arguments
pickled as it starts (a generator's at its first resume, when its locals are still the
arguments as passed; a coroutine's is skipped), with the sys.argv the test set for it when
that is not the run's own (canon.ambient: a CLI's `main()` reads it), each distinct call
once, at most `max_calls` a function (and past them the first call of each kind of
arguments not captured yet, `new_shapes` more at most) and `max_bytes` in all. What cannot
be pickled is counted, not kept. A test that sets its own tracer loses ours until the next
test starts.

The daemon never unpickles what this writes: the pickles go back, opaque, to the replay
runner in the jail. `calls.json` in the report directory holds, per function, base64 pickles
and a short repr of each call for people.
"""

import base64
import dis
import gc
import hashlib
import json
import os
import random
import reprlib
import sys
import threading
import time
import types

from _ouroboros_canon import (  # RANDOM_SEED: as pytest-randomly
    RANDOM_SEED,
    ambient,
    argv_of,
)
from _ouroboros_class_state import class_state
from _ouroboros_pickler import bare, borrowed, by_name, namespaced, remembering
from _ouroboros_probe import Probe
from _ouroboros_stacks import Callers, shape

# The report directory is the plugin directory's sibling, `out/` (governance.oracle.testrun's
# run dir, in the jail and out of it); the oracle plugin takes the variable that names it
# out of the environment before the tests run, so it is not read here.
_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out")
_GENERATOR = 0x20
_FLAGS_SKIPPED = 0x80 | 0x100 | 0x200  # coroutine, iterable coroutine, async generator
_RESUME = dis.opmap.get("RESUME")  # 3.11+: a frame's first instruction once it runs
_VARARGS, _VARKEYWORDS = 0x04, 0x08
_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict = 60, 60, 8, 8
_PER_CLOSURE_KIND = 3  # calls of a nested function captured per kind of closure
_state = {"targets": [], "root": "", "codes": {}, "calls": [], "seen": set(), "bytes": 0,
          "max_calls": 100, "max_bytes": 8 << 20, "skipped": [], "out": None, "busy": False,
          "pickle": True, "probe": None, "stacks": None, "rels": {}, "defaults": {},
          "functions": {}, "kinds": {}, "shapes": {}, "new_shapes": 0,
          "fallback": "", "by_value": False}


def _config():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "capture.json")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("targets"), list) else None


def by_code(code):
    """A cache's key for a code object: the code with its file. CPython leaves co_filename
    out of a code object's equality and hash, so the same function in two files is one key
    alone: ebcdic's generated codec modules, each a `Codec.encode` alike line for line, had
    every call of cp1143's read as cp037's (the first seen), and none was captured (wave
    26)."""
    return code, code.co_filename


def _rel_of(code):
    """The repository-relative file of a code object, or None (cached per code)."""
    rels, key = _state["rels"], by_code(code)
    if key not in rels:
        real = os.path.realpath(code.co_filename) if os.path.isabs(code.co_filename) else ""
        root = _state["root"]
        rels[key] = real[len(root) + 1:].replace(os.sep, "/") \
            if real.startswith(root + os.sep) else None
    return rels[key]


def _target_of(code):
    """The index of the watched function whose code this is, or None (cached per code)."""
    found = _state["codes"].get(by_code(code), 0)
    if found != 0:
        return found
    found, rel = None, _rel_of(code)
    if rel is not None:
        qualname = getattr(code, "co_qualname", code.co_name)
        for index, (file, name) in enumerate(_state["targets"]):
            if file == rel and name == qualname:
                found = index
                break
    _state["codes"][by_code(code)] = found
    return found


def _arguments(frame):
    """(positional, varargs, keyword-only and **kwargs) of a call, from its frame at entry."""
    code, local = frame.f_code, frame.f_locals
    names = code.co_varnames
    n_pos, n_kw = code.co_argcount, code.co_kwonlyargcount
    pos = [local[n] for n in names[:n_pos]]
    kw = {n: local[n] for n in names[n_pos:n_pos + n_kw]}
    at = n_pos + n_kw
    extra = ()
    if code.co_flags & _VARARGS:
        extra = tuple(local[names[at]])
        at += 1
    if code.co_flags & _VARKEYWORDS:
        kw.update(local[names[at]])
    return pos, extra, kw


def _function_of(code):
    """A function whose code this is, or None (cached per code; a nested function's many
    closures share their code and, but for what the enclosing call put in them, their
    defaults)."""
    functions, key = _state["functions"], by_code(code)
    if key not in functions:
        functions[key] = next((f for f in gc.get_referrers(code)
                               if isinstance(f, types.FunctionType) and f.__code__ is code),
                              None)
    return functions[key]


def _defaults(code):
    """{parameter: default object} of the function whose code this is (cached per code)."""
    found = _state["defaults"].get(by_code(code))
    if found is None:
        found, f = {}, _function_of(code)
        if f is not None:
            names = code.co_varnames[:code.co_argcount]
            given = f.__defaults__ or ()
            found = dict(zip(names[len(names) - len(given):], given))  # noqa: B905
            found.update(f.__kwdefaults__ or {})
        _state["defaults"][by_code(code)] = found
    return found


def _without_defaults(code, pos, kw):
    """The call with the arguments it left to their defaults left out again: a default
    that cannot be pickled (a module, a lock: `parse(xml, parser=expat)`) is the callee's
    own on each tree, not the call's. A positional argument after one left out is passed
    by name (`parse(xml, ns=True)` with expat between them)."""
    defaults, names = _defaults(code), code.co_varnames[:code.co_argcount]
    kept, named, gap = [], {}, False
    for at, (name, value) in enumerate(zip(names, pos)):  # noqa: B905 (Python 3.9)
        if name in defaults and value is defaults[name] and at >= code.co_posonlyargcount:
            gap = True
        elif gap:
            named[name] = value
        else:
            kept.append(value)
    named.update((k, v) for k, v in kw.items() if not (k in defaults and v is defaults[k]))
    return kept, named


def _pickled(code, pos, extra, kw):
    """The call as pickle writes it; a default left out where it alone would not pickle;
    and last, by cloudpickle, what holds a lambda or a local class (simpleeval's operator
    table on `self`): by value, so the replay runner loads it on either tree."""
    forms = [(list(pos) + list(extra), kw)]
    if not extra:
        forms.append(_without_defaults(code, pos, kw))
    head = class_state(pos[0]) if pos else None
    if head is not None and head is not pos[0]:  # a class with its tables, while they pickle
        forms = [([head, *f[0][1:]], f[1]) for f in forms] + forms
    pos = list(pos)
    fresh = bare(code.co_name, pos)  # an __init__'s object not built yet: a bare one
    if fresh is not pos:
        forms += [(fresh + list(extra), kw)] + (
            [] if extra else [_without_defaults(code, fresh, kw)])
    return _dumped(forms)


def _dumped(forms):
    """The first of `forms` that pickles by name, else the first written by value
    (pickler.namespaced: by cloudpickle, borrowed)."""
    for form in forms:
        try:
            return by_name(form)
        except Exception:
            continue
    by_value = _by_value()
    for form in forms:
        try:
            return namespaced(form, by_value)
        except Exception as exc:
            last = exc
    raise last


def _by_value():
    """cloudpickle, from the tree's interpreter or the daemon's (pickler.borrowed), once."""
    if _state["by_value"] is False:
        _state["by_value"] = remembering(borrowed("cloudpickle", _state["fallback"]))
    return _state["by_value"]


# Bound before any test runs: a test that patches `time.time_ns` (a MagicMock) left the
# report unwritable and the capture without its calls.
_WALL_NS = time.time_ns


def _record(index, frame, pos, extra, kw, sort):
    calls = _state["calls"][index]
    if _state["bytes"] >= _state["max_bytes"]:
        return
    shapes = _state["shapes"].setdefault(index, set())
    if len(calls) >= _state["max_calls"] and (
            sort in shapes or len(calls) >= _state["max_calls"] + _state["new_shapes"]):
        return
    code = frame.f_code
    kind = _closure_kind(index, frame)
    if kind is not None:  # a nested function: its calls spread over its kinds of closure
        kinds = _state["kinds"].setdefault(index, {})
        if kinds.get(kind, 0) >= _PER_CLOSURE_KIND:
            return
    try:
        blob = _pickled(code, pos, extra, kw)
        argv = argv_of(sys.argv, _state["argv"])  # set by the test: the call's input too
        blob = ambient(blob, argv) if argv is not None else blob
        closure = _closure(frame) if kind is not None else None
    except Exception as exc:  # unpicklable (a lock, a file, a lambda): not evidence
        _state["skipped"][index] += 1
        _state["last_skip"] = type(exc).__name__
        return
    digest = hashlib.sha256(blob + (closure or b"")).digest()
    if digest in _state["seen"]:
        return
    _state["seen"].add(digest)
    _state["bytes"] += len(blob) + len(closure or b"")
    shown = ", ".join([_repr.repr(a) for a in list(pos) + list(extra)]
                      + [f"{k}={_repr.repr(v)}" for k, v in kw.items()])
    if argv is not None:
        shown = f"{shown} [sys.argv {_repr.repr(argv)}]".lstrip()
    call = {"pickle": base64.b64encode(blob).decode("ascii"), "repr": shown[:300]}
    clock = _WALL_NS()  # the test's time: objects it made may hold it
    if type(clock) is int:  # a clock the test replaced may answer anything
        call["clock_ns"] = clock
    if closure is not None:
        kinds[kind] = kinds.get(kind, 0) + 1
        call.update(closure=base64.b64encode(closure).decode("ascii"), kind=kind)
    calls.append(call)
    shapes.add(sort)


def _closure_kind(index, frame):
    """What kind of closure a nested function's call came with: the types of its free
    variables (a function or class by its own name); None for a function reached by name.
    voluptuous's `validate_callable` closes over the validator it calls: a hundred calls
    of its first few kinds (Required, Remove) captured none of Number's."""
    if "<locals>" not in _state["targets"][index][1]:
        return None
    local = frame.f_locals
    return ",".join(getattr(v, "__qualname__", "") if isinstance(v, (type, types.FunctionType))
                    else type(v).__qualname__ for v in (local.get(n) for n in
                                                        frame.f_code.co_freevars))[:200]


def _closure(frame):
    """A nested function's free variables as this call sees them, and its defaults,
    pickled: what the replay rebuilds it with from each tree's own code
    (governance.oracle.replay_lookup)."""
    code = frame.f_code
    local = frame.f_locals
    missing = [n for n in code.co_freevars if n not in local]
    if missing:  # a cell not yet bound (a recursive def called before its name is set)
        raise LookupError(f"free variable {missing[0]} unbound")
    function = _function_of(code)
    cells = {n: local[n] for n in code.co_freevars}
    # defaults that alone would not pickle are left out: the captured calls pass every
    # parameter, and a generated input that leaves one out is refused alike on both trees
    return _dumped([(cells, getattr(function, "__defaults__", None),
                     getattr(function, "__kwdefaults__", None)), (cells, None, None)])


def _is_test_file(rel):
    name = rel.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def _caller_of(code):
    """A frame's (file, qualname) when it is the repository's own code, not a test's."""
    rel = _rel_of(code)
    if rel is None or _is_test_file(rel) or code.co_name == "<module>":
        return None
    return rel, getattr(code, "co_qualname", code.co_name)


def _tracer(frame, event, arg):
    """The global trace function: a watched call is pickled, its callers counted, and with
    the probe its frame gets a local tracer that sees it leave."""
    if event != "call" or _state["busy"]:
        return None
    code = frame.f_code
    if code.co_flags & _FLAGS_SKIPPED:
        return None
    generator = bool(code.co_flags & _GENERATOR)
    if generator and not _first_resume(frame):
        return None
    index = _target_of(code)
    if index is None:
        return None
    _state["busy"] = True  # pickling may call Python code (__reduce__): not a target call
    try:
        pos, extra, kw = _arguments(frame)
        if _state["pickle"] or _state["stacks"] is not None:  # a traced run alone needs none
            kind = shape(pos, extra, kw)
            if _state["pickle"]:
                _record(index, frame, pos, extra, kw, kind)
            if _state["stacks"] is not None:
                _state["stacks"][index].count(frame, kind, _caller_of)
        probe = _state["probe"]  # a generator's answer is what it yields: replayed only
        call = probe.enter(index, (list(pos) + list(extra), kw)) \
            if probe and not generator else None
    finally:
        _state["busy"] = False
    if call is None:
        return None
    frame.f_trace_lines = False
    return call.seen


def _first_resume(frame):
    """Whether a generator's frame runs for the first time: before 3.11 its last
    instruction is -1, from 3.11 its code's first RESUME (each later one follows a yield)."""
    if frame.f_lasti < 0:
        return True
    if _RESUME is None:
        return False
    code = frame.f_code.co_code
    return next((i for i in range(0, len(code), 2) if code[i] == _RESUME), -1) == frame.f_lasti


def _hook(on):
    threading.settrace(_tracer if on else None)
    sys.settrace(_tracer if on else None)


def pytest_configure(config):
    data = _config()
    out = _OUT if os.path.isdir(_OUT) else None
    if data is None or not out:
        return
    targets = [(str(t.get("file")), str(t.get("qualname"))) for t in data["targets"]
               if isinstance(t, dict)]
    _state.update(targets=targets, root=os.path.realpath(os.getcwd()), out=out,
                  argv=list(sys.argv),
                  calls=[[] for _ in targets], skipped=[0 for _ in targets],
                  pickle=data.get("pickle", True) is not False,
                  fallback=str(data.get("fallback") or ""))
    for key in ("max_calls", "max_bytes", "new_shapes"):
        if isinstance(data.get(key), int) and data[key] > 0:
            _state[key] = data[key]
    if data.get("trace") is True:
        _state["probe"] = Probe(len(targets), int(data.get("max_records") or 5000))
    if data.get("stacks") is True:
        _state["stacks"] = [Callers() for _ in targets]
    _hook(True)


def pytest_runtest_logstart(nodeid, location):
    if _state["out"] and sys.gettrace() is not _tracer:  # a test before set its own
        _hook(True)
    if _state["probe"] is not None:
        random.seed(RANDOM_SEED)
        _state["probe"].start_test(nodeid)


def pytest_runtest_logfinish(nodeid, location):
    if _state["probe"] is not None:
        _state["probe"].end_test()


def _tree_paths():
    """The tree's directories on sys.path but its root, relative (the tests' own, which
    pytest put there: `tests` for a test module imported as `test_build`): the replay puts
    them on its path too, so what a call holds from a test module (a validator function
    a test passes) loads by its name there."""
    root, out = _state["root"], []
    for entry in sys.path:
        real = os.path.realpath(entry or ".")
        if real.startswith(root + os.sep):
            rel = real[len(root) + 1:].replace(os.sep, "/")
            if rel not in out:
                out.append(rel)
    return out[:16]


def pytest_unconfigure(config):
    _hook(False)
    if not _state["out"]:
        return
    probe, stacks = _state["probe"], _state["stacks"]
    out = {"functions": [], "tests": probe.tests if probe else [], "paths": _tree_paths()}
    for index, (file, qualname) in enumerate(_state["targets"]):
        row = {"file": file, "qualname": qualname, "calls": _state["calls"][index],
               "unpicklable": _state["skipped"][index]}
        if probe is not None:
            row["trace"] = probe.result(index)
        if stacks is not None:
            row["callers"] = stacks[index].row()
        out["functions"].append(row)
    path = os.path.join(_state["out"], "calls.json")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(out, handle)
    os.replace(path + ".tmp", path)
