"""The daemon service: startup, run, drain, shutdown.

States: INACTIVE -> STARTING -> ACTIVE | DEGRADED -> STOPPING -> INACTIVE, or FAILED.
Everything is owned by one TaskGroup; the stop event is the only way in from signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from daemon import reviews
from daemon.brains.embedded import ConfigRead
from daemon.brains.routes import Brains
from daemon.brains.start import start_brains
from daemon.config.settings import CONFIG_NAME, ConfigError, Settings
from daemon.console import cut
from daemon.control.server import ControlServer
from daemon.dispatch import dispatch_forever, op_alive
from daemon.host.gate import host_gate_for
from daemon.host.health import HostReader
from daemon.host.priority import lower_own
from daemon.host.state_gate import gate_for
from daemon.instance import InstanceLock, state_dir_problem
from daemon.ledger_archiver import archive_forever
from daemon.live.events import EventBus, ServiceChange
from daemon.live.http import LiveServer
from daemon.live.sources import LiveLedger, snapshot_of
from daemon.op_handle import OpHandle, ServiceState
from daemon.phase_deps import memory_from, policy_from, state_rel
from daemon.quiet_point import QuietPoints
from daemon.recovery import recover
from daemon.sensor_set import SensorSet
from daemon.sensor_tasks import git_changed, scan_forever, sensor_tasks
from daemon.status import heartbeat, sd_notify
from daemon.status.model import Status
from daemon.status.view import status_of
from daemon.suite_profile import learn_forever
from governance.brains.approval import QuestionBroker
from governance.brains.model_gate import ModelGate
from governance.brains.provider import CandidateProvider
from governance.brains.provider_chain import ProviderChain
from governance.brains.reflex import ReflexStats
from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches
from governance.git.signing import Signing, ensure_key
from governance.memory.memory import Memory
from governance.phase import Phase
from governance.schemas import SignalEnvelope
from sensors import human, parked_failures
from sensors.hub import SensorHub
from sensors.queue import IntakeQueue
from sensors.watcher import RepoWatcher
from sensors.work_memory import WorkMemory
from tools.mcp_hub import McpHub

log = structlog.get_logger("daemon")


class Daemon:
    def __init__(self, repo: Path, settings: Settings,
                 provider: CandidateProvider | None = None, host: HostReader | None = None,
                 config: Path | None = None):
        self.git = GitOps(repo)
        self.root = self.git.root
        self.settings = settings
        # the file settings came from, as it was: the brain note's wording when shown
        self.config_read = ConfigRead.now(config or self.root / CONFIG_NAME)
        self.state_dir = settings.state_path(self.root)
        self.instance = InstanceLock(self.state_dir / "daemon.lock")
        self.session_id = f"s-{uuid.uuid4().hex[:12]}"
        self.state = ServiceState.INACTIVE
        self.degraded_reason = ""
        self.paused = False
        self.ops: dict[str, OpHandle] = {}
        # now and then every op ends before the next starts: retention's place to cut
        self.quiet = QuietPoints(settings.ledger.quiet_every_ops if settings.ledger.retention
                                 else 0, settings.ledger.quiet_wait_s)
        # Changes not proven wait on their own branches (governance.git.review), never in a worker.
        self.reviews = ReviewBranches(self.git, settings.proof.review_branch_prefix)
        self.questions = QuestionBroker()
        self.model_gate = ModelGate()  # one model: ops take turns, each with its own deadline
        self.reflex_stats = ReflexStats()  # canary spooks, re-grounds, recoveries since start
        # Heavy work waits while the machine is its human's (busy, on battery, hot).
        self.host = host_gate_for(settings.health, self._host_line, host)
        self.storage = gate_for(self)  # new ops wait while the state dir has no room
        self.jail_reason: str | None = None
        self.mcp: McpHub | None = None
        self.mcp_problems: list[str] = []
        self._provider_override = provider
        self.provider: CandidateProvider | None = None
        self.ledger: LiveLedger | None = None
        self.memory: Memory | None = None  # outcome records and their advice (advisory)
        self.brains: Brains | None = None  # the routes' brains, their speeds (daemon.brains.routes)
        self.signing = Signing(None, None, warning="not started")  # governance.git.signing
        self.queue: IntakeQueue | None = None
        self.sensors = SensorHub({})
        self.control: ControlServer | None = None
        self.events = EventBus()  # the live view (daemon.live.events); fed by LiveLedger
        self.events.state_of = lambda: snapshot_of(self).model_dump(mode="json")
        self.live: LiveServer | None = None  # daemon.live_port's SSE endpoint and page
        self.ready = asyncio.Event()
        self.stop_event: asyncio.Event | None = None  # serve()'s; `ouroboros stop` sets it
        self.watching = asyncio.Event()  # the file watcher's watches are in place (run())
        self.op_done = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------

    def _set_state(self, state: ServiceState, why: str = "") -> None:
        log.info("service state", frm=self.state.value, to=state.value, why=why)
        self.state = state
        self.events.publish(ServiceChange(state=state.value, why=why[:2000]))
        sd_notify.notify(f"STATUS={self._sd_status(why)}")

    def _sd_status(self, why: str = "") -> str:
        """systemd's STATUS= line: state, queue length, in-flight ops and their phases."""
        why = why or (self.degraded_reason if self.state is ServiceState.DEGRADED
                      else "") or self.host.why() or self.storage.why()
        return sd_notify.status_line(self.state.value, why, len(self.queue or ()),
                                     [(i, h.phase.value) for i, h in self.ops.items()])

    async def startup(self) -> None:
        self._set_state(ServiceState.STARTING)
        lower_own(self.settings.health.lower_priority)  # before the threads start: inherited
        ledger = await self._open_state()
        work = await self._open_intake(ledger)
        control = ControlServer(self, self.state_dir / "control.sock")
        await control.start()  # before the model load, so `status` can say STARTING
        self.control = control
        self.live = await LiveServer.start_for(self.events, self.settings.daemon.live_port)
        why = await start_brains(self, ledger, self._provider_override,
                                 record=self._failback_line, on_change=self._provider_changed)
        # The work records judge what the WAL offers again, so they load once the brain's
        # name (part of a record's context) is known.
        await work.load()
        requeued = await self.queue.rehydrate(self.settings.intake.wal_ttl_s)
        if requeued:
            log.info("rehydrated queue from WAL", envelopes=requeued)
        if why:
            self.degraded_reason = why
            self._set_state(ServiceState.DEGRADED, why)
        else:
            self._set_state(ServiceState.ACTIVE)
        await self.host.sample()  # before the first dispatch: a busy host holds it back
        await self.storage.sample()
        # What start-up made (modules, the model, settings) lives as long as the daemon: out
        # of the collector's sight, a full collection no longer walks its ~240k objects,
        # which stalled the event loop ~100 ms every few ops.
        gc.collect()
        gc.freeze()
        sd_notify.notify("READY=1")
        self.ready.set()

    async def _open_state(self) -> LiveLedger:
        """The state dir checked and made, this daemon its one owner, the ledger open, the
        signing key, and what a killed daemon left repaired."""
        problem = await asyncio.to_thread(state_dir_problem, self.root, self.state_dir,
                                          self.git.tracked_under)
        if problem:
            raise ConfigError(problem)
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if rel := state_rel(self.root, self.state_dir):  # inside the repo: git ignores it
            await asyncio.to_thread(self.git.exclude, f"/{rel}/")
        self.instance.acquire()  # before recovery: only the one live daemon repairs
        self.ledger = ledger = await LiveLedger.open(self.state_dir / "ledger.sqlite3")
        ledger.on_write_error(self.storage.failed)
        ledger.attach(self.events, queue_view=lambda: self.queue.snapshot()
                      if self.queue is not None else [],
                      notify_delay_s=self.settings.governance.notify_apply_delay_s,
                      review_kinds=lambda: reviews.read_kinds(self.reviews))
        self.signing = await asyncio.to_thread(ensure_key, self.state_dir)
        if self.signing.warning:  # unsigned commits, never a failed start
            log.warning("auto-commits will not be signed", reason=self.signing.warning)
        await recover(ledger, self.git, self.state_dir, self.reviews)
        return ledger

    async def _open_intake(self, ledger: LiveLedger) -> WorkMemory:
        """The grounding memory, the work records and the queue; the records are loaded
        later, once the brain is known."""
        i = self.settings.intake
        self.memory = memory_from(self.settings, ledger, self.root, self.session_id)
        if self.memory is not None:
            await self.memory.refresh()
        work = WorkMemory(ledger, self.root, settings=self.settings.work_digest(),
                          brain=lambda: getattr(self.provider, "name", ""),
                          backoff_s=i.retry_backoff_s, futile_after=i.futile_after,
                          review_open=functools.partial(reviews.branch_open, self.reviews))
        self.queue = IntakeQueue(ledger, capacity=i.queue_capacity,
                                 coalesce_window_s=i.coalesce_window_s,
                                 lock_ttl_s=i.file_lock_ttl_s, work=work,
                                 alive=functools.partial(op_alive, self),
                                 held=reviews.cause_holder(self.reviews),
                                 runner=parked_failures.runner_of(lambda: self.sensors))
        return work

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set, then drain. Owns every task it starts."""
        async with asyncio.TaskGroup() as tg:
            background = [tg.create_task(dispatch_forever(self, tg), name="dispatcher"),
                          tg.create_task(sd_notify.keepalive(self._sd_status), name="sd-notify"),
                          tg.create_task(reviews.prune_forever(self), name="review-prune"),
                          tg.create_task(self.host.watch(), name="host-health"),
                          tg.create_task(self.storage.watch(), name="state-dir"),
                          tg.create_task(archive_forever(
                              self.ledger, self.settings.ledger, lambda: self.storage.waiting,
                              self._memory_days()), name="ledger-archive")]
            if every := self.settings.daemon.heartbeat_s:  # "still working" lines
                background.append(tg.create_task(heartbeat.beat(lambda: heartbeat.in_phase(
                    self), every), name="heartbeat"))
            background.append(tg.create_task(learn_forever(self), name="suite-profile"))
            self.sensors = self._sensor_hub()
            background += sensor_tasks(tg, self.sensors, self._watcher, lambda: scan_forever(
                self.scan, self.settings.intake))
            if isinstance(self.provider, ProviderChain):
                background.append(tg.create_task(self.provider.probe_forever(), name="probes"))
            await stop.wait()
            for task in background:
                task.cancel()
            await self.drain()

    def _memory_days(self) -> float:
        """The grounding memory's window, in days: retention keeps its outcome rows."""
        g = self.settings.governance
        return g.memory_ttl_h / 24 if g.memory else 0.0

    async def drain(self) -> None:
        """Give in-flight ops the grace period, then cancel the rest cooperatively."""
        self._set_state(ServiceState.STOPPING, f"{len(self.ops)} op(s) in flight")
        sd_notify.notify("STOPPING=1")
        grace = self.settings.daemon.shutdown_grace_s
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                while self.ops:
                    await self.op_done.wait()
                    self.op_done.clear()
        for handle in list(self.ops.values()):
            handle.cancel.cancel(f"daemon shutting down (grace of {grace:g}s passed)")

    async def shutdown(self) -> None:
        if self.mcp:  # each server's link closes in its own task, within bounds (mcp_link)
            with contextlib.suppress(Exception):
                await self.mcp.close()
        if self.control:
            await self.control.stop()
        if self.live:
            await self.live.stop()
        if self.ledger:
            await self.ledger.close()
        self.instance.release()
        if self.state is not ServiceState.FAILED:  # FAILED stays visible to the caller
            self._set_state(ServiceState.INACTIVE)

    async def serve(self, stop: asyncio.Event) -> None:
        """The whole life: startup, run, shutdown. FAILED if startup or run raises."""
        self.stop_event = stop  # the control socket's `stop` sets it as SIGTERM does
        try:
            await self.startup()
            await self.run(stop)
        except BaseException as exc:
            self._set_state(ServiceState.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            with contextlib.suppress(Exception):
                await self.shutdown()

    # -- work -------------------------------------------------------------------------

    def _sensor_hub(self) -> SensorHub:
        return SensorSet(self.settings, self.root, self.state_dir, self.session_id, self.submit,
                         self.git, self.ledger, self.jail_reason,
                         tuple(policy_from(self.settings).protected_globs),
                         host_turn=self.host.turn).hub()

    async def scan(self, only: str | None = None) -> dict[str, int]:
        """Every sensor's scan_once (or one's): the start-up scan, the poll, `ouroboros scan`."""
        files = await self.sensors.listing()  # sensors.repo_tree: never a .venv/
        found = await self.sensors.scan(files, only)
        log.info("sensor scan", files=len(files), found=found)
        return found

    def _watcher(self) -> RepoWatcher:
        return RepoWatcher(self.root, self.state_dir, self.settings.intake.debounce_s,
                           self.sensors.on_paths, lambda: git_changed(self.sensors),
                           watching=self.watching)

    async def submit(self, envelope: SignalEnvelope) -> bool:
        """Entry point for every sensor: queue the envelope (dedup, WAL)."""
        assert self.queue is not None
        accepted = await self.queue.put(envelope)
        # a sensor finding again what is queued, running or held back is no news: the
        # periodic scans printed the same TODO line every five minutes (docs/getting-started.md)
        (log.info if accepted else log.debug)("signal", source=envelope.source,
                                              goal=cut(envelope.goal, 120), queued=accepted)
        return accepted

    async def cost_today(self, providers: list[str] | None = None) -> float:
        """Spent since UTC midnight (by `providers` alone, when named)."""
        if self.ledger is None:
            return 0.0
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return await self.ledger.cost_since(midnight.isoformat(), providers)

    async def budget_left(self) -> bool:
        return await self.cost_today() < self.settings.cost.daily_usd

    async def _failback_line(self, msg: str, data: dict[str, Any]) -> None:
        if self.ledger is not None:
            await self.ledger.record_thought(None, "PROVIDER", msg, data)

    async def _host_line(self, msg: str, data: dict[str, Any]) -> None:
        """The host gate began or ended a wait (daemon.host.gate): a ledger line (the live
        view shows it), and once it ended, queued work may start."""
        if self.ledger is not None:
            await self.ledger.record_thought(None, "HOST", msg, data)
        if self.queue is not None and self.host.admits():  # free, or the bound's pass
            self.queue.changed.set()

    async def op_host_line(self, op_id: str, msg: str, data: dict[str, Any]) -> None:
        if self.ledger is not None:  # daemon.host.pause: a running op waits for the host
            await self.ledger.record_thought(op_id, "HOST", msg, data)

    def _provider_changed(self) -> None:
        """The failback chain changed state: a provider back means queued work can start."""
        if self.queue is not None:
            self.queue.changed.set()

    async def review_rejected(self, op_id: str, reason: str) -> None:
        """`reject`: the op's work backs off as a failure would (daemon.reviews)."""
        if self.queue is not None:
            await self.queue.work.rejected(op_id, reason or "rejected by a human")

    def on_phase(self, op_id: str, phase: Phase) -> None:
        if op_id in self.ops:
            self.ops[op_id].phase, self.ops[op_id].phase_started = phase, time.monotonic()
        log.info("phase", op_id=op_id, phase=phase.value)

    # -- control verbs ----------------------------------------------------------------

    async def signal(self, goal: str, files: list[str], urgency: str) -> dict[str, Any]:
        """`ouroboros signal`: a human-filed envelope through the router. ValueError says
        why nothing was filed (a path that is not a file of the repository, ...)."""
        env = await asyncio.to_thread(human.envelope_for, self.root, self.session_id, goal,
                                      files, urgency)
        return human.reply(env, await self.submit(env))

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        log.info("dispatch paused" if paused else "dispatch resumed")
        if not paused and self.queue is not None:
            self.queue.changed.set()

    async def status(self) -> Status:
        return await status_of(self)
