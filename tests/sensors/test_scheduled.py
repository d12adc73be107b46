"""Scheduled: cron entries from the config fire once per due time, through scan_once and the
sensor's own timer task, which the daemon starts and cancels; a bad entry is a config error
that names it."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest

from daemon.config.settings import ConfigError, ScheduleEntry, load_settings
from governance.schemas import SignalEnvelope
from sensors.scheduled import ScheduledSensor, local_now
from tests.helpers import make_repo, running_daemon, settings_for

T0 = datetime(2026, 3, 2, 10, 0, 30).astimezone()  # a Monday


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _entry(cron: str, goal: str = "tidy", files=("pkg/a.py",)) -> ScheduleEntry:
    return ScheduleEntry(cron=cron, goal=goal, files=list(files))


def _sensor(entries, clock) -> tuple[ScheduledSensor, list[SignalEnvelope]]:
    got: list[SignalEnvelope] = []

    async def emit(e: SignalEnvelope) -> bool:
        got.append(e)
        return True

    return ScheduledSensor(None, "s", emit, entries, clock), got


async def test_fires_once_per_due_time_and_once_after_a_gap():
    clock = Clock(T0)
    sensor, got = _sensor([_entry("*/5 * * * *"), _entry("@daily", "nightly", ["b.py"])], clock)
    clock.now = T0.replace(minute=4, second=59)
    assert await sensor.scan_once() == 0
    clock.now = T0.replace(minute=5, second=0)
    assert await sensor.scan_once() == 1 and await sensor.scan_once() == 0
    env = got[0]
    assert env.source == "scheduled" and env.target_files == ("pkg/a.py",)
    assert env.goal.startswith("tidy (scheduled: */5 * * * *, due 2026-03-02T10:05")
    assert env.dedup_key == f"scheduled:0:{T0.replace(minute=5, second=0).isoformat()}"
    # A suspend over several fire times: one envelope, then the schedule goes on from now.
    clock.now = T0.replace(minute=31)
    assert await sensor.scan_once() == 1 and got[1].dedup_key != env.dedup_key
    assert sensor.next_fire[0] == T0.replace(minute=35, second=0)
    clock.now = T0 + timedelta(days=1)
    assert await sensor.scan_once() == 2
    assert got[-1].dedup_key.startswith("scheduled:1:") and got[-1].target_files == ("b.py",)


@pytest.mark.parametrize(("entry", "why"), [
    ('cron = "61 * * * *"', "croniter"),
    ('cron = "* * * * * *"', "6 fields"),
    ('cron = "0 3 * * 1 2026"', "6 fields"),
    ('cron = "@reboot"', "unknown macro"),
    ('cron = "0 0 30 2 *"', "never comes due"),
    ('cron = ""', "at least 1"),
    ('cron = "0 3 * * *"\nfiles = ["../etc/x.py"]', "files"),
    ('cron = "0 3 * * *"\nfiles = []', "files"),
    ('cron = "0 3 * * *"\nurgency = "high"', "unknown key"),
])
def test_a_bad_entry_is_a_config_error_naming_it(tmp_path, entry, why):
    good = '[[intake.schedules]]\ncron = "0 3 * * *"\ngoal = "g"\nfiles = ["a.py"]\n'
    bad = "[[intake.schedules]]\n" + entry + "\n"
    if "goal" not in entry:
        bad += 'goal = "g"\n'
    if "files" not in entry:
        bad += 'files = ["a.py"]\n'
    (tmp_path / "ouroboros.toml").write_text(good + bad)
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert "intake.schedules.1" in str(info.value) and why in str(info.value)
    (tmp_path / "ouroboros.toml").write_text(good)
    assert load_settings(tmp_path).intake.schedules[0].cron == "0 3 * * *"
    assert load_settings(tmp_path.parent).intake.schedules == []


async def test_the_timer_fires_without_a_scan():
    fired = asyncio.Event()
    got: list[SignalEnvelope] = []

    async def emit(e: SignalEnvelope) -> bool:
        got.append(e)
        fired.set()
        return True

    sensor = ScheduledSensor(None, "s", emit, [_entry("* * * * *")],
                             Clock(datetime.now().astimezone()))
    fire, t0 = sensor.next_fire[0], time.monotonic()
    # From now on the clock runs for real, 0.2 s before the first fire time.
    sensor.clock = lambda: fire - timedelta(seconds=0.2) + timedelta(
        seconds=time.monotonic() - t0)
    timer = asyncio.create_task(sensor.run())
    try:
        async with asyncio.timeout(10):
            await fired.wait()
    finally:
        timer.cancel()
    assert got[0].evidence["due"] == fire.isoformat(timespec="minutes")


@pytest.mark.slow
async def test_daemon_owns_the_timer_task(tmp_path):
    repo = make_repo(tmp_path / "repo")
    settings = settings_for(None, intake={"schedules": [
        {"cron": "0 3 * * *", "goal": "g", "files": ["a.py"]}]})
    async with running_daemon(repo, settings) as daemon:
        assert isinstance(daemon.sensors.sensors["scheduled"], ScheduledSensor)
        assert [t for t in asyncio.all_tasks() if t.get_name() == "scheduled-timer"]
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "scheduled-timer"]


def test_local_time_follows_daylight_saving(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        sensor = ScheduledSensor(None, "s", None, [_entry("0 3 * * *")],
                                 lambda: local_now().replace(2026, 3, 6, 12, 0))
        fire = sensor.next_fire[0]
        after = sensor._after(sensor.schedules[0], fire)
        seen = [(fire.day, fire.hour, fire.utcoffset()), (after.day, after.hour, after.utcoffset())]
    finally:
        monkeypatch.undo()
        time.tzset()
    # 03:00 local on both sides of the change (EST on the 7th, EDT from the 8th), not 04:00.
    assert seen == [(7, 3, timedelta(hours=-5)), (8, 3, timedelta(hours=-4))]
