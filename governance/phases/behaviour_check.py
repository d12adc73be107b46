"""Running the differential check for one candidate: capture on the base, replay on both
trees, compare (governance.oracle.differential)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from governance.oracle.differential import (
    CALL_TIMEOUT_S,
    GENERATED,
    MAX_CALLS,
    REPLAY_SOURCE,
    DiffReport,
    FunctionCheck,
    Target,
    calls_of,
    compare,
)
from governance.oracle.testrun import CaptureRequest, TestRunner


async def check_behaviour(runner: TestRunner, base: Path, candidate: Path,
                          targets: Sequence[Target], tests: Sequence[str],
                          scratch: Path) -> DiffReport:
    """Capture on `base`, replay on both trees, compare (the module docstring)."""
    start = time.monotonic()
    if not targets:
        return DiffReport()
    if not tests:
        return DiffReport(tuple(FunctionCheck(f"{t.file}::{t.qualname}", problem="no test "
                                              "calls it") for t in targets))
    request = CaptureRequest(tuple((t.file, t.qualname) for t in targets), MAX_CALLS)
    ran = await runner.run(base, list(tests), scratch=scratch, capture=request)
    captured = ran.captured
    if not isinstance(captured, dict) or not isinstance(captured.get("functions"), list) \
            or len(captured["functions"]) != len(targets):
        why = ran.report.problem or "the capture run wrote no calls"
        return DiffReport(problem=f"calls not captured: {why}"[:400],
                          seconds=time.monotonic() - start)
    job = {"call_timeout_s": CALL_TIMEOUT_S, "functions": [
        {"file": t.file, "qualname": t.qualname, "calls": calls_of(f),
         "constants": list(t.constants), "generate": GENERATED}
        for t, f in zip(targets, captured["functions"], strict=True)]}
    answers = await asyncio.gather(
        runner.run_script(base, REPLAY_SOURCE, job, scratch=scratch),
        runner.run_script(candidate, REPLAY_SOURCE, job, scratch=scratch))
    problem = next((a for a in answers if isinstance(a, str)), None)
    if problem is not None:
        return DiffReport(problem=f"replay failed: {problem}"[:400],
                          seconds=time.monotonic() - start)
    checks = tuple(compare(t, len(spec["calls"]), b, c) for t, spec, b, c in zip(
        targets, job["functions"], answers[0]["functions"], answers[1]["functions"],
        strict=True))
    return DiffReport(checks, seconds=time.monotonic() - start)


