"""A failing tests' cause as one piece of work: its envelope (source test_failure) and the
files it targets (sensors.failing_tests emits one per cause among the failures that became
stable in a run).

Targets: each test file and the module its failure points at (the crash location, else the
import named like the test, else the first repository module it imports), the union over a
group's failures, the files of its library causes first after the first test file. The
envelope holds every test in its evidence's `tests` (the op's fail-to-pass set), its causes
in `causes`, the newest change to each function it is caused by (`newest_change`), and
what a failure asserted in its test's frame ran in the library (`called`). Its dedup key
hashes the group's anchor cause, never a message. Urgency is critical when a failure last
passed at HEAD or its first parent (a regression), high otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from governance.fs.protected import normalize
from governance.oracle.testrun import is_test_file
from governance.schemas import SignalEnvelope, Urgency
from ouroboros_pytest import harness
from sensors.failure_causes import GOAL_TESTS, MAX_TESTS, Group, cause_of_test
from sensors.failure_reach import module_file
from sensors.failure_streaks import SOURCE, Failure

_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)


def targets(test_file: str, where: str, files: set[str], read: Callable[[str], str]) -> list[str]:
    """The test file, and the module under test when it can be told: the crash location
    (a non-test repository file), else the import named like the test, else the first
    repository module the test imports."""
    found = [test_file]
    crash = where.rpartition(":")[0] if ":" in where else where
    if crash in files and crash != test_file and not is_test_file(crash) \
            and not harness(crash):  # a test package's helper is not the module under test
        return [test_file, crash]
    imported = [m.group(1) or m.group(2) for m in _IMPORT.finditer(read(test_file))]
    local = [f for f in (module_file(d, files) for d in imported) if f and f != test_file]
    stem = Path(test_file).name.removeprefix("test_").removesuffix("_test.py").removesuffix(
        ".py")
    named = [f for f in local if Path(f).stem == stem or Path(f).parent.name == stem]
    if named or local:
        found.append((named or local)[0])
    return found


def envelope_for(failure: Failure, target_files: Sequence[str], session_id: str,
                 tip: Sequence[str] = ()) -> SignalEnvelope:
    """One failure's envelope: a group of one (its causes are its test's alone)."""
    causes = frozenset({cause_of_test(failure.test_id)})
    return group_envelope(Group((failure.test_id,), causes), [failure], target_files,
                          session_id, tip)


def group_envelope(group: Group, failures: Sequence[Failure], target_files: Sequence[str],
                   session_id: str, tip: Sequence[str] = (),
                   newest: Sequence[dict[str, str]] = (),
                   called: Sequence[dict[str, object]] = ()) -> SignalEnvelope:
    """One piece of work for failures of one cause: their targets' union, every test in
    its fail-to-pass set (evidence `tests`), keyed by the cause (never by the message), the
    newest change to each function it is caused by (`newest_change`, a prompt's hint:
    sensors.newest_change), and what a failure asserted in its test's frame ran in the
    library (`called`: sensors.failure_calls).
    Urgency critical when one of them is a regression (it last passed at a commit of `tip`,
    HEAD and its first parent), high otherwise. ValueError (PathEscape) if a target is not
    a plain repository path."""
    files = tuple(normalize(f, allow_non_ascii=True) for f in target_files)
    first = failures[0]
    r = first.result
    line = " ".join(r.message.split())[:300] or f"pytest outcome {r.outcome}"
    at = f" at {r.where}" if r.where else ""
    tests = sorted(f.test_id for f in failures)
    if len(tests) == 1:
        goal = f"Make the failing test {first.test_id} pass: {line}{at}"
    else:
        shown = ", ".join(tests[:GOAL_TESTS]) + (
            f" (+{len(tests) - GOAL_TESTS} more)" if len(tests) > GOAL_TESTS else "")
        goal = (f"Make the {len(tests)} failing tests of one cause ({group.anchor}) pass: "
                f"{shown}; {first.test_id}: {line}{at}")
    evidence = {"test_id": first.test_id, "tests": tests[:MAX_TESTS],
                "cause": group.anchor, "causes": sorted(group.causes)[:MAX_TESTS],
                "outcome": r.outcome, "message": r.message, "where": r.where}
    if newest:
        evidence["newest_change"] = list(newest)
    if called:
        evidence["called"] = list(called)
    if tip:  # the HEAD its run was read at: a commit since may have fixed it (settled)
        evidence["head"] = tip[0]
    urgency = Urgency.HIGH
    back = [f.passed_at for f in failures if f.passed_at is not None and f.passed_at in tip[:2]]
    if back:
        urgency = Urgency.CRITICAL
        evidence["regression"] = f"passed at {back[0][:12]}"
        evidence["passed_at"] = back[0]
        goal += f" (regression: passed at {back[0][:12]})"
    return SignalEnvelope(source=SOURCE, urgency=urgency, target_files=files, goal=goal,
                          confidence=0.9, dedup_key=group.key, session_id=session_id,
                          evidence=evidence, focus_lines=crash_focus(r.where, files[0]))


def group_targets(failures: Sequence[Failure], files: set[str],
                  read: Callable[[str], str], causes: Iterable[str] = ()) -> list[str]:
    """The union of each failure's targets, the first failure's test file first, then the
    files of the group's library causes (where the function lives: `_impl.py`, not the
    `__init__.py` that re-exports it), then the rest."""
    out: dict[str, None] = {}
    for f in failures:
        where = f.result.library_where or f.result.where
        out.update(dict.fromkeys(targets(f.test_id.split("::", 1)[0], where, files, read)))
    first = list(out)[:1]
    named = [c[3:].partition("::")[0] for c in sorted(causes) if c.startswith("fn:")]
    named += [c[3:].rpartition(":")[0] for c in sorted(causes) if c.startswith("at:")]
    return list(dict.fromkeys([*first, *(n for n in named if n in files), *out]))


def crash_focus(where: str, test_file: str) -> tuple[int, ...]:
    """The crash's line when it is in the test file (the first target: what a prompt with
    no room for the whole file shows), else none."""
    path, _, line = where.rpartition(":")
    ok = path == test_file and line.isascii() and line.isdigit() and int(line) > 0
    return (int(line),) if ok else ()  # isascii: "²".isdigit() holds, int("²") raises
