"""The daemon's sensors, built from the settings: which are on, and the jail that the ones
running the repository's code (affected tests, benchmarks) use — the VERIFY jail, read-only
on the live tree, or none at all without bubblewrap (nothing a sensor starts runs unjailed).
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

from daemon.config.settings import Settings
from daemon.phase_deps import jail_limits
from governance.git.gitops import GitOps
from governance.oracle.interpreter import detect as detect_test_env
from governance.oracle.testrun import TestRunner
from ledger import Ledger
from sensors.backlog import BacklogSensor
from sensors.bench_runner import JailedBench
from sensors.doc_staleness import DocStalenessSensor
from sensors.failing_tests import TestFailureSensor
from sensors.failure_streaks import BranchTip
from sensors.github_webhook import GitHubIssueSensor
from sensors.hub import Sensor, SensorHub
from sensors.opportunity import OpportunitySensor
from sensors.perf_regression import Baseline, PerformanceRegressionSensor
from sensors.repo_tree import RepoTree
from sensors.scheduled import ScheduledSensor
from sensors.todo import TodoSensor
from tools.jail import JailExecutor

Submit = Callable[..., Awaitable[bool]]
P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class SensorSet:
    """What the sensors need from the daemon."""

    settings: Settings
    root: Path
    state_dir: Path
    session_id: str
    submit: Submit
    git: GitOps
    ledger: Ledger | None
    jail_reason: str | None  # why there is no jail (None: bubblewrap works)
    protected_globs: tuple[str, ...]  # the policy's: hidden inside the jail too
    # The host gate (daemon.host.gate): a jailed run or benchmark runs inside its turn (once
    # the host is free, or on the gate's bound: daemon.host.overdue).
    host_turn: Callable[[str], AbstractAsyncContextManager[object]] | None = None

    def hub(self) -> SensorHub:
        i = self.settings.intake
        tree = RepoTree(self.root, self.state_dir)  # what every scan looks at
        sensors: dict[str, Sensor] = {}
        if i.todo_scanner:
            sensors["todo"] = TodoSensor(self.root, self.session_id, self.submit,
                                         lambda paths: asyncio.to_thread(self.git.dirty, paths))
        sensors["backlog"] = BacklogSensor(self.root, self.session_id, self.submit)
        if i.opportunity_miner:
            sensors["opportunity"] = OpportunitySensor(
                self.root, self.session_id, self.submit, i.complexity_threshold)
        if i.doc_staleness:
            sensors["docs"] = DocStalenessSensor(self.root, self.session_id, self.submit,
                                                 self.state_dir, skipped=tree.skipped_path)
        if i.schedules:
            sensors["scheduled"] = ScheduledSensor(self.root, self.session_id, self.submit,
                                                   i.schedules)
        if i.test_failure:
            sensors["test_failure"] = self._test_failure(tree)
        if i.perf_command:
            sensors["perf_regression"] = self._perf_regression()
        if i.webhook_port:  # its server runs in the daemon's task group
            sensors["github"] = GitHubIssueSensor(
                self.root, self.session_id, self.submit, port=i.webhook_port,
                secret_file=i.webhook_secret_file, label=i.webhook_label)
        return SensorHub(sensors, root=self.root, tree=tree)

    def _jail(self) -> JailExecutor | None:
        if self.jail_reason is not None:
            return None
        limits = jail_limits(self.settings, timeout_s=self.settings.governance.verify_timeout_s)
        return JailExecutor([Path.home(), self.root, self.state_dir], limits,
                            [Path(sys.prefix), Path(sys.base_prefix)],
                            protected_globs=self.protected_globs)

    def _after_host(self, run: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        """`run`, waiting first for the host gate: heavy work yields to the human, and the
        changes or commit that asked for it stay pending meanwhile."""
        if (host_turn := self.host_turn) is None:
            return run

        async def after_host(*args: P.args, **kwargs: P.kwargs) -> T:
            async with host_turn("a sensor's jailed run"):
                return await run(*args, **kwargs)
        return after_host

    def _test_env(self) -> functools.partial:
        g = self.settings.governance
        return functools.partial(detect_test_env, self.root, g.test_python, g.test_command,
                                 state_dir=self.state_dir, home=Path.home())

    def _test_failure(self, tree: RepoTree) -> TestFailureSensor:
        """Results of the repo's own pytest runs, and affected tests run after .py changes."""
        g = self.settings.governance
        runner = None
        if (jail := self._jail()) is not None:
            tests = TestRunner(g.test_command, g.verify_timeout_s, jail, writable=False,
                               plugin_autoload=g.pytest_plugin_autoload, plugins=g.pytest_plugins,
                               test_env=self._test_env())
            runner = self._after_host(functools.partial(tests.run, self.root,
                                                        scratch=self.state_dir / "oracle"))
        ledger = self.ledger
        return TestFailureSensor(
            self.root, self.state_dir, self.session_id, self.submit, runner=runner,
            runner_problem=self.jail_reason,
            list_files=lambda: asyncio.to_thread(tree.listing),
            commits=functools.partial(asyncio.to_thread, BranchTip(self.git)),
            note=(lambda msg: ledger.record_thought(None, "INTAKE", msg)) if ledger else None,
            debounce_s=self.settings.intake.test_failure_debounce_s)

    def _perf_regression(self) -> PerformanceRegressionSensor:
        i = self.settings.intake
        run = None
        if (jail := self._jail()) is not None:
            run = self._after_host(JailedBench(self.root, i.perf_command, i.perf_timeout_s,
                                               jail, self._test_env(), self.state_dir / "bench"))
        return PerformanceRegressionSensor(
            self.session_id, self.submit, run=run,
            head=lambda: asyncio.to_thread(self.git.head_sha),
            baseline=Baseline(self.state_dir / "perf" / "baseline.json"),
            threshold=i.perf_threshold, runner_problem=self.jail_reason)
