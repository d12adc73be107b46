"""The real-library refactor corpus (tests/governance/refactors_real/): refactors of mistune,
isodate and xmltodict, judged by the differential check as VALIDATE judges a preserve change.

What is asserted of every refactor: the corpus is well formed; each careless refactor's
probe shows its change on a public call (base and careless answers as recorded); each
refactor passes the library's own tests that entered its function on the base, with every
changed statement run (the premise: only the differential check can tell a careless
refactor from a control). What is asserted of the CI sample (corpus.CI_SAMPLE, every
library, both kinds; `OUROBOROS_REFACTORS_REAL=all`: every refactor): its outcome is the
expectation table's (expected.py), which records what today's check does, misses
included, so that an improvement to the check shows here as a row to update.
`bench/refactors_real.py` prints the whole table.
"""

from __future__ import annotations

import ast
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from governance.proof.names import symbol_changes
from tests.governance.refactors_real.corpus import (
    CI_SAMPLE,
    DATA,
    LIBRARIES,
    OUTCOMES,
    all_refactors,
    chosen,
)
from tests.governance.refactors_real.expected import EXPECTED, allowed
from tests.governance.refactors_real.judge import judge_all, premises, probe_mismatches
from tools.jail import bwrap_available

FULL = os.environ.get("OUROBOROS_REFACTORS_REAL") == "all"
MIN_CONTROLS = MIN_CARELESS = 30
KEPT_FOR_AN_OUTSIDE_CHECK = {"inflection", "boltons", "more-itertools", "parse", "tabulate"}
PERMISSIVE = {"MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "PSF-2.0"}
jailed = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")


def test_the_corpus_is_well_formed() -> None:
    """Enough of each kind from three permissively licensed libraries; every candidate
    parses and changes only the function its op is about (private helpers and tables it
    adds aside); every careless refactor has a probe; the table names every refactor."""
    everything = all_refactors()
    controls = [r for r in everything if r.preserving]
    careless = [r for r in everything if not r.preserving]
    assert len(controls) >= MIN_CONTROLS and len(careless) >= MIN_CARELESS
    assert {r.library.name for r in everything} == set(LIBRARIES)
    for name in LIBRARIES:
        manifest = json.loads((DATA / name / "manifest.json").read_text())
        assert manifest["licence"] in PERMISSIVE and (DATA / name / "LICENSE").is_file()
        assert manifest["name"] not in KEPT_FOR_AN_OUTSIDE_CHECK
    for r in everything:
        ast.parse(r.text, filename=r.name)
        changed = {c.name for c in symbol_changes(r.base_text, r.text)
                   if c.name not in ("<imports>", "<module>")
                   and not (c.kind == "added" and not c.public)}
        assert changed == {r.function}, (r.name, changed)
        assert r.preserving or r.probe is not None, r.name
    assert set(EXPECTED) == {r.name for r in everything}
    assert all(set(allowed(n)) <= set(OUTCOMES) for n in EXPECTED)
    sample = [r for r in everything if r.name in CI_SAMPLE]
    assert {r.library.name for r in sample} == set(LIBRARIES)
    assert {r.preserving for r in sample} == {True, False}


@pytest.mark.slow
def test_each_probe_shows_its_careless_change(tmp_path: Path) -> None:
    """The public call answers as recorded on the base and on the careless refactor, and
    the two answers differ: the corpus shows its own claim (one subprocess a tree)."""
    careless = [r for r in all_refactors() if not r.preserving]
    with ThreadPoolExecutor(2) as pool:
        found = pool.map(lambda n_r: probe_mismatches(n_r[1], tmp_path / f"p{n_r[0]}"),
                         enumerate(careless))
        wrong = [line for lines in found for line in lines]
    assert not wrong, "\n".join(wrong)


@pytest.mark.slow
@pytest.mark.full  # 45 s of a 2-core suite: the rest are judged only in the full runs
@jailed
async def test_every_refactor_keeps_the_premise(short_tmp: Path) -> None:
    """The library's tests that entered the changed function on the base pass on every
    candidate outside the CI sample, and every changed statement ran under them: the
    premise of the runs that judge them (OUROBOROS_REFACTORS_REAL=all, bench/refactors_real.py),
    so `make test-full` checks it. The sample's whole-suite premise is asserted with its
    verdicts below, in every run; with OUROBOROS_REFACTORS_REAL=all every refactor's is."""
    if FULL:
        pytest.skip("every refactor's whole-suite premise is asserted with its verdict")
    rest = [r for r in all_refactors() if r.name not in CI_SAMPLE]
    verdicts = await premises(rest, short_tmp)
    wrong = [v.describe() for v in verdicts if v.premise]
    assert not wrong, "\n".join(wrong)


@pytest.mark.slow
@jailed
async def test_outcomes_are_the_expectation_tables(short_tmp: Path) -> None:
    """The CI sample (or every refactor) as VALIDATE judges it, in the jail: its premise
    holds on the whole suite and its outcome is the table's."""
    verdicts = await judge_all(chosen(), short_tmp)
    careless = [v for v in verdicts if not v.refactor.preserving]
    print(f"\n{len(verdicts) - len(careless)} controls: "
          f"{sum(v.lands for v in verdicts if v.refactor.preserving)} landed; "
          f"{len(careless)} careless: {sum(v.lands for v in careless)} landed, "
          f"{sum(v.outcome == 'counterexample' for v in careless)} with a counterexample")
    wrong = [f"table: {' or '.join(allowed(v.refactor.name))}; {v.describe()}"
             for v in verdicts if v.premise or v.outcome not in allowed(v.refactor.name)]
    assert not wrong, "\n".join(wrong)
