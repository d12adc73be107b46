"""The missing test on real maintainers' fixes (issue 45, item 5): on the real-history
corpus's fair refusals, is every kept test one that kills its mutant, and is every cheating
or empty one refused?

    .venv/bin/python bench/missing_tests_real.py [--cases ID-PREFIX ...] [--only KIND ...]
        [--questions DIR] [--json PATH]

Each case of real_history.REFUSED (or those named) runs to its review branch through the
real phases and jail (tests/governance/missing_tests_real.py), the step's bound raised so
every reason the case waits for is asked; then the replay stand-in, the named stand-in for
a brain, answers every reason's question with each kind of test of
tests/governance/missing_test_texts.py: the right one written by hand for the reason, one
that kills nothing, `assert True`, one that detects the check, one marked xfail, one that
edits the source. A kept test is run again in plain pytest on the fix and on its reason as
plain code. Prints one row per reason and proposal, a line per case (reasons, how many the
default bound asks, right tests kept, the rest refused), the totals and the machine;
--questions writes what the brain was shown, one file a reason.

Where its figures go: each run worth keeping is written down verbatim, with its tree,
CPU and load, in docs/proof-measurements.md ("The missing test"); docs/proof.md is the
specification they are measured against.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.real_history import head, machine
from tests.governance import missing_tests_real as mt
from tests.governance import real_history as rh
from tests.governance.missing_test_texts import NONE_WRITTEN


def table(runs: list[mt.CaseRun], width: int = 124) -> str:
    rows = [f"{'case':<24}{'reason':<30}{'proposal':<18}{'verdict':<38}{'s':>5}  ok",
            "-" * width]
    for r in runs:
        if r.problem:
            rows.append(f"{r.case:<24}{r.end}: {r.problem}"[:width])
        for j in r.judged:
            ok = "yes" if j.as_expected else f"NO ({j.by_hand or j.why})"
            verdict = j.verdict + (f", {j.by_hand}" if j.by_hand else "")
            rows.append(f"{r.case:<24}{j.reason[:29]:<30}{j.proposal:<18}{verdict[:37]:<38}"
                        f"{j.seconds:>5.1f}  {ok}"[:width])
    return "\n".join(rows)


def per_case(runs: list[mt.CaseRun]) -> str:
    """Per case: reasons, how many the default bound asks, right tests kept of those
    written, the rest refused of those offered, and anything not as expected."""
    rows = [f"{'case':<24}{'reasons':>8}{'default asks':>13}{'right kept':>12}"
            f"{'others refused':>16}{'wrong':>7}{'op s':>7}"]
    for r in runs:
        right = [j for j in r.judged if j.proposal == "right"]
        rest = [j for j in r.judged if j.proposal != "right"]
        rows.append(f"{r.case:<24}{len(r.reasons):>8}"
                    f"{min(len(r.reasons), mt.DEFAULT_QUESTIONS):>13}"
                    f"{sum(j.verdict == 'kept' for j in right):>8}/{len(right):<3}"
                    f"{sum(j.as_expected for j in rest):>12}/{len(rest):<3}"
                    f"{sum(not j.as_expected for j in r.judged):>7}{r.op_seconds:>7.0f}")
    return "\n".join(rows)


def totals(runs: list[mt.CaseRun]) -> dict[str, int]:
    judged = [j for r in runs for j in r.judged]
    kept = [j for j in judged if j.verdict == "kept"]
    reasons = [(r, x) for r in runs for x in r.reasons]
    return {"cases": len(runs), "asked": sum(bool(r.reasons) for r in runs),
            "reasons": len(reasons),
            "reasons the default asks": sum(min(len(r.reasons), mt.DEFAULT_QUESTIONS)
                                            for r in runs),
            "reasons with a right test written": sum(
                any(j.proposal == "right" and j.reason == x["at"] for j in r.judged)
                for r, x in reasons),
            "reasons no test can decide": sum(
                r.no_right.get(x["at"].split(" ")[0], "") not in ("", NONE_WRITTEN)
                for r, x in reasons),
            "proposals": len(judged), "kept": len(kept),
            "kept and killing by hand": sum(j.by_hand == "kills" for j in kept),
            "right ones kept": sum(j.proposal == "right" and j.verdict == "kept"
                                   for j in judged),
            "right ones": sum(j.proposal == "right" for j in judged),
            "weak, cheating or empty refused": sum(
                j.proposal != "right" and j.verdict != "kept" for j in judged),
            "weak, cheating or empty": sum(j.proposal != "right" for j in judged),
            "not as expected": sum(not j.as_expected for j in judged)}


async def run(chosen: list[rh.Case], work: Path, only: tuple[str, ...],
              questions: Path | None) -> list[mt.CaseRun]:
    shared, out = rh.Shared(), []
    for n, case in enumerate(chosen):  # one at a time: the box has 2 cores
        started = time.monotonic()
        r = await mt.run_case(case, work / f"c{n}", shared, only)
        print(f"  {case.id}: {len(r.reasons)} reasons ({r.at or r.end}), "
              f"{len(r.judged)} judged, {sum(not j.as_expected for j in r.judged)} wrong, in "
              f"{time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
        out.append(r)
        if questions:
            await asyncio.to_thread(_write_question, questions, r)
    return out


def _write_question(questions: Path, r: mt.CaseRun) -> None:
    questions.mkdir(parents=True, exist_ok=True)
    shown = r.questions + [""] * len(r.reasons)
    for n, (x, q) in enumerate(zip(r.reasons, shown[:len(r.reasons)], strict=True)):
        (questions / f"{r.case}.{n + 1}.md").write_text(
            f"cause: {x['cause']} at {x['at']} mutant {x.get('mutant')}\n\n{q}")
    if r.problem:
        (questions / f"{r.case}.md").write_text(r.problem)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
        epilog=__doc__.rstrip().rsplit("\n\n", 1)[-1])
    ap.add_argument("--cases", nargs="*", default=[])
    ap.add_argument("--only", nargs="*", default=[], help="proposal kinds to judge")
    ap.add_argument("--questions", type=Path, help="write what the brain was shown here")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    chosen = [c for c in rh.cases("all") if c.id in rh.REFUSED
              and (not args.cases or any(c.id.startswith(p) for p in args.cases))]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ob-mt-", dir="/tmp") as tmp:
        runs = asyncio.run(run(chosen, Path(tmp), tuple(args.only), args.questions))
    print(table(runs))
    print(per_case(runs))
    print(json.dumps(totals(runs), indent=1))
    print(f"{time.monotonic() - started:.0f}s; {machine()}; tree {head()}")
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(r) | {"questions": []}
                                         for r in runs], indent=1))
    print(Counter(j.verdict for r in runs for j in r.judged))


if __name__ == "__main__":
    main()
