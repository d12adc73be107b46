"""Running the differential check for one candidate (governance.oracle.differential says what
it finds), as a pipeline of evidence producers over one record:

1. the tests that enter the touched functions run on the base with the capture plugin:
   their calls pickled, every call traced (entry and answer digests, in order) and the
   repository's callers on their stacks counted;
2. the same tests run traced on the candidate (at once with step 1: it needs nothing of
   it), then the replay runner answers the captured calls and inputs generated from them
   on both trees (the base's searches too, answering each input on both: governance.
   oracle.replay_search): a call both test runs reached with
   the same arguments but answered otherwise is a counterexample (confirmed by a second
   base run: an answer that moves between two base runs is no evidence), and so is a
   replayed input the trees answer otherwise;
3. a function whose own calls could not be replayed is judged at its callers: their calls
   are captured and replayed with generated inputs in the same way;
4. each tree's changed lines carry mutants the replay switches on in turn: a line none of
   whose mutants any replayed input tells apart is one the inputs never looked at
   (governance.proof.noticed), and agreeing on them shows nothing about it.
Each function's check says which methods gave no evidence, and why.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import time
from collections.abc import Sequence
from pathlib import Path

from governance.fs.protected import PathEscape
from governance.oracle.differential import (
    MAX_COUNTEREXAMPLES,
    Counterexample,
    DiffReport,
    FunctionCheck,
    Target,
)
from governance.oracle.testrun import TestRunner
from governance.oracle.traced_calls import compare_traces, same_tests, trace_of, trace_texts
from governance.policy import Policy
from governance.proof.behaviour import touched_functions
from governance.proof.boundary_wires import Wire, planned, waiting
from governance.proof.callees import with_callees
from governance.proof.check_record import Record, read_text, readable
from governance.proof.conversions import dropped_conversions
from governance.proof.kin import with_kin
from governance.proof.lifted import lifted
from governance.proof.mutant_shaped import Shaped, mutant_shaped
from governance.proof.noticed import Side, sides, told_apart, unnoticed
from governance.proof.rules import Intent, intent_of
from governance.proof.same_code import same_code
from governance.schemas import FileChange, OperationContext

SAMPLED_TESTS = 24  # tests a capture that timed out is tried again with (`sampled`)


def wants_differential(ctx: OperationContext, policy: Policy) -> bool:
    """A preserve change is proven only through the check, unless the old rule is opted into."""
    return intent_of(ctx.envelope.source) is Intent.PRESERVE \
        and not policy.preserve_on_coverage


def targets_of(base: Path, code: Sequence[FileChange]) -> tuple[list[Target], list[str]]:
    """The functions of the candidate's code changes to judge (their base texts read from
    the `base` copy, never through a link), and what cannot be judged call by call."""
    targets: list[Target] = []
    problems: list[str] = []
    for change in code:
        rel = change.file_path
        try:
            old = read_text(base, rel)
        except FileNotFoundError:
            continue  # a new file: nothing of the base's to compare with
        except (OSError, PathEscape, UnicodeDecodeError) as exc:
            problems.append(f"{rel}: base text unreadable ({type(exc).__name__})")
            continue
        if change.action == "delete" or not rel.endswith(".py"):
            problems.append(f"{rel}: {'deleted' if change.action == 'delete' else 'not Python'}")
            continue
        found, why = touched_functions(old, change.full_content or "", rel)
        targets += with_kin(with_callees(found, change.full_content or "", rel,
                                         functools.partial(readable, base)), old, rel)
        problems += why
    return targets, problems


# what a change shaped like a mutant is: its differences, and the wires at its boundaries
Shapes = tuple[list[Shaped], list[Wire]]

async def check_behaviour(runner: TestRunner, base: Path, candidate: Path,
                          targets: Sequence[Target], tests: Sequence[str],
                          scratch: Path, *, noticed: bool = True) -> DiffReport:
    """Capture and trace on `base`, trace on `candidate`, replay on both, lift to callers
    where needed (the module docstring); with `noticed`, each changed line's mutants must
    be told apart by the replayed inputs (governance.proof.noticed)."""
    start = time.monotonic()
    if not targets:
        return DiffReport()
    if not tests and not any(t.bare for t in targets):
        return DiffReport(tuple(FunctionCheck(f"{t.file}::{t.qualname}", problem="no test "
                                              "calls it") for t in targets))
    record = Record(runner, base, candidate, targets, tests, scratch,
                     changed=tuple(sorted({t.file for t in targets})))
    shaped: Shapes = ([], [])
    if noticed:
        shaped = await asyncio.to_thread(_shaped, base, candidate, targets)
        record.sides = await asyncio.to_thread(_sides, base, candidate, targets, shaped[1])
    record.dropped = await asyncio.to_thread(_dropped, base, candidate, targets)
    if not tests:  # no test to capture or trace with: the bare ones are called with their
        # defaults alone (Target.bare), the others have no input, and nothing is lifted
        record.captured = {"functions": [{} for _ in targets], "kin": {}}
        problem = await _replayed(record, {})
        return _reported(record, problem, shaped, (), start)
    first, cand = await _captured_and_traced(record)
    if record.lost:  # ids parametrized from a set's order, a time: their files, whole
        record.tests = sorted({t.split("::", 1)[0] for t in tests})
        first, cand = await _captured_and_traced(record)
    cut: tuple[int, int] | tuple[()] = ()
    if isinstance(first, str) and record.slow and len(record.tests) > SAMPLED_TESTS:
        asked, record.tests = len(record.tests), sampled(record.tests)  # too slow traced
        cut = (len(record.tests), asked)  # a spread of them: evidence of a difference only
        first, cand = await _captured_and_traced(record)
    if isinstance(first, str):
        return DiffReport(problem=f"calls not captured: {first}"[:400],
                          seconds=time.monotonic() - start)
    record.captured = first
    problem = await _replayed(record, cand)
    if problem is None:
        await lifted(record)
    return _reported(record, problem, shaped, cut, start)


def _reported(record: Record, problem: str | None, shaped: Shapes,
              cut: tuple[int, int] | tuple[()], start: float) -> DiffReport:
    missed = [line for side, killed in zip(record.sides, record.killed, strict=True)
              for line in unnoticed(side, killed)]
    still = tuple(s.named() for s in waiting(*shaped, record.killed[1]))
    return DiffReport(tuple(record.checks), problem=problem, seconds=time.monotonic() - start,
                      unnoticed=tuple(missed),
                      mutants=sum(len(side.mutants) for side in record.sides),
                      preserved=tuple(told_apart(record.sides[1], record.killed[1])),
                      shaped=still, sampled=cut)


def sampled(tests: Sequence[str]) -> list[str]:
    """At most SAMPLED_TESTS of `tests`, spread over their files (each file's first test,
    then each one's second, ...): the tests to capture with when all of them ran past the
    runner's timeout under the tracer. The capture keeps a hundred calls a function, which
    a few tests give; the whole suite ran untraced at VALIDATE. phonenumbers' `digit`,
    entered by most of its 311 tests, had no call captured in 121 s, and its careless
    truthiness test waited unjudged (wave 16)."""
    by_file: dict[str, list[str]] = {}
    for t in sorted(tests):
        by_file.setdefault(t.split("::", 1)[0], []).append(t)
    spread = [t for row in itertools.zip_longest(*by_file.values()) for t in row if t]
    return sorted(spread[:SAMPLED_TESTS])


def _shaped(base: Path, candidate: Path, targets: Sequence[Target]) -> Shapes:
    """The differences of the targets' functions whose change is shaped like a mutant, and
    a tripwire at each boundary such a change moved (governance.proof.boundary_wires)."""
    files = sorted({t.file for t in targets})
    wanted = {(t.file, t.qualname) for t in targets}
    texts = {f: (read_text(base, f), read_text(candidate, f)) for f in files}
    found = [s for f in files for s in mutant_shaped(*texts[f], f)
             if (f, s.function) in wanted]
    return found, planned(found, {f: new for f, (_, new) in texts.items()})


def _dropped(base: Path, candidate: Path, targets: Sequence[Target]) \
        -> dict[tuple[str, str], frozenset[str]]:
    """The kinds of conversion each target's change removes (governance.proof.
    conversions); none where a text cannot be read (the check itself then says why)."""
    try:
        texts = {f: (read_text(base, f), read_text(candidate, f))
                 for f in {t.file for t in targets}}
    except (OSError, PathEscape, UnicodeDecodeError):
        return {}
    return {(t.file, t.qualname): dropped_conversions(*texts[t.file], t.qualname)
            for t in targets}


def _sides(base: Path, candidate: Path, targets: Sequence[Target],
           wires: Sequence[Wire] = ()) -> tuple[Side, Side]:
    """The mutants of both trees' changed lines in the targets' files, and `wires`."""
    files = sorted({t.file for t in targets})
    texts = [(f, read_text(base, f), read_text(candidate, f)) for f in files]
    both = sides(texts, wires)
    same = {f: same_code(old, new) for f, old, new in texts}  # no change to notice
    return (_outside(both[0], {f: [s for c in found for s in c.base_lines]
                               for f, found in same.items()}),
            _outside(both[1], {f: [s for c in found for s in c.candidate_lines]
                               for f, found in same.items()}))


def _outside(side: Side, spans: dict[str, list[range]]) -> Side:
    """`side` without its mutants inside functions shown to be the same code."""
    def kept(file: str, line: int) -> bool:
        return not any(line in span for span in spans.get(file, ()))
    return dataclasses.replace(side, mutants=tuple(m for m in side.mutants
                                                   if kept(m.file, m.line)),
                               unjudged=tuple(u for u in side.unjudged if kept(*u)))


async def _captured_and_traced(record: Record) -> tuple[dict | str, dict | str]:
    """Step 1 and the candidate's traced run of step 2, at once: neither waits for the
    other (the replay waits for the capture alone), and two sessions use both cores."""
    first, cand = await asyncio.gather(
        record.traced(record.base, trace=True, stacks=True),
        record.traced(record.candidate, pickle=False, trace=True))
    return first, cand


async def _replayed(record: Record, cand: dict | str) -> str | None:
    """The replay of step 2, and the traces compared (`cand`: the candidate's traced run);
    the checks go into `record`."""
    captured = record.captured["functions"]
    checks = await record.replay(record.targets, captured)
    if isinstance(checks, str):
        return checks
    found = _trace_findings(record, cand, None)
    if any(f for _, f in found):  # confirmed only where a second base run answers alike
        again = await record.traced(record.base, pickle=False, trace=True)
        found = _trace_findings(record, cand, again, found)
    record.checks = [_with_trace(c, f, n, captured[i], cand)
                     for i, (c, (n, f)) in enumerate(zip(checks, found, strict=True))]
    return None


def _trace_findings(record: Record, cand: dict | str, again: dict | str | None,
                    first: Sequence[tuple[int, list[Counterexample]]] = ()) \
        -> list[tuple[int, list[Counterexample]]]:
    """Per target: (calls both runs reached alike, counterexamples), confirmed against
    `again` (the second base run) when given. A confirmation that could not be made (the
    run failed, timed out, or recorded no trace of the function) keeps the `first`
    findings, marked unconfirmed: a difference nothing disproved is never dropped, and a
    function with one is not shown unchanged through a caller (issue 49)."""
    out = []
    failed = again if isinstance(again, str) else None
    by_test = same_tests(record.captured, cand, *([again] if again is not None else []))
    for i, t in enumerate(record.targets):
        base, theirs = trace_of(record.captured, i, by_test), trace_of(cand, i, by_test)
        other = trace_of(again, i, by_test) if again is not None else None
        if again is not None and other is None and i < len(first):
            why = failed or "it recorded no call of it"
            out.append((first[i][0], [_unconfirmed(c, why) for c in first[i][1]]))
            continue
        if base is None or theirs is None or (again is not None and other is None):
            out.append((0, []))
            continue
        texts = {**trace_texts(cand, i), **trace_texts(record.captured, i)}
        out.append(compare_traces(record.name(t), base, theirs, texts, other))
    return out


def _unconfirmed(c: Counterexample, why: str) -> Counterexample:
    return dataclasses.replace(c, context=f"{c.context} (unconfirmed: the second run on "
                               f"the base failed: {why[:120]})")


def _with_trace(check: FunctionCheck, found: list[Counterexample], traced: int,
                captured: dict, cand: dict | str) -> FunctionCheck:
    """A replay check with the trace's findings and, where neither gave evidence, why."""
    tried = []
    if check.compared == 0 and not check.counterexamples:
        skipped = captured.get("unpicklable", 0) if isinstance(captured, dict) else 0
        tried.append(f"replay: {skipped} call(s) of it could not be pickled" if skipped
                     else "replay: no call of it was captured or answered alike twice")
    if isinstance(cand, str):
        tried.append(f"the tests' calls: the candidate's traced run failed: {cand}"[:200])
    elif traced and not found:
        tried.append(f"the tests' calls: {traced} answered as the base's (no input beyond "
                     "them)")
    elif not found:
        tried.append("the tests' calls: none reached alike by both runs")
    return dataclasses.replace(check, traced=traced, tried=tuple(tried),
                               counterexamples=(*check.counterexamples, *found)
                               [:MAX_COUNTEREXAMPLES])
