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

Coverage (what proves a change's lines ran, governance.proof.rules): the run's `oracle.json`
beside this file names the files to watch line by line (`watch`) and whether to record
which repository files each test entered (`profile`). A tracer installed before any
conftest or test module is imported records, per watched line, every test during which
it ran (index -1: outside any test, i.e. at import or collection); the report writes each
distinct set of tests once, as ranges of test indexes, and names a line's set by number.
Lines that ran only in a subprocess, in a thread started before tracing, or in a test
after the tracer was cleared (it is set again when the next test starts) are not seen:
they read as not covered, which can only make a change unproven, never proven. Tracing
slows the process several times over (governance.oracle.oracle_run judges a test that
fails only here by an untraced run).

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

Calls (sensors.failing_tests, for a failure asserted in the test's own frame): with `calls`
in `oracle.json`, the library functions each test's own call entered (not its fixtures'),
each once, in the order first entered, with how many library frames deep it was (1: called
by the test itself), kept in its failure frame for a failed test (`_MAX_CALLS` a test).
"""

import json
import os
import sys
import threading

import pytest

try:  # beside this file in the run's plugin directory (governance.oracle.run_dir.HELPERS)
    import _ouroboros_frames as _frames
except ImportError:  # a run dir without it: no frames, the outcomes as ever
    _frames = None

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
_MAX_CALLS = 200  # library functions one test's call entered, recorded in order
# Calls: `on` while a test function runs (pytest_pyfunc_call); `seen`: code -> its entry;
# `order`: the entries [file, qualified name, first line, depth] in first-entry order;
# `by_test`: a finished test's `order`.
_calls = {"wanted": False, "on": False, "seen": {}, "order": [], "by_test": {}}
# seen: per watched file, the lines run since the last test switch; lines: per watched
# file, line -> runs of test indexes (_flush); current: [the running test's index (-1:
# none), the files it entered (with a profile)]; names: a file name -> its relative path.
_cov = {"on": False, "root": "", "watch": frozenset(), "profile": False, "order": [],
        "index": {}, "current": [-1, set()], "seen": {}, "lines": {}, "files": {},
        "names": {}, "tracer": None}


def _config():
    """The run's coverage request, written by the daemon beside this file (read-only)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle.json")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return frozenset(), False
    watch = data.get("watch") if isinstance(data, dict) else None
    files = frozenset(w for w in watch if isinstance(w, str)) if isinstance(watch, list) else ()
    _calls["wanted"] = bool(isinstance(data, dict) and data.get("calls") is True
                            and _frames is not None)
    return frozenset(files), bool(isinstance(data, dict) and data.get("profile") is True)


def _library_depth(frame):
    """How many frames of library code are on the stack from `frame` out (itself included)."""
    depth, names = 0, _cov["names"]
    while frame is not None:
        filename = frame.f_code.co_filename
        rel = names.get(filename, 0)
        if rel == 0:
            rel = _relative(filename)
        if rel is not None and _frames.library_file(rel):
            depth += 1
        frame = frame.f_back
    return depth


def _note_call(frame, rel):
    """Record a library function the running test's call entered, the first time."""
    code = frame.f_code
    if code in _calls["seen"] or len(_calls["order"]) >= _MAX_CALLS \
            or not _frames.library_file(rel):
        return
    entry = [rel, getattr(code, "co_qualname", code.co_name), code.co_firstlineno,
             _library_depth(frame)]
    _calls["seen"][code] = entry
    _calls["order"].append(entry)


def _relative(filename):
    """A code object's file relative to the tree under test, or None outside it (cached)."""
    names = _cov["names"]
    rel = names.get(filename, 0)
    if rel == 0:  # '<frozen os>', '<string>': not files; a file's name here is absolute
        real = os.path.realpath(filename) if os.path.isabs(filename) else ""
        root = _cov["root"]
        rel = real[len(root) + 1:].replace(os.sep, "/") if real.startswith(root + os.sep) \
            else None
        names[filename] = rel
    return rel


def _line_tracer(seen):
    """The local tracer of one watched file: the lines it ran since the last test switch.
    Only 'line' events count: a generator closed in a later test raises at its yield's
    line without running it again."""
    add = seen.add

    def local(frame, event, arg):
        if event == "line":
            add(frame.f_lineno)  # the whole hot path: a call per line is what tracing costs
        return local
    return local


def _start_tracing():
    watch, profile = _config()
    calls = _calls["wanted"]
    if not watch and not profile and not calls:
        return
    _cov.update(on=True, root=os.path.realpath(os.getcwd()), watch=watch, profile=profile)
    current, names, tracers = _cov["current"], _cov["names"], {}
    for rel in watch:
        _cov["lines"].setdefault(rel, {})
        tracers[rel] = _line_tracer(_cov["seen"].setdefault(rel, set()))
    if profile:
        current[1] = _cov["files"].setdefault(-1, set())

    def tracer(frame, event, arg):
        # Called on every Python call and generator resumption: kept lean.
        filename = frame.f_code.co_filename
        rel = names.get(filename, 0)
        if rel == 0:
            rel = _relative(filename)
        if rel is None:
            return None
        if profile:
            current[1].add(rel)
        if calls and _calls["on"] and event == "call":
            _note_call(frame, rel)
        return tracers.get(rel)

    _cov["tracer"] = tracer
    threading.settrace(tracer)
    sys.settrace(tracer)


def _flush():
    """Record the lines each watched file ran since the last switch as the running test's:
    each line keeps runs of test indexes, [first, last, first, last, ...], the newest last
    (tests run in index order, so a line most tests run is one run)."""
    test = _cov["current"][0]
    for rel, seen in _cov["seen"].items():
        ran = seen.copy()
        seen.difference_update(ran)  # what another thread adds meanwhile goes to the next
        per_line = _cov["lines"][rel]
        for n in ran:
            runs = per_line.get(n)
            if runs is None:
                per_line[n] = [test, test]
            elif runs[-1] == test - 1:
                runs[-1] = test
            elif runs[-1] != test:
                runs += (test, test)


def _switch_test(index):
    """The test now running (-1: none), and with a profile the set of files it enters. A
    tracer cleared since the last switch is set again: CPython clears it when it raises
    (a RecursionError at a test's lowered recursion limit), and so does a test's own
    settrace(None); only what ran while it was gone reads as not run."""
    if not _cov["on"]:
        return
    _flush()
    current = _cov["current"]
    current[0] = index
    if _cov["profile"]:
        current[1] = _cov["files"].setdefault(index, set())
    if sys.gettrace() is None:
        sys.settrace(_cov["tracer"])
    if threading.gettrace() is None:
        threading.settrace(_cov["tracer"])


def _ranges(runs):
    """Runs of test indexes, merged and sorted: flat inclusive [first, last, ...] pairs."""
    pairs = sorted(zip(runs[::2], runs[1::2], strict=True))
    out = [pairs[0][0], pairs[0][1]]
    for first, last in pairs[1:]:
        if first <= out[-1] + 1:
            out[-1] = max(out[-1], last)
        else:
            out += (first, last)
    return tuple(out)


def _coverage_report():
    """Every test that ran each watched line, compactly: each distinct set of tests once
    (`sets`, as index ranges), and per line the number of its set."""
    if not _cov["on"]:
        return None
    _flush()  # what ran after the last test (index -1)
    sets, ids, lines = [], {}, {}
    for rel, per_line in _cov["lines"].items():
        numbered = lines[rel] = {}
        for n, runs in per_line.items():
            key = _ranges(runs)
            if key not in ids:
                ids[key] = len(sets)
                sets.append(list(key))
            numbered[str(n)] = ids[key]
    return {"tests": _cov["order"], "sets": sets, "lines": lines,
            "files": {str(i): sorted(f) for i, f in _cov["files"].items() if f}}


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
    if not _cov["on"]:
        _start_tracing()


def _write(finished, exitstatus):
    if not _state["out"]:
        return
    report = {"schema": "ouroboros-oracle.1", "nonce": _state["nonce"], "finished": finished,
              "exitstatus": exitstatus, "tests": _state["tests"],
              "collect_errors": _state["collect_errors"], "failures": _state["failures"],
              "pytest": pytest.__version__}
    if finished:
        report["coverage"] = _coverage_report()
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
    if _calls["by_test"].get(nodeid):
        entry["calls"] = _calls["by_test"][nodeid]
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
    index = _cov["index"].get(item.nodeid)
    if index is None:
        index = _cov["index"][item.nodeid] = len(_cov["order"])
        _cov["order"].append(item.nodeid)
    _switch_test(index)
    try:
        yield
    finally:
        _switch_test(-1)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_pyfunc_call(pyfuncitem):
    """Innermost wrapper around the test call: was the test function called, did it raise?"""
    _state["called"].add(pyfuncitem.nodeid)
    _calls.update(on=_calls["wanted"], seen={}, order=[])
    outcome = yield
    _calls["on"] = False
    if outcome.excinfo is not None:
        _state["raised"].add(pyfuncitem.nodeid)
        if _calls["order"] and len(_calls["by_test"]) < _MAX_FRAMES:
            _calls["by_test"][pyfuncitem.nodeid] = _calls["order"]


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
