"""The oracle's own pytest plugin: what really ran, per test, written to a JSON report.

This file is copied into a private directory and loaded with `-p _ouroboros_oracle`; it
imports nothing from our packages (the test process must not import the daemon). It records
every collected test's outcome (passed, failed, error, skipped, xfailed, xpassed,
deselected, or 'collected' for a test that never reported), the collection errors, the
exit status, and whether the session reached its end. The report carries a nonce that the
daemon wrote into the report directory and this plugin deleted before any repository code
was imported, so a stray or forged report file is recognisably not ours.

Everything it needs from the standard library is imported here, before the repository is
put on sys.path, so repository files named `json` or `os` cannot stand in for them.
"""

import json
import os
import sys

import pytest

_OUT_ENV = "OUROBOROS_ORACLE_OUT"
_state = {"out": None, "nonce": None, "tests": {}, "collect_errors": [], "raised": set(),
          "called": set(), "functions": set()}


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, args, parser):
    """Take the nonce before any conftest runs; then put the tree under test on sys.path,
    as `python -m pytest` would have, but only now that pytest and this plugin are loaded."""
    out = os.environ.pop(_OUT_ENV, "")
    if out and _state["out"] is None:
        _state["out"] = out
        nonce_path = os.path.join(out, "nonce")
        try:
            with open(nonce_path, encoding="ascii") as handle:
                _state["nonce"] = handle.read().strip()
            os.unlink(nonce_path)
        except OSError:
            _state["nonce"] = None
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)


def _write(finished, exitstatus):
    if not _state["out"]:
        return
    report = {"schema": "ouroboros-oracle.1", "nonce": _state["nonce"], "finished": finished,
              "exitstatus": exitstatus, "tests": _state["tests"],
              "collect_errors": _state["collect_errors"], "pytest": pytest.__version__}
    path = os.path.join(_state["out"], "report.json")
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(report, handle)
        os.replace(tmp, path)
    except OSError:
        pass


def pytest_collectreport(report):
    if report.failed:
        _state["collect_errors"].append(report.nodeid or "<session>")


def pytest_deselected(items):
    for item in items:
        _state["tests"][item.nodeid] = "deselected"


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    for item in session.items:
        _state["tests"][item.nodeid] = "collected"
        if type(item) is pytest.Function:  # plain test functions run through pyfunc_call
            _state["functions"].add(item.nodeid)
    _write(False, None)  # an early report: a session that dies later reads as unfinished


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_pyfunc_call(pyfuncitem):
    """Innermost wrapper around the test call: was the test function called, did it raise?"""
    _state["called"].add(pyfuncitem.nodeid)
    outcome = yield
    if outcome.excinfo is not None:
        _state["raised"].add(pyfuncitem.nodeid)


_RANK = {"collected": 0, "passed": 1, "xpassed": 1, "skipped": 2, "xfailed": 2, "failed": 3,
         "error": 4, "forged": 5}


def _phase_outcome(report):
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.passed:
            nodeid = report.nodeid
            if nodeid in _state["raised"]:
                return "forged"  # the function raised, yet the report says it passed
            if nodeid in _state["functions"] and nodeid not in _state["called"]:
                return "forged"  # 'passed' without the test function ever being called
            return "xpassed" if xfail else "passed"
        if report.skipped:
            return "xfailed" if xfail else "skipped"
        return "failed"
    if report.passed:
        return None  # a clean setup or teardown says nothing on its own
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    return "error"


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report):
    outcome = _phase_outcome(report)
    if outcome is None:
        return
    before = _state["tests"].get(report.nodeid, "collected")
    if _RANK.get(outcome, 0) >= _RANK.get(before, 0) or before == "deselected":
        _state["tests"][report.nodeid] = outcome


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    _write(True, int(exitstatus))
