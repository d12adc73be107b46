"""What a replayed call reads of the world beside its arguments, fixed so that it answers
alike in every run and on both trees (governance.oracle.replay_runner).

A function that reads the clock or the operating system's random bytes answers otherwise
at each call, and an answer that moves is no evidence: uuid6's uuid6, uuid7 and uuid8 read
`time.time_ns()` and `secrets.randbits`, asteval's Interpreter stamps `time.time()` on
itself, so none of their calls was evidence and every change to them waited for review or
went untold (wave 9). The `random` module is seeded per call already (canon.RANDOM_SEED);
here, per call too (`reset`):

- the clock: `time.time()` and `time.time_ns()` start at CLOCK_NS and move TICK_NS at each
  reading (time passes, and alike in every run); the runner's own budgets read the
  monotonic and process clocks, which are left alone;
- the random bytes: `os.urandom`, and `random`'s own (what `secrets` and SystemRandom
  draw from), come from a generator seeded alike, and so does `random.seed()` without a
  seed (C reads the system's randomness for it): a module's draws at import are alike;
- the module's bindings: a function that rebinds its module's names (`global last`: the
  timestamp uuid7 issued last) finds them as they were before its module's first call
  here, so its second run meets what its first did;
- the ids: `id(obj)` numbers objects in the order the call asks about them (`stable_ids`).

Each stand-in takes the name of what it replaces (`_stand_in`), so an input holding one
(asteval's interpreter keeps the builtins in its symbol table, `id` among them) pickles
as `builtins.id`, by reference, whichever module of the runner defines it: the inputs made,
and their keys, do not depend on the runner's layout. Named for itself, the stand-in was
the runner's own: by reference from a module, and by cloudpickle by value from the
runner's script (`__main__`), which failed on its global `_REAL_ID` (the real `id`, no
longer at `builtins.id`); every such input that needed cloudpickle was made in one layout
and silently dropped in the other. Moving the answering code out of the script (ac85116)
put 185 more of asteval's 11 KB symbol-table inputs before the telling `no_ifexp=False`
(its 435th generated input became its 620th), past the budget: a careless change landed.

A candidate that starts to read the clock or random bytes where its base did not answers
steadily too, so such a new dependence is a difference only where it shows in an answer,
as with `random` already; `datetime.now()` reads the clock in C and is not fixed: a call
of it still moves, and is no evidence.

Copied beside the replay runner as `_ouroboros_clock`; standard library only, Python 3.9
and later.
"""

import builtins
import contextlib
import os
import pickle
import random
import time

CLOCK_NS = 1_700_000_000_123_456_789  # 2023-11-14 22:13:20.123456789 UTC: no field zero
TICK_NS = 1_000  # a microsecond a reading
_SEED = 20_491  # canon.RANDOM_SEED
# Where a timestamp outgrows a field: 2**32 and 2**48 of seconds, milliseconds,
# microseconds and nanoseconds, and the epoch. A call that read the clock is answered at
# each too (`clocked`): a mask dropped from a 48-bit millisecond field shows only at
# 2**48 ms, the year 10889, and at the fixed clock alone its mutants were told apart and
# the change landed (uuid6's uuid7, wave 9).
EDGES_NS = (0, *(2 ** bits * unit for bits in (32, 48) for unit in (10**9, 10**6, 10**3, 1)))
# Late in the millisecond a call was captured in: .9997 of it (.7 of its last µs), where a
# clock rounded and one truncated part ways in each unit below the second. An object the
# test made holds the test's own time (a generator's last timestamp), which the fixed
# clock, years before, never meets: snowflake-id's generator taking its milliseconds by
# round() for int() landed (wave 35), its every replayed reading behind the captured one.
LATE_IN_MS_NS = 999_700
_CLOCKED = "ouroboros.clock"
_state = {"now": CLOCK_NS, "fixed": False, "reads": 0}
_bytes = random.Random(_SEED)
_bindings = {}  # id(a module's globals) -> (those globals, their bindings at first call)
_held = {}  # id(a module's globals) -> those globals, whose bindings reset leaves alone
_REAL_ID = id
_IDS = {}  # a real id -> the order the call first asked for it


def _time_ns():
    _state["reads"] += 1
    now = _state["now"]
    _state["now"] = now + TICK_NS
    return now


def _time():
    return _time_ns() / 1e9


def _urandom(size):
    return _bytes.getrandbits(8 * size).to_bytes(size, "little") if size > 0 else b""


