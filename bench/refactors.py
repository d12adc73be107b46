"""The refactor corpus, full size: does the differential check hold back every careless
refactor of covered code and let every behaviour-preserving control land?

    .venv/bin/python bench/refactors.py [--workers N] [--pipeline] [--only PREFIX...]

Every refactor of tests/governance/refactors/ is judged as VALIDATE judges a preserve change
(the module's loose tests with coverage on the candidate, then the differential check:
capture on the base, replay on both trees), in the real jail; `--pipeline` also runs the
pipeline sample (tests/governance/test_refactor_corpus.py's PIPELINE_ALL) through the whole
Orchestrator as opportunity-miner ops. Prints, per module and per kind, how many careless
refactors were caught and how many controls landed, every wrong verdict in full, and the
time per refactor. The CI test runs a sample of the same corpus.

Where its figures go: each run worth keeping is written down verbatim, with its tree,
CPU and load, in docs/proof-measurements.md ("The refactor corpus"); docs/proof.md is the
specification they are measured against.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.proof import machine
from governance.phase import Phase
from tests.governance.refactors.corpus import Refactor, all_refactors
from tests.governance.refactors.judge import Verdict, judge_all, through_pipeline
from tests.governance.test_refactor_corpus import PIPELINE_ALL


def table(verdicts: list[Verdict], key: str) -> list[str]:
    """Rows per module or per kind: careless caught of n, controls landed of n."""
    rows: dict[str, Counter] = {}
    for v in verdicts:
        r = v.refactor
        row = rows.setdefault(r.module.name if key == "module" else r.kind, Counter())
        side = "control" if r.preserving else "careless"
        row[side] += 1
        row[f"{side}_right"] += v.right
        row["seconds"] += v.seconds
    out = [f"{key:<34}{'careless':>9}{'caught':>8}{'controls':>9}{'landed':>8}{'s/each':>8}"]
    for name, row in sorted(rows.items()):
        n = row["careless"] + row["control"]
        out.append(f"{name:<34}{row['careless']:>9}{row['careless_right']:>8}"
                   f"{row['control']:>9}{row['control_right']:>8}{row['seconds'] / n:>8.1f}")
    return out


async def pipeline(refactors: list[Refactor], work: Path) -> list[str]:
    out = []
    for n, r in enumerate(refactors):
        started = time.monotonic()
        got = await through_pipeline(r, work / f"p{n}")
        want = Phase.COMPLETE if r.preserving else Phase.PROPOSED
        mark = "ok " if got.end is want and got.moved == r.preserving else "BAD"
        out.append(f"  {mark} {r.name:<34} {got.end.value:<10} branch moved: "
                   f"{'yes' if got.moved else 'no '}  {time.monotonic() - started:5.1f}s  "
                   f"{got.reasons[-1][:110]}")
    return out


async def main(args: argparse.Namespace) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    chosen = [r for r in all_refactors()
              if not args.only or any(r.name.startswith(p) for p in args.only)]
    print(f"{machine()}, python {platform.python_version()}; {len(chosen)} refactors, "
          f"{args.workers} at a time, in bubblewrap")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="refactors-", dir="/tmp") as tmp:
        verdicts = await judge_all(chosen, Path(tmp), args.workers)
        wall = time.monotonic() - started
        print("\n".join(table(verdicts, "module")) + "\n")
        print("\n".join(table(verdicts, "kind")) + "\n")
        for v in verdicts:
            if not v.right:
                print(f"WRONG {v.describe()}")
        careless = [v for v in verdicts if not v.refactor.preserving]
        controls = [v for v in verdicts if v.refactor.preserving]
        print(f"behaviour changes that would land: {sum(v.lands for v in careless)} of "
              f"{len(careless)}; controls that land: {sum(v.lands for v in controls)} of "
              f"{len(controls)}; wall {wall:.0f}s, median "
              f"{statistics.median(v.seconds for v in verdicts):.1f}s a refactor")
        if args.pipeline:
            sample = [r for r in all_refactors() if r.name in PIPELINE_ALL]
            print(f"\nthrough the pipeline ({len(sample)} opportunity-miner ops):")
            print("\n".join(await pipeline(sample, Path(tmp))))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
        epilog=__doc__.rstrip().rsplit("\n\n", 1)[-1])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--pipeline", action="store_true")
    parser.add_argument("--only", nargs="*", help="refactor name prefixes (pricing, dates.)")
    asyncio.run(main(parser.parse_args()))
