"""The differential check's replay runner: one tree's answers to the captured and generated
calls of the functions a change touches (governance.oracle.differential).

Run in the jail as a script (`python -P _ouroboros_replay.py IN OUT`) with the tree under
test as its working directory: once on the base, once on the candidate. It imports nothing
of ours, and its standard library before the tree is put on sys.path. For each function:
the captured calls (pickles the capture plugin wrote), then inputs generated from them
(`generated`): one argument at a time replaced by a value near it, near a constant of the
function's code, or an edge (0, a negative, an empty string, a half for rounding). The
generation is deterministic, so both trees answer the same inputs.

An answer is what a caller can observe: the returned value, or the type of the exception
raised, and the arguments as the call left them (a mutated list is a difference), in a
canonical form (types kept: 1 is not 1.0, Decimal('1.10') is not Decimal('1.1')). Each call
runs twice; answers that differ between the two runs are nondeterministic (time, randomness)
and are not evidence, nor is a call that times out, or that cannot be unpickled here.
"""

import base64
import contextlib
import decimal
import hashlib
import inspect
import io
import json
import os
import pickle
import re
import reprlib
import signal
import sys

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_DEPTH, _ITEMS = 8, 200
_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict = 80, 80, 8, 8


class _Timeout(BaseException):
    """A call ran past its time: raised from the timer's signal, through any except."""


def canon(obj, depth=0, stack=()):
    """A JSON-able form of `obj` that equal observable states share."""
    if depth > _DEPTH:
        return "<deep>"
    if obj is None or isinstance(obj, (bool, int, str)):
        return [type(obj).__name__, obj]
    if isinstance(obj, float):
        return ["float", repr(obj)]
    if isinstance(obj, (bytes, bytearray)):
        return [type(obj).__name__, bytes(obj[:4096]).hex()]
    if id(obj) in stack:
        return "<cycle>"
    inner = (*stack, id(obj))
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if isinstance(obj, (list, tuple)):
        return [kind, [canon(x, depth + 1, inner) for x in list(obj)[:_ITEMS]], len(obj)]
    if isinstance(obj, dict):
        items = [[canon(k, depth + 1, inner), canon(v, depth + 1, inner)]
                 for k, v in list(obj.items())[:_ITEMS]]
        return [kind, sorted(items, key=json.dumps), len(obj)]
    if isinstance(obj, (set, frozenset)):
        return [kind, sorted((canon(x, depth + 1, inner) for x in list(obj)[:_ITEMS]),
                             key=json.dumps), len(obj)]
    if isinstance(obj, BaseException):
        return [kind, canon(obj.args, depth + 1, inner)]
    state = getattr(obj, "__dict__", None)
    if isinstance(state, dict) and not inspect.isroutine(obj) and not inspect.isclass(obj):
        return [kind, canon(state, depth + 1, inner)]
    return [kind, _ADDRESS.sub("", repr(obj))[:2000]]


def _answer(fn, blob, timeout_s):
    """(canonical answer, short text) of one call on freshly unpickled arguments."""
    args, kwargs = pickle.loads(blob)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            value = fn(*args, **kwargs)
        out = {"kind": "return", "value": canon(value)}
        shown = _repr.repr(value)
    except _Timeout:
        return {"kind": "timeout"}, "timed out"
    except Exception as exc:
        out = {"kind": "raise", "type": f"{type(exc).__module__}.{type(exc).__qualname__}"}
        shown = f"raises {type(exc).__name__}: {_repr.repr(str(exc))}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    out["args"] = canon((args, kwargs))
    return out, shown


