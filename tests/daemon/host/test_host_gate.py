"""daemon.host.gate: heavy work waits while the machine is its human's (busy, on battery,
hot) and resumes by itself; the daemon's own load is not held against it; a queued op is not
dispatched while the host reads busy, and `status` says why and since when."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import sqlite3
import time

import pytest

from daemon.config.health import HealthSection
from daemon.config.settings import ConfigError, Settings, load_settings
from daemon.host.gate import HostGate
from daemon.host.health import HostReading
from daemon.host.pause import host_yield
from daemon.host.verdict import Limits, judge, own_load
from daemon.sensor_set import SensorSet
from daemon.service import Daemon
from daemon.status.text import status_text
from tests.daemon.host.host_tree import DAEMON_PID, idle_laptop
from tests.helpers import (
    add_todo_and_commit,
    running_daemon,
    settings_for,
    todo_script,
    wait_for,
    wait_terminal,
)
from tests.status_sample import sample_status

LIMITS = Limits.of(HealthSection())  # the defaults: 0.8 / 0.6 of the cores, 90 / 80 °C


def reading(**fields: object) -> HostReading:
    base = {"load1": 0.3, "cores": 2, "own_runnable": 0, "on_battery": False,
            "temp_c": 45.0, "hot_zone": "x86_pkg_temp"}
    return HostReading(**{**base, **fields})  # type: ignore[arg-type]


JUDGED = [  # (reading, the daemon's own load, causes already held, causes now, one text)
    ({"load1": 3.9}, 0.0, (), {"load"}, "load 3.9 > 1.6 = 0.8 x 2 cores"),
    ({"load1": 1.6}, 0.0, (), set(), None),  # at the bar, not above it
    ({"load1": 2.1}, 0.6, (), set(), None),  # 1.5 of it is the human's: under the bar
    ({"load1": 2.5}, 0.5, (), {"load"},
     "load 2.5 less the daemon's own 0.5 = 2.0 > 1.6 = 0.8 x 2 cores"),
    ({"load1": 1.4}, 0.0, ("load",), {"load"}, "load 1.4, resumes below 1.2 = 0.6 x 2 cores"),
    ({"load1": 1.1}, 0.0, ("load",), set(), None),
    ({"load1": 0.9, "cores": 1}, 0.0, (), {"load"}, "load 0.9 > 0.8 = 0.8 x 1 core"),
    ({"on_battery": True}, 0.0, (), {"battery"}, "on battery power"),
    ({"on_battery": None}, 0.0, (), set(), None),
    ({"temp_c": 91.0}, 0.0, (), {"heat"}, "x86_pkg_temp at 91 °C >= 90 °C"),
    ({"temp_c": 85.0}, 0.0, (), set(), None),
    ({"temp_c": 85.0}, 0.0, ("heat",), {"heat"}, "x86_pkg_temp at 85 °C, resumes below 80 °C"),
    ({"temp_c": 79.0}, 0.0, ("heat",), set(), None),
    ({"load1": None, "on_battery": None, "temp_c": None}, 0.0, (), set(), None),
    ({"load1": 3.9, "on_battery": True, "temp_c": 95.0}, 0.0, (),
     {"load", "battery", "heat"}, None),
]


@pytest.mark.parametrize(("fields", "own", "held", "causes", "text"), JUDGED)
def test_judge(fields, own, held, causes, text):
    why = judge(reading(**fields), own, LIMITS, held)
    assert set(why) == causes
    if text is not None:
        assert text in why.values()


def test_battery_is_no_reason_when_pause_on_battery_is_off():
    limits = dataclasses.replace(LIMITS, pause_on_battery=False)
    assert judge(reading(on_battery=True), 0.0, limits) == {}


def test_the_own_load_estimate_is_the_kernel_s_average():
    assert own_load(0.0, 2, 60.0) == pytest.approx(2 * (1 - math.exp(-1)))
    assert own_load(1.5, 4, 0.0) == 1.5  # no time, no change
    stepped = 0.0
    for _ in range(12):  # twelve 5 s samples fold into the same as one 60 s step
        stepped = own_load(stepped, 2, 5.0)
    assert stepped == pytest.approx(own_load(0.0, 2, 60.0))


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_gate_closes_when_busy_and_reopens_below_the_resume_mark(tmp_path):
    tree, notes = idle_laptop(tmp_path), []

    async def note(msg: str, data: dict) -> None:
        notes.append((msg, data))

    gate = HostGate(tree.reader(), LIMITS, note, clock=lambda: 1000.0)
    await gate.update(tree.reader().read())
    await asyncio.wait_for(gate.clear(), 5)  # open: returns at once
    await gate.update(tree.load(3.9).reader().read())
    assert gate.waiting and gate.since == 1000.0
    waiter = asyncio.create_task(gate.clear())
    await gate.update(tree.load(1.4).reader().read())  # under 1.6, not yet under 1.2
    assert gate.waiting and not waiter.done()
    assert gate.why() == "waiting for the host: load 1.4, resumes below 1.2 = 0.6 x 2 cores"
    await gate.update(tree.load(1.1).reader().read())
    await asyncio.wait_for(waiter, 5)
    assert not gate.waiting and gate.since is None and gate.why() == ""
    at = time.strftime("%H:%M:%S", time.localtime(1000.0 + HealthSection().max_wait_s))
    assert [m for m, _ in notes] == [
        "heavy work waits for the host: load 3.9 > 1.6 = 0.8 x 2 cores (one op runs at idle "
        f"priority anyway at {at})",
        "the host is free again: heavy work resumes"]
    assert notes[1][1]["waited_s"] == 0.0 and notes[0][1]["load1"] == 3.9
    assert (notes[0][1]["value"], notes[0][1]["threshold"], notes[0][1]["resumes_below"]) \
        == (3.9, 1.6, 1.2)


async def test_battery_and_heat_hold_the_gate_until_both_are_gone(tmp_path):
    tree = idle_laptop(tmp_path).supply("AC", "Mains", online="0")
    tree.supply("BAT0", "Battery", status="Discharging").zone(0, "x86_pkg_temp", "95000")
    gate = HostGate(tree.reader(), LIMITS)
    await gate.update(tree.reader().read())
    assert set(gate.reasons) == {"battery", "heat"}
    await gate.update(tree.supply("AC", "Mains", online="1").reader().read())
    assert set(gate.reasons) == {"heat"}
    await gate.update(tree.zone(0, "x86_pkg_temp", "70000").reader().read())
    assert not gate.waiting


async def test_the_daemon_does_not_wait_for_its_own_load(tmp_path):
    """Two model threads busy on two cores put the load at 2.5 with half a core of the
    human's: the estimate starts at zero (the gate yields first), learns the daemon's own
    share at the kernel's pace and reopens; the human's real load closes it again."""
    tree = idle_laptop(tmp_path).process(DAEMON_PID, 1, "SRR").load(2.5)
    ticks = Ticks()
    gate = HostGate(tree.reader(), LIMITS, monotonic=ticks)
    await gate.update(tree.reader().read())
    assert gate.waiting
    for _ in range(60):  # five minutes of 5 s samples at most
        ticks.now += 5.0
        await gate.update(tree.reader().read())
        if not gate.waiting:
            break
    assert not gate.waiting and 1.3 < gate.own_load < 2.0
    ticks.now += 5.0
    await gate.update(tree.load(4.5).reader().read())  # the human starts a build
    assert gate.waiting and "less the daemon's own" in gate.reasons["load"]


async def test_a_sleeping_daemon_subtracts_nothing(tmp_path):
    tree = idle_laptop(tmp_path).load(2.5)  # the daemon's threads asleep: all the human's
    ticks = Ticks()
    gate = HostGate(tree.reader(), LIMITS, monotonic=ticks)
    for _ in range(60):
        ticks.now += 5.0
        await gate.update(tree.reader().read())
        assert gate.waiting


async def test_watch_samples_until_cancelled(tmp_path):
    tree, changed = idle_laptop(tmp_path), asyncio.Queue()

    async def note(msg: str, data: dict) -> None:
        await changed.put(msg)

    gate = HostGate(tree.reader(), dataclasses.replace(LIMITS, poll_s=0.01), note)
    task = asyncio.create_task(gate.watch())
    try:
        tree.load(3.9)
        assert "waits for the host" in await asyncio.wait_for(changed.get(), 10)
        tree.load(0.2)
        assert "free again" in await asyncio.wait_for(changed.get(), 10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_disabled_gate_never_reads_nor_waits(tmp_path):
    tree = idle_laptop(tmp_path).load(9.0)
    gate = HostGate(tree.reader(), dataclasses.replace(LIMITS, enabled=False))
    await asyncio.wait_for(gate.watch(), 5)  # returns at once
    await gate.sample()
    assert not gate.waiting and gate.reading is None
    await asyncio.wait_for(gate.clear(), 5)


@pytest.mark.slow
async def test_a_failed_reading_keeps_the_last_verdict(tmp_path):
    tree = idle_laptop(tmp_path).load(3.9)
    gate = HostGate(tree.reader(), LIMITS)
    await gate.sample()
    assert gate.waiting

    def broken() -> HostReading:
        raise RuntimeError("no /proc today")

    gate.reader.read = broken  # type: ignore[method-assign]
    await gate.sample()
    assert gate.waiting


async def test_a_sensor_s_jailed_run_waits_for_the_host(tmp_path):
    tree = idle_laptop(tmp_path).load(3.9)
    gate = HostGate(tree.reader(), LIMITS)
    await gate.sample()
    sensors = SensorSet(Settings(), tmp_path, tmp_path, "s-1", submit=None,  # type: ignore[arg-type]
                        git=None, ledger=None, jail_reason=None,  # type: ignore[arg-type]
                        protected_globs=(), host_turn=gate.turn)
    ran: list[str] = []

    async def run(tests: list[str]) -> int:
        ran.extend(tests)
        return len(tests)

    task = asyncio.create_task(sensors._after_host(run)(["tests/test_a.py"]))
    await asyncio.sleep(0)  # one turn of the loop: it is parked on the gate
    assert ran == [] and not task.done()
    tree.load(0.2)
    await gate.sample()
    assert await asyncio.wait_for(task, 5) == 1 and ran == ["tests/test_a.py"]


def _host_notes(daemon: Daemon) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(daemon.state_dir / "ledger.sqlite3")) as db:
        return db.execute("SELECT msg, data FROM thoughts WHERE phase = 'HOST' "
                          "ORDER BY rowid").fetchall()


@pytest.mark.slow
async def test_a_queued_op_waits_while_the_host_is_busy_and_runs_once_it_is_idle(repo,
                                                                                 short_tmp):
    """As found on a busy machine: the signal is queued, not dispatched, `status` and
    systemd's STATUS= say why; once the host reads idle the op runs, nothing dropped."""
    tree = idle_laptop(short_tmp / "host").load(3.9)
    settings = settings_for(todo_script(short_tmp / "s.jsonl"),
                            health={"enabled": True, "poll_s": 0.05})
    daemon = Daemon(repo, settings, host=tree.reader())
    async with running_daemon(repo, settings, daemon) as d:
        assert d.host.waiting  # the start-up reading, before any dispatch
        add_todo_and_commit(repo)
        await wait_for(lambda: len(d.queue) >= 1 and not d.queue.changed.is_set(),
                       what="the TODO queued and the dispatcher past it")
        assert d.ops == {} and await d.ledger.operations() == []
        status = await d.status()
        assert status.host.waiting and status.host.load1 == 3.9
        text = status_text(status)
        since = time.strftime("%H:%M:%S", time.localtime(status.host.since))
        assert f"host:     heavy work waits for the host since {since}" in text
        assert "load 3.9, resumes below 1.2 = 0.6 x 2 cores" in text  # held since start
        assert "dispatch: waiting for the host" in text
        assert "waiting for the host: load 3.9, resumes below 1.2" in d._sd_status()
        tree.load(0.2)
        [op, *_] = await wait_terminal(d)
        assert (await d.ledger.chain(op["op_id"]))["model_calls"]  # it ran, once free
        assert "heavy work waits" not in status_text(await d.status())
    notes = _host_notes(daemon)
    assert [msg.split(" (one op runs")[0] for msg, _ in notes] == [
        "heavy work waits for the host: load 3.9 > 1.6 = 0.8 x 2 cores",
        "the host is free again: heavy work resumes"]


