"""The `ouroboros_results` pytest plugin: every pytest run in a watched repository leaves its
per-test results in the daemon's state dir, for the TestFailure sensor to read.

Installed as a `pytest11` entry point, so it loads in any pytest run of an interpreter that
has this package installed. It is inert unless it finds a state dir cheaply: the directory
named by OUROBOROS_STATE_DIR (absolute, existing), else a `.ouroboros/` directory at pytest's
rootdir or above it, up to the first directory holding `.git`. It is also inert inside the
daemon's own oracle runs (those load `_ouroboros_oracle` and switch entry-point autoload off;
should autoload be configured on, the oracle plugin's presence still turns this one off). An
xdist worker records nothing (the controller sees every report); it only stamps its reports
with their library frame.

A package of its own with a name no project uses: a developer's pytest puts the project's
directory first on sys.path, where a `sensors/` or `tools/` package of theirs would shadow ours
and an entry point inside our packages would fail to import, failing their run.

It never fails the user's run: its own errors are logged on the `ouroboros.pytest_results`
logger and swallowed. Results are written atomically (a temp file in the same directory,
then rename) as `<state>/test-results/<run_id>.json`; the newest KEEP files are kept.
`-p no:ouroboros_results` switches it off for one run. It imports only the standard library
and pytest, so it costs nothing when inert.

A failure's entry holds its message and `where`, the innermost frame (pytest's crash
location), and `library_where`, the innermost frame inside the repository that is not test
code, when it differs (ouroboros_pytest.library_frames, the one definition the daemon's
jailed runs share): a failure raised in the standard library or a dependency (`json.loads`
on a bad text, from a library function) still names the repository's function it went
through. Both are rootdir-relative `path:line`. The library frame is read where the test
ran and carried on its report (ouroboros_pytest.library_stamp), so an xdist worker's
failure names it too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ouroboros_pytest.library_frames import REPORT_ATTR, crash_location
from ouroboros_pytest.library_frames import harness as harness  # the sensors read it here

if TYPE_CHECKING:  # annotations only: daemon/config/locate.py imports this module without pytest
    import pytest

STATE_ENV = "OUROBOROS_STATE_DIR"
DEFAULT_STATE = ".ouroboros"
RESULTS_DIR = "test-results"
SCHEMA = "ouroboros-test-results.1"
ORACLE_PLUGIN = "_ouroboros_oracle"  # governance/oracle/testrun.py PLUGIN_MODULE
KEEP = 20  # result files kept; older ones are removed by the run that writes the newest
MAX_TESTS = 5000  # per file; more is marked `truncated`
MESSAGE_CAP = 500
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
_RANK = {"passed": 1, "xpassed": 1, "skipped": 2, "xfailed": 2, "failed": 3, "error": 4}

log = logging.getLogger("ouroboros.pytest_results")


def find_state_dir(rootdir: Path, environ: Mapping[str, str]) -> Path | None:
    """The daemon's state dir for a run at `rootdir`, or None (the plugin stays inert)."""
    named = environ.get(STATE_ENV, "")
    if named:
        path = Path(named)
        return path if path.is_absolute() and path.is_dir() and not path.is_symlink() else None
    for directory in (rootdir, *rootdir.parents):
        candidate = directory / DEFAULT_STATE
        if candidate.is_dir() and not candidate.is_symlink():
            return candidate
        if (directory / ".git").exists():
            unit = systemd_state_dir(directory, environ)  # the daemon as a systemd service
            return unit if unit.is_dir() and not unit.is_symlink() else None
    return None


def systemd_instance(path: Path) -> str:
    """`systemd-escape --path PATH`: the instance name of the repository's unit."""
    text = "/".join(part for part in os.fsencode(path).decode("utf-8", "surrogateescape")
                    .split("/") if part and part != ".")
    if not text:
        return "-"
    out = []
    for i, char in enumerate(text):
        if char == "/":
            out.append("-")
        elif char.isascii() and (char.isalnum() or char in ":_.") and (i or char != "."):
            out.append(char)
        else:
            out.extend(f"\\x{b:02x}" for b in char.encode("utf-8", "surrogateescape"))
    return "".join(out)


