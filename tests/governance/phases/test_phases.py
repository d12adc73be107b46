"""Real phase functions through the orchestrator, driven by the replay provider."""

from __future__ import annotations

import json

from governance.candidate_edits import NO_CHANGE_STATED
from governance.phase import Phase
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import git, make_policy, run_op, tree_bytes

# L2 off: these tests are about the phases before it (tests/governance/test_l2*.py: L2).
RETRY_ONCE = make_policy(max_generate_retries=1, max_validate_retries=1, l2_enabled=False)


async def _run(repo, short_tmp, target: str, *texts: str):
    return await run_op(repo, short_tmp / "l.sqlite3", target, *texts, policy=RETRY_ONCE)


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
    assert any(NO_CHANGE_STATED in r for r in reasons)  # said in both forms' words
    assert any("escapes the repository" in r for r in reasons)
    assert "protected" in reasons[-1]
    assert tree_bytes(repo) == before and git(repo, "rev-parse", "HEAD") == head
    assert not (repo.parent / "outside.py").exists()


async def test_syntax_error_is_caught_before_any_test_runs(repo, short_tmp):
    bad, other = (json.dumps({"file_path": "calc/ops.py", "full_content": f"def {n}(:\n"})
                  for n in ("broken", "bent"))  # the same again: a repeat (test_repeats.py)
    end, chain = await _run(repo, short_tmp, "calc/ops.py", bad, other)
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
    expensive = ReplayTurn(purpose="generate", cost_usd=0.75,
                           text='{"no_op": true, "rationale": "pricey"}')
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py", goal="g",
                              provider=ReplayProvider([expensive]),
                              policy=make_policy(per_op_usd=0.5))
    assert end is Phase.POSTMORTEM
    assert "exceeds the per-op ceiling $0.50" in chain["transitions"][-1]["reason"]
    assert chain["model_calls"][0]["cost_usd"] == 0.75  # the spend is still on record
