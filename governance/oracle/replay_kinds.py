"""What kinds of value the captured calls of a function passed, and whether a generated
input passes one none of them did (the replay runner marks such a row `foreign`; the
daemon reads the mark only where both trees raised: governance.oracle.differential).

Two places a kind is read: each argument's slot (a keyword argument at its position where
it has one) and, for a method, its object's state: each attribute's type and, one level
in, each text-keyed entry of a dict attribute. An input that varied the object into a
state no captured object was in (language-tags' `Subtag.format` on a record whose
`subtag` is a list, where the class keeps text) is foreign in its state: which exception a
method raises on a state its class never holds is no behaviour a caller sees, public or
not.

Copied into a run's private plugin directory as `_ouroboros_kinds` (governance.oracle.
run_dir); standard library only, Python 3.9 and later.
"""

import contextlib
import inspect
import pickle

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_canon import state_of
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.canon import state_of

_ENTRIES = 32  # of a dict attribute, looked at for its entries' kinds


def slots(args, kwargs, params):
    """(slot, type) of a call's arguments, a keyword one at its position where it has one
    (a flag passed by name is the same slot as passed by place)."""
    named = [((params.get(k) or (None,))[0], k, v) for k, v in kwargs.items()]
    return [(i, type(a)) for i, a in enumerate(args)] + [
        (k if at is None else at, type(v)) for at, k, v in named]


def state(obj):
    """("state", path, type) of an object's attributes, and of the text-keyed entries of
    its dict attributes; none for what has no attributes."""
    out = set()
    for name, value in state_of(obj) or ():
        out.add(("state", str(name), type(value)))
        if isinstance(value, dict):
            for key, entry in list(value.items())[:_ENTRIES]:
                if isinstance(key, str):
                    out.add(("state", f"{name}[{key!r}]", type(entry)))
    return out


def kinds(blobs, params, receiver=False):
    """(slot, type) of every argument the captured calls passed, and of each parameter's
    default (what a call that leaves it passes): what callers pass; with `receiver`, the
    state kinds of the objects the calls were made on too."""
    out = {(k if at is None else at, type(d)) for k, (at, _, d) in params.items()
           if d is not inspect.Parameter.empty}
    for blob in blobs:
        with contextlib.suppress(Exception):
            args, kw = pickle.loads(blob)
            out.update(slots(args, kw, params))
            if receiver and args:
                out.update(state(args[0]))
    return out


def foreign(args, kwargs, known, params):
    """Whether an input passes, at some argument, a kind of value no captured call passed
    there and no default holds (the daemon reads it only for a private function both trees
    refused)."""
    return any(s not in known for s in slots(args, kwargs, params))


def foreign_state(args, known):
    """Whether a method's input holds its object in a state of a kind no captured object
    was in (an attribute, or a dict attribute's entry, of another type, or one none had)."""
    return bool(args) and any(s not in known for s in state(args[0]))
