"""Running the differential check for one candidate (governance.oracle.differential says what
it finds), as a pipeline of evidence producers over one record:

1. the tests that enter the touched functions run on the base with the capture plugin:
   their calls pickled, every call traced (entry and answer digests, in order) and the
   repository's callers on their stacks counted;
2. the same tests run traced on the candidate, while the replay runner answers the captured
   calls and inputs generated from them on both trees: a call both test runs reached with
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
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from governance.fs import nofollow
from governance.fs.protected import PathEscape
from governance.oracle.differential import (
    CALL_TIMEOUT_S,
    GENERATED,
    MAX_CALLS,
    MAX_COUNTEREXAMPLES,
    REPLAY_HELPERS,
    REPLAY_SOURCE,
    Counterexample,
    DiffReport,
    FunctionCheck,
    Target,
    calls_of,
    compare,
    compare_traces,
    same_tests,
    trace_of,
    trace_texts,
)
from governance.oracle.replay_search import search_path
from governance.oracle.run_dir import capture_request
from governance.oracle.testrun import TestRunner
from governance.policy import Policy
from governance.proof.behaviour import touched_functions
from governance.proof.callees import with_callees
from governance.proof.conversions import drops_int_conversion
from governance.proof.lifted import lifted
from governance.proof.mutant_shaped import mutant_shaped
from governance.proof.noticed import Side, sides, told_apart, unnoticed
from governance.proof.renamed import renamed
from governance.proof.rules import Intent, intent_of
from governance.schemas import FileChange, OperationContext

READ_CAP = 4_000_000  # a larger file is not compared: its change cannot be shown unchanged


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
            old = _read(base, rel)
        except FileNotFoundError:
            continue  # a new file: nothing of the base's to compare with
        except (OSError, PathEscape, UnicodeDecodeError) as exc:
            problems.append(f"{rel}: base text unreadable ({type(exc).__name__})")
            continue
        if change.action == "delete" or not rel.endswith(".py"):
            problems.append(f"{rel}: {'deleted' if change.action == 'delete' else 'not Python'}")
            continue
        found, why = touched_functions(old, change.full_content or "", rel)
        targets += with_callees(found, change.full_content or "", rel,
                                functools.partial(_readable, base))
        problems += why
    return targets, problems


def _read(root: Path, rel: str) -> str:
    return nofollow.read_bytes(root, rel, limit=READ_CAP).decode("utf-8")


def _readable(root: Path, rel: str) -> str | None:
    """A base module's text, or None where there is none to read (not the repository's)."""
    try:
        return _read(root, rel)
    except (OSError, PathEscape, UnicodeDecodeError):
        return None


@dataclass
class _Record:
    """One check's runs and what each producer found so far."""

    runner: TestRunner
    base: Path
    candidate: Path
    targets: Sequence[Target]
    tests: Sequence[str]
    scratch: Path
    checks: list[FunctionCheck] = field(default_factory=list)
    captured: dict = field(default_factory=dict)  # the base's capture run
    lost: bool = False  # a test id asked for was not found (it is another in each process)
    sides: tuple[Side, Side] = (Side("base"), Side("candidate"))  # mutants per tree
    killed: tuple[set[int], set[int]] = field(default_factory=lambda: (set(), set()))
    changed: tuple[str, ...] = ()  # the changed files of the targets (both trees have them)
    # the targets whose change removes a conversion to int: their ints get floats beside
    # them (governance.proof.conversions)
    floats: frozenset[tuple[str, str]] = frozenset()

    def name(self, t: Target) -> str:
        return f"{t.file}::{t.qualname}"

    def base_text(self, rel: str) -> str:
        """A base file's text, read without following a link (OSError and the like raise)."""
        return _read(self.base, rel)

    def peers(self) -> tuple[dict[str, str], dict[str, str]]:
        """The other tree's texts of the changed files, for each tree's replay runner: the
        search there answers each input on both (governance.oracle.replay_search)."""
        try:
            texts = [(f, _read(self.base, f), _read(self.candidate, f)) for f in self.changed]
        except (OSError, PathEscape, UnicodeDecodeError):
            return {}, {}  # no search: the replayed inputs alone are the evidence
        return {f: new for f, _, new in texts}, {f: old for f, old, _ in texts}

    async def traced(self, tree: Path, **how: bool) -> dict | str:
        """A run of the tests on `tree` with the capture plugin: its result, or why none."""
        request = capture_request(tuple((t.file, t.qualname) for t in self.targets),
                                  MAX_CALLS, fallback=search_path(), **how)
        ran = await self.runner.run(tree, list(self.tests), scratch=self.scratch,
                                    extra=request)
        self.lost = any("::" in t and t not in ran.report.tests for t in self.tests)
        found = ran.extra
        if not isinstance(found, dict) or not isinstance(found.get("functions"), list) \
                or len(found["functions"]) != len(self.targets):
            return ran.report.problem or "the capture run wrote no calls"
        return found

    async def replay(self, targets: Sequence[Target], captured: Sequence[object],
                     spread: int = 1) -> list[FunctionCheck] | str:
        """Both trees' answers to the captured calls and inputs generated from them, each
        boundary value on the `spread` captured calls nearest it."""
        paths = self.captured.get("paths") if isinstance(self.captured, dict) else None
        job = {"call_timeout_s": CALL_TIMEOUT_S, "search_path": search_path(),
               "paths": [p for p in paths if isinstance(p, str)][:16]
               if isinstance(paths, list) else [], "functions": [
            {"file": t.file, "qualname": t.qualname, "calls": calls_of(f),
             "constants": list(t.constants), "generate": GENERATED, "spread": spread,
             "floats": (t.file, t.qualname) in self.floats,
             "names": sorted(t.names),
             "boundaries": [{"param": p, "values": list(v)} for p, v in t.boundaries]}
            for t, f in zip(targets, captured, strict=True)]}
        peers = await asyncio.to_thread(self.peers)  # each runner's search (replay_search)
        answers = await asyncio.gather(*(
            self.runner.run_script(tree, REPLAY_SOURCE, {**job, "sources": side.sources,
                                                         "mutants": side.ids, "peer": peer},
                                   scratch=self.scratch, helpers=REPLAY_HELPERS)
            for tree, side, peer in zip((self.base, self.candidate), self.sides, peers,
                                        strict=True)))
        problem = next((a for a in answers if isinstance(a, str)), None) or next(
            (f"an answer not in the runner's form ({type(a).__name__})" for a in answers
             if not _well_formed(a, len(targets))), None)
        if problem is not None:
            return f"replay failed: {problem}"[:400]
        for killed, answer in zip(self.killed, answers, strict=True):
            killed.update(k for f in answer["functions"] if isinstance(f, dict)
                          for k in f.get("killed") or [] if isinstance(k, int))
        return [compare(t, len(spec["calls"]), b, c, CALL_TIMEOUT_S) for t, spec, b, c in zip(
            targets, job["functions"], answers[0]["functions"], answers[1]["functions"],
            strict=True)]


