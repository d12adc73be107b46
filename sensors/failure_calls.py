"""What a failing test's own call ran in the library, for a failure asserted in the test's
own frame (sensors.failing_tests adds it to the work's evidence as `called`).

A failure raised on a line of the test file, with no library frame on its stack (`assert
sqlparse.split(sql) == [...]`), names the test's own call as its cause (sensors.
failure_causes): `split`. The fix most often lies below it, in a function that call ran
(sqlparse's statement splitter, its lexer's keyword table). The ast cannot say which
functions ran; a run can. So the sensor runs such tests again, alone, in the jail as it ran
them (the daemon's runner, the oracle plugin's `calls`: every library function the test's
call entered, once, in the order first entered, with its depth in library frames), and
the prompt names them (governance.brains.reached_code). Nothing here decides anything: a
run that gives no calls (no runner, a test that passes now, a run that fails) adds none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence

from governance.oracle.failure_frames import Call
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


async def traced_calls(runner: TracedRunner | None, failures: Sequence[Failure],
                       files: set[str]) -> list[dict[str, object]]:
    """The library functions the first of `failures` asserted in its test's frame ran, as
    `called` entries; [] when none is such a failure, there is no runner, or the run says
    nothing of it (it passed this time, the run failed: the evidence goes without)."""
    asserted = [f.test_id for f in failures if asserted_in_test(f, files)][:MAX_TRACED]
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