def _stable_id(obj):
    """`id(obj)` as the runner answers it: 1 for the first object the call asked about, 2
    for the next, the same number again for an object at the same address. Equal exactly
    where real ids are equal, and alike on both trees: a real id is an address, and two
    processes put None (ASLR) or a fresh dict in two places, so json5's circular check,
    which leaves the object's id in `seen` when it raises, read as 'arguments left another
    way' on a correct refactor."""
    return _IDS.setdefault(_REAL_ID(obj), len(_IDS) + 1)


def _stand_in(owner, name, fn):
    """`fn` put at `owner.name` under that name: pickle (and cloudpickle) write it as a
    reference to `owner.name`, found again as `fn` where it stands there (the module
    docstring), never as the runner's own function."""
    fn.__module__, fn.__qualname__, fn.__name__ = owner.__name__, name, name
    setattr(owner, name, fn)


def stable_ids():
    """From here on, this process's `id` is `_stable_id` (the runner's main, before the
    peer starts; never in the daemon's own process)."""
    _stand_in(builtins, "id", _stable_id)


def fix():
    """From here on, this process's wall clock and random bytes are the fixed ones (the
    runner's main, before the peer starts and before the tree is imported: a module's
    `from time import time` then binds the fixed clock too)."""
    _stand_in(time, "time", _time)
    _stand_in(time, "time_ns", _time_ns)
    _stand_in(os, "urandom", _urandom)
    random._urandom = _urandom  # SystemRandom, and so `secrets`, draw from it (os.urandom)
    _seeded_from_bytes()
    _state["fixed"] = True


_REAL_SEED = random.Random.seed


def _seeded_from_bytes():
    """`random.seed()` and `random.Random()` without a seed seed from the fixed bytes: in C
    they read the system's randomness past os.urandom. numericalunits draws its units so
    when it is imported, and `nu_eval('kg')` answered another number in every process, on
    the base as on the candidate: two careless refactors were refused on that and a correct
    one with them (wave 35)."""
    def seed(self, a=None, version=2):
        if a is None:
            a = int.from_bytes(_urandom(32), "little")
        return _REAL_SEED(self, a, version)
    seed.__module__, seed.__qualname__, seed.__name__ = "random", "Random.seed", "seed"
    random.Random.seed = seed
    random.seed = random._inst.seed


def captured_edges(captured_ns):
    """The clocks a call captured at `captured_ns` (the test's wall clock as it began;
    None where not recorded) is answered at besides EDGES_NS."""
    if type(captured_ns) is not int or captured_ns <= 0:
        return ()
    return (captured_ns // 10**6 * 10**6 + LATE_IN_MS_NS,)


def clocked(blob, now_ns):
    """A call's pickle to be answered with the clock at `now_ns`."""
    return pickle.dumps((_CLOCKED, now_ns, blob), protocol=4)


def unclocked(blob):
    """(the call's own pickle, the clock it is answered at or None) of a pickle `clocked`
    may have wrapped."""
    if _CLOCKED.encode() not in blob[:32]:  # not wrapped: the call's own, not loaded twice
        return blob, None
    try:
        value = pickle.loads(blob)
    except Exception:
        return blob, None
    if isinstance(value, tuple) and len(value) == 3 and value[0] == _CLOCKED \
            and type(value[1]) is int and isinstance(value[2], bytes):
        return value[2], value[1]
    return blob, None


def reads():
    """How many times this process's calls have read the clock."""
    return _state["reads"]


def reset(fn, now_ns=None):
    """Before one call of `fn`: the clock (at `now_ns`, else CLOCK_NS) and the random
    bytes at their start, and the names of `fn`'s module bound as before the first call
    of it here; the ids numbered afresh."""
    _IDS.clear()
    _state["now"] = CLOCK_NS if now_ns is None else now_ns
    _bytes.seed(_SEED)
    space = globals_of(fn)
    if space is None or _held.get(id(space)) is space:
        return
    saved = _bindings.get(id(space))
    if saved is None or saved[0] is not space:
        _bindings[id(space)] = (space, dict(space))
        return
    for name, value in saved[1].items():
        if space.get(name, saved) is not value:
            space[name] = value


@contextlib.contextmanager
def bindings_held(fn):
    """Meanwhile `reset` leaves `fn`'s module names as they are: replay_keys' recording
    tables stand in them for one run, and rebound as before they recorded nothing
    (pylatexenc's table of escapes, wave 25)."""
    space = globals_of(fn)
    if space is None:
        yield
        return
    _held[id(space)] = space
    try:
        yield
    finally:
        _held.pop(id(space), None)


def globals_of(fn):
    """The module namespace `fn` (a function, a bound method, a property's getter) rebinds
    with `global`, or None."""
    for candidate in (fn, getattr(fn, "__func__", None), getattr(fn, "fget", None)):
        space = getattr(candidate, "__globals__", None)
        if isinstance(space, dict):
            return space
    return None
