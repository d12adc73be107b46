"""A repair end to end, as the first hour's: a failing test whose failure reached one
function. PLAN is not asked (the place is known), the prompt shows how the test fails, a
"no change needed" answer is refused (the tests fail), and SEARCH/REPLACE blocks, read from
any reply, land proven through the real pipeline (jailed pytest, the proof)."""

from __future__ import annotations

import pytest

from governance.phase import Phase
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.schemas import Source
from kernel.replay import ReplayProvider, ReplayTurn
from ledger import Ledger
from tests.helpers import OPS_FIXED, TEST_OPS, git, make_policy, op_context, pipeline_deps

TARGET = "calc/ops.py"
FAILING = TEST_OPS + "\n\ndef test_clamp_above():\n    assert clamp(15, 0, 10) == 10\n"
NO_OP = '{"schema": "candidate.1", "no_op": true, "rationale": "clamp is fine as it is"}'
BLOCKS = ("calc/ops.py\n```python\n<<<<<<< SEARCH\n    return x\n=======\n"
          "    return max(lo, min(x, hi))\n>>>>>>> REPLACE\n```\nClamp x into [lo, hi].\n")
EVIDENCE = {"cause": "fn:calc/ops.py::clamp",
            "causes": ["fn:calc/ops.py::clamp", "test:tests/test_ops.py::test_clamp_above"],
            "tests": ["tests/test_ops.py::test_clamp_above"],
            "test_id": "tests/test_ops.py::test_clamp_above", "where": "tests/test_ops.py:13",
            "message": "AssertionError: assert 15 == 10\n +  where 15 = clamp(15, 0, 10)"}


async def _repaired(repo, short_tmp, replies):
    """(the op's end, its ledger chain, the provider) of a repair of the failing clamp test
    answered with `replies`, through the real pipeline."""
    (repo / "tests" / "test_ops.py").write_text(FAILING)
    git(repo, "commit", "-qam", "a test clamp fails")
    provider = ReplayProvider([ReplayTurn(purpose="generate", text=t) for t in replies])
    ledger = await Ledger.open(short_tmp / "l.db")
    try:
        ctx = op_context("tests/test_ops.py", TARGET, source=Source.TEST_FAILURE, evidence=EVIDENCE,
                         goal="Make tests/test_ops.py::test_clamp_above pass")
        deps = pipeline_deps(repo, ledger, provider,
                             policy=make_policy(max_generate_retries=1))
        end = await Orchestrator(PHASES, deps).run(ctx)
        chain = await ledger.chain(ctx.op_id)
    finally:
        await ledger.close()
    return end, chain, provider


@pytest.mark.slow
async def test_a_repair_skips_plan_refuses_no_op_and_lands_its_blocks(repo, short_tmp):
    end, chain, provider = await _repaired(repo, short_tmp, (NO_OP, BLOCKS))
    reasons = {t["to_phase"]: t["reason"] for t in chain["transitions"]}
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert "the failure reached one function (calc/ops.py::clamp)" in reasons["GENERATE"]
    assert "no change cannot make them pass" in reasons["GENERATE_RETRY"]
    first = provider.prompts[0]
    assert "## How the first failing test fails\ntests/test_ops.py::test_clamp_above fails " \
           "at tests/test_ops.py:13:\n```python\n    assert clamp(15, 0, 10) == 10\n```" in first
    assert "AssertionError: assert 15 == 10" in first
    assert (repo / TARGET).read_text() == OPS_FIXED
    assert "Evidence: proven" in git(repo, "log", "-1", "--format=%B")


TEST_EDIT = ("tests/test_ops.py\n```python\n<<<<<<< SEARCH\n    assert clamp(15, 0, 10) == 10\n"
             "=======\n    assert clamp(15, 0, 10) == 15\n>>>>>>> REPLACE\n```\n")


@pytest.mark.slow
async def test_a_repairs_edit_of_its_failing_test_is_dropped_and_the_fix_lands(repo, short_tmp):
    """A small model fixes the code and also rewrites the failing test's assertion (stop
    75: a proven fix went to review as one that 'weakens tests'): the test stays as the
    human wrote it, the fix lands, and the ledger says what was dropped. A reply that only
    edits the test is refused, the next turn told to change the library code."""
    end, chain, _ = await _repaired(repo, short_tmp, (TEST_EDIT, BLOCKS + "\n" + TEST_EDIT))
    moves = {t["to_phase"]: t for t in chain["transitions"]}
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert "changes only the failing tests' files (tests/test_ops.py)" \
        in moves["GENERATE_RETRY"]["reason"]
    assert moves["VALIDATE"]["payload"]["spec_dropped"] == ["tests/test_ops.py"]
    assert (repo / "tests" / "test_ops.py").read_text() == FAILING
    assert (repo / TARGET).read_text() == OPS_FIXED
    assert "Evidence: proven" in git(repo, "log", "-1", "--format=%B")
