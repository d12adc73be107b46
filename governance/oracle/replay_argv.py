"""A command line's arguments varied: generated inputs for the replay runner (governance.
oracle.replay_runner), answered beside the captured calls.

A CLI's `main()` takes its input from `sys.argv`: the test sets it and calls `main()` with
no argument, and the capture keeps that argv with the call (governance.oracle.canon.
ambient). The inputs generated from the call's own arguments run under the runner's argv,
so the command line itself was never varied: wheel-filename's `main` printing its JSON
with `ensure_ascii=False` landed (wave 27), no input naming a wheel whose tag is not ASCII.
So each captured call with an argv is answered again with one of its arguments (past the
program's name) moved to each of its nearest texts (governance.oracle.replay_values, under
the change's kinds of conversion: a codec's first).

Copied beside the runner as `_ouroboros_argv`; standard library only, Python 3.9 and later.
"""

try:  # in the jail: beside the runner, in the run's plugin directory
    import _ouroboros_values as vals
    from _ouroboros_canon import ambient, argv_of, unwrapped
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle import replay_values as vals
    from governance.oracle.canon import ambient, argv_of, unwrapped

MAX_CALLS = 2  # captured calls with an argv whose arguments are varied
MAX_ITEMS = 4  # arguments of one argv varied, past the program's name
MAX_NEAR = 12  # texts each argument is moved to


def argv_inputs(captured, constants, names=(), dropped=frozenset()):
    """Pickles of the first MAX_CALLS `captured` calls (pickles, maybe wrapped with the argv
    they ran under) that ran under an argv, each with one argument moved to a near text."""
    out = []
    ctx = vals.Context(constants, names=names, dropped=dropped)
    for blob in [b for b in captured if unwrapped(b)[1]][:MAX_CALLS]:
        inner, argv = unwrapped(blob)
        for i in range(1, min(len(argv), MAX_ITEMS + 1)):
            moved = [[*argv[:i], text, *argv[i + 1:]] for text in vals.near(argv[i], ctx)
                     if type(text) is str][:MAX_NEAR]
            # one an argv cannot be (a text too long) would run under the runner's own
            out += [ambient(inner, m) for m in moved if argv_of(m, None) is not None]
    return list(dict.fromkeys(out))
