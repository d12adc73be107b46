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

Coverage and calls (which lines each test ran, which files it entered, which library
functions its own call entered) are recorded by the tracer beside this file
(governance/oracle/oracle_tracer.py, copied here as `_ouroboros_tracer`).

Failure texts (what the ledger keeps of a refusal, governance.oracle.failure_text): for the
first `_MAX_FAILURES` failed or errored tests and collection errors, the exception's type
and message (pytest's reprcrash: 'assert 1 == 5'), the end of pytest's traceback text and
the ends of the captured output sections, each capped here, so a test that prints or
raises megabytes costs the report a few kilobytes.

Failure frames (sensors.failure_causes): for the first `_MAX_FRAMES` failed or errored
tests, pytest's crash location (`where`) and the innermost frame in library code
(`library_where`), read by the developer's results plugin's own definition
(ouroboros_pytest/library_frames.py, copied here as `_ouroboros_frames`), written with the
nonce to `frames.json`. A frame that cannot be read is left out; no outcome depends on it.
"""

import json
import os
import sys

import pytest

try:  # beside this file in the run's plugin directory (governance.oracle.run_dir.HELPERS)
    import _ouroboros_frames as _frames
except ImportError:  # a run dir without it: no frames, the outcomes as ever
    _frames = None
try:  # beside this file, always (governance.oracle.run_dir.TRACER_HELPER)
    import _ouroboros_tracer as _tracer
except ImportError:  # imported by the daemon's own tests, never in a run dir
    from governance.oracle import oracle_tracer as _tracer

_OUT_ENV = "OUROBOROS_ORACLE_OUT"
_state = {"out": None, "nonce": None, "tests": {}, "collect_errors": [], "raised": set(),
          "called": set(), "functions": set(), "failures": {}, "root": "",
          "library": {}, "frames": {}}
# Failure texts: how many, and how much of each (the daemon caps them again when reading).
_MAX_FAILURES = 20
_MESSAGE_CAP = 500  # the exception's type and message
_TAIL_LINES, _TAIL_CAP = 20, 2000  # the end of pytest's traceback text
_SECTIONS, _SECTION_CAP = 4, 800  # captured stdout, stderr, log: the end of each
_MAX_FRAMES, _ID_CAP = 1000, 1000  # failure frames: tests, characters of a node id


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
    if not _tracer.cov["on"]:
        _tracer.start_tracing()


def _write(finished, exitstatus):
    if not _state["out"]:
        return
    report = {"schema": "ouroboros-oracle.1", "nonce": _state["nonce"], "finished": finished,
              "exitstatus": exitstatus, "tests": _state["tests"],
              "collect_errors": _state["collect_errors"], "failures": _state["failures"],
              "pytest": pytest.__version__}
    if finished:
        report["coverage"] = _tracer.coverage_report()
        if _state["frames"]:
            _dump(os.path.join(_state["out"], "frames.json"),
                  {"schema": "ouroboros-oracle-frames.1", "nonce": _state["nonce"],
                   "frames": _state["frames"]})
    _dump(os.path.join(_state["out"], "report.json"), report)


def _dump(path, data):
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except OSError:
        pass


def _end(text, cap):
    """The last `cap` characters of `text`, marked when cut."""
    return text if len(text) <= cap else "[...]" + text[-cap:]


def _tail(text):
    """The last lines of a traceback text; only its end is split (it may be megabytes)."""
    lines = text[-_TAIL_CAP * 2:].splitlines()[-_TAIL_LINES:]
    return _end("\n".join(lines), _TAIL_CAP)


def _failure_text(report):
    """What a failed phase or collection said, capped; None when its report resists."""
    try:
        tail = _tail(report.longreprtext)
        message = getattr(getattr(report.longrepr, "reprcrash", None), "message", None)
        if not isinstance(message, str):  # a collection error, a plain-text longrepr
            said = [line for line in tail.splitlines() if line.startswith("E ")]
            message = said[-1][1:].strip() if said else (tail.splitlines() or [""])[-1]
        sections = [f"{title}\n{_end(content, _SECTION_CAP)}"
                    for title, content in report.sections
                    if isinstance(title, str) and isinstance(content, str) and content]
        return {"message": message[:_MESSAGE_CAP], "tail": tail,
                "output": "\n".join(sections[-_SECTIONS:])}
    except Exception:  # a hostile longrepr: the outcome stands without its text
        return None


def _note_failure(nodeid, report):
    """Keep the first failure text of a test, for at most _MAX_FAILURES tests."""
    failures = _state["failures"]
    if nodeid in failures or len(failures) >= _MAX_FAILURES:
        return
    text = _failure_text(report)
    if text is not None:
        failures[nodeid] = text


def pytest_configure(config):
    _state["root"] = str(config.rootpath)  # absolute: the tree (`--rootdir=.`)


def pytest_runtest_makereport(item, call):
    """A failed phase's library frame, read while its traceback is still there (pytest's
    report keeps the innermost frame only); returns None, so pytest makes the report."""
    try:
        excinfo = call.excinfo
        if _frames is None or excinfo is None or len(_state["frames"]) >= _MAX_FRAMES \
                or isinstance(excinfo.value, (pytest.skip.Exception, pytest.xfail.Exception)):
            return
        lib = _frames.library_frame(excinfo.tb, _state["root"])
        if lib:
            _state["library"][(item.nodeid, call.when)] = lib
    except Exception:  # a frame that cannot be read is left out
        pass


def _note_frames(report, outcome):
    """Keep where a failing test's first failed phase was raised, and its library frame."""
    lib = _state["library"].pop((report.nodeid, report.when), None)
    frames, nodeid = _state["frames"], report.nodeid
    if outcome not in ("failed", "error") or _frames is None or nodeid in frames \
            or len(frames) >= _MAX_FRAMES or len(nodeid) > _ID_CAP:
        return
    try:
        where = _frames.crash_location(report.longrepr, _state["root"])
    except Exception:  # a hostile longrepr: the outcome stands without its frame
        where = None
    entry = {"where": where} if where else {}
    if lib and lib != where:
        entry["library_where"] = lib
    if _tracer.calls["by_test"].get(nodeid):
        entry["calls"] = _tracer.calls["by_test"][nodeid]
    if entry:
        frames[nodeid] = entry


