"""A changed default's calls, for the replay runner (governance.oracle.replay_runner): each
call that passes an argument whose default the change adds, alters or removes (governance.
proof.behaviour.changed_defaults), answered once more with that argument left out.

The capture reads a call's arguments from its frame, so a captured call passes every
argument, its defaults too, and the candidate's new default is never used: a careless
change of one answered as its base on every input (marko's `partition_by_spaces`, its
`' \t'` widened to all white space; jaconv's `normalize`, its 'NFKC' made 'NFC': wave 12).
Both trees make the same calls from the same captured ones (the parameters come from the
daemon, not from either tree's defaults), each keyed by its own pickle, and they come
first: the inputs generated from them are where a changed default tells.

Copied beside the runner as `_ouroboros_defaults`; standard library only, Python 3.9 and
later.
"""

import base64
import inspect

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_canon import ambient, loads, made_call, unwrapped
    from _ouroboros_pickler import dumped
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.canon import ambient, loads, made_call, unwrapped
    from governance.oracle.pickler import dumped


def left_out(fn, names, calls):
    """For each of `calls` (the capture's form) passing one of `names` (parameters of `fn`),
    the call with them left out, keyed by its pickle; a closure's calls are left alone."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    out, seen = [], set()
    for call in calls:
        if call.get("closure") is not None:
            continue
        blob = _without(signature, names, base64.b64decode(call["pickle"]))
        if blob is not None and blob not in seen:
            seen.add(blob)
            out.append(made_call("d", blob))
    return out


def _without(signature, names, blob):
    """`blob`'s call with the arguments `names` left to their defaults, or None where it
    passes none of them or no longer binds."""
    try:
        inner, argv = unwrapped(blob)
        args, kwargs = loads(inner)
        bound = signature.bind(*args, **kwargs)
    except Exception:
        return None
    if not any(n in bound.arguments for n in names):
        return None
    for n in names:
        bound.arguments.pop(n, None)
    new = dumped((list(bound.args), dict(bound.kwargs)))  # as the capture writes its calls
    if new is None:  # what nothing here can write: left as captured
        return None
    return ambient(new, argv) if argv is not None else new
