"""VERIFY: the oracle on the live tree (read-only), against VALIDATE's baseline.

The live tree is the human's too. A test that fails there may be the human's concurrent
work (a new test not yet passing, a test file removed, a commit that broke something) and
not this op's change. So when VERIFY fails test by test, the failing tests run once more on a
sandbox copy of the live tree with this op's files put back (governance.phases.validate
.before_op): a test that fails the same way without the op's change is the human's, named in
the payload (`theirs`) and not held against the op. What is left is the op's: L2 repairs it
or the op rolls back. Failures of another kind (a session that did not finish, collection
errors) are judged as before: they say nothing test by test. A run that timed out while the
host was loaded runs again once it is quiet (governance.phases.slow_host), within the op's
bounds: the host's slowness is not the change's regression.
"""

from __future__ import annotations

import re

from governance.oracle.failure_text import as_payload
from governance.oracle.oracle import FailureKind, Report, Verdict
from governance.oracle.oracle_run import Checked, Validation, check_live, run_side
from governance.oracle.sandbox import Sandbox, left_out_links
from governance.phase import Phase, Transition
from governance.phases import slow_host
from governance.phases.deps import PhaseDeps
from governance.phases.validate import before_op
from governance.schemas import OperationContext, Source


async def verify_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    assert ctx.generation is not None
    memo = d.oracle
    if memo.scope is None or memo.baseline is None:
        return Transition(Phase.POSTMORTEM, "verify: no baseline was recorded by VALIDATE",
                          infra=True)
    # VALIDATE's baseline ran in sandboxes, which leave out links that reach outside the
    # tree: the live session skips them too, or it judges a tree the baseline never saw
    files = await d.in_thread(d.git.listed_files)
    left_out = await d.in_thread(left_out_links, d.root, files)
    while True:  # a run that timed out on a loaded host runs again once it is quiet
        checked = await check_live(d.verify_runner.ignoring(left_out), d.root, memo.scope,
                                   memo.baseline, d.state_dir / "oracle")
        if checked.verdict.passed or not await slow_host.run_again(ctx, d, checked, "VERIFY"):
            break
    theirs: list[str] = []
    if not checked.verdict.passed and checked.verdict.kind is FailureKind.FAILING:
        theirs = await _theirs(ctx, d, checked, files)
    v = _ours(checked.verdict, theirs)
    payload = {"tests": memo.scope.describe(), "summary": v.reason[:2000], "counts": v.counts,
               "regressions": list(v.regressions[:50]),
               "duration_s": round(sum(o.duration_s for o in checked.outcomes), 3)}
    if theirs:  # failing without this op's change too: the human's concurrent work
        payload["theirs"] = theirs[:50]
    if v.failures:  # what the failing tests said: the refusal's evidence in the ledger
        payload["failures"] = as_payload(v.failures)
    repairable = d.policy.l2_enabled and ctx.envelope.source != Source.REVIEW
    if not v.passed and repairable and not ctx.verify_repaired:
        d.oracle.failed = Validation(False, Checked(v, checked.outcomes).detail(), payload,
                                     checked=checked, baseline=memo.baseline)
        return Transition(Phase.L2_REPAIR, f"verify failed on the live tree, L2 repairs it: "
                          f"{v.reason[:1500]}", payload)
    if not v.passed:
        return Transition(Phase.POSTMORTEM, f"verify failed on the live tree: {v.reason[:1500]}",
                          payload)
    return Transition(Phase.COMPLETE, f"verified ({v.reason[:300]})", payload)


async def _theirs(ctx: OperationContext, d: PhaseDeps, checked: Checked,
                  files: list[str]) -> list[str]:
    """The failing tests of `checked` that fail the same way on the live tree without this
    op's change (one session in a sandbox copy); none when that run cannot be judged."""
    v, live = checked.verdict, checked.outcomes[0].report
    if live is None:
        return []
    boxes = d.state_dir / "sandboxes" / f"{ctx.op_id}-verify"
    try:
        box = await d.in_thread(Sandbox.create, d.root, files, boxes / "live", d.state_rel,
                                d.policy.protected_globs)
        await d.in_thread(before_op, ctx, d, box.root)
        # their files, whole: a node id pytest no longer finds would fail the session
        scoped = sorted({f for n in v.failing
                         if (box.root / (f := n.split("::", 1)[0])).is_file()})
        out = await run_side(d.verify_runner, box.root, scoped, False, boxes / "scratch")
    finally:
        await d.in_thread(Sandbox(boxes).destroy)
    without = out.report
    if without is None or without.problem or not without.finished:
        return []
    return [n for n in v.failing if _fails_alike(n, live, without)]


def _fails_alike(nodeid: str, live: Report, without: Report) -> bool:
    """Whether `nodeid` ends the same way without the op's change: failed, or errored, both
    times with the same exception type; or gone both times (its file or the test removed).
    A test skipped in the copy is not: a git-ignored file the copy lacks (local settings)
    may be what it reads. The type is compared so that a flaky test failing in the copy
    by chance does not excuse the op's own, different, failure."""
    now = live.with_outcome(nodeid)
    if now in ("missing", "collected"):
        return without.with_outcome(nodeid) == "missing"
    return (now in ("failed", "error") and without.with_outcome(nodeid) == now
            and _raised(live, nodeid) == _raised(without, nodeid))


def _raised(report: Report, nodeid: str) -> str:
    """The exception type a failed test raised, or '' where none is said. pytest writes a
    rewritten assert without its type ('assert 10 == 11'): that is an AssertionError, whatever
    the values (the same test may fail on other values with and without the op)."""
    said = report.failures.get(nodeid)
    if said is None:
        return ""
    named = _TYPE.match(said.message)
    return named.group(1) if named else "AssertionError"


_TYPE = re.compile(r"([A-Za-z_][\w.]*):")  # 'TypeError: ...', 'pkg.errors.Bad: ...'


def _ours(v: Verdict, theirs: list[str]) -> Verdict:
    """`v` less the tests that are the human's: passed when none is left."""
    if not theirs:
        return v
    mine = [n for n in v.failing if n not in theirs]
    note = (f"{len(theirs)} failing test(s) fail without this op's change too (the human's "
            f"concurrent work): {', '.join(theirs[:5])}")
    if not mine:
        return Verdict(True, f"{note}; the rest passed", evidence=v.evidence, counts=v.counts)
    named = [r for r in v.regressions if r.split(": ", 1)[0] in mine]
    return Verdict(False, f"regressions: {'; '.join(named[:10]) or ', '.join(mine[:10])}; "
                   f"{note}", tuple(named), counts=v.counts, failing=tuple(mine),
                   kind=v.kind, failures=tuple(f for f in v.failures if f.test in mine))
