"""Failing tests found without a human's pytest run: the suite profile's background run
(daemon.suite_profile: the whole suite at start, the affected tests when HEAD moves) handed
to the TestFailureSensor as a human's run is.

The sensor turns two failing runs in a row into work and a failure followed by a pass into
a flaky note (sensors.failure_streaks). So the profile's run is written as one results file
(`<state>/test-results/<run_id>.json`, through the `ouroboros_results` plugin's own writer,
ouroboros_pytest.Recorder: same schema, same atomic write, same pruning), and the tests that
failed in it are run once more, alone, in the same sandbox copy, and written as a second
file; the sensor reads both, oldest first, as it reads a developer's two runs. That re-run
records what each failing test's own call ran in the library (the oracle plugin's `calls`),
and the sensor is offered those calls while it reads the file (sensors.failure_calls): a
failure asserted in its test's frame becomes work that names the functions its call ran,
with no run of its own and no second wait on the host gate. A test that
fails both times is work; one that passes alone is flaky (an order-dependent test too), and
the sensor notes it and queues nothing. A later human run of the same failure carries the
same dedup key (sensors.run_results reads the oracle's crash message, the one the plugin
writes), so the queue does not take it twice.

Only while the sensor is on (`intake.test_failure`); a run that timed out or reported no
test hands nothing over.

The sensor's streaks start empty with each daemon, and a restart at a HEAD already profiled
runs no suite. So the tests that failed in the last runs are remembered (FAILING_FILE in the
state dir: a run's own tests replace what was known of them, the rest stand while their file
does), and the first look of a daemon that runs nothing reruns them alone, twice, in a copy
of the tree, written as two results files: what still fails is found again (the queue and
the work records say whether it is still work), what passes now is forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import structlog
from pydantic import BaseModel, ConfigDict, Field

from governance.fs import nofollow
from governance.oracle.profile_store import write_whole
from governance.oracle.testrun import TestOutcome
from ouroboros_pytest import MAX_TESTS, Recorder
from sensors.failing_tests import TestFailureSensor
from sensors.failure_streaks import FAILING
from sensors.run_results import RESULTS_CAP, TestResult, from_outcome

log = structlog.get_logger("daemon.start_failures")

# Runs `tests` (node ids) in the sandbox copy at `root`: the learner's jailed runner at
# the lowest priority, asking the oracle plugin for each failing test's `calls` (what its
# own call ran in the library: sensors.failure_calls), offered to the sensor as it reads.
Rerun = Callable[[Path, Sequence[str]], Awaitable[TestOutcome]]


@dataclass(frozen=True)
class Handed:
    """What one profile run handed to the sensor."""

    tests: int  # results in the first file
    failing: tuple[str, ...]  # failed or errored there
    still_failing: tuple[str, ...]  # failed or errored again when run alone
    queued: int  # envelopes the sensor emitted while reading the two files


NOTHING = Handed(0, (), (), 0)
FAILING_FILE = "suite_failures.json"
ID_CAP = 1000  # characters of a remembered test id; a longer one is not remembered


class Known(BaseModel):
    """FAILING_FILE: the tests that failed in the last runs that included them."""

    model_config = ConfigDict(extra="forbid")
    version: int = Field(default=1, ge=1, le=1)
    failing: list[Annotated[str, Field(max_length=ID_CAP)]] = Field(default_factory=list,
                                                                  max_length=MAX_TESTS)


class FailureFeed:
    """Hands a profile run's per-test results to the daemon's TestFailureSensor."""

    def __init__(self, root: Path, state_dir: Path,
                 sensor: Callable[[], TestFailureSensor | None]):
        self.root, self.state_dir = root, state_dir
        self.sensor = sensor  # looked up per run: the daemon builds its hub after the learner
        self.path = state_dir / FAILING_FILE

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
                        and _in_tree(box_root, t))
        await asyncio.to_thread(self._remember, box_root, set(first), failing)
        again: dict[str, TestResult] = {}
        second = None
        if failing:
            log.info("failing tests in the suite run: each runs once more, alone",
                     tests=len(failing))
            second = await rerun(box_root, failing)
        with contextlib.ExitStack() as offers:
            if second is not None and not second.timed_out:
                again = {t: r for t, r in from_outcome(second).items() if t in failing}
                if again:  # the calls first: the sensor's poll may read the file at once
                    offers.enter_context(sensor.recorded.offered(second.frames))
                    await self._write(again, second)
            queued = await sensor.scan_once()
        still = tuple(t for t, r in again.items() if r.outcome in FAILING)
        log.info("suite run handed to the test_failure sensor", tests=len(first),
                 failing=len(failing), failing_again=len(still), queued=queued)
        return Handed(len(first), failing, still, queued)

    async def recheck(self, box_root: Path, rerun: Rerun) -> int:
        """The remembered failures rerun alone, twice, in `box_root` (a copy of the tree
        as it is now), handed over as two runs; envelopes the sensor emitted."""
        sensor = self.sensor()
        known = await asyncio.to_thread(self.known_in, box_root)
        if sensor is None or not known:
            return 0
        log.info("tests that failed before this start run again, alone", tests=len(known))
        results: dict[str, TestResult] = {}
        with contextlib.ExitStack() as offers:  # what each run's failures ran, as in hand
            for _ in range(2):
                ran = await rerun(box_root, known)
                if ran.timed_out:
                    return 0  # remembered still: the next start tries again
                results = {t: r for t, r in from_outcome(ran).items() if t in known}
                if not results:
                    break  # not found alone (renamed, a usage error): forgotten below
                offers.enter_context(sensor.recorded.offered(ran.frames))
                await self._write(results, ran)
            queued = await sensor.scan_once() if results else 0
        failing = tuple(t for t, r in results.items() if r.outcome in FAILING)
        await asyncio.to_thread(self._remember, box_root, set(known), failing)
        return queued

    def any_known(self) -> bool:
        """Whether a failure is remembered at all (a start with none copies no tree)."""
        return bool(self._read())

    def _read(self) -> list[str]:
        return known_failures(self.path)

    def known_in(self, box_root: Path) -> list[str]:
        """The remembered failures whose file is in the tree; a corrupt file is none."""
        return [t for t in self._read() if _in_tree(box_root, t)]

    def _remember(self, box_root: Path, ran: set[str], failing: tuple[str, ...]) -> None:
        """What this run said of its tests replaces what was known of them."""
        kept = [t for t in self.known_in(box_root) if t not in ran]
        known = sorted(t for t in {*kept, *failing} if len(t) <= ID_CAP)[:MAX_TESTS]
        write_whole(self.path, Known(failing=known).model_dump())

    async def _write(self, tests: dict[str, TestResult], ran: TestOutcome) -> Path:
        """One results file, by the plugin's writer: the ids are the repository's (the
        sandbox copy mirrors it), so its rootdir is the repository's root."""
        recorder = Recorder(self.state_dir, self.root)
        kept = sorted(tests, key=lambda t: tests[t].outcome not in FAILING)[:MAX_TESTS]
        recorder.tests = {t: tests[t].model_dump(exclude_defaults=True) for t in kept}
        recorder.truncated = len(kept) < len(tests)  # the failures are kept first
        exitstatus = ran.report.exitstatus if ran.report.exitstatus is not None else 1
        return await asyncio.to_thread(recorder.write, exitstatus)


def known_failures(path: Path) -> list[str]:
    """FAILING_FILE's tests (status shows them); a missing, oversized or broken file is
    nothing known: the file is advisory."""
    try:  # no link followed, no FIFO waited on: status reads it on every call
        raw = nofollow.read_bytes(path.parent, path.name, limit=RESULTS_CAP)
        return Known.model_validate_json(raw).failing
    except (OSError, ValueError):  # UnsafePath, TooLarge and ValidationError among them
        return []


def _in_tree(box_root: Path, test_id: str) -> bool:
    """A test id whose file is in the tree (not pytest's '<session>', not a path out)."""
    rel = test_id.split("::", 1)[0]
    return ".." not in Path(rel).parts and not rel.startswith("/") \
        and (box_root / rel).is_file()
