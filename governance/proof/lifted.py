"""Step 3 of the differential check (governance.proof.differential_check): a function
judged at the callers on its captured stacks, where its own replay is no evidence, left a
changed line of its file unnoticed, or went no further than the tests' calls
(FunctionCheck.narrow). The callers' calls are captured and replayed with generated inputs
as the function's own were; a counterexample there is the function's own.
"""

from __future__ import annotations

import dataclasses

from governance.fs.protected import PathEscape
from governance.oracle.differential import FunctionCheck, Target
from governance.oracle.replay_lookup import LOCALS, enclosing
from governance.proof.callers import CALLER_SPREAD, MAX_CALLERS, caller_target
from governance.proof.check_record import Record


async def lifted(record: Record) -> None:
    """Step 3: a function with no replayed evidence and no counterexample is judged at the
    callers on its captured stacks; so is one whose own inputs left a changed line of its
    file unnoticed (a handler's calls replayed with its state as captured need not go
    where the change acts; its parser's input does), and one whose own inputs went no
    further than the tests' calls or left a boundary value untried (FunctionCheck.narrow:
    hijridate's `_check_date(self)`, whose object could not be varied, noticed its lines
    on the tests' calls alone, and its dropped `1 <= day` landed where `Hijri(1410, 8, 0)`
    at its caller tells it); and a private function that answered otherwise only on a
    value of a kind its callers never pass (FunctionCheck.unlifted: a local difference
    counts once a caller shows it): the callers' inputs judge the mutants too, and a
    counterexample there is its own."""
    left = _unnoticed_files(record)
    waiting = [i for i, c in enumerate(record.checks) if not c.counterexamples
               and (c.compared == 0 or c.narrow or c.unlifted
                    or record.targets[i].file in left)]
    for i in list(waiting):
        if (outer := _enclosing_check(record, i)) is not None:
            _take_caller(record, i, [outer])
            waiting.remove(i)
    plans = {i: _callers_of(record, i) for i in waiting}
    callers = list({(t.file, t.qualname): t for ts in plans.values() for t in ts}.values())
    if not callers:
        for i in waiting:
            _note(record, i, "callers: none on its stacks can be called by name")
        return
    theirs = dataclasses.replace(record, targets=callers)
    captured = await theirs.traced(record.base)
    if not isinstance(captured, str):
        theirs.captured = captured  # the callers' kin lend from this run's calls
    checks = await theirs.replay(callers, captured["functions"], CALLER_SPREAD) \
        if not isinstance(captured, str) else captured
    if isinstance(checks, str):
        for i in waiting:
            _note(record, i, f"callers: {checks}"[:200])
        return
    by_name = {c.function: c for c in checks}
    for i in waiting:
        _take_caller(record, i, [by_name[theirs.name(t)] for t in plans[i]])


def _unnoticed_files(record: Record) -> set[str]:
    """The files with a changed line none of whose mutants an input told apart so far."""
    return {m.file for side, killed in zip(record.sides, record.killed, strict=True)
            for m in side.mutants
            if not any(o.id in killed for o in side.mutants
                       if (o.file, o.line) == (m.file, m.line))}


def _enclosing_check(record: Record, index: int) -> FunctionCheck | None:
    """A nested function's evidence from the function it is defined in, when that one is
    judged too (its own check, with evidence) and called it on its captured stacks: a
    closure whose calls do not travel (isodate's `repl`, called by re.sub with a
    re.Match) is judged by its enclosing function's replay, as before it was a target."""
    t = record.targets[index]
    if LOCALS not in t.qualname:
        return None
    outer = (t.file, enclosing(t.qualname))
    rows = record.captured["functions"][index].get("callers") or []
    if not any(isinstance(r, list) and tuple(r[:2]) == outer for r in rows):
        return None
    found = next((c for u, c in zip(record.targets, record.checks, strict=True)
                  if (u.file, u.qualname) == outer), None)
    return found if found is not None and (found.counterexamples or found.shown_unchanged) \
        else None


def _callers_of(record: Record, index: int) -> list[Target]:
    """The callers on most of a function's captured stacks, with its constants carried;
    where none was captured, the functions of its file calling it by name that some test
    or their kin reach (Target.through: governance.proof.kin)."""
    rows = record.captured["functions"][index].get("callers") or []
    own = {(t.file, t.qualname) for t in record.targets}
    if not rows:
        return [t for t in record.targets[index].through if (t.file, t.qualname) not in own]
    out: list[Target] = []
    for row in rows:
        if len(out) >= MAX_CALLERS:
            break
        if not (isinstance(row, list) and len(row) == 3) or tuple(row[:2]) in own:
            continue
        try:
            text = record.base_text(str(row[0]))
        except (OSError, PathEscape, UnicodeDecodeError):
            continue
        found = caller_target(text, str(row[0]), str(row[1]), record.targets[index])
        if found is not None:
            out.append(found)
    return out


def _take_caller(record: Record, index: int, checks: list[FunctionCheck]) -> None:
    """The first caller with a counterexample, else the first with evidence."""
    name = record.name(record.targets[index])
    best = next((c for c in checks if c.counterexamples), None) \
        or next((c for c in checks if c.shown_unchanged), None)
    if record.checks[index].compared and (best is None or not best.counterexamples):
        return  # its own replay stays its evidence; the callers' inputs judged the mutants
    if best is None:
        why = "; ".join(f"{c.function}: {c.problem or 'no call of it could be replayed'}"
                        for c in checks) or "none on its stacks can be called by name"
        _note(record, index, f"callers: {why}"[:300])
        return
    reaching = tuple(dataclasses.replace(c, context=f" (reaches {name})")
                     for c in best.counterexamples)
    record.checks[index] = dataclasses.replace(
        record.checks[index], via=best.function, captured=best.captured,
        generated=best.generated, compared=best.compared, counterexamples=reaching)


def _note(record: Record, index: int, why: str) -> None:
    check = record.checks[index]
    record.checks[index] = dataclasses.replace(check, tried=(*check.tried, why))
