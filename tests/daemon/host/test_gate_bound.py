"""daemon.host.overdue, through the gate: a wait for the load alone ends for one op after
health.max_wait_s, that op at idle priority, one at a time; memory short, battery and heat
are not bounded; the wait, the pass offered and the pass taken are each said once. The host
is read through daemon.host.health from a fake /proc tree (the gate's typed input), the
bound's clock is a settable one: no test waits on real time."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from daemon.config.health import HealthSection
from daemon.host.gate import HostGate
from daemon.host.pause import host_yield
from daemon.host.verdict import Limits
from tests.daemon.host.host_tree import HostTree, idle_laptop

BOUNDED = Limits.of(HealthSection())  # the defaults: 600 s, 1024 MiB
EPOCH = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclasses.dataclass
class Bench:
    """A gate on a busy tree, with its notes, its clock and its idle-priority calls."""

    tree: HostTree
    gate: HostGate
    mono: Clock
    notes: list[str]
    idled: list[str]

    async def at(self, seconds: float) -> None:
        """The clock at `seconds` into the wait, and one sample."""
        self.mono.now = seconds
        await self.gate.update(self.tree.reader().read())
        await asyncio.sleep(0)  # the waiters woken by it run

    def said(self, start: str) -> list[str]:
        return [n for n in self.notes if n.startswith(start)]


def bench(tmp_path, limits: Limits = BOUNDED) -> Bench:
    tree = idle_laptop(tmp_path).load(3.9).memory(8000)
    mono, notes, idled = Clock(), [], []

    async def note(msg: str, data: dict) -> None:
        notes.append(msg)

    gate = HostGate(tree.reader(), limits, note, clock=lambda: EPOCH + mono.now,
                    monotonic=mono, idle=lambda: idled.append("idle"))
    return Bench(tree, gate, mono, notes, idled)


async def test_one_op_runs_at_idle_priority_after_the_bound_and_one_at_a_time(tmp_path):
    b = bench(tmp_path)
    await b.at(0)
    assert b.gate.waiting and not b.gate.admits()
    first = asyncio.create_task(b.gate.clear_for("op-1"))
    await b.at(599)
    assert not first.done() and b.idled == []
    await b.at(600)
    await asyncio.wait_for(first, 5)
    assert b.gate.bound.holder == "op-1" and b.idled == ["idle"]
    second = asyncio.create_task(b.gate.clear_for("op-2"))
    await b.at(5000)  # op-1 runs long: no second pass while it holds one
    assert not second.done() and not b.gate.admits()
    b.gate.release("op-1")  # at 5000: the clock starts again
    await b.at(5599)
    assert not second.done()
    await b.at(5600)
    await asyncio.wait_for(second, 5)
    assert b.gate.bound.holder == "op-2" and b.idled == ["idle"]  # lowered for good, once
    at = time.strftime("%H:%M:%S", time.localtime(EPOCH + 600))
    assert b.said("heavy work waits") == [
        f"heavy work waits for the host: load 3.9 > 1.6 = 0.8 x 2 cores (one op runs at idle "
        f"priority anyway at {at})"]
    assert b.said("heavy work has waited") == [
        "heavy work has waited 600s for the host (health.max_wait_s = 600): one op runs at "
        "idle priority anyway",
        "heavy work has waited 600s since the last op on the bound ended (5600s in all) for "
        "the host (health.max_wait_s = 600): one op runs at idle priority anyway"]
    assert b.said("op-") == ["op-1 runs on the host gate's bound, at idle priority",
                             "op-2 runs on the host gate's bound, at idle priority"]


async def test_the_dispatcher_is_admitted_once_the_pass_is_offered(tmp_path):
    b = bench(tmp_path)
    await b.at(0)
    await b.at(600)
    assert b.gate.admits() and await b.gate.take("op-1")
    assert not b.gate.admits() and not await b.gate.take("op-2")
    snap = b.gate.snapshot()
    assert snap["overdue_op"] == "op-1" and snap["runs_anyway_at"] is None
    assert snap["bound"] == "op-1 runs on the bound at idle priority"
    b.tree.load(0.2)  # the host frees: the gate opens, op-1 runs on to its end
    await b.at(700)
    assert not b.gate.waiting and b.gate.admits() and b.gate.bound.holder == "op-1"
    b.gate.release("op-1")
    assert b.gate.bound.holder is None and b.gate.bound.started is None


async def test_short_memory_holds_the_bound_until_it_is_back(tmp_path):
    b = bench(tmp_path)
    b.tree.memory(500)
    await b.at(0)
    op = asyncio.create_task(b.gate.clear_for("op-1"))
    await b.at(10_000)
    assert not op.done() and not b.gate.admits() and b.gate.runs_anyway_at() is None
    assert b.said("heavy work waits") == [
        "heavy work waits for the host: load 3.9 > 1.6 = 0.8 x 2 cores (no op runs on the "
        "bound while memory is short: 500 MiB available < 1024 MiB "
        "(health.min_free_memory_mb))"]
    assert "memory is short: 500 MiB" in b.gate.snapshot()["bound"]
    b.tree.memory(4000)
    await b.at(10_005)
    await asyncio.wait_for(op, 5)
    assert b.said("the host gate's bound") == ["the host gate's bound applies again"]
    assert b.gate.bound.holder == "op-1"


async def test_battery_and_heat_are_not_bounded(tmp_path):
    b = bench(tmp_path)
    b.tree.load(0.2).supply("AC", "Mains", online="0")
    b.tree.supply("BAT0", "Battery", status="Discharging")
    await b.at(0)
    assert set(b.gate.reasons) == {"battery"}
    await b.at(100_000)
    assert not b.gate.admits() and not b.gate.bound.offered
    assert b.gate.snapshot()["bound"] == "no op runs on the bound while battery is not bounded"
    b.tree.load(3.9).zone(0, "x86_pkg_temp", "95000")
    await b.at(200_000)
    assert not b.gate.admits()
    await b.at(200_005)
    assert b.said("the host gate's bound") == [  # said when its reason changed, once
        "the host gate's bound is held: battery and heat are not bounded"]


async def test_no_bound_when_max_wait_s_is_0(tmp_path):
    b = bench(tmp_path, dataclasses.replace(BOUNDED, max_wait_s=0.0))
    await b.at(0)
    await b.at(10**7)
    assert not b.gate.admits() and b.gate.runs_anyway_at() is None
    assert b.gate.bound_line() == "no bound: health.max_wait_s = 0"


async def test_a_running_op_waiting_for_the_host_takes_the_pass(tmp_path):
    b = bench(tmp_path)
    await b.at(0)
    handle = type("Handle", (), {"waits": None})()
    op_notes: list[str] = []

    async def note(op_id: str, msg: str, data: dict) -> None:
        op_notes.append(msg)

    wait = host_yield(b.gate, {"op-1": handle}, note)
    run = asyncio.create_task(wait("op-1", "a test run"))
    await asyncio.sleep(0)
    assert handle.waits == "a test run: load 3.9 > 1.6 = 0.8 x 2 cores"
    await b.at(300)
    assert not run.done()
    await b.at(600)
    await asyncio.wait_for(run, 5)
    await asyncio.wait_for(wait("op-1", "a model call (GENERATE)"), 5)  # on the pass: no wait
    assert op_notes == ["waits for the host before a test run",
                        "the host gate's bound: a test run goes ahead at idle priority"]
    assert handle.waits is None and b.idled == ["idle"]


async def test_a_background_run_has_its_own_pass_first_and_no_op_waits_behind_it(tmp_path):
    """The intake's run (the suite profile's, which finds the failing tests) gets its pass
    at half the bound, so what it finds is queued before the ops' pass is offered; an op
    whose pass is due while it still runs does not wait for it."""
    b = bench(tmp_path)
    await b.at(0)
    inside, done = asyncio.Event(), asyncio.Event()

    async def profile_run() -> None:
        async with b.gate.turn("the suite profile"):
            inside.set()
            await done.wait()

    run = asyncio.create_task(profile_run())
    await b.at(299)
    assert not inside.is_set()
    await b.at(300)
    await asyncio.wait_for(inside.wait(), 5)
    assert b.gate.background.holder == "the suite profile #1"
    assert not b.gate.admits()  # the ops' pass is not due yet
    await b.at(600)
    assert b.gate.admits() and await b.gate.take("op-1")  # the op's pass is its own
    done.set()
    await asyncio.wait_for(run, 5)
    assert b.gate.background.holder is None and b.gate.bound.holder == "op-1"
    assert b.said("the suite profile") == [
        "the suite profile #1 runs on the host gate's bound, at idle priority"]
