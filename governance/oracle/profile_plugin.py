"""The suite profile's plugin: per test, the functions of the repository it entered, each
named by its file and the line its code object starts on (governance.oracle.profile_blocks
maps those lines to function blocks; governance.oracle.profile_refresh reruns only the
tests that entered a block that changed, pytest-testmon's idea).

Copied into the run's private plugin directory and loaded with `-p _ouroboros_profile`
beside the oracle plugin, in a run that asks the oracle plugin for no coverage (two
tracers cannot share sys.settrace); it imports nothing of ours, and everything it needs
from the standard library is imported here, before the tree is on sys.path. A trace hook
installed before any conftest or test module is imported sees every Python call and
generator resumption; it returns no local tracer, so no line is traced. What runs outside
any test (imports at collection, session teardown) is not recorded, nor what runs in a
subprocess or in a thread started before tracing.

The report, `profile.json` in the report directory, is written when the session ends:
{"codes": [[file, first line], ...], "sets": [[code number, ...], ...], "tests": {node id:
set number}}; tests that entered the same functions share one set.
"""

import json
import os
import sys
import threading

import pytest

# The report directory is the plugin directory's sibling, `out/` (governance.oracle.run_dir).
_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out")
_state = {"on": False, "root": "", "names": {}, "current": [None], "tests": {}}


def _relative(filename):
    """A code object's file relative to the tree under test, or None outside it (cached)."""
    names = _state["names"]
    rel = names.get(filename, 0)
    if rel == 0:  # '<frozen os>', '<string>': not files; a file's name here is absolute
        real = os.path.realpath(filename) if os.path.isabs(filename) else ""
        root = _state["root"]
        rel = real[len(root) + 1:].replace(os.sep, "/") if real.startswith(root + os.sep) \
            else None
        names[filename] = rel
    return rel


def _start():
    _state.update(on=True, root=os.path.realpath(os.getcwd()))
    names, current = _state["names"], _state["current"]

    def tracer(frame, event, arg):
        # Called on every Python call: kept lean, and it never traces lines.
        entered = current[0]
        if entered is not None:
            code = frame.f_code
            rel = names.get(code.co_filename, 0)
            if rel == 0:
                rel = _relative(code.co_filename)
            if rel is not None:
                entered.add((rel, code.co_firstlineno))
        return None

    threading.settrace(tracer)
    sys.settrace(tracer)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, args, parser):
    if not _state["on"]:
        _start()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    entered = _state["tests"].setdefault(item.nodeid, set())
    _state["current"][0] = entered
    try:
        yield
    finally:
        _state["current"][0] = None


def _report():
    """Each distinct (file, line) once, each distinct set of them once."""
    codes, code_ids, sets, set_ids, tests = [], {}, [], {}, {}
    for nodeid, entered in _state["tests"].items():
        numbers = []
        for code in entered:
            number = code_ids.get(code)
            if number is None:
                number = code_ids[code] = len(codes)
                codes.append(list(code))
            numbers.append(number)
        key = tuple(sorted(numbers))
        number = set_ids.get(key)
        if number is None:
            number = set_ids[key] = len(sets)
            sets.append(list(key))
        tests[nodeid] = number
    return {"codes": codes, "sets": sets, "tests": tests}


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    sys.settrace(None)
    threading.settrace(None)
    path = os.path.join(_OUT, "profile.json")
    try:
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(_report(), handle, separators=(",", ":"))
        os.replace(path + ".tmp", path)
    except OSError:
        pass