def test_the_health_settings_and_their_checks(tmp_path):
    health = load_settings(tmp_path, environ={}).health
    assert health == HealthSection()
    assert (health.enabled, health.max_load_share, health.resume_load_share,
            health.pause_on_battery, health.max_temp_c, health.resume_temp_c, health.poll_s,
            health.lower_priority) == (True, 0.8, 0.6, True, 90.0, 80.0, 5.0, True)
    with pytest.raises(ConfigError, match="gate would flap"):
        load_settings(tmp_path, environ={"OUROBOROS_HEALTH__MAX_LOAD_SHARE": "0.5"})


def test_status_text_says_nothing_of_an_idle_host():
    idle = {"enabled": True, "waiting": False, "since": None, "reasons": []}
    assert "host:" not in status_text(sample_status(host=idle))
    busy = {**idle, "waiting": True, "since": 1_700_000_000.0, "waited_s": 200.0,
            "reasons": ["on battery power"]}
    since = time.strftime("%H:%M:%S", time.localtime(1_700_000_000.0))
    assert (f"host:     heavy work waits for the host since {since} (3m): on battery power"
            in status_text(sample_status(host=busy)))


def test_status_names_a_running_op_that_waits_for_the_host():
    op = {"op_id": "op-1", "phase": "VALIDATE", "goal": "fix clamp", "risk": "LOW",
          "cost_usd": 0.0, "age_s": 12.0, "waiting_for_model_s": None, "l2_iteration": None,
          "waiting_for_host": "a test run: load 3.9 > 1.6 = 0.8 x 2 cores"}
    text = status_text(sample_status(in_flight=[op]))
    assert "op-1 VALIDATE risk=LOW $0.0000 12.0s  waits for the host before a test run: " \
           "load 3.9 > 1.6 = 0.8 x 2 cores" in text
    quiet = status_text(sample_status(in_flight=[{**op, "waiting_for_host": None}]))
    assert "waits for the host" not in quiet


async def test_a_running_op_s_wait_is_named_on_its_handle_and_in_the_ledger(tmp_path):
    tree = idle_laptop(tmp_path).load(3.9)
    gate = HostGate(tree.reader(), LIMITS)
    await gate.sample()
    handle = type("Handle", (), {"waits": None})()
    notes: list[tuple[str, str]] = []

    async def note(op_id: str, msg: str, data: dict) -> None:
        notes.append((op_id, msg))

    wait = asyncio.create_task(host_yield(gate, {"op-1": handle}, note)("op-1", "a test run"))
    await wait_for(lambda: notes, what="the wait noted")
    assert handle.waits == "a test run: load 3.9 > 1.6 = 0.8 x 2 cores" and not wait.done()
    tree.load(0.2)
    await gate.sample()
    await asyncio.wait_for(wait, 5)
    assert handle.waits is None
    assert notes == [("op-1", "waits for the host before a test run"),
                     ("op-1", "the host is free: a test run goes ahead")]
    await asyncio.wait_for(host_yield(gate, {}, note)("op-2", "a model call"), 5)
    assert len(notes) == 2  # a free host: no wait, nothing noted
