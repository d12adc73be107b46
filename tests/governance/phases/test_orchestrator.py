"""The orchestrator's guarantees, with scripted phase functions walking the whole table."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from governance.fs.rollback import RollbackSnapshot
from governance.oracle.testrun import TestRunner
from governance.phase import Phase, Transition
from governance.phases.deps import CancelToken, PhaseDeps
from governance.phases.orchestrator import Orchestrator
from governance.schemas import OperationContext
from ledger import Ledger
from tests.helpers import PYTEST, op_context, pipeline_deps

P = Phase
# A path through every non-terminal phase (retries included).
WALK = [P.CLASSIFY, P.ROUTE, P.CONTEXT_EXPANSION, P.PLAN, P.GENERATE, P.GENERATE_RETRY,
        P.VALIDATE, P.VALIDATE_RETRY, P.VALIDATE, P.L2_REPAIR, P.GATE, P.APPROVE, P.APPLY,
        P.VERIFY, P.L2_REPAIR, P.GATE, P.APPROVE, P.APPLY, P.VERIFY]


def _ctx() -> OperationContext:
    return op_context(source="test", goal="g")


async def _deps(repo: Path, short_tmp: Path) -> PhaseDeps:
    ledger = await Ledger.open(short_tmp / "ledger.sqlite3")
    return pipeline_deps(repo, ledger, None, state_dir=short_tmp / "state",
                         runner=TestRunner(PYTEST, 30))


def _scripted(fail_at: int | None = None, illegal_at: int | None = None):
    """Phase functions that follow WALK, raising (or misbehaving) at one step."""
    step = {"n": 0}

    async def phase_fn(ctx: OperationContext, d: PhaseDeps) -> Transition:
        n = step["n"]
        step["n"] += 1
        if n == fail_at:
            raise RuntimeError(f"injected failure at step {n}")
        if n == illegal_at:
            return Transition(P.COMPLETE if WALK[n] is P.CLASSIFY else P.CLASSIFY, "bogus")
        nxt = WALK[n + 1] if n + 1 < len(WALK) else P.COMPLETE
        return Transition(nxt, f"step {n}")

    return {p: phase_fn for p in set(WALK)}


async def _terminals(ledger: Ledger, op_id: str) -> list[str]:
    chain = await ledger.chain(op_id)
    terminal = {"COMPLETE", "POSTMORTEM", "CANCELLED", "BLOCKED", "FAILED_PERMANENT"}
    return [t["to_phase"] for t in chain["transitions"] if t["to_phase"] in terminal]


@pytest.mark.parametrize("step", range(len(WALK)), ids=[f"{i}-{p}" for i, p in enumerate(WALK)])
async def test_failure_in_any_phase_ends_in_exactly_one_postmortem(repo, short_tmp, step):
    deps = await _deps(repo, short_tmp)
    ctx = _ctx()
    end = await Orchestrator(_scripted(fail_at=step), deps).run(ctx)
    assert end is P.POSTMORTEM
    assert await _terminals(deps.ledger, ctx.op_id) == ["POSTMORTEM"]
    last = (await deps.ledger.chain(ctx.op_id))["transitions"][-1]
    assert last["from_phase"] == WALK[step].value
    assert f"injected failure at step {step}" in last["reason"]
    await deps.ledger.close()


@pytest.mark.parametrize("step", [0, 4, 10])
async def test_disallowed_transition_is_a_bug_and_ends_in_postmortem(repo, short_tmp, step):
    deps = await _deps(repo, short_tmp)
    ctx = _ctx()
    assert await Orchestrator(_scripted(illegal_at=step), deps).run(ctx) is P.POSTMORTEM
    last = (await deps.ledger.chain(ctx.op_id))["transitions"][-1]
    assert last["reason"].startswith("bug: can't enter")
    await deps.ledger.close()


async def test_clean_walk_records_every_step_in_order(repo, short_tmp):
    deps = await _deps(repo, short_tmp)
    ctx = _ctx()
    assert await Orchestrator(_scripted(), deps).run(ctx) is P.COMPLETE
    chain = await deps.ledger.chain(ctx.op_id)
    assert [t["to_phase"] for t in chain["transitions"]] == [p.value for p in WALK] + ["COMPLETE"]
    assert [t["seq"] for t in chain["transitions"]] == list(range(len(WALK) + 1))
    await deps.ledger.close()


async def test_cancel_interrupts_a_long_phase(repo, short_tmp):
    deps = await _deps(repo, short_tmp)
    started = asyncio.Event()

    async def slow(ctx, d):
        started.set()
        await asyncio.sleep(60)
        return Transition(P.ROUTE, "never")

    phases = {**_scripted(), P.CLASSIFY: slow}
    ctx, token = _ctx(), CancelToken()
    run = asyncio.create_task(Orchestrator(phases, deps).run(ctx, token))
    await started.wait()
    token.cancel("operator said stop")
    assert await asyncio.wait_for(run, 5) is P.CANCELLED
    last = (await deps.ledger.chain(ctx.op_id))["transitions"][-1]
    assert last["reason"] == "operator said stop (during CLASSIFY)"
    await deps.ledger.close()


async def test_failure_after_apply_restores_the_snapshot(repo, short_tmp):
    deps = await _deps(repo, short_tmp)
    live = repo / "calc" / "ops.py"
    original = live.read_bytes()

    async def apply(ctx, d):
        snap = RollbackSnapshot.capture(d.state_dir, ctx.op_id, d.root,
                                        ["calc/ops.py", "calc/new.py"])
        ctx.rollback_dir, ctx.applied = str(snap.directory), True
        live.write_text("broken")
        (repo / "calc" / "new.py").write_text("x = 1\n")
        return Transition(P.VERIFY, "applied")

    async def verify(ctx, d):
        raise RuntimeError("tests exploded")

    phases = {**_scripted(), P.APPLY: apply, P.VERIFY: verify}
    # Skip straight to APPLY: the scripted walk's steps before it are harmless.
    ctx = _ctx()
    assert await Orchestrator(phases, deps).run(ctx) is P.POSTMORTEM
    assert live.read_bytes() == original
    assert not (repo / "calc" / "new.py").exists()
    last = (await deps.ledger.chain(ctx.op_id))["transitions"][-1]
    assert sorted(last["payload"]["rolled_back"]) == ["calc/new.py", "calc/ops.py"]
    await deps.ledger.close()
