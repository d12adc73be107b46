"""The convergence bench end to end on two of its tasks, through the real pipeline (real
git, jailed pytest, SQLite ledger): a one-bug draft lands with L2 on and off; a three-bug
draft needs more repair turns than VALIDATE_RETRY gives, so it lands only with L2, which
converges in one iteration, recorded in the ledger."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from bench.convergence import report, run_task
from bench.seeded_tasks import TASKS
from tools.jail import bwrap_available

pytestmark = pytest.mark.skipif(bwrap_available() is not None,
                                reason="bubblewrap is unusable: the bench jails its tests")

BY_ID = {t.id: t for t in TASKS}


@pytest.mark.slow
def test_l2_lands_what_validate_retry_cannot(tmp_path: Path):
    async def runs():
        return [await run_task(BY_ID[tid], l2, tmp_path)
                for tid in ("t01", "t07") for l2 in (False, True)]

    easy_off, easy_on, hard_off, hard_on = asyncio.run(runs())
    assert (easy_off.landed, easy_on.landed) == (True, True)
    assert easy_on.l2_iterations == 0 and easy_on.l2_stop == "-"
    assert easy_off.attempts == easy_on.attempts == 2  # the draft, then one fix
    assert hard_off.landed is False and hard_off.end == "POSTMORTEM"
    assert hard_off.attempts == 3 and hard_off.l2_stop == "-"  # 2 retries = 3 attempts
    # A new function no test asks for is the model's claim: it waits on its review branch.
    assert hard_on.landed is True and hard_on.end == "PROPOSED"
    assert (hard_on.attempts, hard_on.l2_iterations, hard_on.l2_stop) == (4, 1, "converged")
    hard = BY_ID["t07"]
    repo = tmp_path / "t07-on" / "repo"
    branch = subprocess.run(["git", "branch", "--list", "--format=%(refname:short)",
                             "ouroboros/*"], cwd=repo, capture_output=True, text=True,
                            check=True).stdout.strip()
    landed = subprocess.run(["git", "show", f"{branch}:{hard.target}"], cwd=repo,
                            capture_output=True, text=True, check=True).stdout
    assert landed == hard.render([len(f.states) - 1 for f in hard.faults])  # every bug fixed
    assert (tmp_path / "t07-off" / "repo" / hard.target).read_text() == hard.base()
    text = report([easy_off, easy_on, hard_off, hard_on])
    assert text.splitlines()[-1] == "landed with L2: 2/2 (100%) vs without: 1/2 (50%)"
