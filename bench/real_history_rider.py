"""The careless rider of a real-history case: the maintainer's fix plus one behaviour change
in another public function, the kind of "while I was there" edit a careless model makes.

The mutants come from daemon/eval/rider.py (the one source: which function, which
statement, which mutation). Here the failing tests' entered functions are traced on the
fixed tree, and the first mutant the library's own suite does not notice is taken
("quiet": only the daemon's proof can stop it); when every one is noticed, the first
("loud": the suite stops it).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.real_history_libs import run_suite
from daemon.eval.rider import Mutant, first_line, ordered

MAX_TRIES = 8  # suite runs spent looking for a quiet mutant

TRACER = '''"""Records the code objects of the repository the selected tests enter."""
import json, os, sys
import pytest

ROOT = os.getcwd() + os.sep
SEEN = set()


def _profile(frame, event, arg):
    if event == "call" and frame.f_code.co_filename.startswith(ROOT):
        code = frame.f_code
        SEEN.add((code.co_filename[len(ROOT):], code.co_firstlineno))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    sys.setprofile(_profile)
    try:
        yield
    finally:
        sys.setprofile(None)


def pytest_sessionfinish(session):
    with open(os.environ["RH_TRACE_OUT"], "w") as f:
        json.dump(sorted(SEEN), f)
'''


def entered(files: dict[str, str], tests: list[str], work: Path) -> set[tuple[str, int]]:
    """(path, first line) of every repository function the tests enter."""
    plugin_dir = work / "plugin"
    plugin_dir.mkdir(parents=True, exist_ok=True)
    (plugin_dir / "rh_trace.py").write_text(TRACER)
    out = work / "trace.json"
    env = {"PYTHONPATH": str(plugin_dir), "RH_TRACE_OUT": str(out)}
    run_suite(files, work / "tree", "-p", "rh_trace", *tests, env=env)
    return {tuple(x) for x in json.loads(out.read_text())} if out.is_file() else set()


def choose_rider(files: dict[str, str], fix: dict[str, str | None], base: dict[str, str],
                 failing: set[str], code: list[str], work: Path) -> dict | None:
    """The rider for a case whose fixed tree is `files` (`code`: the library's code files);
    None when no public function qualifies."""
    seen = entered(files, sorted(failing), work / "trace")
    # When the failing tests enter every such function (a test module that failed whole
    # ran all its tests), the rider goes into one they enter: proof's hardest twin.
    found = ordered(files, fix, base, lambda path, fn: (path, first_line(fn)) in seen, code)
    first: tuple[Mutant, str] | None = None
    for n, mutant in enumerate(found):
        if n >= MAX_TRIES:
            break
        run = run_suite({**files, mutant.path: mutant.text}, work / f"m{n}")
        if run.passed:
            return {**mutant.as_dict(True, files[mutant.path]), "text": mutant.text}
        first = first or (mutant, files[mutant.path])
    if first is None:
        return None
    return {**first[0].as_dict(False, first[1]), "text": first[0].text}
