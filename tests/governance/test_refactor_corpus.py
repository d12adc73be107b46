"""The refactor corpus (tests/governance/refactors/): careless refactors of covered code that
the repository's loose tests pass never land; the behaviour-preserving controls do.

Each refactor is judged as VALIDATE judges a preserve change (the module's tests with
coverage on the candidate, then the differential check in the real jail), and a few go
through the whole pipeline as opportunity-miner ops. CI runs a sample of every module
(corpus.CI_SAMPLE) and two pipeline ops; `OUROBOROS_REFACTORS=all` runs every refactor and
every pipeline op (`bench/refactors.py` prints the full table).
"""

from __future__ import annotations

import ast
import asyncio
import os
from pathlib import Path

import pytest

from governance.oracle.testrun import TestRunner
from governance.phase import Phase
from governance.proof.names import symbol_changes
from tests import trials
from tests.governance.refactors.corpus import Module, all_refactors, modules, sample
from tests.governance.refactors.judge import (
    TEST_TIMEOUT_S,
    executor_for,
    judge_all,
    through_pipeline,
)
from tests.helpers import PYTEST
from tools.jail import bwrap_available

FULL = trials.FULL or os.environ.get("OUROBOROS_REFACTORS") == "all"
MIN_CARELESS, MIN_CONTROLS = 50, 15
# A careless model changes what it was not asked to, too: the exception it raises, and the
# caller that catches it (never through the pipeline: that is collateral, refused there).
ALSO_CHANGED = {"settings.bad_event_key_error": ("Job.run",)}
# Through the whole pipeline: a method whose careless form mutates its object, and the
# private lookup table the old rule held back; with OUROBOROS_REFACTORS=all, six more.
PIPELINE = ("settings.job_retry_early", "pricing.discount_table")
PIPELINE_ALL = (*PIPELINE, "pricing.bulk_boundary", "dates.pm_hour_unchecked",
                "colls.top_n_default_five", "text.title_loop_helper",
                "settings.fire_guard_helper", "account.withdraw_available")
jailed = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")


def test_the_corpus_is_well_formed() -> None:
    """Enough of each, every edit applies once, every candidate parses and changes only
    the function its op is about (helpers and tables it adds for itself aside)."""
    everything = all_refactors()
    careless = [r for r in everything if not r.preserving]
    assert len(careless) >= MIN_CARELESS and len(everything) - len(careless) >= MIN_CONTROLS
    assert {r.module.name for r in sample()} == {m.name for m in modules()}
    assert {r.preserving for r in sample()} == {True, False}
    for r in everything:
        ast.parse(r.text, filename=r.name)
        changed = {c.name for c in symbol_changes(r.module.source, r.text)
                   if c.name not in ("<imports>", "<module>")
                   and not (c.kind == "added" and not c.public)}
        assert changed == {r.function, *ALSO_CHANGED.get(r.name, ())}, (r.name, changed)


@pytest.mark.slow
@jailed
@pytest.mark.parametrize("module", modules(), ids=lambda m: m.name)
async def test_each_modules_suite_passes_on_its_base(short_tmp: Path, module: Module) -> None:
    root = short_tmp / "base"
    for rel, text in module.files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    ran = await TestRunner(PYTEST, TEST_TIMEOUT_S, executor_for(short_tmp)).run(
        root, [], scratch=short_tmp / "state")
    assert ran.passed and len(ran.report.tests) >= 3, ran.describe()


@pytest.mark.slow
@jailed
async def test_careless_refactors_wait_and_controls_land(short_tmp: Path) -> None:
    """The CI sample, or with OUROBOROS_REFACTORS=all every refactor."""
    chosen = all_refactors() if FULL else sample()
    verdicts = await judge_all(chosen, short_tmp)
    caught = sum(1 for v in verdicts if not v.refactor.preserving and not v.lands)
    landed = sum(1 for v in verdicts if v.refactor.preserving and v.lands)
    careless = sum(1 for v in verdicts if not v.refactor.preserving)
    print(f"\n{careless} careless refactors: {caught} caught; {len(verdicts) - careless} "
          f"controls: {landed} landed")
    wrong = [v.describe() for v in verdicts if not v.right]
    assert not wrong, "\n".join(wrong)


@pytest.mark.slow
@jailed
@pytest.mark.parametrize("name", PIPELINE_ALL if FULL else PIPELINE)
async def test_through_the_pipeline(short_tmp: Path, name: str) -> None:
    """The op as the daemon runs it: a careless refactor waits on a review branch with the
    counterexample, a control lands as proven."""
    [r] = [r for r in all_refactors() if r.name == name]
    got = await asyncio.wait_for(through_pipeline(r, short_tmp), 300)
    if r.preserving:
        assert got.end is Phase.COMPLETE and got.moved, got.reasons
        assert "Evidence: proven (preserve)" in got.message
    else:
        assert got.end is Phase.PROPOSED and not got.moved, got.reasons
        assert "behaviour changed: " in got.reasons[-1], got.reasons
