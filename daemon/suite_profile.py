"""The suite profile, learnt in the background: the whole suite's time and which code files
each test file entered (governance.oracle.profile_store), for every op's affected scope.

VALIDATE cannot learn it on a real suite: its runs are bounded by `validate_timeout_s`, and
a whole suite that takes longer narrows to the import closure without a profile. So the
daemon's task group owns this learner: whenever HEAD moves (checked every
`proof.profile_poll_s`; a commit is a cheap ref read), once the host gate allows, it profiles
a sandbox copy of the live tree through the same jailed TestRunner as VALIDATE's (with the
profile plugin, governance.oracle.profile_plugin: per test, the functions it entered),
under `proof.profile_timeout_s`, from a thread at the lowest CPU priority (the jailed run
inherits it). Where a profile exists it reruns only the tests that entered a function that
changed, and the test files that changed (governance.oracle.profile_refresh); a refresh
that breaks (a test named alone not found) gives way to the whole suite at once.

What it learns is stored in the state dir keyed by the copy's tree digest (the baseline
cache's key) and HEAD, the per-test detail beside it (governance.oracle.profile_detail),
each file written whole and atomically: a restart reuses it; a run that timed out is
remembered for that HEAD and not tried again until HEAD moves; one that failed otherwise
is retried only when HEAD moves too. The files are advisory (a corrupt one reads as none).

Every run's per-test results then go to the TestFailureSensor as a developer's run does
(daemon.start_failures: its failures rerun alone in the same copy, twice failing is work,
failing then passing is flaky): a test already failing when the daemon starts, or failing
at a new HEAD, is found without anyone running pytest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import structlog

from daemon.start_failures import FailureFeed
from governance.oracle import profile_blocks as blocks
from governance.oracle import profile_detail as detail_store
from governance.oracle import profile_refresh as refresh
from governance.oracle import profile_store as store
from governance.oracle.oracle import SANE_EXIT, tree_digest
from governance.oracle.sandbox import Sandbox
from governance.oracle.testrun import CoverageRequest, TestOutcome, TestRunner
from sensors.failing_tests import TestFailureSensor

if TYPE_CHECKING:
    from daemon.config.settings import Settings
    from governance.git.gitops import GitOps
    from sensors.hub import SensorHub

log = structlog.get_logger("daemon.suite_profile")
T = TypeVar("T")
LOW_NICE = 19
TRACED = CoverageRequest(calls=True)  # the failures' rerun: what each test's call ran
# How long a cancelled run may take to end: its kill is bounded well below this (about
# 12 s at worst: tools.proctree.end, the run's cgroup drain); past it a shutdown goes on.
STOP_S = 15.0


@dataclass(frozen=True)
class Tree:
    """The copy being profiled."""

    box: Sandbox
    head: str
    digest: str
    hashes: dict[str, str]

    def read(self, rel: str) -> str | None:
        return refresh.reader(self.box.root)(rel)


class ProfileLearner:
    """Profiles the suite whenever HEAD moves; `once()` is one look (the tests call it)."""

    def __init__(self, root: Path, state_dir: Path, state_rel: str, git: GitOps,
                 runner: TestRunner, protected_globs: tuple[str, ...],
                 host_clear: Callable[[], Awaitable[None]], poll_s: float,
                 failures: FailureFeed | None = None,
                 host_turn: Callable[[str], contextlib.AbstractAsyncContextManager[object]]
                 | None = None):
        self.root, self.state_dir, self.state_rel, self.git = root, state_dir, state_rel, git
        self.failures = failures  # who hands each run's results to the test_failure sensor
        self.runner, self.protected_globs = runner, protected_globs
        self.host_clear, self.poll_s = host_clear, poll_s
        self.host_turn = host_turn  # the daemon's: the gate's bound may let a run through
        self.path = state_dir / store.PROFILE_FILE
        self.detail_path = state_dir / detail_store.DETAIL_FILE
        self.runs = 0  # jailed runs started (a restart that reuses the profile starts none)
        self._failed_head: str | None = None  # a run that broke: not retried at this HEAD
        self._looked = False  # once() ran in this process

    async def forever(self) -> None:
        """Look after every poll (the first too: start-up and its scan come first); owned
        by the daemon's task group."""
        while True:
            await asyncio.sleep(self.poll_s)  # HEAD has no change notification here
            try:
                await self.once()
            except Exception:  # advisory: a broken look never stops the daemon; the next retries
                log.exception("suite profile not learnt")

    @contextlib.asynccontextmanager
    async def _host_turn(self) -> AsyncIterator[None]:
        """A run's turn at the host, taken around the run only (a look that finds the
        profile current must not spend the gate's bound): the gate's (daemon.host.gate.turn:
        bounded), or `host_clear` where none is given (the tests' learners)."""
        if self.host_turn is None:
            await self.host_clear()
            yield
            return
        async with self.host_turn("the suite profile"):
            yield

    async def once(self) -> str:
        """Profile the tree if HEAD moved since the stored profile; what it did. The first
        look of a daemon that runs no suite reruns the failures the last runs saw (the
        sensor's streaks start empty: daemon.start_failures)."""
        did = await self._look()
        if not self._looked:
            self._looked = True
            if self.runs == 0:
                await self._recheck()
        return did

    async def _look(self) -> str:
        head = await asyncio.to_thread(self.git.head_sha)
        if head is None:
            return "no commit yet"
        stored = await asyncio.to_thread(store.load, self.path)
        if stored.profile is not None and stored.profile.head == head:
            return "current"
        if (stored.timed_out is not None and stored.timed_out.head == head) \
                or self._failed_head == head:
            return "not retried at this HEAD"
        async with self._host_turn():  # heavy work waits while the machine is its human's
            tree = await asyncio.to_thread(self._copy, head)
            try:
                return await self._learn(stored, tree)
            finally:
                await asyncio.to_thread(tree.box.destroy)

    def _copy(self, head: str) -> Tree:
        files = self.git.listed_files()
        box = Sandbox.create(self.root, files, self.state_dir / "sandboxes" / "suite-profile",
                             self.state_rel, self.protected_globs)
        present = [f for f in files if (box.root / f).is_file()]
        return Tree(box, head, tree_digest(box.root, present),
                    refresh.file_hashes(box.root, present))

    def _plan(self, old: store.SuiteProfile | None, tree: Tree) -> refresh.Rerun | None:
        detail = detail_store.load(self.detail_path, old.tree) if old else None
        return refresh.plan(old, detail, tree.hashes, tree.read)

    async def _learn(self, stored: store.Stored, tree: Tree) -> str:
        old = stored.profile
        if old is not None and old.tree == tree.digest:  # HEAD moved, the files did not
            await self._save(replace(stored, profile=replace(old, head=tree.head)))
            return "same tree"
        rerun = await asyncio.to_thread(self._plan, old, tree)
        if rerun is not None and not rerun.files and not rerun.nodes:
            await self._keep(stored, tree, rerun, {}, {})
            return "nothing to rerun"
        began = store.Attempt(tree.digest, tree.head, time.time(), self.runner.timeout_s,
                              os.getpid())
        await self._save(replace(stored, learning=began))
        try:
            ran = await self._run(tree.box.root, rerun)
            if rerun is not None and _broken(ran):  # a test named alone not found, ...
                log.warning("the incremental refresh failed; the whole suite reruns",
                            problem=ran.report.problem)
                rerun, ran = None, await self._run(tree.box.root, None)
        except BaseException:
            with contextlib.suppress(OSError):  # cancelled: the marker goes, the rest stays
                await asyncio.shield(self._save(stored))
            raise
        did = await self._record(stored, tree, rerun, ran)
        await self._hand(tree, ran)
        return did

    async def _hand(self, tree: Tree, ran: TestOutcome) -> None:
        """The run's failures to the test_failure sensor, while the copy is still there to
        rerun them in (advisory as the profile is: a failure here is logged)."""
        if self.failures is None:
            return
        try:
            await self.failures.hand(tree.box.root, ran, self._rerun)
        except Exception:
            log.exception("the suite run's failures were not handed to the sensor")

    async def _recheck(self) -> None:
        """The remembered failures, rerun in a copy of the tree as it is now."""
        if self.failures is None or not await asyncio.to_thread(self.failures.any_known):
            return
        head = await asyncio.to_thread(self.git.head_sha)
        if head is None:
            return
        async with self._host_turn():  # heavy work waits while the machine is its human's
            tree = await asyncio.to_thread(self._copy, head)
            try:
                await self.failures.recheck(tree.box.root, self._rerun)
            except Exception:
                log.exception("the failures known before this start were not rerun")
            finally:
                await asyncio.to_thread(tree.box.destroy)

    async def _rerun(self, root: Path, tests: Sequence[str]) -> TestOutcome:
        """`tests` alone, at the lowest priority, without the profile plugin; each failing
        test's own call's library functions recorded (daemon.start_failures hands them to
        the sensor: the repair prompt's call tree, with no run of its own)."""
        return await in_low_thread(lambda: self.runner.run(
            root, list(tests), scratch=self.state_dir / "oracle", coverage=TRACED))

    async def _run(self, root: Path, rerun: refresh.Rerun | None) -> TestOutcome:
        self.runs += 1
        tests = rerun.args() if rerun is not None else []
        log.info("learning the suite profile", tests=len(tests) if rerun is not None
                 else "all", limit_s=self.runner.timeout_s)
        return await in_low_thread(lambda: self.runner.run(
            root, tests, scratch=self.state_dir / "oracle", extra=blocks.profile_request()))

    async def _record(self, stored: store.Stored, tree: Tree, rerun: refresh.Rerun | None,
                      ran: TestOutcome) -> str:
        if ran.timed_out:
            out = store.Attempt(tree.digest, tree.head, time.time(), self.runner.timeout_s)
            await self._save(store.Stored(stored.profile, timed_out=out))
            log.warning("the suite profile run timed out", limit_s=self.runner.timeout_s)
            return "timed out"
        found = None if _broken(ran) else await asyncio.to_thread(
            blocks.entries_of, ran.extra, tree.read)
        if found is None:
            self._failed_head = tree.head
            await self._save(replace(stored, learning=None))
            problem = ran.report.problem or "no profile report"
            log.warning("the suite profile run failed", problem=problem)
            return f"failed: {problem}"
        if rerun is None:
            await self._write(*await asyncio.to_thread(lambda: refresh.whole(
                tree=tree.digest, head=tree.head, hashes=tree.hashes,
                seconds=ran.duration_s, found=found[0], prints=found[1], read=tree.read)))
        else:
            await self._keep(stored, tree, rerun, *found)
        return "learnt"

    async def _keep(self, stored: store.Stored, tree: Tree, rerun: refresh.Rerun,
                    found: dict, prints: dict) -> None:
        """Merge what the rerun tests entered into the profile of the old tree."""
        old = stored.profile
        assert old is not None
        detail = await asyncio.to_thread(detail_store.load, self.detail_path, old.tree)
        assert detail is not None  # refresh.plan needs it
        await self._write(*await asyncio.to_thread(lambda: refresh.merged(
            old, detail, rerun, tree=tree.digest, head=tree.head, hashes=tree.hashes,
            found=found, prints=prints, read=tree.read)))

    async def _write(self, profile: store.SuiteProfile, detail: detail_store.Detail) -> None:
        """The detail first, then the profile that names its tree: a crash between the two
        leaves a detail of another tree, read as none."""
        await asyncio.to_thread(detail_store.save, self.detail_path, detail)
        await self._save(store.Stored(profile))
        log.info("suite profile learnt", tests=len(detail.nodes), rerun=profile.rerun,
                 suite_s=round(profile.suite_s, 2))

    async def _save(self, stored: store.Stored) -> None:
        await asyncio.to_thread(store.save, self.path, stored)


