"""Real maintainers' fixes through the daemon: how many land proven, how many wait for
review or end POSTMORTEM and why, and how many careless twins land (target: 0).

    .venv/bin/python bench/real_history.py [--cases ID-PREFIX ...] [--ci] [--workers N]
        [--json PATH]

Every case of tests/data/real_history/ (or those named; --ci: the CI sample), each run as
tests/governance/real_history.py runs it: the human commits the maintainer's test change,
the daemon's sensor and router make the op, the replay stand-in answers with the
maintainer's own fix (then, for the twin, the fix plus the case's careless rider), and the
daemon's own parts judge it in the jail. Prints one row per op, the totals against the
target (>= 90% of the correct fixes land proven), the refusals by the class
real_history.REFUSED names, and the machine.

Where its figures go: each run worth keeping is written down verbatim, with its tree,
CPU and load, in docs/proof-measurements.md ("Real maintainers' fixes"); docs/proof.md is the
specification they are measured against.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.governance import real_history as rh

TARGET = 0.90  # issue 30: at least 90% of real maintainers' correct fixes land proven


def machine() -> str:
    """The CPU model and its widest vector ISA, the cores, Python, and the load."""
    model, flags = platform.processor() or "unknown CPU", ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        model = fields.get("Model name", model).strip()
        flags = fields.get("Flags", "")
    except (OSError, subprocess.CalledProcessError):
        pass
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{model}, {isa}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load} at the end")


def head() -> str:
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def refusals(outcomes: list[rh.Outcome]) -> list[str]:
    """The correct fixes not landed, by the classes real_history.REFUSED gives them (a case
    may be in several), and how many only the daemon's classes hold back."""
    by_class: dict[str, list[str]] = {}
    daemon_only = []
    for o in outcomes:
        if o.twin or o.got == rh.LANDED:
            continue
        kinds = rh.REFUSED.get(o.case.id, ((),))[0] or (f"unclassified: {o.said[:200]}",)
        for kind in kinds:
            by_class.setdefault(kind, []).append(f"{o.case.id} ({o.got})")
        if all(rh.CLASSES.get(k, "").startswith("daemon") for k in kinds):
            daemon_only.append(o.case.id)
    rows = [f"{len(ids):>3}  {kind}: {rh.CLASSES.get(kind, '')}\n     {', '.join(ids)}"
            for kind, ids in sorted(by_class.items(), key=lambda kv: -len(kv[1]))]
    return [*rows, f"held back by the daemon's classes alone: {len(daemon_only)} "
            f"({', '.join(daemon_only)})"]


def report(outcomes: list[rh.Outcome], seconds: float) -> str:
    t = rh.totals(outcomes)
    share = t["landed"] / t["fixes"] if t["fixes"] else 0.0
    libs = Counter(o.case.library for o in outcomes if not o.twin)
    lines = [rh.table(outcomes), "",
             f"cases: {t['fixes']} from {len(libs)} libraries "
             f"({', '.join(f'{k} {v}' for k, v in sorted(libs.items()))})",
             f"correct fixes: landed proven {t['landed']} ({share:.0%}; target "
             f">= {TARGET:.0%}), review {t['review']}, postmortem {t['postmortem']}, "
             f"other {t['other']}",
             f"careless twins: {t['twins']}; landed on the human's branch "
             f"{t['twins_landed']} (target 0), review {t['twins_review']}, postmortem "
             f"{t['twins_postmortem']}",
             "", "refused correct fixes, by class:", *refusals(outcomes), "",
             f"{seconds:.0f} s wall; tree {head()}; {machine()}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
        epilog=__doc__.rstrip().rsplit("\n\n", 1)[-1])
    ap.add_argument("--cases", nargs="*", default=[], help="case id prefixes (default: all)")
    ap.add_argument("--ci", action="store_true", help="only the CI sample")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, help="write every outcome here")
    args = ap.parse_args(argv)
    # The daemon's thoughts go to the ledger; here they would bury the table.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    chosen = [c for c in rh.cases("ci" if args.ci else "all")
              if not args.cases or any(c.id.startswith(p) for p in args.cases)]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ob-rh-", dir="/tmp") as work:
        outcomes = asyncio.run(rh.run_all(chosen, Path(work), args.workers))
    print(report(outcomes, time.monotonic() - started))
    if args.json:
        args.json.write_text(json.dumps([
            {"case": o.case.id, "twin": o.twin, "got": o.got, "end": o.end, "reason": o.reason,
             "unproven": o.why,
             "targets": list(o.targets), "evidence": o.evidence, "seconds": round(o.seconds, 1)}
            for o in outcomes], indent=1) + "\n")
    return 0 if rh.totals(outcomes)["twins_landed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