def _near(value, constants):
    """Values near `value` and near the function's constants, of the same kind, in order."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        nums = [c for c in constants if isinstance(c, (int, float)) and not isinstance(c, bool)]
        out = [int(c) + d for c in nums for d in (-1, 0, 1)]
        return [*out, value - 1, value + 1, 0, -value, -1, value * 2 + 1]
    if isinstance(value, float):
        nums = [c for c in constants if isinstance(c, (int, float)) and not isinstance(c, bool)]
        out = [float(c) + d for c in nums for d in (-0.5, 0.0, 0.005, 0.5)]
        return [*out, value + 0.5, -value, 0.0, 2.5, 0.125, 1.005, value * 2, -1.5]
    if isinstance(value, decimal.Decimal):
        nums = [decimal.Decimal(str(c)) for c in constants
                if isinstance(c, (int, float)) and not isinstance(c, bool)]
        halves = [decimal.Decimal(s) for s in ("2.5", "0.125", "1.005", "-1.5", "0")]
        return [c + d for c in nums for d in (decimal.Decimal("-0.5"), 0,
                                              decimal.Decimal("0.005"))] + halves + [-value]
    if isinstance(value, (list, tuple)) and len(value) <= 64:
        more = list(value) * 2
        return [type(value)(x) for x in ([], list(value)[:-1], more, list(value)[::-1],
                                         [*list(value), 0])]
    if isinstance(value, str):
        words = [c for c in constants if isinstance(c, str)]
        return [*words, "", value.upper(), value.lower(), value + " ", value[:-1], value * 2]
    return []


def generated(calls, constants, limit):
    """Deterministic variants of the captured calls: one argument changed at a time."""
    out, seen = [], set()
    for blob in calls:
        try:
            args, kwargs = pickle.loads(blob)
        except Exception:
            continue
        slots = [("a", i, v) for i, v in enumerate(args)] + [("k", k, v) for k, v in
                                                               sorted(kwargs.items())]
        for where, key, value in slots:
            for new in _near(value, constants):
                a, k = list(args), dict(kwargs)
                if where == "a":
                    a[key] = new
                else:
                    k[key] = new
                try:
                    variant = pickle.dumps((a, k), protocol=4)
                except Exception:
                    continue
                if variant not in seen and variant != blob:
                    seen.add(variant)
                    out.append(variant)
                if len(out) >= limit:
                    return out
    return out


def _function(root, file, qualname):
    """The function object for `qualname` in the module at `file`, unwrapped."""
    if "<locals>" in qualname:
        raise LookupError("a nested function cannot be called from outside")
    rel = file[len("src/"):] if file.startswith("src/") and os.path.isdir(
        os.path.join(root, "src")) else file
    dotted = rel[:-3].replace("/", ".").removesuffix(".__init__")
    module = __import__(dotted, fromlist=["_"])
    owner, parts = module, qualname.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    raw = inspect.getattr_static(owner, parts[-1])
    if isinstance(raw, (staticmethod, classmethod)):
        raw = raw.__func__
    elif isinstance(raw, property):
        raw = raw.fget
    return inspect.unwrap(raw)


def _run_function(root, spec, timeout_s):
    try:
        fn = _function(root, spec["file"], spec["qualname"])
    except Exception as exc:
        return {"problem": f"not callable here: {type(exc).__name__}: {exc}"[:300],
                "results": []}
    blobs = [base64.b64decode(c["pickle"]) for c in spec["calls"]]
    keyed = [(f"c{i}", b, spec["calls"][i]["repr"]) for i, b in enumerate(blobs)]
    keyed += [(f"g{i}", b, None) for i, b in enumerate(
        generated(blobs, spec.get("constants", []), int(spec.get("generate", 0))))]
    results = []
    for key, blob, shown_in in keyed:
        try:
            first, shown = _answer(fn, blob, timeout_s)
            second, _ = _answer(fn, blob, timeout_s)
            args, kwargs = pickle.loads(blob)
        except Exception as exc:
            results.append({"key": key, "problem": type(exc).__name__})
            continue
        text = shown_in or ", ".join([_repr.repr(a) for a in args]
                                     + [f"{k}={_repr.repr(v)}" for k, v in kwargs.items()])
        digest = hashlib.sha256(json.dumps(first, sort_keys=True).encode()).hexdigest()
        results.append({"key": key, "input": text[:300], "answer": digest, "shown": shown,
                        "kind": first["kind"], "deterministic": first == second})
    return {"problem": None, "results": results}


def _on_alarm(signum, frame):
    raise _Timeout()


def main(argv):
    with open(argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    root = os.path.realpath(os.getcwd())
    sys.path.insert(0, os.path.join(root, "src") if os.path.isdir(os.path.join(root, "src"))
                    else root)
    if sys.path[0] != root:
        sys.path.insert(1, root)
    signal.signal(signal.SIGALRM, _on_alarm)
    timeout_s = float(job.get("call_timeout_s", 1.0))
    out = {"functions": [_run_function(root, spec, timeout_s) for spec in job["functions"]]}
    with open(argv[2] + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(out, handle)
    os.replace(argv[2] + ".tmp", argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
