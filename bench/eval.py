"""`ouroboros eval` on a whole history: mine, run each brain, print every card, the runs
compared, and the harness's own checks (issue 32, item 4) against their targets.

    .venv/bin/python bench/eval.py (--repo PATH | --clone SRC) [--brains B ...]
        [--max-tasks N] [--since DATE] [--kind repair|new|both] [--samples N ...]
        [--host-gate]

--clone copies SRC (a path or URL git can clone) into a temporary directory first, so the
bench never writes into a repository of yours; --repo uses one as it is (eval itself only
reads it, and keeps its tasks and runs in its state dir). The host gate is off unless
--host-gate: on a shared machine it would hold every task back. The checks:

- replay:fix resolves every task but the daemon's friction (printed, with each reason);
- replay:none resolves nothing, and lands nothing;
- replay:careless lands nothing as proven whose hidden tests fail (false-proven: target 0),
  and lands nothing at all (every careless change carries a rider no failing test asks
  for).

With --samples 1 4 each brain runs twice, one sample an attempt and best of four, and a
table sets pass@1 against best-of-N (`replay:mixed` answers carelessly first and with the
fix second: it shows what best-of-N is for without a model).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.cli import main as cli
from daemon.config import locate
from daemon.eval import records
from daemon.eval.card import Card
from daemon.eval.facts import machine
from daemon.eval.render import history_text
from daemon.eval.result import Verdict

STAND_INS = ("replay:fix", "replay:none", "replay:careless")


def checks(cards: dict[str, Card]) -> list[tuple[str, bool]]:
    """(what, held) for each of item 4's checks whose brain ran."""
    out = []
    if fix := cards.get("replay:fix"):
        f = fix.friction
        refused = len(f.refused) if f else fix.tasks
        out.append((f"replay:fix resolves every task but the friction: "
                    f"{fix.count(Verdict.RESOLVED)} + {refused} friction = {fix.tasks}",
                    fix.count(Verdict.RESOLVED) + refused == fix.tasks))
    if none := cards.get("replay:none"):
        landed = none.count(Verdict.RESOLVED) + none.count(Verdict.FALSE_PROVEN)
        out.append((f"replay:none resolves 0 and lands 0: {none.count(Verdict.RESOLVED)}, "
                    f"{landed}", landed == 0))
    if careless := cards.get("replay:careless"):
        fp = careless.count(Verdict.FALSE_PROVEN)
        landed = fp + careless.count(Verdict.RESOLVED)
        out.append((f"replay:careless false-proven 0: {fp}", fp == 0))
        out.append((f"replay:careless lands 0: {landed}", landed == 0))
    return out


def pass_at_n(cards: dict[tuple[str, int], Card]) -> list[str]:
    """Per brain run at more than one sample count: resolved, correct, false-proven and
    what each run spent, one row per count."""
    rows = ["brain                 samples  resolved  correct  false-proven  tokens    wall"]
    for brain in sorted({b for b, _ in cards}):
        counts = sorted(n for b, n in cards if b == brain)
        if len(counts) < 2:
            continue
        for n in counts:
            c = cards[(brain, n)]
            rows.append(f"{brain:<21} {n:>7}  {c.count(Verdict.RESOLVED):>3} of {c.tasks:<3}"
                        f" {c.correct:>7}  {c.count(Verdict.FALSE_PROVEN):>12}  "
                        f"{c.total.tokens:>6}  {c.total.wall_s:>6.0f} s")
    return rows if len(rows) > 1 else []


def newest_cards(state: Path, brains: list[str]) -> dict[tuple[str, int], Card]:
    async def read() -> list[records.Run]:
        ledger = await records.open_ledger(state)
        try:
            return await records.runs(ledger)
        finally:
            await ledger.close()

    finished = [r for r in asyncio.run(read()) if r.card is not None]
    out = {}
    for run in finished:  # oldest first: the newest of each brain and sample count wins
        if run.spec.brain in brains:
            out[(run.spec.brain, run.spec.samples)] = Card.model_validate(run.card)
    print("\n" + history_text(finished))
    return out


def bench(repo: Path, args: argparse.Namespace) -> int:
    started = time.monotonic()
    mine = ["eval", "mine", "--repo", str(repo), "--max-tasks", str(args.max_tasks)]
    if args.since:
        mine += ["--since", args.since]
    if cli(mine) != 0:
        return 1
    for brain in args.brains:
        for n in args.samples:
            print(f"\n== {brain}, {n} sample(s) an attempt", flush=True)
            cli(["eval", "run", "--repo", str(repo), "--brain", brain, "--kind", args.kind,
                 "--samples", str(n)])
    cards = newest_cards(locate.state_dir(repo), args.brains)
    print()
    for row in pass_at_n(cards):
        print(row)
    fewest = min(args.samples)
    held = checks({b: c for (b, n), c in cards.items() if n == fewest})
    for what, ok in held:
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
    print(f"\n{time.monotonic() - started:.0f} s wall; {machine('at the end')}")
    return 0 if all(ok for _, ok in held) else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--repo", type=Path, help="a repository to evaluate on, as it is")
    where.add_argument("--clone", help="clone this first (a path or URL) into a temp dir")
    ap.add_argument("--brains", nargs="+", default=list(STAND_INS))
    ap.add_argument("--max-tasks", type=int, default=8)
    ap.add_argument("--since", default="")
    ap.add_argument("--kind", choices=("repair", "new", "both"), default="repair")
    ap.add_argument("--samples", type=int, nargs="+", default=[1],
                    help="run each brain at each of these sample counts (e.g. 1 4)")
    ap.add_argument("--host-gate", action="store_true", help="wait for the host as the "
                    "daemon does (off by default: a shared machine holds every task back)")
    args = ap.parse_args(argv)
    if not args.host_gate:
        os.environ["OUROBOROS_HEALTH__ENABLED"] = "false"
    if args.repo:
        return bench(args.repo.resolve(), args)
    with tempfile.TemporaryDirectory(prefix="ob-bench-eval-") as tmp:
        repo = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", args.clone, str(repo)], check=True)
        with (repo / ".git" / "info" / "exclude").open("a") as f:
            f.write("\n.ouroboros/\n")
        return bench(repo, args)


if __name__ == "__main__":
    raise SystemExit(main())
