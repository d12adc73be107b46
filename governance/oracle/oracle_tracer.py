"""The oracle plugin's tracer (governance.oracle.oracle_plugin): per test, the lines of the
watched files it ran, the repository files it entered, and the library functions its own
call entered.

Copied beside the plugin in a run's plugin directory as `_ouroboros_tracer` (governance.
oracle.run_dir), and imported by it before the repository is put on sys.path; it imports
nothing from our packages, and everything it needs from the standard library is imported
here, so repository files named `json` or `os` cannot stand in for them.

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

Calls (sensors.failing_tests, for a failure asserted in the test's own frame): with `calls`
in `oracle.json`, the library functions each test's own call entered (not its fixtures'),
each once, in the order first entered, with how many library frames deep it was (1: called
by the test itself), kept in its failure frame for a failed test (`MAX_CALLS` a test).
"""

import json
import os
import sys
import threading

try:  # beside this file in the run's plugin directory (governance.oracle.run_dir.HELPERS)
    import _ouroboros_frames as _frames
except ImportError:  # a run dir without it: no calls recorded
    _frames = None

MAX_CALLS = 200  # library functions one test's call entered, recorded in order
# Calls: `on` while a test function runs (pytest_pyfunc_call); `seen`: code -> its entry;
# `order`: the entries [file, qualified name, first line, depth] in first-entry order;
# `by_test`: a finished test's `order`.
calls = {"wanted": False, "on": False, "seen": {}, "order": [], "by_test": {}}
# seen: per watched file, the lines run since the last test switch; lines: per watched
# file, line -> runs of test indexes (_flush); current: [the running test's index (-1:
# none), the files it entered (with a profile)]; names: a file name -> its relative path.
cov = {"on": False, "root": "", "watch": frozenset(), "profile": False, "order": [],
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
    calls["wanted"] = bool(isinstance(data, dict) and data.get("calls") is True
                            and _frames is not None)
    return frozenset(files), bool(isinstance(data, dict) and data.get("profile") is True)


def _library_depth(frame):
    """How many frames of library code are on the stack from `frame` out (itself included)."""
    depth, names = 0, cov["names"]
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
    key = (code, code.co_filename)  # equal code objects of two files are two functions
    if key in calls["seen"] or len(calls["order"]) >= MAX_CALLS \
            or not _frames.library_file(rel):
        return
    entry = [rel, getattr(code, "co_qualname", code.co_name), code.co_firstlineno,
             _library_depth(frame)]
    calls["seen"][key] = entry
    calls["order"].append(entry)


def _relative(filename):
    """A code object's file relative to the tree under test, or None outside it (cached)."""
    names = cov["names"]
    rel = names.get(filename, 0)
    if rel == 0:  # '<frozen os>', '<string>': not files; a file's name here is absolute
        real = os.path.realpath(filename) if os.path.isabs(filename) else ""
        root = cov["root"]
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


def start_tracing():
    """Install the tracer the run's `oracle.json` asks for (none when it asks for nothing)."""
    watch, profile = _config()
    wanted = calls["wanted"]
    if not watch and not profile and not wanted:
        return
    cov.update(on=True, root=os.path.realpath(os.getcwd()), watch=watch, profile=profile)
    current, names, tracers = cov["current"], cov["names"], {}
    for rel in watch:
        cov["lines"].setdefault(rel, {})
        tracers[rel] = _line_tracer(cov["seen"].setdefault(rel, set()))
    if profile:
        current[1] = cov["files"].setdefault(-1, set())

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
        if wanted and calls["on"] and event == "call":
            _note_call(frame, rel)
        return tracers.get(rel)

    cov["tracer"] = tracer
    threading.settrace(tracer)
    sys.settrace(tracer)


def _flush():
    """Record the lines each watched file ran since the last switch as the running test's:
    each line keeps runs of test indexes, [first, last, first, last, ...], the newest last
    (tests run in index order, so a line most tests run is one run)."""
    test = cov["current"][0]
    for rel, seen in cov["seen"].items():
        ran = seen.copy()
        seen.difference_update(ran)  # what another thread adds meanwhile goes to the next
        per_line = cov["lines"][rel]
        for n in ran:
            runs = per_line.get(n)
            if runs is None:
                per_line[n] = [test, test]
            elif runs[-1] == test - 1:
                runs[-1] = test
            elif runs[-1] != test:
                runs += (test, test)


def switch_test(index):
    """The test now running (-1: none), and with a profile the set of files it enters. A
    tracer cleared since the last switch is set again: CPython clears it when it raises
    (a RecursionError at a test's lowered recursion limit), and so does a test's own
    settrace(None); only what ran while it was gone reads as not run."""
    if not cov["on"]:
        return
    _flush()
    current = cov["current"]
    current[0] = index
    if cov["profile"]:
        current[1] = cov["files"].setdefault(index, set())
    if sys.gettrace() is None:
        sys.settrace(cov["tracer"])
    if threading.gettrace() is None:
        threading.settrace(cov["tracer"])


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


def coverage_report():
    """Every test that ran each watched line, compactly: each distinct set of tests once
    (`sets`, as index ranges), and per line the number of its set."""
    if not cov["on"]:
        return None
    _flush()  # what ran after the last test (index -1)
    sets, ids, lines = [], {}, {}
    for rel, per_line in cov["lines"].items():
        numbered = lines[rel] = {}
        for n, runs in per_line.items():
            key = _ranges(runs)
            if key not in ids:
                ids[key] = len(sets)
                sets.append(list(key))
            numbered[str(n)] = ids[key]
    return {"tests": cov["order"], "sets": sets, "lines": lines,
            "files": {str(i): sorted(f) for i, f in cov["files"].items() if f}}
