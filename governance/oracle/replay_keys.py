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
table's first value: what a table of that kind could hold.

Copied into a run's private plugin directory as `_ouroboros_keys` (governance.oracle.
run_dir); standard library only, Python 3.9 and later.
"""

import contextlib
import copy

MAX_CALLS = 8  # captured calls run with recording tables (each one run more)
MAX_TABLE = 4096  # a larger dict is not copied to record its lookups
MAX_MISSED = 16  # keys a table is given
_KEYS = (str, bytes, int, tuple)


class Asked(dict):
    """A dict that notes the keys looked up in it and missing (`missed`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.missed = []

    def _looked(self, key):
        found = super().__contains__(key)
        if not found and type(key) in _KEYS and key not in self.missed:
            self.missed.append(key)
        return found

    def __contains__(self, key):
        return self._looked(key)

    def __getitem__(self, key):
        self._looked(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        return super().get(key, default) if self._looked(key) else default


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
    for key in missed[:MAX_MISSED]:
        out[key] = key if texts and isinstance(key, str) else values[0] if values else key
    return out


def asked_inputs(calls, receiver, run, dumped, loads):
    """Inputs (pickles) made from the first MAX_CALLS `calls` (pickles of (args, kwargs))
    that hold a plain dict: each call is answered once by `run(pickle)`, which returns the
    arguments it ran on (unpickled afresh), with recording copies of those dicts; then the
    call with all of them given their missed keys, then each alone."""
    out = []
    for blob in calls[:MAX_CALLS]:
        with contextlib.suppress(Exception):  # an argument that will not copy or pickle
            args, kwargs = loads(blob)
            places = _tables(args, kwargs, receiver)
            if not places:
                continue
            ran = run(dumped(_with(args, kwargs, {p: Asked(_get(args, kwargs, p))
                                                  for p in places})))
            missed = {p: list(getattr(_get(*ran, p), "missed", ())) for p in places}
            missed = {p: m for p, m in missed.items() if m}
            fills = {p: _filled(_get(args, kwargs, p), m) for p, m in missed.items()}
            made = [fills] + ([{p: f} for p, f in fills.items()] if len(fills) > 1 else [])
            out += [dumped(_with(args, kwargs, f)) for f in made] if fills else []
    return [b for b in out if b is not None]