def _well_formed(answer: object, count: int) -> bool:
    """The replay runner's answer has one dict per function asked about (a tree's code
    can write the answer file: what it holds is read, never trusted)."""
    functions = answer.get("functions") if isinstance(answer, dict) else None
    return isinstance(functions, list) and len(functions) == count \
        and all(isinstance(f, dict) and isinstance(f.get("results", []), list)
                for f in functions)


async def check_behaviour(runner: TestRunner, base: Path, candidate: Path,
                          targets: Sequence[Target], tests: Sequence[str],
                          scratch: Path, *, noticed: bool = True) -> DiffReport:
    """Capture and trace on `base`, trace on `candidate`, replay on both, lift to callers
    where needed (the module docstring); with `noticed`, each changed line's mutants must
    be told apart by the replayed inputs (governance.proof.noticed)."""
    start = time.monotonic()
    if not targets:
        return DiffReport()
    if not tests:
        return DiffReport(tuple(FunctionCheck(f"{t.file}::{t.qualname}", problem="no test "
                                              "calls it") for t in targets))
    record = _Record(runner, base, candidate, targets, tests, scratch,
                     changed=tuple(sorted({t.file for t in targets})))
    shaped: tuple[str, ...] = ()
    if noticed:
        record.sides = await asyncio.to_thread(_sides, base, candidate, targets)
        shaped = await asyncio.to_thread(_shaped, base, candidate, targets)
    record.floats = await asyncio.to_thread(_floats, base, candidate, targets)
    first = await record.traced(base, trace=True, stacks=True)
    if record.lost:  # ids parametrized from a set's order, a time: their files, whole
        record.tests = sorted({t.split("::", 1)[0] for t in tests})
        first = await record.traced(base, trace=True, stacks=True)
    if isinstance(first, str):
        return DiffReport(problem=f"calls not captured: {first}"[:400],
                          seconds=time.monotonic() - start)
    record.captured = first
    problem = await _replayed_and_traced(record)
    if problem is None:
        await lifted(record)
    missed = [line for side, killed in zip(record.sides, record.killed, strict=True)
              for line in unnoticed(side, killed)]
    return DiffReport(tuple(record.checks), problem=problem, seconds=time.monotonic() - start,
                      unnoticed=tuple(missed),
                      mutants=sum(len(side.mutants) for side in record.sides),
                      preserved=tuple(told_apart(record.sides[1], record.killed[1])),
                      shaped=shaped)