def pytest_collectreport(report):
    if report.failed:
        nodeid = report.nodeid or "<session>"
        _state["collect_errors"].append(nodeid)
        _note_failure(nodeid, report)


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


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    """Lines that run from here to the test's teardown are the test's (setup included)."""
    index = _tracer.cov["index"].get(item.nodeid)
    if index is None:
        index = _tracer.cov["index"][item.nodeid] = len(_tracer.cov["order"])
        _tracer.cov["order"].append(item.nodeid)
    _tracer.switch_test(index)
    try:
        yield
    finally:
        _tracer.switch_test(-1)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_pyfunc_call(pyfuncitem):
    """Innermost wrapper around the test call: was the test function called, did it raise?"""
    _state["called"].add(pyfuncitem.nodeid)
    _tracer.calls.update(on=_tracer.calls["wanted"], seen={}, order=[])
    outcome = yield
    _tracer.calls["on"] = False
    if outcome.excinfo is not None:
        _state["raised"].add(pyfuncitem.nodeid)
        if _tracer.calls["order"] and len(_tracer.calls["by_test"]) < _MAX_FRAMES:
            _tracer.calls["by_test"][pyfuncitem.nodeid] = _tracer.calls["order"]


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
    _note_frames(report, outcome)
    if outcome is None:
        return
    if outcome in ("failed", "error"):
        _note_failure(report.nodeid, report)
    before = _state["tests"].get(report.nodeid, "collected")
    if _RANK.get(outcome, 0) >= _RANK.get(before, 0) or before == "deselected":
        _state["tests"][report.nodeid] = outcome


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    _write(True, int(exitstatus))