def _broken(ran: TestOutcome) -> bool:
    """A run that says nothing sure about the tests: no report, a session that did not end,
    or one pytest aborted (a usage error: a test named alone that is not found)."""
    r = ran.report
    return bool(r.problem) or not r.finished or r.exitstatus not in SANE_EXIT \
        or ran.extra is None


async def in_low_thread(work: Callable[[], Coroutine[Any, Any, T]],
                        stop_s: float = STOP_S) -> T:
    """Run `work` on its own event loop in a fresh thread at nice 19: Linux keeps the nice
    value per thread and a child inherits its creator's, so the jailed run it starts is
    low priority while the daemon's loop and pool threads keep theirs. Cancelled, the
    inner run is cancelled too (its runner kills the run's whole process tree), and this
    returns once it has ended or `stop_s` has passed: a daemon's shutdown never waits on
    a run longer than that (the fresh-clone CI's did, and its worker hung in teardown)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()
    inner: dict[str, Any] = {}
    started = threading.Event()

    def settle(fn: Callable[[], object]) -> None:
        with contextlib.suppress(RuntimeError):  # the outer loop already closed
            loop.call_soon_threadsafe(lambda: None if done.done() else fn())

    async def main() -> None:
        inner["task"], inner["loop"] = asyncio.current_task(), asyncio.get_running_loop()
        started.set()
        try:
            result = await work()
        except BaseException as exc:  # handed to the owner, cancellation included
            failed = exc  # `exc` itself is unbound once the handler ends
            settle(lambda: done.cancel() if isinstance(failed, asyncio.CancelledError)
                   else done.set_exception(failed))
            return
        settle(lambda: done.set_result(result))

    def body() -> None:
        with contextlib.suppress(OSError):  # not allowed to lower: run at the daemon's own
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_NICE)
        asyncio.run(main())

    thread = threading.Thread(target=body, name="suite-profile", daemon=True)
    thread.start()
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        await _stop(thread, started, inner, stop_s)
        raise


async def _stop(thread: threading.Thread, started: threading.Event, inner: dict[str, Any],
                stop_s: float) -> None:
    """Cancel the thread's run and wait for its end, within `stop_s` in all. A run still
    going then is left behind, logged: its thread is a daemon thread."""
    deadline = time.monotonic() + stop_s
    if await asyncio.to_thread(started.wait, stop_s):
        with contextlib.suppress(RuntimeError):  # its loop closed: the run has ended
            inner["loop"].call_soon_threadsafe(inner["task"].cancel)
        await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))
    if thread.is_alive():
        log.warning("a cancelled suite-profile run did not end in time", stop_s=stop_s)


class Owner(Protocol):
    """What the learner reads of the daemon (daemon.service.Daemon honours it)."""

    settings: Settings
    root: Path
    state_dir: Path
    git: GitOps
    jail_reason: str | None
    host: Any  # daemon.host.gate's gate: its `clear` says the host is free
    sensors: SensorHub  # its test_failure sensor, when on, reads each run's results


def learner_for(d: Owner) -> ProfileLearner:
    """The daemon's learner: VALIDATE's jailed runner under the profile's own limit."""
    from daemon.phase_deps import (  # the service's own imports
        policy_from,
        runners_from,
        state_rel,
    )

    p = d.settings.proof
    validate, _ = runners_from(d.settings, d.root, d.state_dir, d.jail_reason)
    feed = FailureFeed(d.root, d.state_dir, lambda: _test_failure(d.sensors))
    return ProfileLearner(d.root, d.state_dir, state_rel(d.root, d.state_dir), d.git,
                          validate.with_timeout(p.profile_timeout_s),
                          tuple(policy_from(d.settings).protected_globs), d.host.clear,
                          p.profile_poll_s, feed, host_turn=d.host.turn)


def _test_failure(hub: SensorHub) -> TestFailureSensor | None:
    sensor = hub.sensors.get("test_failure")
    return sensor if isinstance(sensor, TestFailureSensor) else None


async def learn_forever(d: Owner) -> None:
    """The daemon's background task (daemon.service.run)."""
    await learner_for(d).forever()
