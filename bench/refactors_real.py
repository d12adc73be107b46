"""The real-library refactor corpus, whole: does the differential check let the controls land
and hold back every careless refactor the libraries' own suites cannot see, on the libraries
the proof's rules were grown on (development: mistune, isodate, xmltodict), on the newest
wave of libraries chosen and frozen before anyone read their code (held-out), and on the
earlier waves, seen since the rules were changed after their failures were read (seen)?
Which waves and libraries each part holds is bench/heldout/libraries.py's WAVES and the
manifests beside it; `--help` names them.

    .venv/bin/python bench/refactors_real.py [--part dev|heldout|seen|both|all]
        [--workers N] [--only PREFIX...] [--table] [--daemon]

The default is the development part alone, as before: whoever changes the proof's rules
runs that (and may run `--part seen`), and never looks at the held-out part's cases or
outcomes (issue 49, item 5); the held-out keeper runs `--part both` (held-out, then
development) or `--part all` (held-out, seen, development) once the work is done. Held-out
first. The held-out and seen libraries are fetched from PyPI by their pinned sha256 when
absent (bench/heldout/libraries.py); `--daemon` also runs each held-out or seen refactor
through the whole pipeline as an opportunity-miner op (the real Orchestrator, jail and git,
the replay stand-in answering with the refactor:
tests.governance.refactors.judge.through_pipeline), where the proof's rules beyond the
differential check (every changed line run, the mutation check) decide whether it lands on
the branch.

Every refactor of tests/governance/refactors_real/ is judged as VALIDATE judges a preserve
change (the library's whole suite with coverage on the candidate, then the differential
check: governance.proof.differential_check.check_behaviour), in the real jail. Prints the
machine (lscpu's model name and its AVX2/AVX-512 flags) and Python; per library, controls
landed and careless refactors landed, refused with a counterexample and not shown; every
premise failure and every outcome that differs from the expectation table (expected.py);
the reasons of the refused-not-shown ones, grouped; and the median seconds a refactor.
`--table` also prints today's outcomes as expected.py's table (development part). The CI
tests (tests/governance/test_refactor_corpus_real.py, tests/bench/test_heldout_corpus.py) run
a sample of the development part and every held-out probe, never the held-out judging.

Where its figures go: each run worth keeping is written down verbatim, with its tree, CPU
and load, in docs/proof-measurements.md ("The real-library refactor corpus" and "Held-out
figures"); docs/proof.md is the specification they are measured against.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.heldout import report as heldout
from bench.heldout.corpus import all_refactors as wave_refactors
from bench.heldout.libraries import WAVES, names
from bench.host import machine
from tests.governance.refactors_real.corpus import all_refactors, counts
from tests.governance.refactors_real.expected import allowed
from tests.governance.refactors_real.judge import Verdict, judge_all


def cpu() -> str:
    """lscpu's model name and which of AVX2 and AVX-512 its flags name."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return machine()
    name = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                 if line.startswith("Model name")), platform.machine())
    flags = set(re.findall(r"\b(avx2|avx512f)\b", text))
    isa = ", ".join(f"{f} {'yes' if f in flags else 'no'}" for f in ("avx2", "avx512f"))
    return f"{name} ({isa})"


def table(verdicts: list[Verdict]) -> list[str]:
    out = [f"{'library':<11}{'controls':>9}{'landed':>7}{'careless':>9}{'landed':>7}"
           f"{'counterex.':>11}{'not shown':>10}{'s/each':>8}"]
    libraries = list(dict.fromkeys(v.refactor.library.name for v in verdicts))
    for lib in (*libraries, "all"):
        mine = [v for v in verdicts if lib in ("all", v.refactor.library.name)]
        ctl = [v for v in mine if v.refactor.preserving]
        bad = [v for v in mine if not v.refactor.preserving]
        got = Counter(v.outcome for v in bad)
        seconds = statistics.median(v.seconds for v in mine) if mine else 0.0
        out.append(f"{lib:<11}{len(ctl):>9}{sum(v.lands for v in ctl):>7}{len(bad):>9}"
                   f"{got['lands']:>7}{got['counterexample']:>11}{got['not shown']:>10}"
                   f"{seconds:>8.1f}")
    return out


