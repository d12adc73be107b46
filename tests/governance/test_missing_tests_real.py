"""The missing test measured on real maintainers' fixes (issue 45, item 5): a fair refusal of
the real-history corpus runs through the real pipeline and jail to its review branch, and
the replay stand-in, playing a brain, answers the missing-test question with the tests of
tests/governance/missing_test_texts.py: the right one, written by hand for the case, is
kept and kills the cause again in plain pytest (the mutant written into the file, or the
base's file); the one that kills nothing, `assert True`, the one that detects the check,
the xfailed one and the one that edits the source are refused; each reason the case waits
for is asked (a second or third surviving mutant, a line no test runs), and answered so.

CI runs CI_CASES; OUROBOROS_REAL_HISTORY=all runs every fair refusal
(bench/missing_tests_real.py prints the same as a table)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.governance import missing_tests_real as mt
from tests.governance import real_history as rh
from tests.governance.missing_test_texts import KEPT, no_right_test
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

# one case of the fastest library, an unentered function (cachetools' lock taken once
# around a miss): 10 to 40 s by the load on two cores. A surviving mutant's question on a
# real fix is in CI already (test_missing_test_real.py, the same cachetools case as here
# with OUROBOROS_REAL_HISTORY=all).
CI_CASES = ("cachetools-902dce4b450e",)
ALL = os.environ.get(rh.ENV_ALL) == "all"
CASES = sorted(rh.REFUSED) if ALL else list(CI_CASES)


@pytest.mark.parametrize("case_id", CASES)
async def test_every_kept_test_kills_its_cause_and_every_cheat_is_refused(
        short_tmp: Path, case_id: str):
    [case] = [c for c in rh.cases("all") if c.id == case_id]
    # CI answers the first reason's question (the rest get a reply that changes nothing:
    # no session); OUROBOROS_REAL_HISTORY=all answers every reason the case waits for.
    run = await mt.run_case(case, short_tmp, rh.Shared(),
                            reasons=1 if case_id in CI_CASES and not ALL else mt.ASK_ALL)
    if run.problem:  # the daemon asked nothing: no cause a test could decide
        assert not run.judged and run.problem.startswith("no cause"), run
        return
    assert run.end == "PROPOSED" and run.reasons, run
    wrong = [(j.reason, j.proposal, j.verdict, j.why, j.by_hand) for j in run.judged
             if not j.as_expected]
    assert not wrong, wrong
    kept = [j for j in run.judged if j.verdict == KEPT]
    assert all(j.proposal == "right" and j.by_hand == "kills" for j in kept), kept
    # a right test is kept exactly where one was written (none where no test can decide)
    assert {j.reason for j in kept} == {j.reason for j in run.judged if j.proposal == "right"}
    first = any(j.reason == run.at for j in kept)  # the first reason's, as before
    assert first == (not no_right_test(case_id)), (run.at, no_right_test(case_id))
    for at in {j.reason for j in run.judged}:
        assert {j.proposal for j in run.judged if j.reason == at} >= {
            "assert True", "detects the check", "xfail"}, at
