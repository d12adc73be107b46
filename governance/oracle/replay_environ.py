"""The environment a function reads, varied: generated inputs for the replay runner
(governance.oracle.replay_runner), answered beside the captured calls.

A function that reads `os.environ` takes part of its input from there, and every captured
call ran under the test's environment, where the variable is usually not set at all. So
`os.environ.get("DATA", default)` written `os.environ.get("DATA") or default` answered
alike on every input: the two part only where the variable is set to an empty text
(confusable-homoglyphs' data directory, wave 30). The daemon names the variables the base
and the candidate read by a literal name (governance.proof.behaviour.environ_names); each
of the first captured calls is answered again with one of them unset, empty, blank and
`0`, on both trees alike (the pickle carries them: governance.oracle.canon.ambient), and
the process's environment is put back after each call.

Copied beside the runner as `_ouroboros_environ`; standard library only, Python 3.9 and
later.
"""

import contextlib
import os

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_canon import ambient, unwrapped
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle.canon import ambient, unwrapped

MAX_CALLS = 2  # captured calls answered again under each variable's values
MAX_NAMES = 4  # variables varied, in the order the daemon names them
VALUES = (None, "", " ", "0")  # unset, empty, blank, a text read as false by some


def environ_inputs(captured, names):
    """Pickles of the first MAX_CALLS `captured` calls, each with one of `names` set to one
    of VALUES (kept under the argv it ran under)."""
    out = []
    for blob in captured[:MAX_CALLS]:
        inner, argv = unwrapped(blob)
        out += [ambient(inner, argv, {name: value})
                for name in list(names)[:MAX_NAMES] if isinstance(name, str)
                for value in VALUES]
    return list(dict.fromkeys(out))


@contextlib.contextmanager
def environed(env):
    """Run with `env` ({name: text or None (unset)}) in `os.environ`; put back after."""
    saved = {name: os.environ.get(name) for name in env or {}}
    try:
        for name, value in (env or {}).items():
            _put(name, value)
        yield
    finally:
        for name, value in saved.items():
            _put(name, value)


def _put(name, value):
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
