"""governance.phases.slow_host's rule, on VALIDATE's and VERIFY's results as the oracle
types them: only a timeout while the host was loaded runs again; a quiet host's timeout, a
failing test, or a run past the bounds (tries, hours, the op's over both phases) is the
work's, and the ledger says which and why. The
whole path, with a real timeout and the real gate: tests/daemon/host/test_slow_host.py."""

from __future__ import annotations

import asyncio

import pytest

from governance.host_load import SlowHostRetry
from governance.oracle.oracle import FailureKind, Verdict
from governance.oracle.oracle_run import Checked
from governance.oracle.testrun import TestOutcome
from governance.phases import slow_host
from ledger import Ledger
from tests.helpers import op_context, pipeline_deps


class FakeLoad:
    """A HostLoad whose gate held work for `reasons` and opens when `opened` is set."""

    def __init__(self, reasons: tuple[str, ...], tries: int = 2, within_s: float = 60.0):
        self.reasons, self.asked = reasons, []
        self.retry = SlowHostRetry(tries, within_s)
        self.opened, self.entered = asyncio.Event(), asyncio.Event()

    def loaded_since(self, since: float) -> tuple[str, ...]:
        self.asked.append(since)
        return self.reasons

    async def quiet(self, op_id: str, why: str) -> None:
        self.why = why
        self.entered.set()
        await self.opened.wait()


def refused(kind: FailureKind, timed_out: bool = True) -> Checked:
    outcome = TestOutcome(passed=False, exit_code=None, duration_s=90.0, timed_out=timed_out)
    return Checked(Verdict(False, "tests timed out after 90s", kind=kind), (outcome,))


@pytest.fixture
async def deps(repo, short_tmp):
    """(PhaseDeps with `load` as its host, a fresh op the ledger knows)."""
    ledger = await Ledger.open(short_tmp / "l.db")

    async def make(load):
        ctx = op_context()
        await ledger.record_operation(ctx.op_id, source="test", goal="g", session_id="s",
                                      envelope={})
        return pipeline_deps(repo, ledger, None, host=load), ctx
    yield make
    await ledger.close()


async def _thoughts(d, ctx) -> list[str]:
    return [t["msg"] for t in (await d.ledger.chain(ctx.op_id))["thoughts"]]


async def test_a_timeout_on_a_quiet_host_is_the_works(deps):
    load = FakeLoad(())
    d, ctx = await deps(load)
    assert not await slow_host.run_again(ctx, d, refused(FailureKind.TIMED_OUT))
    assert load.asked  # it asked about the run's own 90 s
    assert await _thoughts(d, ctx) == []


@pytest.mark.parametrize("kind", [FailureKind.FAILING, FailureKind.COLLECTION_ERRORS,
                                  FailureKind.UNFINISHED])
async def test_only_a_timeout_is_the_hosts(deps, kind):
    load = FakeLoad(("load 6.2 > 1.6 = 0.8 x 2 cores",))
    d, ctx = await deps(load)
    assert not await slow_host.run_again(ctx, d, refused(kind))
    assert load.asked == []


async def test_a_timeout_under_load_waits_off_the_clock_and_runs_again(deps):
    load = FakeLoad(("load 6.2 > 1.6 = 0.8 x 2 cores",))
    d, ctx = await deps(load)
    task = asyncio.create_task(slow_host.run_again(ctx, d, refused(FailureKind.TIMED_OUT)))
    await asyncio.wait_for(load.entered.wait(), 10)
    assert d.clock.waiting_since is not None  # the op's clock stops while it waits
    assert load.why == "a quiet host, to run VALIDATE again: load 6.2 > 1.6 = 0.8 x 2 cores"
    load.opened.set()
    assert await task
    assert d.clock.slow_host_runs == 1 and d.clock.waiting_since is None
    said = await _thoughts(d, ctx)
    assert "waits for a quiet host, then VALIDATE runs again (run again 1 of 2" in said[0]
    assert said[1].startswith("the host is quiet after")


async def test_the_runs_again_are_bounded(deps):
    load = FakeLoad(("on battery power",), tries=1)
    load.opened.set()
    d, ctx = await deps(load)
    assert await slow_host.run_again(ctx, d, refused(FailureKind.TIMED_OUT))
    assert not await slow_host.run_again(ctx, d, refused(FailureKind.TIMED_OUT))
    assert "no run again left (1 of 1" in (await _thoughts(d, ctx))[-1]


async def test_a_host_that_stays_loaded_past_the_hours_leaves_the_timeout_the_works(deps):
    load = FakeLoad(("load 6.2 > 1.6 = 0.8 x 2 cores",), within_s=0.05)
    d, ctx = await deps(load)
    assert not await slow_host.run_again(ctx, d, refused(FailureKind.TIMED_OUT))
    assert d.clock.slow_host_runs == 0 and d.clock.slow_host_waited_s >= 0.05
    assert (await _thoughts(d, ctx))[-1].startswith("the host stayed loaded for")


async def test_verify_runs_again_under_its_own_name_within_the_ops_bounds(deps):
    load = FakeLoad(("load 6.2 > 1.6 = 0.8 x 2 cores",), tries=1)
    load.opened.set()
    d, ctx = await deps(load)
    assert await slow_host.run_again(ctx, d, refused(FailureKind.TIMED_OUT), "VERIFY")
    assert load.why.startswith("a quiet host, to run VERIFY again")
    chain = await d.ledger.chain(ctx.op_id)
    assert {t["phase"] for t in chain["thoughts"]} == {"VERIFY"}
    assert "then VERIFY runs again" in chain["thoughts"][0]["msg"]
    # one bound over both phases: VALIDATE's later timeout has no run again left
    assert not await slow_host.run_again(ctx, d, refused(FailureKind.TIMED_OUT))


async def test_no_host_to_judge_changes_nothing(deps):
    d, ctx = await deps(None)
    assert not await slow_host.run_again(ctx, d, refused(FailureKind.TIMED_OUT))