def systemd_state_dir(repo: Path, environ: Mapping[str, str]) -> Path:
    """Where systemd/ouroboros@.service keeps the state of `repo` (StateDirectory=ouroboros/%i
    of a user unit: %S is $XDG_STATE_HOME, else ~/.local/state)."""
    base = environ.get("XDG_STATE_HOME", "")
    root = Path(base) if base.startswith("/") else Path.home() / ".local" / "state"
    return root / "ouroboros" / systemd_instance(repo)


def _outcome(report: pytest.TestReport) -> str | None:
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.passed:
            return "xpassed" if xfail else "passed"
        if report.skipped:
            return "xfailed" if xfail else "skipped"
        return "failed"
    if report.passed:
        return None  # a clean setup or teardown says nothing on its own
    return ("xfailed" if xfail else "skipped") if report.skipped else "error"


def _crash(report: pytest.CollectReport | pytest.TestReport, rootdir: Path) -> dict[str, str]:
    """The failure's message and where it was raised (rootdir-relative when inside)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is None:
        text = str(report.longreprtext or "").strip().splitlines()
        return {"message": (text[-1] if text else "")[:MESSAGE_CAP]}
    where = crash_location(report.longrepr, rootdir)
    return {"message": str(crash.message)[:MESSAGE_CAP], **({"where": where} if where else {})}


class Recorder:
    """Collects one session's outcomes and writes them at its end."""

    def __init__(self, state_dir: Path, rootdir: Path):
        self.state_dir = state_dir
        self.rootdir = rootdir
        self.tests: dict[str, dict[str, str]] = {}
        self.truncated = False

    def _note(self, nodeid: str, outcome: str, report) -> None:
        before = self.tests.get(nodeid)
        if before is not None and _RANK[before["outcome"]] >= _RANK[outcome]:
            return
        if before is None and len(self.tests) >= MAX_TESTS:
            self.truncated = True
            return
        entry = {"outcome": outcome}
        if outcome in ("failed", "error"):
            entry.update(_crash(report, self.rootdir))
            lib = getattr(report, REPORT_ATTR, None)  # set by the stamp where the test ran
            if isinstance(lib, str) and lib and lib != entry.get("where"):
                entry["library_where"] = lib
        self.tests[nodeid] = entry

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        try:
            outcome = _outcome(report)
            if outcome is not None:
                self._note(report.nodeid, outcome, report)
        except Exception:  # never the user's run's problem
            log.warning("ouroboros results: a report was not recorded", exc_info=True)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        try:
            if report.failed and report.nodeid:
                self._note(report.nodeid, "error", report)
        except Exception:
            log.warning("ouroboros results: a collection error was not recorded", exc_info=True)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        try:
            if self.tests:
                self.write(int(exitstatus))
        except Exception:
            log.warning("ouroboros results: not written", exc_info=True)

    def write(self, exitstatus: int) -> Path:
        out = self.state_dir / RESULTS_DIR
        out.mkdir(mode=0o700, exist_ok=True)
        run_id = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        data = {"schema": SCHEMA, "run_id": run_id, "time": datetime.now(UTC).isoformat(),
                "rootdir": str(self.rootdir), "exitstatus": exitstatus,
                "truncated": self.truncated, "tests": self.tests}
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=out)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            final = out / f"{run_id}.json"
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _prune(out)
        return final


def _prune(out: Path) -> None:
    names = sorted(p.name for p in out.iterdir() if p.name.endswith(".json")
                   and not p.name.startswith("."))
    for name in names[:-KEEP]:
        with contextlib.suppress(OSError):
            (out / name).unlink()


def pytest_configure(config: pytest.Config) -> None:
    try:
        if config.pluginmanager.has_plugin(ORACLE_PLUGIN):
            return  # the daemon's own oracle run: it keeps its own report
        rootdir = Path(str(config.rootpath))
        state_dir = find_state_dir(rootdir, os.environ)
        if state_dir is None:
            return
        from ouroboros_pytest.library_stamp import LibraryStamp  # pytest is loaded now
        config.pluginmanager.register(LibraryStamp(rootdir), "ouroboros-library-stamp")
        if getattr(config, "workerinput", None) is None:  # an xdist worker only stamps:
            config.pluginmanager.register(Recorder(state_dir, rootdir), "ouroboros-recorder")
    except Exception:
        log.warning("ouroboros results: plugin not started", exc_info=True)
