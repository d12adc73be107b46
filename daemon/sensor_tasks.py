"""The daemon's sensors while it runs: the background task each one needs, the periodic
scan, and what a git change (a commit, a new HEAD) tells them. daemon.sensor_set builds
the sensors; daemon.service owns the TaskGroup these tasks live in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

from daemon.config.settings import IntakeSection
from sensors.failing_tests import TestFailureSensor
from sensors.github_webhook import GitHubIssueSensor
from sensors.hub import SensorHub
from sensors.perf_regression import PerformanceRegressionSensor
from sensors.scheduled import ScheduledSensor
from sensors.todo import TodoSensor
from sensors.watcher import RepoWatcher

log = structlog.get_logger("daemon")


def sensor_tasks(tg: asyncio.TaskGroup, hub: SensorHub, watcher: Callable[[], RepoWatcher],
                 scan_loop: Callable[[], Coroutine[Any, Any, None]]) -> list[asyncio.Task[Any]]:
    """Start what the sensors that are on need: the file watcher and the scan loop (any
    sensor at all), the scheduler's timer, the benchmark watch, the webhook endpoint and
    the test-results watch. Nothing when no sensor is on."""
    tasks: list[asyncio.Task[Any]] = []
    if hub.sensors:
        tasks += [tg.create_task(watcher().run(), name="watcher"),
                  tg.create_task(scan_loop(), name="sensor-scan")]
        if isinstance(timer := hub.sensors.get("scheduled"), ScheduledSensor):
            tasks.append(tg.create_task(timer.run(), name="scheduled-timer"))
        if isinstance(perf := hub.sensors.get("perf_regression"), PerformanceRegressionSensor):
            tasks.append(tg.create_task(perf.watch(), name="perf-regression"))
    if isinstance(hook := hub.sensors.get("github"), GitHubIssueSensor):
        tasks.append(tg.create_task(hook.serve(), name="github-webhook"))
    if isinstance(tests := hub.sensors.get("test_failure"), TestFailureSensor):
        tasks.append(tg.create_task(tests.watch(), name="test-failure"))
    return tasks


async def scan_forever(scan: Callable[[], Awaitable[object]], intake: IntakeSection) -> None:
    """Scan at start (work that no file event will announce), then every
    intake.scan_interval_s as the safety net for events the watcher missed."""
    while True:
        try:
            await scan()
        except Exception:  # a failed scan waits for the next one; events still work
            log.exception("sensor scan failed")
        await asyncio.sleep(intake.scan_interval_s)


async def git_changed(hub: SensorHub) -> None:
    """A commit or a new HEAD: the sensors that read git state look again."""
    if isinstance(todo := hub.sensors.get("todo"), TodoSensor):
        await todo.on_git_change()  # a commit may have made held-back TODO files clean
    if (docs := hub.sensors.get("docs")) is not None:  # the hook's new line
        await docs.scan_once(())
    if isinstance(perf := hub.sensors.get("perf_regression"), PerformanceRegressionSensor):
        await perf.on_git_change()  # a new HEAD to measure
