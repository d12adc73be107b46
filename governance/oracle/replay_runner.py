"""The differential check's replay runner: one tree's answers to the captured and generated
calls of the functions a change touches (governance.oracle.differential).

Run in the jail as a script (`python -P _ouroboros_replay.py IN OUT`) with the tree under
test as its working directory: once on the base, once on the candidate. It imports nothing
of ours, and its standard library before the tree is put on sys.path; it runs on Python 3.9
and later. It re-executes itself once with a fixed hash seed, so that both trees iterate
sets of strings in the same order (and generate the same inputs).

For each function: the captured calls (pickles the capture plugin wrote), then inputs
generated from them (`generated`), in stages so that every call and every argument gets a
share of the budget: each argument left to its default in turn; one argument at a time
replaced by the values nearest it (`_near`: a neighbour, a constant of the function's code,
an edge, a value another call passed there); two arguments at once, from the nearest few of
each; then the rest of the one-at-a-time values. The generation is deterministic, so both
trees answer the same inputs; the generated calls of a function stop after its time budget
(only the inputs both trees answered are compared).

An answer is what a caller can observe: the returned value (an iterator's items), or the
type of the exception raised, and the arguments as the call left them (a mutated list is a
difference), in a canonical form (`canon`: types kept, 1 is not 1.0, Decimal('1.10') is not
Decimal('1.1'); a dict's order kept, an object's attributes by name). Each call runs twice;
answers that differ between the two runs are nondeterministic (time, randomness) and are
not evidence, nor is a call that times out, or that cannot be unpickled here.
"""

import base64
import contextlib
import copy
import datetime
import decimal
import hashlib
import inspect
import io
import itertools
import json
import os
import pickle
import re
import reprlib
import signal
import sys
import time

try:  # in the jail: beside this script, in the run's plugin directory
    from _ouroboros_canon import ADDRESS, canon, show, state_of
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.canon import ADDRESS, canon, show, state_of

