"""What kinds of value the captured calls of a function passed, and whether a generated
input passes one none of them did at some argument's slot (a keyword argument at its
position where it has one). The replay runner marks such a row `foreign`; the daemon reads
the mark only for a private function both trees refused (governance.oracle.differential).
A row whose kind at some slot is not even a subclass of one passed there is `alien`: no
difference a private function shows on it counts. An alien that is a Decimal or a Fraction
where every captured call passed a whole number is `exotic`: no difference any function
shows on it counts, nor makes it wait.

An object's state is no such slot, on purpose: an attribute tests always set may be None
in use (a connection made lazily), and a careless change that drops the check before it
raises another exception there; a public method's exceptions are its callers' to catch,
on any state (`tests/governance/fail_closed/test_differential.py`).

Copied into a run's private plugin directory as `_ouroboros_kinds` (governance.oracle.
run_dir); standard library only, Python 3.9 and later.
"""

import contextlib
import inspect
from decimal import Decimal
from fractions import Fraction

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_unpickle import loads
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle.unpickle import loads


def slots(args, kwargs, params):
    """(slot, type) of a call's arguments, a keyword one at its position where it has one
    (a flag passed by name is the same slot as passed by place)."""
    named = [((params.get(k) or (None,))[0], k, v) for k, v in kwargs.items()]
    return [(i, type(a)) for i, a in enumerate(args)] + [
        (k if at is None else at, type(v)) for at, k, v in named]


def kinds(blobs, params):
    """(slot, type) of every argument the captured calls passed, and of each parameter's
    default (what a call that leaves it passes): what callers pass."""
    out = {(k if at is None else at, type(d)) for k, (at, _, d) in params.items()
           if d is not inspect.Parameter.empty}
    for blob in blobs:
        with contextlib.suppress(Exception):
            out.update(slots(*loads(blob), params))  # the runner's own reading of them
    return out


def foreign(args, kwargs, known, params):
    """Whether an input passes, at some argument, a kind of value no captured call passed
    there and no default holds (the daemon reads it only for a private function both trees
    refused)."""
    return any(s not in known for s in slots(args, kwargs, params))


def private(qualname):
    """Whether a function is private to its module (`_name`, not a dunder): a helper its
    module's own code calls, whose callers' kinds of value are the only ones it sees."""
    name = qualname.rsplit(".", 1)[-1]
    return name.startswith("_") and not name.endswith("__")


def alien(args, kwargs, known, params):
    """Whether an input passes, at some argument, a value whose type is no captured call's
    type there nor a subclass of one, nor a default's (bytes where callers pass text, a
    Decimal where they pass ints; an OrderedDict where they pass dicts is no alien, nor
    a callable where they pass a callable; a slot of which no captured call could be read
    is none either: unknown is not alien): the
    daemon counts no difference a private function shows on such an input."""
    seen = _by_slot(known)
    return any(slot in seen and not any(issubclass(kind, k) or (_calls(kind) and _calls(k))
                                        for k in seen[slot])
               for slot, kind in slots(args, kwargs, params))


def exotic(args, kwargs, known, params):
    """Whether an input passes a Decimal or a Fraction at a slot where every captured call
    passed a whole number (an int; a bool is one) and no default holds another kind: a
    count, an index or a width, which the search widens through the numeric tower (a
    careless coercion shows on a float or a text there, which stay evidence). The daemon
    reads no difference on it, public function or private, as a change or as a doubt:
    geographiclib's `polyval`, its counting while loop made a `for` over `range(N)`, was
    refused at `N=Decimal('-1')` (wave 15), dissect.cstruct's `pack`, its ceiling division
    by negated floor division, at a Fraction size (wave 14); neither is a value any caller
    passes there."""
    seen = _by_slot(known)
    return any(issubclass(kind, (Decimal, Fraction)) and slot in seen
               and all(issubclass(k, int) for k in seen[slot])
               for slot, kind in slots(args, kwargs, params))


def _by_slot(known):
    """{slot: [the types captured calls and defaults passed there]}."""
    seen = {}
    for slot, kind in known:
        seen.setdefault(slot, []).append(kind)
    return seen


def _calls(kind):
    """Whether a type's instances are called (a function, a bound method, a callback
    object): one callable stands for another (the runner's Recorder where the code calls
    an encoder's bound method tells a final flush dropped)."""
    return any("__call__" in vars(c) for c in kind.__mro__ if c is not type)
