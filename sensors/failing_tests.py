"""TestFailureSensor: failing tests become work once they fail twice in a row.

Two sources of runs feed one streak table, in the order they finish:
- every pytest run in the repository, written by the `ouroboros_results` plugin
  (ouroboros_pytest/) as `<state>/test-results/<run_id>.json`. The state dir is not
  watched (the watcher leaves it out), so the sensor looks at that directory itself: one
  stat every `poll_s` in `watch()`, which the daemon runs in its task group, and at every
  scan_once;
- a jailed run of the tests that exercise changed `.py` files (governance.oracle.testrun
  scope_tests), `debounce_s` (2 s) after the last change, through the runner the daemon
  gives (a TestRunner over its bubblewrap executor, read-only on the live tree). Without a
  runner (no bubblewrap) that half is off and `problem` says so; nothing runs unjailed.

Streaks: a test that fails (or errors) in two consecutive runs that included it is stable.
A test that failed and then passed is flaky: logged, noted in the ledger when a `note`
callable is given, listed in `flaky`, and not worked.

One envelope per cause: the failures that became stable in one run are grouped by cause
(sensors.failure_causes: the parametrisations of one test, the library function a failure
was raised in or its failing line calls, functions of one module calling each other). Each
group is one envelope (source test_failure) targeting the union of its tests' targets (each
test file and the module its failure points at: the crash location, else the import named
like the test, else the first repository module it imports), with every test in its
evidence's `tests` (the op's fail-to-pass set: governance.proof holds it proven only when
all pass) and its causes in `causes` (the router and the queue join later failures of a
cause to the work that holds it). The dedup key hashes the group's anchor cause, never a
message: a failure worded twice (a results file's full message, a jailed run's cut summary
line) is one piece of work. The envelope is built in sensors.failure_envelope; what a
failure asserted in its test's frame ran in the library (`called`) is the calls its own
re-run recorded (sensors.failure_calls.RecordedCalls), when its runner asked for them.

Urgency: each run is stamped with HEAD's commit as the sensor ingests it, read through the
`commits` callable the daemon gives (BranchTip over its GitOps: HEAD and its first parent).
A test whose streak completes and whose last passing run was stamped with the current HEAD
or its first parent (the branch's last commit) passed there and fails now: a regression,
urgency critical, and the goal and evidence say "regression: passed at <sha>". A test never
seen passing (one just written), last seen passing on an older commit, or last seen passing
with no HEAD known (no `commits`, an unborn branch), is urgency high. The last passes are
bounded like the streak table (MAX_TRACKED; the least recently passed go first).

The results files are read in sensors.run_results; the streak tables and BranchTip live in
sensors.failure_streaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path

import structlog

from governance.oracle.testrun import TestOutcome, scope_tests, text_reader
from governance.schemas import SignalEnvelope
from ouroboros_pytest import RESULTS_DIR
from sensors.defaults import TEST_FAILURE_DEBOUNCE_S
from sensors.failure_calls import RecordedCalls, traced_calls
from sensors.failure_causes import (
    Group,
    causes_of,
    changed_tests_step,
    from_changes,
    group,
)
from sensors.failure_diff import changes
from sensors.failure_envelope import group_envelope, group_targets
from sensors.failure_streaks import Failure, Streaks
from sensors.newest_change import newest_changes
from sensors.run_results import ResultsFile, TestResult, from_outcome, read_results

log = structlog.get_logger("sensors.failing_tests")

STALE_S = 3600.0  # results files older than this when first seen are skipped, not counted

Runner = Callable[[Sequence[str]], Awaitable[TestOutcome]]
Commits = Callable[[], Awaitable[Sequence[str]]]  # HEAD, then its first parent; () if unborn


class TestFailureSensor:
    __test__ = False

    def __init__(self, root: Path, state_dir: Path, session_id: str,
                 emit: Callable[[SignalEnvelope], Awaitable[bool]], *,
                 runner: Runner | None = None, runner_problem: str | None = None,
                 trace_runner: Runner | None = None,
                 list_files: Callable[[], Awaitable[list[str]]] | None = None,
                 note: Callable[[str], Awaitable[None]] | None = None,
                 commits: Commits | None = None,
                 debounce_s: float = TEST_FAILURE_DEBOUNCE_S, poll_s: float = 1.0):
        self.root = root.resolve()
        self.results = state_dir / RESULTS_DIR
        self.session_id, self.emit, self.note = session_id, emit, note
        self.runner = runner
        # What an asserted failure's call ran in the library (sensors.failure_calls): the
        # calls its own re-run recorded, offered here by whoever ran it (the daemon's
        # daemon.start_failures), else a run of `trace_runner`'s. The daemon passes none:
        # an extra run waits on the host gate and held the failing test's signal back
        # (tests/daemon/host/test_gate_bound_daemon.py).
        self.recorded = RecordedCalls()
        self.trace_runner = trace_runner
        self.list_files = list_files
        self.commits = commits  # without it no run has a HEAD: no failure is a regression
        self.debounce_s, self.poll_s = debounce_s, poll_s
        self.runner_problem = None if runner else runner_problem  # why it has none
        self.read_problem: str | None = None
        self.streaks = Streaks()
        self.runs = 0  # runs observed (results files and jailed runs)
        self._seen: set[str] = set()
        self._pending: set[str] = set()
        self._files: list[str] = []
        self._lock = asyncio.Lock()
        self._reading = asyncio.Lock()
        self._changed = asyncio.Event()  # a .py change arrived (the debounce restarts)
        self.idle = asyncio.Event()  # no affected-tests run pending or under way
        self.idle.set()
        self._stamp: int | None = None

    @property
    def problem(self) -> str | None:
        """Why part of the sensor cannot work now (status shows it)."""
        parts = [p for p in (self.read_problem, self.runner_problem and
                             f"affected tests are not run after changes: {self.runner_problem}")
                 if p]
        return "; ".join(parts) or None

    @property
    def flaky(self) -> dict[str, str]:
        return dict(self.streaks.flaky)

    # -- the results files --------------------------------------------------------------

    async def scan_once(self, files: Iterable[str] = ()) -> int:
        """Read results files not seen yet, oldest first; returns envelopes emitted."""
        self._files = list(files) or self._files
        return await self._read_new()

    async def _read_new(self) -> int:
        async with self._reading:  # the poller and scan_once: one pass at a time
            return await self._read_new_unlocked()

    async def _read_new_unlocked(self) -> int:
        try:
            names = await asyncio.to_thread(self._result_names)
        except OSError as exc:
            self.read_problem = f"{RESULTS_DIR}/: {exc.strerror}"
            return 0
        emitted = 0
        now = time.time()
        for name in sorted(set(names) - self._seen):
            self._seen.add(name)
            if now - names[name] > STALE_S:
                continue  # history from before a restart: the code may have changed since
            try:
                results = await asyncio.to_thread(read_results, self.results / name)
            except ValueError as exc:
                self._say_read_problem(f"{RESULTS_DIR}/{name}: {exc}")
                continue
            self.read_problem = None
            emitted += await self._observe(self._repo_relative(results), f"pytest {name}")
        self._seen &= set(names)  # pruned files are forgotten; their names never come back
        return emitted

    def _result_names(self) -> dict[str, float]:
        """Result file names and their mtimes (a link's own, never its target's)."""
        if not self.results.is_dir():
            return {}
        return {e.name: e.stat(follow_symlinks=False).st_mtime for e in os.scandir(self.results)
                if e.name.endswith(".json") and not e.name.startswith(".")}

    def _say_read_problem(self, why: str) -> None:
        if why != self.read_problem:
            log.warning("test results not used", why=why)
        self.read_problem = why

    def _repo_relative(self, results: ResultsFile) -> dict[str, TestResult]:
        """Node ids are rootdir-relative; make them repository-relative (a run outside the
        repository says nothing about it)."""
        try:
            prefix = Path(results.rootdir).resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return {}
        if prefix in ("", "."):
            return dict(results.tests)
        return {f"{prefix}/{k}": v for k, v in results.tests.items()}

    async def watch(self) -> None:
        """The sensor's own work, run by the daemon in its task group until it stops: new
        results files (the state dir is not watched) and debounced affected-tests runs."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._poll(), name="test-results-poll")
            tg.create_task(self._debounced_runs(), name="test-failure-debounce")

    async def _poll(self) -> None:
        """One stat of the results directory per poll_s; new files are read on a change."""
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                stamp = self.results.stat().st_mtime_ns
            except OSError:
                stamp = None
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    await self._read_new()
                except Exception:  # one bad pass is logged; the next change is read again
                    log.exception("test results poll failed")

    # -- streaks and envelopes ------------------------------------------------------------

    async def _observe(self, tests: Mapping[str, TestResult], run: str) -> int:
        async with self._lock:
            tip = tuple(await self.commits()) if self.commits is not None else ()
            self.runs += 1
            stable, flaky = self.streaks.observe(tests, tip[0] if tip else None)
            for test_id in flaky:
                log.info("flaky test recorded, not worked", test=test_id, run=run)
                if self.note is not None:
                    with contextlib.suppress(Exception):
                        await self.note(f"flaky test (failed, then passed; not worked): "
                                        f"{test_id} ({run})")
            return await self._emit(stable, tip)

    async def _emit(self, stable: Sequence[Failure], tip: Sequence[str]) -> int:
        """One envelope per cause among the failures that became stable in this run."""
        if not stable:
            return 0
        if self.list_files is not None and any(
                f.test_id.split("::", 1)[0] not in self._files for f in stable):
            self._files = await self.list_files()  # a test file newer than the last scan
        files = set(self._files)
        known = [f for f in stable if f.test_id.split("::", 1)[0] in files]
        for f in stable:
            if f not in known:
                log.warning("failing test not queued", test=ascii(f.test_id),
                            why=f"{f.test_id.split('::', 1)[0]!r} is not a file of the "
                            "repository")
        planned = await asyncio.to_thread(self._plan, known, files)
        emitted = 0
        for grouped, failures, wanted, newest in planned:
            calls = await traced_calls(self.trace_runner, failures, files, self.recorded)
            try:
                envelope = group_envelope(grouped, failures, wanted, self.session_id, tip,
                                          newest, calls)
            except ValueError as exc:
                log.warning("failing tests not queued", tests=ascii(grouped.tests[:5]),
                            why=str(exc))
                continue
            emitted += bool(await self.emit(envelope))
        return emitted

    def _plan(self, failures: Sequence[Failure], files: set[str]
              ) -> list[tuple[Group, list[Failure], list[str], list[dict[str, str]]]]:
        """The failures grouped by cause, each group with its targets and the newest change
        to each function it is caused by (blocking: parses, reads git)."""
        read = text_reader(self.root)
        by_id = {f.test_id: f for f in failures}
        causes = {f.test_id: causes_of(f.test_id, f.result.where, files, read,
                                       f.result.library_where) for f in failures}
        changed = changes(self.root, files, read)
        causes = from_changes(causes, changed, files, read)
        out = []
        for grouped in group(causes, read):
            members = [by_id[t] for t in grouped.tests]
            out.append((grouped, members, group_targets(members, files, read, grouped.causes),
                        newest_changes(self.root, changed, grouped.causes, read,
                                       changed_tests_step(grouped.tests, files, read, changed))))
        return out

    # -- changed .py files: a debounced jailed run ------------------------------------------

    async def on_paths(self, paths: Iterable[str]) -> None:
        changed = {p for p in paths if p.endswith(".py")}
        if not changed or self.runner is None:
            return
        self._pending |= changed
        self.idle.clear()
        self._changed.set()

    async def _debounced_runs(self) -> None:
        """debounce_s after the last .py change (each change restarts the clock), run the
        affected tests; changes during a run wait for the next one."""
        while True:
            await self._changed.wait()
            while self._changed.is_set():
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.debounce_s):
                        await self._changed.wait()
            try:
                await self.run_affected()
            except Exception:  # logged; the next change runs again
                log.exception("affected tests run failed")
            if not self._pending:
                self.idle.set()

    async def run_affected(self) -> int:
        """Run the tests that exercise the pending changes (jailed); envelopes emitted."""
        if self.runner is None or not self._pending:
            return 0
        changed, self._pending = sorted(self._pending), set()
        if self.list_files is not None:
            self._files = await self.list_files()
        tests = await asyncio.to_thread(scope_tests, changed, self._files,
                                        text_reader(self.root))
        if not tests:
            return 0
        outcome = await self.runner(tests)
        if outcome.report.problem and not outcome.report.tests:
            self.runner_problem = f"the last run did not report: {outcome.report.problem}"
            log.warning("affected tests did not run", why=outcome.report.problem)
            return 0
        self.runner_problem = None
        return await self._observe(from_outcome(outcome), f"jailed run of {len(tests)} file(s)")