_DIGITS = re.compile(r"\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_SEEDED = "OUROBOROS_REPLAY_SEEDED"  # set once the runner runs under the fixed hash seed
_BUDGET_S = 2.0  # generated calls of one function, per tree
_NEAR_MAX, _PAIR_FIRST, _SINGLE_FIRST = 48, 4, 6
_LONG_TEXT, _MAX_BYTES = 4096, 64 << 20  # a text too long to vary finely; all variants' bytes
_HALVES = ("0.5", "2.5", "0.125", "1.005", "0.005", "0.015", "-1.5")
# Text where case and normalisation rules part ways: sharp s, dotted I, a ligature, a
# title-case digraph, a combining accent.
_PROBES = (" Stra\u00dfe", " \u0130", " \ufb01", " \u01c5", " e\u0301")
_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict = 80, 80, 8, 8


class _Timeout(BaseException):
    """A call ran past its time: raised from the timer's signal, through any except."""


# -- generated inputs: values near a value ------------------------------------------------


class _Context:
    """What a value is varied towards: the function's constants, and the integers and
    lengths of the call's other arguments."""

    def __init__(self, constants, siblings=(), depth=0):
        self.numbers = []
        for c in constants:
            if isinstance(c, str) and _NUMBER.fullmatch(c.strip()):
                c = decimal.Decimal(c.strip())
            if isinstance(c, (int, float, decimal.Decimal)) and not isinstance(c, bool):
                with contextlib.suppress(ArithmeticError, ValueError):
                    self.numbers.append(decimal.Decimal(str(c)))
        self.ints = [int(d) for d in self.numbers if d == d.to_integral_value()]
        self.words = [c for c in constants if isinstance(c, str)]
        self.constants, self.siblings, self.depth = constants, list(siblings), depth

    def deeper(self):
        return _Context(self.constants, self.siblings, self.depth + 1)


def _near_int(v, ctx):
    out = [v - 1, v + 1, 0]
    for n in (*ctx.ints, *ctx.siblings):
        out += [n - 1, n, n + 1]
    return [*out, -v, -1, 1, 2, 3, v - 2, v + 2, v - 3, v + 3, 2 * v + 1]


def _near_float(v, ctx):
    out = [0.0, v + 0.005, 0.125, v - 0.5, v + 0.5, -v]
    for d in ctx.numbers:
        out += [float(d), float(d) - 0.5, float(d) + 0.005, float(d) + 0.5]
    return out + [float(s) for s in ctx.siblings] + [float(h) for h in _HALVES] + [v * 2]


def _near_decimal(v, ctx):
    step, half = decimal.Decimal("0.01"), decimal.Decimal("0.005")
    out = [decimal.Decimal(0), v + half, decimal.Decimal("0.125"), v - step, v + step, -v]
    for d in ctx.numbers:
        out += [d, d - decimal.Decimal("0.5"), d + half, d + step]
    return out + [decimal.Decimal(h) for h in _HALVES] + [v * 2]


def _near_str(v, ctx):
    if len(v) > _LONG_TEXT:
        return ["", v[:-1], v[1:], v.strip(), v[:len(v) // 2]]
    if _NUMBER.fullmatch(v.strip()):  # a number written out is varied as a number
        number = decimal.Decimal(v.strip())
        near = _near_int(int(number), ctx) if "." not in v else _near_decimal(number, ctx)
        numeric = [str(n) for n in near]
    else:
        numeric = []
    words = ctx.words[:12]  # what the code compares with first: states, codes, units
    out = [*numeric, "", *words[:6], " " + v, v + " ", v.upper(), v.lower(), v[:-1], v[1:],
           v[:1], v[:2], v[-1:], v.strip()[:1], v * 2, v + " " + v, v.title(), v.swapcase(),
           "\t" + v + "\n", " ".join(reversed(v.split(" "))), v.replace(" ", "  ")]
    out += _digit_variants(v, ctx.ints) + words[6:] + [f"{v} {w}" for w in words[:6]]
    out += [v.replace(w, other) for w in words if len(w) > 1 and w in v
            for other in words[:6] if other != w]
    return out + [v + p for p in _PROBES]


def _digit_variants(v, ints):
    """`v` with one of its first numbers moved: by one, to zero, near a constant."""
    out = []
    for m in list(_DIGITS.finditer(v))[:3]:
        n, width = int(m.group()), len(m.group())
        for new in [n - 1, n + 1, 0, *[c + d for c in ints[:10] if 0 <= c < 10 ** 6
                                       for d in (-1, 0, 1)]]:
            if new >= 0:
                out.append(v[:m.start()] + str(new).zfill(width) + v[m.end():])
    return out


def _near_seq(v, ctx):
    if len(v) > 64:
        return []
    items = list(v)
    shapes = [[], items[:-1], items[1:], items[::-1], items * 2, items + items[-1:],
              items[:1]]
    if ctx.depth < 2:
        shapes += _interleave([[[*items[:i], new, *items[i + 1:]]
                                for new in _near(items[i], ctx.deeper())[:6]]
                               for i in range(min(len(items), 4))])
    out = [x for x in (_rebuilt(v, s) for s in shapes) if x is not None]
    other = tuple(items) if isinstance(v, list) else items  # the other kind of sequence
    return [*out[:4], other, *out[4:]]


def _rebuilt(v, items):
    """A list or tuple of `v`'s type holding `items` (a named tuple only at its length)."""
    with contextlib.suppress(Exception):
        return type(v)(items)
    with contextlib.suppress(Exception):
        return type(v)(*items)
    return None


def _near_dict(v, ctx):
    if len(v) > 64:
        return []
    pairs = list(v.items())
    shapes = [[], pairs[::-1]] + [pairs[:i] + pairs[i + 1:] for i in range(min(len(v), 6))]
    if ctx.depth < 2:
        shapes += _interleave([[[*pairs[:i], (k, new), *pairs[i + 1:]]
                                for new in _near(val, ctx.deeper())[:6]]
                               for i, (k, val) in enumerate(pairs[:6])])
    out = []
    for shape in shapes:
        with contextlib.suppress(Exception):
            clone = copy.copy(v)
            clone.clear()
            clone.update(shape)
            out.append(clone)
    return out


def _near_set(v, ctx):
    shown = [repr(x) for x in v]
    if any(ADDRESS.search(t) for t in shown):  # ordered by address: not alike on both trees
        return [type(v)()]
    items = [x for _, x in sorted(zip(shown, v), key=lambda p: p[0])][:4]  # noqa: B905
    return [type(v)()] + [type(v)(x for x in v if x is not drop) for drop in items]


def _near_date(v, ctx):
    day = datetime.timedelta(days=1)
    month_end = (v.replace(day=28) + 4 * day).replace(day=1) - day
    out = [v + day, v - day, v.replace(day=1), month_end, month_end + day]
    out += [v + n * day for n in (2, 3, 4, 5, 6, 7, -2, -3, -4, -5, -6, -7)]
    for year, month, d in ((v.year, 12, 31), (v.year + 1, 1, 1), (2024, 2, 29), (2023, 2, 28),
                           (v.year - 1, v.month, min(v.day, 28))):
        with contextlib.suppress(ValueError, OverflowError):
            out.append(v.replace(year=year, month=month, day=d))
    if isinstance(v, datetime.datetime):
        out += [v.replace(hour=0, minute=0, second=0, microsecond=0), v.replace(hour=12),
                v.replace(hour=23, minute=59, second=59, microsecond=999999),
                v.replace(microsecond=500000)]
    return out


def _near_timedelta(v, ctx):
    second = datetime.timedelta(seconds=1)
    return [datetime.timedelta(0), v + second, v - second, -v, v * 2,
            datetime.timedelta(days=1)]


def _near_object(v, ctx):
    """An instance with one attribute moved (attributes by name, a few values each)."""
    state = state_of(v)
    if state is None or ctx.depth >= 2 or not hasattr(v, "__dict__"):
        return []

    def moved(name, new):
        clone = copy.copy(v)
        vars(clone)[name] = new
        return clone
    with contextlib.suppress(Exception):
        return _interleave([[moved(name, new) for new in _near(value, ctx.deeper())[:12]]
                            for name, value in state[:8] if name in vars(v)])
    return []


# Which values a value is varied to, by its type (bool before int, datetime before date).
_NEAR = ((bool, lambda v, ctx: [not v]), (int, _near_int), (float, _near_float),
         (decimal.Decimal, _near_decimal), (str, _near_str), ((list, tuple), _near_seq),
         (dict, _near_dict), ((set, frozenset), _near_set), (datetime.date, _near_date),
         (datetime.timedelta, _near_timedelta))


def _near(value, ctx):
    """Values near `value`, nearest first, without repeats or `value` itself."""
    try:
        maker = next((f for kinds, f in _NEAR if isinstance(value, kinds)), _near_object)
        return _unique(maker(value, ctx), value)[:_NEAR_MAX]
    except Exception:  # an odd value (a NaN Decimal, a date at its limits): no neighbours
        return []


def _unique(values, value):
    out, seen = [], {_blob(value)}
    for v in values:
        key = _blob(v)
        if key is not None and key not in seen:
            seen.add(key)
            out.append(v)
    return out


def _blob(value):
    try:
        return pickle.dumps(value, protocol=4)
    except Exception:
        return None


_GAP = object()


def _interleave(lists):
    """The first of each list, then the second of each..."""
    return [x for row in itertools.zip_longest(*lists, fillvalue=_GAP) for x in row
            if x is not _GAP]


# -- generated inputs: calls --------------------------------------------------------------


class _Plan:
    """One captured call's variants: `near[i]` the values its slot i may take."""

    def __init__(self, args, kwargs, constants, pools):
        self.args, self.kwargs = list(args), dict(kwargs)
        self.slots = [("a", i) for i in range(len(args))] + [("k", k) for k in sorted(kwargs)]
        values = [self.get(s) for s in self.slots]
        siblings = [n for v in values for n in _numbers_in(v)]
        ctx = _Context(constants, siblings)
        self.near = []
        for slot, value in zip(self.slots, values):  # noqa: B905 (Python 3.9)
            own = _near(value, ctx)
            others = [p for p in pools.get(slot, []) if _blob(p) != _blob(value)]
            self.near.append(_unique(own[:3] + others + own[3:] + [None], value))

    def get(self, slot):
        return self.args[slot[1]] if slot[0] == "a" else self.kwargs[slot[1]]

    def with_(self, *changes):
        args, kwargs = list(self.args), dict(self.kwargs)
        for (where, key), value in changes:
            if where == "a":
                args[key] = value
            else:
                kwargs[key] = value
        return args, kwargs

    def defaults(self):
        """Each trailing positional argument, then each keyword one, left to its default."""
        for n in range(len(self.args) - 1, -1, -1):
            yield self.args[:n], dict(self.kwargs)
        for k in sorted(self.kwargs):
            yield list(self.args), {n: v for n, v in self.kwargs.items() if n != k}

    def singles(self, lo, hi):
        for depth in range(lo, hi):
            for slot, near in zip(self.slots, self.near):  # noqa: B905 (Python 3.9)
                if depth < len(near):
                    yield self.with_((slot, near[depth]))

    def pairs(self, lo, hi):
        """Two slots at once, their values' depths summing to lo..hi, under _PAIR_FIRST."""
        for total in range(lo, hi + 1):
            for a in range(max(0, total - _PAIR_FIRST + 1), min(total, _PAIR_FIRST - 1) + 1):
                for i, j in itertools.combinations(range(len(self.slots)), 2):
                    if a < len(self.near[i]) and total - a < len(self.near[j]):
                        yield self.with_((self.slots[i], self.near[i][a]),
                                         (self.slots[j], self.near[j][total - a]))


def _numbers_in(value):
    """The integers a call's argument offers its siblings: itself, its length, its
    attributes' (one level)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, (str, list, tuple, dict, set, frozenset)):
        return [len(value)]
    state = state_of(value) if hasattr(value, "__dict__") else None
    return [n for _, v in (state or [])[:8] if not hasattr(v, "__dict__")
            for n in _numbers_in(v)]


def _pools(decoded):
    """Per slot, the distinct values the captured calls passed there (a few each)."""
    pools, seen = {}, set()
    for args, kwargs in decoded:
        for slot, value in [(("a", i), v) for i, v in enumerate(args)] + [
                (("k", k), v) for k, v in sorted(kwargs.items())]:
            key = (slot, _blob(value))
            if key[1] is not None and key not in seen and len(pools.get(slot, ())) < 6:
                seen.add(key)
                pools.setdefault(slot, []).append(value)
    return pools


def _round_robin(iterables):
    live = [iter(x) for x in iterables]
    while live:
        for it in list(live):
            try:
                yield next(it)
            except StopIteration:
                live.remove(it)


# The stages, in order: every call's defaults, its nearest single changes, nearest pairs,
# the other single changes, the other pairs.
_STAGES = (lambda p: p.defaults(), lambda p: p.singles(0, _SINGLE_FIRST),
           lambda p: p.pairs(0, 2), lambda p: p.singles(_SINGLE_FIRST, _NEAR_MAX + 8),
           lambda p: p.pairs(3, 2 * _PAIR_FIRST - 2))


def generated(calls, constants, limit):
    """Deterministic variants of the captured calls (the module docstring), at most `limit`
    and _MAX_BYTES of pickles."""
    decoded = []
    for blob in calls:
        with contextlib.suppress(Exception):
            args, kwargs = pickle.loads(blob)
            decoded.append((list(args), dict(kwargs)))
    pools = _pools(decoded)
    plans = [_Plan(a, k, constants, pools) for a, k in decoded]
    out, seen, size = [], set(calls), 0
    for stage in _STAGES:
        for args, kwargs in _round_robin([stage(p) for p in plans]):
            blob = _blob((args, kwargs))
            if blob is not None and blob not in seen:
                seen.add(blob)
                out.append(blob)
                size += len(blob)
                if len(out) >= limit or size > _MAX_BYTES:
                    return out
    return out


# -- answering ----------------------------------------------------------------------------


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


def _function(root, file, qualname):
    """The function object for `qualname` in the module at `file`, unwrapped."""
    if "<locals>" in qualname:
        raise LookupError("a nested function cannot be called from outside")
    rel = file[len("src/"):] if file.startswith("src/") and os.path.isdir(
        os.path.join(root, "src")) else file
    dotted = rel[:-3].replace("/", ".")
    if dotted.endswith(".__init__"):
        dotted = dotted[:-len(".__init__")]
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


def _one(fn, key, blob, timeout_s):
    """One input's result row: its answer's digest, both runs alike or not."""
    try:
        first, shown = _answer(fn, blob, timeout_s)
        second, _ = _answer(fn, blob, timeout_s)
        args, kwargs = pickle.loads(blob)
    except Exception as exc:
        return {"key": key, "problem": type(exc).__name__}
    text = ", ".join([show(a) for a in args] + [f"{k}={show(v)}" for k, v in kwargs.items()])
    digest = hashlib.sha256(json.dumps(first, sort_keys=True).encode()).hexdigest()
    return {"key": key, "input": text[:300], "answer": digest, "shown": shown,
            "kind": first["kind"], "deterministic": first == second}


def _run_function(root, spec, timeout_s, budget_s):
    try:
        fn = _function(root, spec["file"], spec["qualname"])
    except Exception as exc:
        return {"problem": f"not callable here: {type(exc).__name__}: {exc}"[:300],
                "results": []}
    blobs = [base64.b64decode(c["pickle"]) for c in spec["calls"]]
    results = [_one(fn, f"c{i}", b, timeout_s) for i, b in enumerate(blobs)]
    deadline = time.monotonic() + budget_s
    for i, blob in enumerate(generated(blobs, spec.get("constants", []),
                                       int(spec.get("generate", 0)))):
        if time.monotonic() > deadline:
            break
        results.append(_one(fn, f"g{i}", blob, timeout_s))
    return {"problem": None, "results": results}


def _on_alarm(signum, frame):
    raise _Timeout()


def _seeded(argv):
    """Re-execute under a fixed hash seed, once (both trees then agree on set order); not
    when the caller fixed one already (a Python start saved)."""
    if os.environ.get(_SEEDED) or sys.flags.ignore_environment \
            or not sys.flags.hash_randomization:
        return
    env = dict(os.environ, PYTHONHASHSEED="0", **{_SEEDED: "1"})
    flags = ["-P"] if getattr(sys.flags, "safe_path", False) else []
    with contextlib.suppress(OSError):
        os.execve(sys.executable, [sys.executable, *flags, *argv], env)


def main(argv):
    _seeded(argv)
    with open(argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    root = os.path.realpath(os.getcwd())
    sys.path.insert(0, os.path.join(root, "src") if os.path.isdir(os.path.join(root, "src"))
                    else root)
    if sys.path[0] != root:
        sys.path.insert(1, root)
    signal.signal(signal.SIGALRM, _on_alarm)
    timeout_s = float(job.get("call_timeout_s", 1.0))
    budget_s = float(job.get("budget_s", _BUDGET_S))
    out = {"functions": [_run_function(root, spec, timeout_s, budget_s)
                         for spec in job["functions"]]}
    with open(argv[2] + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(out, handle)
    os.replace(argv[2] + ".tmp", argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
