"""L2_REPAIR: self-repair after VALIDATE's retries are spent, or once after VERIFY fails.

After VALIDATE, a converged repair goes to GATE like any candidate. After VERIFY, the
change is already applied: the repair is judged the way VERIFY judges (on a copy of the
live tree), then goes through GATE, APPROVE and APPLY again, which writes it over the
applied change with the op's rollback snapshot kept (extended, never replaced), and VERIFY
runs again. A second VERIFY failure, or an L2 run that stops, ends the op POSTMORTEM,
and the orchestrator restores the snapshot: the files are back byte for byte.
"""

from __future__ import annotations

import time

from governance.fs.rollback import live_sha256
from governance.oracle.failure_text import as_payload
from governance.oracle.oracle import GOOD, Report
from governance.phase import Phase, Transition
from governance.phases.deps import PhaseDeps
from governance.phases.l2 import Failure, FailureClass, StopReason
from governance.phases.l2_repair import L2Run, classify
from governance.schemas import OperationContext

# An L2 run that stopped for these says nothing about the code: no lesson (R8).
INFRA_STOPS = frozenset({StopReason.PROVIDER, StopReason.NO_MODEL})
INFRA_CLASSES = frozenset({FailureClass.ENVIRONMENT, FailureClass.COLLAPSE})


async def l2_repair_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    assert ctx.generation is not None
    on_live = ctx.applied
    ctx.l2_runs += 1
    if on_live:
        ctx.verify_repaired = True  # one repair per op after VERIFY
    candidate = ctx.generation.candidate
    entry = d.oracle.failed
    failure = classify(entry, candidate) if entry is not None else Failure(
        FailureClass.TEST, frozenset(), ("no structured failure was recorded",),
        ctx.last_failure or "")

    if on_live:  # APPLY's stale guard: what the live files hold as the repair starts
        files = sorted({*(c.file_path for c in candidate.changes()),
                        *ctx.envelope.target_files})
        ctx.live_hashes = await d.in_thread(
            lambda: {f: live_sha256(d.root, f) for f in files})
    # A fresh clock, whatever the pipeline had left (the orchestrator widened its ceiling).
    run = L2Run(ctx, d, on_live, time.monotonic() + d.policy.l2_timebox_s, candidate, failure)
    converged = await run.run()
    payload = {"iterations": run.iteration, "entry_class": failure.cls.value,
               "signatures": run.progress.signatures, "on_live": on_live}
    if not converged:
        assert run.stop is not None
        last = run.failure
        named = sorted(last.failing)[:5] or list(last.problems[:2])
        payload.update(stop=run.stop.value, last_class=last.cls.value,
                       failing=sorted(last.failing)[:50])
        if last.texts:
            payload["failures"] = as_payload(last.texts)
        return Transition(Phase.POSTMORTEM, f"L2 stopped after {run.iteration} iteration(s) "
                          f"[{run.stop.value}]: {run.reason}; last failure ({last.cls.value}): "
                          f"{'; '.join(named)[:600]}", payload,
                          infra=run.stop in INFRA_STOPS or last.cls in INFRA_CLASSES)
    ctx.generation = ctx.generation.model_copy(update={"candidate": run.candidate})
    files = [c.file_path for c in run.candidate.changes()]
    unseen = _unseen(failure, d.oracle.baseline) if on_live else []
    note = (f"; not checkable in a sandbox, VERIFY judges them: {', '.join(unseen[:5])}"
            if unseen else "")
    if unseen:
        payload["unseen_in_sandbox"] = unseen[:50]
    return Transition(Phase.GATE, f"L2 converged in iteration {run.iteration}; candidate "
                      f"touches {len(files)} file(s){note}", {**payload, "files": files})



def _unseen(failure: Failure, baseline: Report | None) -> list[str]:
    """Entry failures no sandbox can see: tests failing on the live tree that did not pass
    in the sandbox baseline (skipped or absent there: an ignored local file, a machine
    setting). A converged repair is not proven for them; the second VERIFY judges them."""
    if baseline is None:
        return []
    return sorted(t for t in failure.failing if baseline.tests.get(t) not in GOOD)
