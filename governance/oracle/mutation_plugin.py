"""The mutation check's pytest plugin: each mutant judged by the tests that ran its line, in
a forked child of one collected session (governance.proof.mutation writes the mutants into
the tree behind a switch; governance.phases.mutation_check runs this).

Copied into the run's private plugin directory and loaded with `-p _ouroboros_mutation`
beside the oracle plugin; it imports nothing of ours. `mutation.json` beside this file
lists the mutants, each with the node ids of its covering tests. The session is collected
once; instead of pytest's own loop, the parent forks one child per mutant, which sets the
switch (an attribute of `builtins`) and runs that mutant's tests: the mutant is *killed*
when one of them fails or errors, when the child crashes, or when it outlives its time (an
infinite loop is a change a test noticed). Otherwise it *survived*: no test checks that
line. `mutation.json` in the report directory holds the outcome of each.

A job with `at_import` (one mutant's id) instead sets the switch when pytest loads this
plugin, before any conftest, test module or library module is imported, and lets pytest
run its tests as usual: a line that runs only at import is mutated that way (the oracle
plugin's report says which tests then fail).
"""

import builtins
import json
import os
import signal
import time

import pytest
from _pytest.runner import runtestprotocol

SWITCH = "_ouroboros_mutant"  # governance.proof.mutation.SWITCH
_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out")
_state = {"job": None}


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


def _child(items):
    """In the forked child: run the mutant's tests; exit 1 when one fails."""
    failed = False
    for item in items:
        reports = runtestprotocol(item, nextitem=None, log=False)
        if any(r.failed for r in reports):
            failed = True
            break
    os._exit(1 if failed else 0)


def _judge(mutant, items, timeout_s):
    if not items:
        return "untested"
    pid = os.fork()
    if pid == 0:
        setattr(builtins, SWITCH, int(mutant["id"]))
        try:
            _child(items)
        finally:
            os._exit(3)
    deadline = time.monotonic() + timeout_s
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return "survived" if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 \
                else "killed"
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "killed"  # it ran past its time: the change made a test hang
        time.sleep(0.005)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    job = _state["job"]
    if job is None:
        return None
    by_id = {item.nodeid: item for item in session.items}
    timeout_s = float(job.get("timeout_s", 10.0))
    results = {}
    for mutant in job["mutants"]:
        items = [by_id[n] for n in mutant.get("tests", []) if n in by_id]
        results[str(mutant["id"])] = _judge(mutant, items, timeout_s)
    path = os.path.join(_OUT, "mutation.json")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump({"results": results}, handle)
    os.replace(path + ".tmp", path)
    return True
