"""The missing test asked of a real brain (issue 45, item 5): on the real-history corpus's
fair refusals of one library, what does an HTTP brain write when a review asks it for the
test that decides the change, and is any of it kept?

    .venv/bin/python bench/missing_tests_brain.py --config PATH --brain NAME
        [--cases ID-PREFIX ...] [--json PATH]

Each case of real_history.REFUSED (or those named) runs to its review branch as
bench/missing_tests_real.py runs it: the human's test change, the real phases and jail, the
maintainer's fix from the replay stand-in. Then the review's missing-test step runs again
with the brain NAME of the config file (a [[provider.http]] entry, as a user writes it) as
its provider: the question goes to the brain over its API, each cause in turn within
[proof]'s bound, and its answer is judged as APPROVE judges it. A kept test is run again in
plain pytest on the fix and on the cause as plain code.

`ouroboros eval` asks the missing test only of a review the brain's own change reached; a
brain that never writes a usable change is never asked. This asks it on the maintainers'
own changes, which is what a person reviewing them would want it to do.

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
from daemon.brains.providers import build_provider
from daemon.config.settings import load_settings
from daemon.eval import settings as eval_settings
from governance.phases.missing_test_step import propose_test
from governance.schemas import new_op_id
from tests.governance import missing_tests_real as mt
from tests.governance import real_history as rh


@dataclasses.dataclass
class Asked:
    case: str
    end: str  # the maintainer's fix's op: PROPOSED, or why not
    cause: str = ""
    at: str = ""
    verdict: str = ""  # the brain's test's, as the step judged it
    why: str = ""
    seconds: float = 0.0  # the step: the question, the answer, the checks
    calls: int = 0
    tokens: int = 0
    by_hand: str = ""  # a kept test in plain pytest: "kills", or what it did
    causes: list[dict] = dataclasses.field(default_factory=list)  # each cause asked


async def ask_case(case: rh.Case, work: Path, shared: rh.Shared, settings) -> Asked:
    """The case to its review, then its missing test asked of the brain of `settings`."""
    # the corpus's own review step (tests/governance/missing_tests_real.py), shared with
    # bench/missing_tests_real.py so both ask about the same reviews
    op, payload = await mt._review(case, work, shared)
    if op is None:
        return Asked(case.id, f"{payload['end']}: {payload['reason'][:160]}")
    try:
        if not payload.get("missing_test"):
            return Asked(case.id, "PROPOSED, no cause a test could decide")
        chain, why = await build_provider(settings, work)
        if chain is None:
            raise SystemExit(f"no brain: {why}")
        ctx = op.ctx.model_copy(update={"op_id": new_op_id()})
        # the copy is an op of its own in the ledger, so its chain holds the brain's calls
        await op.ledger.record_operation(ctx.op_id, source="bench", goal=ctx.envelope.goal,
                                         session_id="bench", envelope={})
        started = time.monotonic()
        found = (await propose_test(ctx, dataclasses.replace(op.deps, provider=chain),
                                    op.sha))["missing_test"]
        calls = (await op.ledger.chain(ctx.op_id))["model_calls"]
        out = Asked(case.id, "PROPOSED", found["cause"], found["at"], found["verdict"],
                    " ".join(str(found.get("why", "")).split())[:200],
                    round(time.monotonic() - started, 1), len(calls),
                    sum((c["prompt_tokens"] or 0) + (c["completion_tokens"] or 0)
                        for c in calls),
                    causes=[{k: v.get(k) for k in ("cause", "at", "verdict", "why")}
                            for v in found.get("causes", [])])
        if found.get("commit"):
            out.by_hand = await asyncio.to_thread(mt.by_hand, op, work / "by-hand", found,
                                                  found["cause"])
        return out
    finally:
        await op.ledger.close()


def table(rows: list[Asked], width: int = 118) -> str:
    out = [f"{'case':<25}{'cause':<20}{'verdict':<36}{'s':>6}{'calls':>6}{'tokens':>8}",
           "-" * width]
    for r in rows:
        if not r.cause:
            out.append(f"{r.case:<25}{r.end}"[:width])
            continue
        out.append(f"{r.case:<25}{r.cause:<20}{r.verdict[:35]:<36}{r.seconds:>6.1f}"
                   f"{r.calls:>6}{r.tokens:>8}")
        out.append(f"{'':<25}at {r.at}: {r.why}"[:width])
    return "\n".join(out)


def totals(rows: list[Asked]) -> dict[str, object]:
    asked = [r for r in rows if r.cause]
    return {"cases": len(rows), "asked": len(asked),
            "proposed": sum(r.verdict not in ("no answer", "unusable reply") for r in asked),
            "kept": sum(r.verdict == "kept" for r in asked),
            "kept and killing by hand": sum(r.by_hand == "kills" for r in asked),
            "not kept, by reason": dict(Counter(r.verdict for r in asked
                                                if r.verdict != "kept").most_common()),
            "model calls": sum(r.calls for r in asked),
            "tokens": sum(r.tokens for r in asked)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
        epilog=__doc__.rstrip().rsplit("\n\n", 1)[-1])
    ap.add_argument("--config", type=Path, required=True, help="an ouroboros.toml")
    ap.add_argument("--brain", required=True, help="its [[provider.http]] entry's name")
    ap.add_argument("--cases", nargs="*", default=["semver"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    user = load_settings(args.config.parent, args.config)
    settings = eval_settings.for_brain(user, args.brain, None)
    chosen = [c for c in rh.cases("all") if c.id in rh.REFUSED
              and any(c.id.startswith(p) for p in args.cases)]
    started, rows = time.monotonic(), []
    with tempfile.TemporaryDirectory(prefix="ob-mtb-", dir="/tmp") as tmp:
        for n, case in enumerate(chosen):  # one at a time: the box has 2 cores
            t0 = time.monotonic()
            rows.append(asyncio.run(ask_case(case, Path(tmp) / f"c{n}", rh.Shared(),
                                             settings)))
            print(f"  {case.id}: {rows[-1].verdict or rows[-1].end} in "
                  f"{time.monotonic() - t0:.0f}s", file=sys.stderr, flush=True)
    print(table(rows))
    print(json.dumps(totals(rows), indent=1))
    print(f"brain {args.brain}; {time.monotonic() - started:.0f}s; {machine()}; tree {head()}")
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(r) for r in rows], indent=1))


if __name__ == "__main__":
    main()
