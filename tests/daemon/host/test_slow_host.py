"""A slow host is not the work's failure (issue 51, item 5): a correct fix whose VALIDATE
or VERIFY run times out while the host gate reports load runs again once the load lifts
and lands, with no POSTMORTEM, no VALIDATE retry spent and no L2 repair (a quiet host's
timeout, the bounds and the other failure kinds: tests/governance/phases/test_slow_host.py).

The load comes through the gate's own seam (a fake /proc read by the real HostReader,
sampled by the real HostGate); the timeout is real: the test under VALIDATE waits for a
file the test creates only once the op waits for a quiet host."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from daemon.config.health import HealthSection
from daemon.host.gate import HostGate
from daemon.host.slow_runs import GateLoad
from daemon.host.verdict import Limits
from daemon.op_handle import OpHandle
from governance.oracle.testrun import TestRunner
from governance.phase import Phase
from tests.daemon.host.host_tree import HostTree, idle_laptop
from tests.helpers import OPS_FIXED, PYTEST, git, op_context, run_op

TIMEOUT_S = 5.0  # VALIDATE's test runs: the blocked one is killed after this
FIX = json.dumps({"schema": "candidate.1", "file_path": "calc/ops.py",
                  "full_content": OPS_FIXED, "rationale": "clamp into range"})


def slow_test(started: Path, gate: Path, live: Path | None = None) -> str:
    """A test that, on the fixed code, waits until `gate` exists (saying so in `started`):
    a suite too slow for the time limit while the host is busy; with `live`, only where it
    runs from that directory (the live tree: VERIFY's run, not VALIDATE's sandboxes)."""
    live = f" and os.path.dirname(os.path.abspath(__file__)) == {str(live)!r}" if live else ""
    return f'''import os
import time

from calc.ops import clamp


def test_clamp_upper_bound_in_a_slow_suite():
    if clamp(15, 0, 10) == 10 and not os.path.exists({str(gate)!r}){live}:
        open({str(started)!r}, "w").close()
        while not os.path.exists({str(gate)!r}):
            time.sleep(0.01)
'''


class WatchedLoad(GateLoad):
    """The daemon's HostLoad, telling the test when the op starts waiting for quiet."""

    def __init__(self, gate: HostGate, health: HealthSection):
        super().__init__(gate, health)
        self.waiting = asyncio.Event()

    async def quiet(self, op_id: str, why: str) -> None:
        self.waiting.set()
        await super().quiet(op_id, why)


def _setup(repo: Path, tmp: Path, health: HealthSection, *, live_only: bool = False):
    started, gate_file = tmp / "started", tmp / "suite-may-finish"
    live = (repo / "tests").resolve() if live_only else None
    (repo / "tests" / "test_slow.py").write_text(slow_test(started, gate_file, live))
    git(repo, "add", "tests/test_slow.py")
    git(repo, "commit", "-qm", "a slow test")
    host = idle_laptop(tmp / "host")
    gate = HostGate(host.reader(cores=2), Limits.of(health))
    load = WatchedLoad(gate, health)
    # No host_yield: the op's runs go ahead while the gate is closed, as they do for the op
    # on the bound's pass or when the load comes in the middle of a run; so the load can be
    # there from the start, and no timer decides whether it came before the run timed out.
    deps = {"runner": TestRunner(PYTEST, TIMEOUT_S), "host": load}
    return started, gate_file, host, gate, load, deps


def _phases(chain: dict) -> list[str]:
    return [t["to_phase"] for t in chain["transitions"]]


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["VALIDATE", "VERIFY"])
async def test_a_timeout_under_load_runs_again_when_the_load_lifts_and_lands(repo, short_tmp,
                                                                            phase):
    """VALIDATE: the suite is slow in the sandboxes; VERIFY: only on the live tree, after
    the change was applied (it is neither repaired by L2 nor rolled back)."""
    health = HealthSection(lower_priority=False)
    started, gate_file, host, gate, load, deps = _setup(repo, short_tmp, health,
                                                        live_only=phase == "VERIFY")
    HostTree(host.root).load(5.0)  # the human's build runs: 5.0 > 1.6 = 0.8 x 2 cores
    await gate.sample()
    assert gate.waiting
    op = asyncio.create_task(run_op(repo, short_tmp / "l.db", "calc/ops.py", FIX, **deps))
    waiting = asyncio.create_task(load.waiting.wait())  # timed out: waits for a quiet host
    await asyncio.wait({op, waiting}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    assert not op.done(), op.result()[1]["transitions"][-1]
    assert waiting.done() and started.exists()  # the fixed code's slow test ran
    gate_file.touch()  # the suite can finish now; and the load lifts
    HostTree(host.root).load(0.2)
    await gate.sample()
    end, chain = await asyncio.wait_for(op, 120)
    assert end == Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert not {"POSTMORTEM", "VALIDATE_RETRY", "L2_REPAIR"} & set(_phases(chain))
    said = [t for t in chain["thoughts"] if t["phase"] == phase]
    waits = [t for t in said if "waits for a quiet host" in t["msg"]]
    assert len(waits) == 1 and waits[0]["data"]["waits_for"] == "a quiet host"
    assert "load 5.0 > 1.6" in waits[0]["msg"] and "no retry spent" in waits[0]["msg"]
    assert any(f"{phase} runs again" in t["msg"] for t in said)




async def test_the_gate_says_what_held_work_since_a_moment(tmp_path):
    """held_since: the wait on now, or one that ended after the moment asked about; a run
    that began after the host was free again was not slowed by it."""
    host = idle_laptop(tmp_path)
    gate = HostGate(host.reader(cores=2), Limits.of(HealthSection(lower_priority=False)))
    before = time.monotonic()
    await gate.sample()
    assert gate.held_since(before) == ()
    host.load(5.0)
    await gate.sample()
    assert gate.held_since(before) == ("load 5.0 > 1.6 = 0.8 x 2 cores",)
    host.load(0.2)
    await gate.sample()
    assert not gate.waiting
    assert gate.held_since(before) == ("load 5.0 > 1.6 = 0.8 x 2 cores",)
    assert gate.held_since(time.monotonic()) == ()


async def test_status_names_the_op_that_waits_for_a_quiet_host(tmp_path):
    host = idle_laptop(tmp_path).load(5.0)
    gate = HostGate(host.reader(cores=2), Limits.of(HealthSection(lower_priority=False)))
    await gate.sample()
    handle = OpHandle(op_context())
    load = GateLoad(gate, HealthSection(), {handle.ctx.op_id: handle})
    waiting = asyncio.create_task(load.quiet(handle.ctx.op_id, "a quiet host, to run ..."))
    await asyncio.sleep(0)  # the wait has begun (no timing: one turn of the loop)
    assert handle.waits == "a quiet host, to run ..." and not waiting.done()
    host.load(0.2)
    await gate.sample()
    await asyncio.wait_for(waiting, 10)
    assert handle.waits is None
