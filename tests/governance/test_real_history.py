"""Real maintainers' fixes through the daemon's pipeline (tests/governance/real_history.py):
each correct fix lands proven on the human's branch unless the table of known refusals
says why not, and no careless twin ever lands.

`make test` runs real_history.SUITE_CASES (one case and its twin), OUROBOROS_TRIALS=full
(`make test-full`) real_history.CI_CASES (one case from each of three libraries, each with
its twin), OUROBOROS_REAL_HISTORY=all every case (bench/real_history.py prints the same table
with the totals). A case in real_history.REFUSED is reported, not failed, while it is
refused for its recorded reason; it fails once it lands (take the mark away with the fix)
or is refused for another reason.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.governance import real_history as rh
from tools.jail import bwrap_available

EXCLUDED = {"inflection", "boltons", "more-itertools", "parse", "tabulate"}  # outside check


def test_the_cases_are_well_formed() -> None:
    """The data: at least three libraries, none kept for the outside check, every case in
    the manifest with its licence, a rider for each, and the CI sample among them."""
    every = rh.cases("all")
    manifest = json.loads((rh.DATA / "manifest.json").read_text())["cases"]
    assert sorted(c.id for c in every) == sorted(row["id"] for row in manifest)
    libraries = {c.library for c in every}
    assert len(libraries) >= 3 and not libraries & EXCLUDED, libraries
    for lib in libraries:
        assert (rh.DATA / "licenses" / f"{lib}.txt").is_file(), lib
    assert all(c.rider and c.rider["text"] for c in every)
    assert set(rh.CI_CASES) <= {c.id for c in every} and set(rh.SUITE_CASES) <= set(rh.CI_CASES)
    assert len({c.library for c in every if c.id in rh.CI_CASES}) >= 3
    assert set(rh.REFUSED) <= {c.id for c in every}
    assert {k for kinds, _ in rh.REFUSED.values() for k in kinds} <= set(rh.CLASSES)
    size = sum(p.stat().st_size for p in rh.DATA.rglob("*") if p.is_file())
    assert size < 5 << 20, size


def check(outcomes: list[rh.Outcome]) -> tuple[dict[str, str], dict[str, str]]:
    """(problems by case, known refusals still refused by case)."""
    problems: dict[str, str] = {}
    known: dict[str, str] = {}
    for o in outcomes:
        tag = f"{o.case.id} ({'twin' if o.twin else 'fix'})"
        if o.twin:
            if o.on_branch:
                problems[tag] = f"the careless twin landed: {o.got}, {o.evidence}"
            continue
        refused = rh.REFUSED.get(o.case.id)
        if refused is None and o.got != rh.LANDED:
            problems[tag] = f"not landed: {o.got}: {o.reason[:600]}"
        elif refused is not None and o.got == rh.LANDED:
            problems[tag] = f"known refusal now lands: remove it from REFUSED ({refused})"
        elif refused is not None and refused[1] not in o.said:
            problems[tag] = f"refused for another reason than {refused[1]!r}: {o.said[:600]}"
        elif refused is not None:
            known[o.case.id] = f"{o.got}: {', '.join(refused[0])}: {refused[1]}"
    return problems, known


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_real_fixes_land_and_careless_twins_never_do(short_tmp: Path) -> None:
    chosen = rh.cases()
    assert chosen, "no case selected"
    started = time.monotonic()
    outcomes = await rh.run_all(chosen, short_tmp)
    problems, known = check(outcomes)
    totals = rh.totals(outcomes)
    print(f"\n{len(chosen)} real fixes and their twins in {time.monotonic() - started:.0f}s\n"
          f"{rh.table(outcomes)}\n{json.dumps(totals)}")
    if known:
        print(f"known refusals ({len(known)}):\n{json.dumps(known, indent=1)}")
    print(Counter(o.got for o in outcomes if not o.twin))
    assert totals["twins_landed"] == 0, problems
    assert not problems, json.dumps(problems, indent=1)
