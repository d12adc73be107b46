"""Failing tests found without a human's pytest run: the suite profile's background run
(daemon.suite_profile: the whole suite at start, the affected tests when HEAD moves) handed
to the TestFailureSensor as a human's run is.

The sensor turns two failing runs in a row into work and a failure followed by a pass into
a flaky note (sensors.failure_streaks). So the profile's run is written as one results file
(`<state>/test-results/<run_id>.json`, through the `ouroboros_results` plugin's own writer,
ouroboros_pytest.Recorder: same schema, same atomic write, same pruning), and the tests that
failed in it are run once more, alone, in the same sandbox copy, and written as a second
file; the sensor reads both, oldest first, as it reads a developer's two runs. A test that
fails both times is work; one that passes alone is flaky (an order-dependent test too), and
the sensor notes it and queues nothing. A later human run of the same failure carries the
same dedup key (sensors.run_results reads the oracle's crash message, the one the plugin
writes), so the queue does not take it twice.

Only while the sensor is on (`intake.test_failure`); a run that timed out or reported no
test hands nothing over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from governance.oracle.testrun import TestOutcome
from ouroboros_pytest import MAX_TESTS, Recorder
from sensors.failure_streaks import FAILING
from sensors.run_results import TestResult, from_outcome
from sensors.test_failure import TestFailureSensor

log = structlog.get_logger("daemon.start_failures")

# Runs `tests` (node ids) in the sandbox copy at `root`: the learner's jailed runner at
# the lowest priority.
Rerun = Callable[[Path, Sequence[str]], Awaitable[TestOutcome]]


@dataclass(frozen=True)
class Handed:
    """What one profile run handed to the sensor."""

    tests: int  # results in the first file
    failing: tuple[str, ...]  # failed or errored there
    still_failing: tuple[str, ...]  # failed or errored again when run alone
    queued: int  # envelopes the sensor emitted while reading the two files


NOTHING = Handed(0, (), (), 0)


class FailureFeed:
    """Hands a profile run's per-test results to the daemon's TestFailureSensor."""

    def __init__(self, root: Path, state_dir: Path,
                 sensor: Callable[[], TestFailureSensor | None]):
        self.root, self.state_dir = root, state_dir
        self.sensor = sensor  # looked up per run: the daemon builds its hub after the learner

    async def hand(self, box_root: Path, ran: TestOutcome, rerun: Rerun) -> Handed:
        """Write `ran` as a results file; rerun its failures alone in `box_root` (still
        there) and write that too; let the sensor read both now."""
        sensor = self.sensor()
        if sensor is None or ran.timed_out:
            return NOTHING
        first = from_outcome(ran)
        if not first:
            return NOTHING
        await self._write(first, ran)
        failing = tuple(t for t, r in first.items() if r.outcome in FAILING
                        and (box_root / t.split("::", 1)[0]).is_file())  # not '<session>'
        again: dict[str, TestResult] = {}
        if failing:
            log.info("failing tests in the suite run: each runs once more, alone",
                     tests=len(failing))
            second = await rerun(box_root, failing)
            if not second.timed_out:
                again = {t: r for t, r in from_outcome(second).items() if t in failing}
                if again:
                    await self._write(again, second)
        queued = await sensor.scan_once()
        still = tuple(t for t, r in again.items() if r.outcome in FAILING)
        log.info("suite run handed to the test_failure sensor", tests=len(first),
                 failing=len(failing), failing_again=len(still), queued=queued)
        return Handed(len(first), failing, still, queued)

    async def _write(self, tests: dict[str, TestResult], ran: TestOutcome) -> Path:
        """One results file, by the plugin's writer: the ids are the repository's (the
        sandbox copy mirrors it), so its rootdir is the repository's root."""
        recorder = Recorder(self.state_dir, self.root)
        kept = sorted(tests, key=lambda t: tests[t].outcome not in FAILING)[:MAX_TESTS]
        recorder.tests = {t: tests[t].model_dump(exclude_defaults=True) for t in kept}
        recorder.truncated = len(kept) < len(tests)  # the failures are kept first
        exitstatus = ran.report.exitstatus if ran.report.exitstatus is not None else 1
        return await asyncio.to_thread(recorder.write, exitstatus)
