"""The keys a call looked up in its tables and did not find, and the call again with its
tables holding them: generated inputs for the replay runner (governance.oracle.
replay_runner), answered before the rest of them.

Code that tries one table and falls back to another answers alike, whichever it tries
first, on every input where at most one of them knows the key. iuliia's letter looked up by
its next neighbour before its previous one landed (wave 19): no schema the tests built had
a letter both tables knew, and no neighbour of a table added the key a call looks up (it is
made by the code, `prev + curr`). So a captured call is run once with each plain dict it
holds (an argument, or an attribute of its object) in a recording copy (`Asked`), which
notes each key looked up and missing; the call is then made with every such table holding
its missed keys, all at once (where two tables answer, their order shows), then each table
alone. A key added answers its own text where the table maps texts to texts, else the
table's first value: what a table of that kind could hold. The tables its class or module
holds (named by its code) record too, for the moment of that one run, and are put back:
an argument one of them was asked for and lacked is then given as keys it holds
(iso639-lang's deprecation lookup moved into a helper waited, no test passing a
deprecated name, wave 20).

Tables merged in another order (`{**imported, **ctx}` made `{**ctx, **imported}`: the
"merge" kind of governance.proof.conversions) answer alike on every call whose tables share
no key: evalidate's imported functions merged after the caller's globals landed (wave 22),
no test's globals naming an imported function. So each call's tables (its arguments', its
object's) are also given the keys of the other plain dicts it reaches, its object's
attributes' among them (`crossed_inputs`).

Copied into a run's private plugin directory as `_ouroboros_keys` (governance.oracle.
run_dir); standard library only, Python 3.9 and later.
"""

import contextlib
import copy
from collections.abc import Mapping

MAX_CALLS = 8  # captured calls run with recording tables (each one run more)
MAX_TABLE = 4096  # a larger dict is not copied to record its lookups
MAX_MISSED = 16  # missed keys a table notes, and is given
_KEYS = (str, bytes, int, tuple)


