"""Real phase functions through the orchestrator, driven by the replay provider."""

from __future__ import annotations

import json

from governance.approval import ApprovalBroker
from governance.deps import PhaseDeps, Policy
from governance.gitops import GitOps
from governance.orchestrator import Orchestrator
from governance.phase import Phase
from governance.pipeline import PHASES
from governance.schemas import OperationContext, SignalEnvelope
from governance.testrun import TestRunner
from kernel.replay import ReplayProvider, ReplayTurn
from ledger import Ledger
from tests.helpers import git, tree_bytes


async def _run(repo, short_tmp, target: str, *texts: str):
    ledger = await Ledger.open(short_tmp / "l.sqlite3")
    runner = TestRunner(["{python}", "-m", "pytest"], 60)
    provider = ReplayProvider([ReplayTurn(purpose="generate", text=t) for t in texts])
    deps = PhaseDeps(root=repo, state_dir=repo / ".ouroboros", state_rel=".ouroboros",
                     policy=Policy(max_generate_retries=1, max_validate_retries=1),
                     provider=provider, git=GitOps(repo), validate_runner=runner,
                     verify_runner=runner, approvals=ApprovalBroker(), ledger=ledger)
    ctx = OperationContext(envelope=SignalEnvelope(
        source="todo_scanner", target_files=(target,), goal="fix it", dedup_key="k",
        session_id="s"))
    end = await Orchestrator(PHASES, deps).run(ctx)
    chain = await ledger.chain(ctx.op_id)
    await ledger.close()
    return end, chain


async def test_target_with_human_edits_is_blocked(repo, short_tmp):
    (repo / "calc" / "ops.py").write_text("# human is mid-edit\n")
    end, chain = await _run(repo, short_tmp, "calc/ops.py")
    assert end is Phase.BLOCKED
    assert "uncommitted human edits: calc/ops.py" in chain["transitions"][-1]["reason"]
    assert chain["model_calls"] == []  # no work wasted on a blocked op


async def test_protected_target_is_blocked_at_classify(repo, short_tmp):
    end, chain = await _run(repo, short_tmp, ".env")
    assert end is Phase.BLOCKED
    assert [t["to_phase"] for t in chain["transitions"]] == ["CLASSIFY", "BLOCKED"]


async def test_hostile_and_broken_candidates_never_touch_the_tree(repo, short_tmp):
    before, head = tree_bytes(repo), git(repo, "rev-parse", "HEAD")
    escape = json.dumps({"file_path": "../outside.py", "full_content": "x = 1\n"})
    secret = json.dumps({"files": [{"file_path": ".git/hooks/pre-commit",
                                    "full_content": "#!/bin/sh\n"}]})
    end, chain = await _run(repo, short_tmp, "calc/ops.py", "not json at all", escape, secret)
    assert end is Phase.POSTMORTEM
    reasons = [t["reason"] for t in chain["transitions"]]
    assert any("no JSON object found" in r for r in reasons)
    assert any("escapes the repository" in r for r in reasons)
    assert "protected" in reasons[-1]
    assert tree_bytes(repo) == before and git(repo, "rev-parse", "HEAD") == head
    assert not (repo.parent / "outside.py").exists()


async def test_syntax_error_is_caught_before_any_test_runs(repo, short_tmp):
    bad = json.dumps({"file_path": "calc/ops.py", "full_content": "def broken(:\n"})
    end, chain = await _run(repo, short_tmp, "calc/ops.py", bad, bad)
    assert end is Phase.POSTMORTEM
    assert "SyntaxError in calc/ops.py line 1" in chain["transitions"][-1]["reason"]


async def test_no_op_candidate_completes_without_a_commit(repo, short_tmp):
    head = git(repo, "rev-parse", "HEAD")
    end, chain = await _run(repo, short_tmp, "calc/ops.py",
                            '{"no_op": true, "rationale": "already correct"}')
    assert end is Phase.COMPLETE
    assert "already correct" in chain["transitions"][-1]["reason"]
    assert git(repo, "rev-parse", "HEAD") == head


async def test_per_op_cost_ceiling_ends_the_op(repo, short_tmp):
    ledger = await Ledger.open(short_tmp / "l.sqlite3")
    runner = TestRunner(["{python}", "-m", "pytest"], 60)
    expensive = ReplayTurn(purpose="generate", cost_usd=0.75,
                           text='{"no_op": true, "rationale": "pricey"}')
    deps = PhaseDeps(root=repo, state_dir=repo / ".ouroboros", state_rel=".ouroboros",
                     policy=Policy(per_op_usd=0.5), provider=ReplayProvider([expensive]),
                     git=GitOps(repo), validate_runner=runner, verify_runner=runner,
                     approvals=ApprovalBroker(), ledger=ledger)
    ctx = OperationContext(envelope=SignalEnvelope(
        source="todo_scanner", target_files=("calc/ops.py",), goal="g", dedup_key="k",
        session_id="s"))
    assert await Orchestrator(PHASES, deps).run(ctx) is Phase.POSTMORTEM
    chain = await ledger.chain(ctx.op_id)
    assert "exceeds the per-op ceiling $0.50" in chain["transitions"][-1]["reason"]
    assert chain["model_calls"][0]["cost_usd"] == 0.75  # the spend is still on record
    await ledger.close()