def not_shown(verdicts: list[Verdict]) -> list[str]:
    """Why the refused-not-shown ones were refused, the function and reason's gist."""
    out = []
    for v in verdicts:
        if v.outcome == "not shown":
            gist = "; ".join(v.reasons)[:260]
            out.append(f"  {v.refactor.kind:<8} {v.refactor.name}: {gist}")
    return out


def summary(verdicts: list[Verdict], wall: float) -> str:
    ctl = [v for v in verdicts if v.refactor.preserving]
    bad = [v for v in verdicts if not v.refactor.preserving]
    refused = sum(v.outcome == "counterexample" for v in bad)
    return (f"controls landed {sum(v.lands for v in ctl)}/{len(ctl)}; careless landed "
            f"{sum(v.lands for v in bad)}/{len(bad)} (must be 0); careless refused with a "
            f"counterexample {refused}/{len(bad)}; median "
            f"{statistics.median(v.seconds for v in verdicts):.1f} s a refactor; wall "
            f"{wall:.0f} s")


def dev_report(verdicts: list[Verdict], wall: float, args: argparse.Namespace) -> None:
    """The development part as it has always been printed, against expected.py's table."""
    print("\n== DEVELOPMENT (mistune, isodate, xmltodict: the rules were grown on these) ==")
    print("\n".join(table(verdicts)))
    for kind, n in counts([v.refactor for v in verdicts]).items():
        print(f"{kind}: " + ", ".join(f"{k} {c}" for k, c in n.most_common()))
    print()
    for v in verdicts:
        if v.premise:
            print(f"PREMISE {v.describe()}")
        if v.outcome not in allowed(v.refactor.name):
            print(f"UNEXPECTED (table: {' or '.join(allowed(v.refactor.name))}) {v.describe()}")
    print("refused, not shown:\n" + "\n".join(not_shown(verdicts)))
    if args.table:
        print("\nEXPECTED = {")
        for v in verdicts:
            print(f'    "{v.refactor.name}": "{v.outcome}",')
        print("}")
    print(summary(verdicts, wall))


# --part: which parts, in the order printed (held-out first). "heldout" is the newest wave,
# "seen" the earlier ones (bench/heldout/libraries.py's WAVES), "dev" the development corpus.
PARTS = {"dev": ["dev"], "heldout": ["heldout"], "seen": ["seen"], "both": ["heldout", "dev"],
         "all": ["heldout", "seen", "dev"]}


async def main(args: argparse.Namespace) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    parts = PARTS[args.part]
    print(f"{cpu()}, {machine()}; Python {platform.python_version()}; load "
          f"{heldout.load()}; {args.workers} at a time, in bubblewrap; proof code from "
          f"{heldout.proof_source()}")
    figures: dict[str, list[Verdict]] = {}
    for part in parts:
        everything = all_refactors() if part == "dev" else wave_refactors(part)
        chosen = [r for r in everything
                  if not args.only or any(r.name.startswith(p) for p in args.only)]
        if not chosen:
            continue
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="refactors-real-", dir="/tmp") as tmp:
            verdicts = await judge_all(chosen, Path(tmp), args.workers)
        wall = time.monotonic() - started
        figures[part] = verdicts
        if part == "dev":
            dev_report(verdicts, wall, args)
        else:
            print(heldout.part_report(verdicts, table(verdicts), wall, part))
            if args.daemon:
                print(await heldout.through_daemon(chosen, args.workers, part))
    print("\n" + heldout.side_by_side(figures))


if __name__ == "__main__":
    held, seen = (", ".join(map(str, WAVES[p])) for p in ("heldout", "seen"))
    parser = argparse.ArgumentParser(
        description=f"{__doc__.split(chr(10) * 2)[0]} Held-out: wave {held} "
                    f"({', '.join(names('heldout'))}); seen: waves {seen}.",
        epilog=__doc__.rstrip().rsplit("\n\n", 1)[-1])
    parser.add_argument("--part", choices=tuple(PARTS), default="dev",
                        help=f"which part of the corpus: dev, heldout (wave {held}), seen "
                             f"(waves {seen}), both (heldout and dev) or all (held-out first; "
                             "the default is the development part alone: rule work never "
                             "looks at the held-out)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="refactor name prefixes (mistune, json5.)")
    parser.add_argument("--table", action="store_true", help="print expected.py's table")
    parser.add_argument("--daemon", action="store_true",
                        help="the held-out or seen part through the whole pipeline too")
    asyncio.run(main(parser.parse_args()))
