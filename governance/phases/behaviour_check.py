"""Running the differential check for one candidate: capture on the base, replay on both
trees, compare (governance.oracle.differential)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from governance.fs import nofollow
from governance.fs.protected import PathEscape
from governance.oracle.differential import (
    CALL_TIMEOUT_S,
    GENERATED,
    MAX_CALLS,
    REPLAY_HELPERS,
    REPLAY_SOURCE,
    DiffReport,
    FunctionCheck,
    Target,
    calls_of,
    compare,
)
from governance.oracle.run_dir import capture_request
from governance.oracle.testrun import TestRunner
from governance.phases.deps import PhaseDeps
from governance.proof.behaviour import touched_functions
from governance.proof.rules import Intent, intent_of
from governance.schemas import FileChange, OperationContext

READ_CAP = 4_000_000  # a larger file is not compared: its change cannot be shown unchanged


def wants_differential(ctx: OperationContext, d: PhaseDeps) -> bool:
    """A preserve change is proven only through the check, unless the old rule is opted into."""
    return intent_of(ctx.envelope.source) is Intent.PRESERVE \
        and not d.policy.preserve_on_coverage


def targets_of(base: Path, code: Sequence[FileChange]) -> tuple[list[Target], list[str]]:
    """The functions of the candidate's code changes to judge (their base texts read from
    the `base` copy, never through a link), and what cannot be judged call by call."""
    targets: list[Target] = []
    problems: list[str] = []
    for change in code:
        rel = change.file_path
        try:
            old = nofollow.read_bytes(base, rel, limit=READ_CAP).decode("utf-8")
        except FileNotFoundError:
            continue  # a new file: nothing of the base's to compare with
        except (OSError, PathEscape, UnicodeDecodeError) as exc:
            problems.append(f"{rel}: base text unreadable ({type(exc).__name__})")
            continue
        if change.action == "delete" or not rel.endswith(".py"):
            problems.append(f"{rel}: {'deleted' if change.action == 'delete' else 'not Python'}")
            continue
        found, why = touched_functions(old, change.full_content or "", rel)
        targets += found
        problems += why
    return targets, problems


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
    request = capture_request(tuple((t.file, t.qualname) for t in targets), MAX_CALLS)
    ran = await runner.run(base, list(tests), scratch=scratch, extra=request)
    captured = ran.extra
    if not isinstance(captured, dict) or not isinstance(captured.get("functions"), list) \
            or len(captured["functions"]) != len(targets):
        why = ran.report.problem or "the capture run wrote no calls"
        return DiffReport(problem=f"calls not captured: {why}"[:400],
                          seconds=time.monotonic() - start)
    job = {"call_timeout_s": CALL_TIMEOUT_S, "functions": [
        {"file": t.file, "qualname": t.qualname, "calls": calls_of(f),
         "constants": list(t.constants), "generate": GENERATED,
         "boundaries": [{"param": p, "values": list(v)} for p, v in t.boundaries]}
        for t, f in zip(targets, captured["functions"], strict=True)]}
    answers = await asyncio.gather(
        runner.run_script(base, REPLAY_SOURCE, job, scratch=scratch, helpers=REPLAY_HELPERS),
        runner.run_script(candidate, REPLAY_SOURCE, job, scratch=scratch,
                          helpers=REPLAY_HELPERS))
    problem = next((a for a in answers if isinstance(a, str)), None)
    if problem is not None:
        return DiffReport(problem=f"replay failed: {problem}"[:400],
                          seconds=time.monotonic() - start)
    checks = tuple(compare(t, len(spec["calls"]), b, c) for t, spec, b, c in zip(
        targets, job["functions"], answers[0]["functions"], answers[1]["functions"],
        strict=True))
    return DiffReport(checks, seconds=time.monotonic() - start)


