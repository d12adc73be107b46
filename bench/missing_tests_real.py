"""The missing test on real maintainers' fixes (issue 45, item 5): on the real-history
corpus's fair refusals, is every kept test one that kills its mutant, and is every cheating
or empty one refused?

    .venv/bin/python bench/missing_tests_real.py [--cases ID-PREFIX ...] [--only KIND ...]
        [--questions DIR] [--json PATH]

Each case of real_history.REFUSED (or those named) runs to its review branch through the
real phases and jail (tests/governance/missing_tests_real.py); then the replay stand-in,
the named stand-in for a brain, answers the missing-test question with each test of
tests/governance/missing_test_texts.py: the right one written by hand for the case, one
that kills nothing, `assert True`, one that detects the check, one marked xfail, one that
edits the source. A kept test is run again in plain pytest on the fix and on the cause as
plain code. Prints one row per proposal, the totals and the machine; --questions writes
what the brain was shown, one file a case.
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


def table(runs: list[mt.CaseRun], width: int = 118) -> str:
    rows = [f"{'case':<25}{'cause':<20}{'proposal':<19}{'verdict':<38}{'s':>5}  ok",
            "-" * width]
    for r in runs:
        if r.problem:
            rows.append(f"{r.case:<25}{r.end}: {r.problem}"[:width])
        for j in r.judged:
            ok = "yes" if j.as_expected else f"NO ({j.by_hand or j.why})"
            verdict = j.verdict + (f", {j.by_hand}" if j.by_hand else "")
            rows.append(f"{r.case:<25}{r.cause:<20}{j.proposal:<19}{verdict[:37]:<38}"
                        f"{j.seconds:>5.1f}  {ok}"[:width])
    return "\n".join(rows)


def totals(runs: list[mt.CaseRun]) -> dict[str, int]:
    judged = [j for r in runs for j in r.judged]
    kept = [j for j in judged if j.verdict == "kept"]
    return {"cases": len(runs), "asked": sum(not r.problem for r in runs),
            "cases with a right test": sum(any(j.proposal == "right" for j in r.judged)
                                           for r in runs),
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
        print(f"  {case.id}: {r.cause or r.end} {r.at}, {len(r.judged)} judged in "
              f"{time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
        out.append(r)
        if questions:
            await asyncio.to_thread(_write_question, questions, r)
    return out


def _write_question(questions: Path, r: mt.CaseRun) -> None:
    questions.mkdir(parents=True, exist_ok=True)
    (questions / f"{r.case}.md").write_text(f"cause: {r.cause} at {r.at}\n{r.problem}\n\n"
                                            f"{r.question}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    print(json.dumps(totals(runs), indent=1))
    print(f"{time.monotonic() - started:.0f}s; {machine()}; tree {head()}")
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(r) | {"question": ""}
                                         for r in runs], indent=1))
    print(Counter(j.verdict for r in runs for j in r.judged))


if __name__ == "__main__":
    main()
