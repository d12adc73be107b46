"""What a failing test's own call ran in the library, for a failure asserted in the test's
own frame (sensors.failing_tests adds it to the work's evidence as `called`).

A failure raised on a line of the test file, with no library frame on its stack (`assert
sqlparse.split(sql) == [...]`), names the test's own call as its cause (sensors.
failure_causes): `split`. The fix most often lies below it, in a function that call ran
(sqlparse's statement splitter, its lexer's keyword table). The ast cannot say which
functions ran; a run can: the test run again, alone, in the jail as it ran, asking the
oracle plugin for its `calls` (every library function the test's call entered, once, in
the order first entered, with its depth in library frames), and the prompt names them
(governance.brains.called_code).

In the daemon that run is the failing test's own re-run, alone, in the suite profile's
sandbox copy (daemon.start_failures), which asks for the calls: no extra jailed run, no
second wait on the host gate. The feed offers the calls it recorded (RecordedCalls) before
the sensor reads that run's results and withdraws them once it has, so the failure that
becomes stable there carries them, and nothing read later does (a later run's code may
differ). A sensor given a `trace_runner` (the eval's) runs such tests once more for them
when nothing was offered. Nothing here decides anything: a run that gives no calls (none
offered, no runner, a test that passes now, a run that fails) adds none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence

from governance.oracle.failure_frames import Call, FailureFrame
from governance.oracle.run_dir import CoverageRequest
from governance.oracle.testrun import TestOutcome
from sensors.failure_reach import library, spot
from sensors.failure_streaks import Failure

MAX_CALLED = 40  # functions one piece of work's evidence names
MAX_TRACED = 4  # failing tests run again for their calls, at most
TracedRunner = Callable[..., Awaitable[TestOutcome]]  # (tests, coverage=...) -> outcome


def asserted_in_test(failure: Failure, files: set[str]) -> bool:
    """Raised on a line outside the library (the test's assert) with no library frame on
    its stack: what the ast names is the test's own call, not what ran below it."""
    r = failure.result
    path, line = spot(r.where)
    return bool(line) and not library(path, files) and not r.library_where


def called(calls: Sequence[Call], files: set[str]) -> list[dict[str, object]]:
    """The evidence's `called`: each library function (a repository file of the library,
    a qualified name with no `<locals>`/`<lambda>` part) as `fn:<file>::<name>` with its
    depth, in first-entry order, the first MAX_CALLED."""
    out: list[dict[str, object]] = []
    for c in calls:
        if len(out) >= MAX_CALLED:
            break
        if library(c.file, files) and "<" not in c.name:
            out.append({"fn": f"fn:{c.file}::{c.name}", "depth": c.depth})
    return out


class RecordedCalls:
    """The calls a run about to be read recorded, per failing test, while it is read."""

    def __init__(self) -> None:
        self._by_test: dict[str, tuple[Call, ...]] = {}

    @contextlib.contextmanager
    def offered(self, frames: Mapping[str, FailureFrame]) -> Iterator[None]:
        """`frames`' calls (a run's TestOutcome.frames) are the tests' until the block ends;
        a later offer of the same test stands until its own block ends."""
        mine = {t: f.calls for t, f in frames.items() if f.calls}
        self._by_test.update(mine)
        try:
            yield
        finally:
            for test_id, calls in mine.items():
                if self._by_test.get(test_id) is calls:
                    del self._by_test[test_id]

    def get(self, test_id: str) -> tuple[Call, ...]:
        return self._by_test.get(test_id, ())


async def traced_calls(runner: TracedRunner | None, failures: Sequence[Failure],
                       files: set[str], recorded: RecordedCalls | None = None
                       ) -> list[dict[str, object]]:
    """The library functions the first of `failures` asserted in its test's frame ran, as
    `called` entries: those `recorded` holds for it (its own re-run's), else a run of
    `runner`'s; [] when none is such a failure, or nothing says what it ran (none offered,
    no runner, it passed this time, the run failed: the evidence goes without)."""
    asserted = [f.test_id for f in failures if asserted_in_test(f, files)][:MAX_TRACED]
    for test_id in asserted if recorded is not None else ():
        if found := called(recorded.get(test_id), files):
            return found
    if runner is None or not asserted:
        return []
    outcome = None
    with contextlib.suppress(Exception):  # a hint only: a run that breaks adds nothing
        outcome = await runner(asserted, coverage=CoverageRequest(calls=True))
    if outcome is None:
        return []
    for test_id in asserted:
        frame = outcome.frames.get(test_id)
        if frame is not None and (found := called(frame.calls, files)):
            return found
    return []
