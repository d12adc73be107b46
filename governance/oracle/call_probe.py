"""The differential check's call probe: every call the tests make to the functions a change
touches, recorded in order as a digest of its arguments on entry and of its answer, so that
two runs of the same tests (base and candidate) can be compared call by call without
pickling or replaying anything (governance.oracle.traced_calls.compare_traces).

Imported by the capture plugin (governance.oracle.capture_plugin) from the run's plugin
directory as `_ouroboros_probe`; standard library only, Python 3.9 and later. The capture
plugin's tracer calls `enter` when a watched function starts and the `Call` it returns
when the function's frame sees an exception or returns. An answer is what a caller can
observe: the returned value or the type of the exception raised, and the arguments as the
call left them, in the canonical form (governance.oracle.canon) without consuming a
returned iterator (the test still needs its items).

A record is [test number, entry digest, answer digest]; `texts` maps a digest to a short
text for people (the input, the answer). A call's test is the pytest item running when it
started (-1: collection or import). At most `max_records` calls a function are recorded,
the first ones in order, and no more once their digests have cost BUDGET_S CPU seconds:
unicode-rbnf's `find_rule`, called thousands of times on a rule set of hundreds of rules,
took the capture session past its 120 s limit on a suite that runs in 2.7 s (a correct
refactor refused for a check that could not decide, wave 19). Fewer records are fewer
calls compared, never a pass: the replay judges the function as before.
"""

import dis
import hashlib
import json
import time

try:  # in the jail: beside this module, in the run's plugin directory
    from _ouroboros_canon import canon, show
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.canon import canon, show

_RETURNS = {dis.opmap[n] for n in ("RETURN_VALUE", "RETURN_CONST") if n in dis.opmap}
_TEXT = 240  # characters of a text kept for people
BUDGET_S = 4.0  # CPU seconds of one function's digests in one session


def digest(value):
    """A short digest of a JSON-able form."""
    blob = json.dumps(value, sort_keys=True, default=str).encode("utf-8", "replace")
    return hashlib.sha256(blob).hexdigest()[:24]


class Call:
    """One watched call in flight: what it was given, and its answer once it leaves."""

    __slots__ = ("args", "index", "probe", "raised", "record")

    def __init__(self, probe, index, record, args):
        self.probe, self.index, self.record, self.args = probe, index, record, args
        self.raised = None

    def seen(self, frame, event, arg):
        """The local tracer of the call's frame: the last exception passing through it,
        and its answer when it leaves."""
        if event == "exception":
            self.raised = arg[0]
        elif event == "return":
            returned = frame.f_code.co_code[frame.f_lasti] in _RETURNS
            self.probe.leave(self, arg if returned else None,
                             None if returned else (self.raised or BaseException))
        return self.seen


class Probe:
    """The records of one test session, per watched function."""

    def __init__(self, functions, max_records):
        self.records = [[] for _ in range(functions)]
        self.texts = {}
        self.tests = []
        self.test = -1
        self.max_records = max_records
        self.failed = [0 for _ in range(functions)]  # calls whose digest could not be made
        self.spent = [0.0 for _ in range(functions)]  # CPU seconds of each one's digests

    def start_test(self, nodeid):
        self.tests.append(nodeid)
        self.test = len(self.tests) - 1

    def end_test(self):
        self.test = -1

    def enter(self, index, args):
        """A Call for a watched call starting with `args` ((positional, keywords)), or None
        when the function's records are full or its arguments have no canonical form."""
        if len(self.records[index]) >= self.max_records or self.spent[index] > BUDGET_S:
            return None
        began = time.process_time()
        try:
            entry = digest(canon(args, consume=False))
            shown = ", ".join([show(a) for a in args[0]]
                              + [f"{k}={show(v)}" for k, v in args[1].items()])
        except Exception:  # a value whose repr or attributes raise: not evidence
            self.failed[index] += 1
            return None
        finally:
            self.spent[index] += time.process_time() - began
        record = [self.test, entry, None]
        self.records[index].append(record)
        self.texts.setdefault(entry, shown[:_TEXT])
        return Call(self, index, record, args)

    def leave(self, call, value, raised):
        began = time.process_time()
        try:
            if raised is not None:
                answer = {"raise": f"{raised.__module__}.{raised.__qualname__}"}
                shown = f"raises {raised.__name__}"
            else:
                answer = {"return": canon(value, consume=False)}
                shown = f"returns {show(value)}"
            answer["args"] = canon(call.args, consume=False)
            key = digest(answer)
        except Exception:
            self.failed[call.index] += 1
            return
        finally:
            self.spent[call.index] += time.process_time() - began
        call.record[2] = key
        self.texts.setdefault(key, shown[:_TEXT])

    def result(self, index):
        """One function's trace: its finished records and the texts they name."""
        rows = [r for r in self.records[index] if r[2] is not None]
        names = {d for r in rows for d in r[1:]}
        return {"records": rows, "failed": self.failed[index],
                "texts": {d: t for d, t in self.texts.items() if d in names}}