def _shaped(base: Path, candidate: Path, targets: Sequence[Target]) -> tuple[str, ...]:
    """The targets' functions whose change is shaped like a mutant, named."""
    files = sorted({t.file for t in targets})
    wanted = {(t.file, t.qualname) for t in targets}
    return tuple(s.named() for f in files
                 for s in mutant_shaped(_read(base, f), _read(candidate, f), f)
                 if (f, s.function) in wanted)


def _floats(base: Path, candidate: Path, targets: Sequence[Target]) \
        -> frozenset[tuple[str, str]]:
    """The targets whose change removes a conversion to int (governance.proof.conversions);
    none where a text cannot be read (the check itself then says why)."""
    try:
        texts = {f: (_read(base, f), _read(candidate, f)) for f in {t.file for t in targets}}
    except (OSError, PathEscape, UnicodeDecodeError):
        return frozenset()
    return frozenset((t.file, t.qualname) for t in targets
                     if drops_int_conversion(*texts[t.file], t.qualname))


def _sides(base: Path, candidate: Path, targets: Sequence[Target]) -> tuple[Side, Side]:
    """The mutants of both trees' changed lines in the targets' files."""
    files = sorted({t.file for t in targets})
    texts = [(f, _read(base, f), _read(candidate, f)) for f in files]
    both = sides(texts)
    same = {f: renamed(old, new) for f, old, new in texts}  # no change for inputs to notice
    return (_outside(both[0], {f: [r.base_lines for r in rs] for f, rs in same.items()}),
            _outside(both[1], {f: [r.candidate_lines for r in rs] for f, rs in same.items()}))


def _outside(side: Side, spans: dict[str, list[range]]) -> Side:
    """`side` without its mutants inside functions shown renamed only."""
    def kept(file: str, line: int) -> bool:
        return not any(line in span for span in spans.get(file, ()))
    return dataclasses.replace(side, mutants=tuple(m for m in side.mutants
                                                   if kept(m.file, m.line)),
                               unjudged=tuple(u for u in side.unjudged if kept(*u)))


async def _replayed_and_traced(record: _Record) -> str | None:
    """Steps 1 and 2 of the module docstring; the checks go into `record`."""
    captured = record.captured["functions"]
    checks, cand = await asyncio.gather(record.replay(record.targets, captured),
                                        record.traced(record.candidate, pickle=False,
                                                      trace=True))
    if isinstance(checks, str):
        return checks
    found = _trace_findings(record, cand, None)
    if any(f for _, f in found):  # confirmed only where a second base run answers alike
        again = await record.traced(record.base, pickle=False, trace=True)
        found = _trace_findings(record, cand, again, found)
    record.checks = [_with_trace(c, f, n, captured[i], cand)
                     for i, (c, (n, f)) in enumerate(zip(checks, found, strict=True))]
    return None


def _trace_findings(record: _Record, cand: dict | str, again: dict | str | None,
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