class Asked(dict):
    """A dict that notes the keys looked up in it and missing (`missed`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.missed = []
        self.asked = []  # the ids of the objects looked up, found or not, hashable or not

    def _looked(self, key):
        if len(self.asked) < MAX_MISSED and id(key) not in self.asked:
            self.asked.append(id(key))
        found = super().__contains__(key)
        if not found and type(key) in _KEYS and len(self.missed) < MAX_MISSED \
                and key not in self.missed:  # the first few: a loop may look up thousands
            self.missed.append(key)
        return found

    def __contains__(self, key):
        return self._looked(key)

    def __getitem__(self, key):
        self._looked(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        return super().get(key, default) if self._looked(key) else default

    def pop(self, key, *default):
        self._looked(key)
        return super().pop(key, *default)

    def copy(self):
        """A recording copy noting into this one's `missed`: code that copies a table and
        takes its key from the copy (json-merge-patch's `move_to_start`: `result.copy()`,
        then `.pop(key)`, wave 26) asked this table for it."""
        out = Asked(self)
        out.missed, out.asked = self.missed, self.asked
        return out


def _tables(args, kwargs, receiver):
    """Where the call's plain dicts are: ("a", i) / ("k", name) for an argument, and
    ("o", name) for an attribute of its object (a method's first argument)."""
    out = [("a", i) for i, v in enumerate(args) if type(v) is dict]
    out += [("k", k) for k, v in sorted(kwargs.items()) if type(v) is dict]
    held = getattr(args[0], "__dict__", None) if receiver and args else None
    if isinstance(held, dict):
        out += [("o", k) for k, v in sorted(held.items(), key=lambda kv: str(kv[0]))
                if type(v) is dict and isinstance(k, str)]
    return [p for p in out if len(_get(args, kwargs, p)) <= MAX_TABLE]


def _get(args, kwargs, place):
    kind, at = place
    return args[at] if kind == "a" else kwargs[at] if kind == "k" else vars(args[0])[at]


def _with(args, kwargs, tables):
    """Copies of the call's arguments with the dicts at `tables` (place -> dict) put in."""
    args, kwargs = list(args), dict(kwargs)
    if any(kind == "o" for kind, _ in tables):
        args[0] = copy.copy(args[0])
        vars(args[0]).update((at, d) for (kind, at), d in tables.items() if kind == "o")
    for (kind, at), d in tables.items():
        if kind == "a":
            args[at] = d
        elif kind == "k":
            kwargs[at] = d
    return args, kwargs


def _filled(table, missed):
    """`table` holding the keys in `missed`, each answering its own text (a table of texts)
    or the table's first value."""
    values = list(table.values())
    texts = bool(values) and all(isinstance(v, str) for v in values)
    out = dict(table)
    for key in missed:
        out[key] = key if texts and isinstance(key, str) else values[0] if values else key
    return out


def _shared(fn, args, receiver, names):
    """The tables the call reads that no argument holds, named by its code: its class's (a
    classmethod's `cls`, a method's object's class) and its module's, as (holder, name),
    the holder a class or the module's namespace. A table is a plain dict or another
    mapping (pylatexenc's escapes are a LazyDict, wave 25): it is recorded through a plain
    copy for one run and put back, and only the arguments it was asked for change."""
    out = []
    if receiver and args:
        owner = args[0] if isinstance(args[0], type) else type(args[0])
        for name in sorted(names):
            holder = next((k for k in owner.__mro__ if name in vars(k)), None)
            if holder is not None and _table(vars(holder)[name]):
                out.append((holder, name))
    space = getattr(fn, "__globals__", None) or {}
    out += [(space, n) for n in sorted(names) if _table(space.get(n))]
    return out


def _table(value):
    """Whether `value` is a mapping of at most MAX_TABLE keys (not a class: its len is no
    table's)."""
    if not isinstance(value, Mapping) or isinstance(value, type):
        return False
    try:
        return len(value) <= MAX_TABLE
    except Exception:  # a mapping whose len raises is no table to record
        return False


def _read(holder, name):
    return holder[name] if isinstance(holder, dict) else vars(holder)[name]


def _put(holder, name, value):
    if isinstance(holder, dict):
        holder[name] = value
    else:
        setattr(holder, name, value)


def _recording(table):
    """A recording copy of `table`, its dict values recording copies too (a table of
    tables: `cls._deprecated[kind][name]`)."""
    return Asked({k: Asked(v) if type(v) is dict and len(v) <= MAX_TABLE else v
                  for k, v in table.items()})


def _looked_up(fn_run, blob, shared):
    """`fn_run(blob)`, the shared tables recording meanwhile: (what it ran on, [(a table,
    the keys looked up in it and missing)]). Each table is put back whatever happens."""
    put = []
    try:
        for holder, name in shared:
            table = _read(holder, name)
            _put(holder, name, _recording(table))
            put.append((holder, name, table))
        ran = fn_run(blob)
        looked = [(t, list(t.missed)) for holder, name, _ in put
                  for t in [_read(holder, name), *_read(holder, name).values()]
                  if isinstance(t, Asked) and t.missed]
    finally:
        for holder, name, table in put:
            with contextlib.suppress(Exception):
                _put(holder, name, table)
    return ran, looked


def _keyed(args, kwargs, receiver, looked):
    """The call with an argument that a shared table was asked for, and did not hold, put
    as keys that table holds (its first two, its last, and those whose value is empty):
    what a caller passes that the table knows (iso639-lang's deprecated names, none of
    which a test passed). A text one of whose characters the table was asked for (as
    itself or by `ord`: a table of characters' escapes) gets that character put as those
    keys: pylatexenc's U+2061, whose escape is '', was in no test's text (wave 25)."""
    out = []
    for table, missed in looked:
        keys = _chosen(table)
        for place in _places(args, kwargs, receiver):
            value = _get(args, kwargs, place)
            if type(value) in _KEYS and value in missed:
                out += [_with(args, kwargs, {place: k}) for k in keys if k != value]
            elif isinstance(value, str):
                out += [_with(args, kwargs, {place: t}) for t in _retexted(value, missed, keys)]
    return out


def _retexted(text, missed, keys):
    """`text` with its first character the table missed (itself or its `ord`) put as each
    of `keys` that is a character or a code point."""
    at = next((i for i, ch in enumerate(text) if ch in missed or ord(ch) in missed), None)
    if at is None:
        return []
    chars = [chr(k) if type(k) is int else k for k in keys
             if (isinstance(k, str) and len(k) == 1) or (type(k) is int and 0 <= k < 0x110000)]
    return [text[:at] + ch + text[at + 1:] for ch in chars if ch != text[at]]


def _chosen(table):
    """A table's keys to try: its first two, its last, then the first two whose value is
    empty (a row whose value code may not index)."""
    keys = list(table)
    ends = keys[:2] + keys[-1:] if len(keys) > 3 else keys
    empty = [k for k, v in table.items() if _empty(v)][:2]
    return list(dict.fromkeys([*ends, *empty]))


def _empty(value):
    try:
        return value is None or (len(value) == 0 and not isinstance(value, type))
    except Exception:  # no len, or one that raises
        return False


def asked_inputs(fn, calls, receiver, run, dumped, loads, names=(), over=lambda: False):
    """Inputs (pickles) made from the first MAX_CALLS `calls` (pickles of (args, kwargs))
    that hold a plain dict or read one of their class's or module's: each call is answered
    once by `run(pickle)`, which returns the arguments it ran on (unpickled afresh), with
    recording copies of those dicts; then the call with all the dicts it holds given their
    missed keys, then each alone; then with each argument a shared table missed put as
    that table's keys. No more calls are run once `over()` (the stage's budget spent)."""
    out = []
    for blob in calls[:MAX_CALLS]:
        if over():
            break
        with contextlib.suppress(Exception):  # an argument that will not copy or pickle
            args, kwargs = loads(blob)
            places = _tables(args, kwargs, receiver)
            shared = _shared(fn, args, receiver, names)
            if not places and not shared:
                continue
            ran, looked = _looked_up(run, dumped(_with(args, kwargs, {
                p: Asked(_get(args, kwargs, p)) for p in places})), shared)
            missed = {p: list(getattr(_get(*ran, p), "missed", ())) for p in places}
            missed = {p: m for p, m in missed.items() if m}
            fills = {p: _filled(_get(args, kwargs, p), m) for p, m in missed.items()}
            made = [fills] + ([{p: f} for p, f in fills.items()] if len(fills) > 1 else [])
            out += [dumped(_with(args, kwargs, f)) for f in made] if fills else []
            out += [dumped(call) for call in _keyed(args, kwargs, receiver, looked)]
            out += [dumped(call) for call in _as_keys(args, kwargs, receiver, ran, places)]
    return [b for b in out if b is not None]


def _as_keys(args, kwargs, receiver, ran, places):
    """The call with an argument that another argument's table was asked for (the very
    object, found or not, hashable or not) put as keys that table holds: a function given
    a table and a key into it (json-merge-patch's `move_to_start(result, key)`, called by
    no test and lent no `key` by its kin, had no input, wave 26; called bare with a dict
    and a text (governance.proof.param_roles), it misses the text, then is given each key
    the dict holds)."""
    out = []
    ids = {id(_get(*ran, p)): p for p in _places(ran[0], ran[1], receiver)}
    for place in places:
        asked = getattr(_get(*ran, place), "asked", ())
        for key_place in dict.fromkeys(ids[i] for i in asked if i in ids):
            if key_place != place:
                out += [_with(args, kwargs, {key_place: k})
                        for k in _chosen(_get(args, kwargs, place))]
    return out


def _places(args, kwargs, receiver):
    return [("a", i) for i in range(int(receiver), len(args))] + [("k", k) for k in sorted(kwargs)]


def _reached(args, kwargs, receiver, places):
    """The plain dicts a call reaches: those at `places` (its arguments', its object's
    attributes'), and those of the objects its object holds (`self.model.imported_functions`)."""
    out = [_get(args, kwargs, p) for p in places]
    held = getattr(args[0], "__dict__", None) if receiver and args else None
    for value in (held or {}).values():
        inner = getattr(value, "__dict__", None)
        if isinstance(inner, dict) and not isinstance(value, type):
            out += [v for v in inner.values() if type(v) is dict and len(v) <= MAX_TABLE]
    return out


def crossed_inputs(calls, receiver, dumped, loads):
    """Inputs (pickles), at most MAX_CALLS, made from `calls`: each table a call holds
    (`_tables`) given the keys of every other plain dict the call reaches that it lacks
    (`_filled`'s values), one table at a time. Calls whose tables would gain nothing are
    passed over: a suite's first calls are as often as not its simplest (evalidate's first
    eight imported no function)."""
    out = []
    for blob in calls:
        if len(out) >= MAX_CALLS:
            break
        with contextlib.suppress(Exception):  # an argument that will not copy or pickle
            args, kwargs = loads(blob)
            places = _tables(args, kwargs, receiver)
            reached = _reached(args, kwargs, receiver, places)
            for place in places:
                table = _get(args, kwargs, place)
                keys = [k for other in reached if other is not table for k in other
                        if type(k) in _KEYS and k not in table]
                if keys:
                    filled = _filled(table, list(dict.fromkeys(keys))[:MAX_MISSED])
                    out.append(dumped(_with(args, kwargs, {place: filled})))
    return [b for b in out if b is not None]
