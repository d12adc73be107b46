"""The mutation check's pytest plugin: each mutant judged by the tests that ran its line, in
a forked child of one collected session (governance.proof.mutation writes the mutants into
the tree behind a switch; governance.proof.mutation_run runs this).

Copied into the run's private plugin directory and loaded with `-p _ouroboros_mutation`
beside the oracle plugin; it imports nothing of ours. `mutation.json` beside this file
lists the mutants, each with the node ids of its covering tests. The session is collected
once; instead of pytest's own loop, the parent forks one child per mutant, which sets the
switch (an attribute of `builtins`) and runs that mutant's tests: the mutant is *killed*
when one of them fails or errors, when the child crashes, or when it outlives its time twice,
the second time HANG_RETRY times as long (an infinite loop is a change a test noticed; a busy
box is not). Otherwise it *survived*: no test checks that
line. `mutation.json` in the report directory holds the outcome of each.

One more child, the *canary*, at a random place among them, runs every test of the session
with the switch set to an id no mutant has: a test that fails there fails with no mutant
switched on (it tells the check's child from a test run, it times the code the switch
slows, or it fails by chance), so it kills nothing. A mutant it killed is judged again
without it, and survives when no other test ran its line. A canary that crashes or hangs
leaves no evidence at all. Code that reads the check's own state (this job, the switched
source) to tell the canary from a mutant is beyond it.

A job with `at_import` (one mutant's id) instead sets the switch when pytest loads this
plugin, before any conftest, test module or library module is imported, and lets pytest
run its tests as usual: a line that runs only at import is mutated that way (the oracle
plugin's report says which tests then fail).
"""

import builtins
import json
import os
import random
import signal
import time

import pytest
from _pytest.runner import runtestprotocol

SWITCH = "_ouroboros_mutant"  # governance.proof.mutation.SWITCH
_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out")
_state = {"job": None}
HANG_RETRY = 4  # a mutant past its time gets this many times as long before it counts killed
_DONE = "\0done"  # a child's last line once its loop ended (no node id holds a NUL)


def _config():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mutation.json")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("mutants"), list) else None


def pytest_configure(config):
    job = _config()
    _state["job"] = None if job is None or "at_import" in job else job


def _switch_at_import():
    job = _config()
    if job is not None and isinstance(job.get("at_import"), int):
        setattr(builtins, SWITCH, job["at_import"])


_switch_at_import()  # `-p` imports this module before conftests and test modules


def _child(items, out, keep_going):
    """In the forked child: run the tests, writing the node id of each that fails to `out`,
    then _DONE; exit 1 when one failed (at the first, unless `keep_going`)."""
    failed = False
    for item in items:
        reports = runtestprotocol(item, nextitem=None, log=False)
        if any(r.failed for r in reports):
            failed = True
            os.write(out, item.nodeid.encode("utf-8", "replace") + b"\n")
            if not keep_going:
                break
    os.write(out, _DONE.encode() + b"\n")
    os._exit(1 if failed else 0)


def _judge(mutant, items, timeout_s, keep_going=False):
    """(outcome, the node ids of the tests that failed, whether its loop ended) of one
    child with `mutant` switched on."""
    if not items:
        return "untested", [], True
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        setattr(builtins, SWITCH, int(mutant["id"]))
        try:
            _child(items, write_end, keep_going)
        finally:
            os._exit(3)
    os.close(write_end)
    os.set_blocking(read_end, False)  # read as it runs: a full pipe would stop the child
    said, outcome = [], None
    deadline = time.monotonic() + timeout_s
    while outcome is None:
        done, status = os.waitpid(pid, os.WNOHANG)
        said.append(_drain(read_end))
        if done:
            outcome = "survived" if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 \
                else "killed"
        elif time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            outcome = "hung"  # it ran past its time: a hang, or a box too busy (_settled)
        else:
            time.sleep(0.005)
    said.append(_drain(read_end))
    os.close(read_end)
    lines = b"".join(said).decode("utf-8", "replace").splitlines()
    return outcome, [n for n in lines if n != _DONE], _DONE in lines


def _settled(outcome, mutant, items, timeout_s):
    """A child that ran past its time is judged once more with HANG_RETRY times as long: a
    loaded box slowed a mutant whose tests pass past its deadline, which read as killed (a
    line called checked that no test checks). It is killed only if it outlives that too."""
    if outcome != "hung":
        return outcome
    again = _judge(mutant, items, timeout_s * HANG_RETRY)[0]
    return "killed" if again == "hung" else again


def _drain(fd):
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _with_canary(runs, session, timeout_s):
    """Judge every mutant, and at a random place among them the canary: every test of the
    session, none stopping it, with an id no mutant has switched on. A test that fails
    there kills nothing: a mutant killed by one (or by a crash or a hang, when any did) is
    judged again without them, and survives when no other test ran its line. None when the
    canary itself crashed or hung: no kill is evidence."""
    wanted = {id(item) for _, _, items in runs for item in items}
    every = [i for i in session.items if id(i) in wanted]
    canary = {"id": max([int(m["id"]) for _, m, _ in runs] or [0]) + 1}
    at = random.SystemRandom().randrange(len(runs) + 1)  # no telling it by its place
    judged, bad = {}, []
    for n, (key, mutant, items) in enumerate([*runs, (None, None, None)]):
        if n == at:  # every test, none stopping it; its time all the mutants' time
            _, bad, ended = _judge(canary, every, timeout_s * max(1, len(runs)), True)
            if not ended:
                return None
        if key is not None:
            judged[key] = (_judge(mutant, items, timeout_s), mutant, items)
    bad = set(bad)
    results = {}
    for key, ((outcome, failed, _), mutant, items) in judged.items():
        outcome = _settled(outcome, mutant, items, timeout_s)
        if outcome == "killed" and bad and (not failed or failed[0] in bad):
            rest = [i for i in items if i.nodeid not in bad]
            outcome = _settled(_judge(mutant, rest, timeout_s)[0], mutant, rest,
                               timeout_s) if rest else "survived"
        results[key] = outcome
    return results, sorted(bad)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    job = _state["job"]
    if job is None:
        return None
    by_id = {item.nodeid: item for item in session.items}
    timeout_s = float(job.get("timeout_s", 10.0))
    runs = [(str(m["id"]), m, [by_id[n] for n in m.get("tests", []) if n in by_id])
            for m in job["mutants"]]
    judged = _with_canary(runs, session, timeout_s)
    out = {"results": judged[0], "canary": {"failed": judged[1]}} if judged else \
        {"results": {}, "canary": {"broken": True}}
    path = os.path.join(_OUT, "mutation.json")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(out, handle)
    os.replace(path + ".tmp", path)
    return True
