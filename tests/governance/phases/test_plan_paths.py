"""A plan.1 whose paths escape, are protected, pass a symlink or name a missing file it does
not declare new is dropped for the default approach, with the reason in the ledger, instead
of driving the op into retries (the plan-coverage check would demand those paths)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from governance.phase import Phase
from governance.phases.plan import plan_path_problems
from governance.schemas import parse_plan
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import OPS_FIXED, git, no_retry_policy, run_op

LONG_GOAL = "Clamp x into [lo, hi] in calc/ops.py. " * 8  # over 200 chars: the op plans
HELPER = "calc/new_helper.py"


def _plan(path: str, new: bool = False) -> str:
    changes = [{"file_path": "calc/ops.py", "change": "clamp"},
               {"file_path": path, "change": "touch it", "new": new}]
    return json.dumps({"schema": "plan.1", "approach": "clamp it", "complexity": "simple",
                       "ordered_changes": changes})


def _candidate(*extra: str) -> str:
    files = [{"file_path": "calc/ops.py", "full_content": OPS_FIXED}]
    files += [{"file_path": p, "full_content": "HELPER = 1\n"} for p in extra]
    return json.dumps({"schema": "candidate.1", "files": files, "rationale": "clamp"})


def _links(repo: Path) -> None:
    os.symlink("ops.py", repo / "calc" / "link.py")
    os.symlink("calc", repo / "linkdir")


# (the plan's second path, declared new, a fragment of the reason it is dropped)
HOSTILE = [
    ("../x", False, "escapes the repository"),
    ("../../etc/passwd", True, "escapes the repository"),
    ("/etc/passwd", False, "escapes the repository"),
    (".env", False, "is protected"),
    (".git/config", False, "is protected"),
    (".ouroboros/ledger.sqlite3", True, "is protected"),
    ("calc/link.py", False, "is a symlink"),
    ("linkdir/ops.py", False, "linkdir is a symlink"),
    ("calc/ops.py/inner.py", True, "calc/ops.py is not a directory"),
    ("calc", False, "is not a regular file"),
    ("calc/missing.py", False, "does not exist and the plan does not declare it new"),
]


@pytest.mark.parametrize("path,new,why", HOSTILE)
def test_each_hostile_plan_path_is_named_with_its_reason(repo: Path, path, new, why):
    _links(repo)
    problems = plan_path_problems(repo, parse_plan(_plan(path, new)), ".ouroboros", (),
                                  allow_non_ascii=False)
    assert len(problems) == 1 and why in problems[0], problems


# One of each kind through the whole pipeline (each lands, so each runs the real oracle).
@pytest.mark.slow
@pytest.mark.parametrize("path,new,why", [HOSTILE[0], HOSTILE[3], HOSTILE[6], HOSTILE[-1]])
async def test_a_hostile_plan_path_drops_the_plan_not_the_op(repo: Path, path, new, why):
    _links(repo)
    provider = ReplayProvider([ReplayTurn(purpose="plan", text=_plan(path, new)),
                               ReplayTurn(purpose="generate", text=_candidate())])
    end, chain = await run_op(repo, repo.parent / "l.sqlite3", "calc/ops.py",
                              provider=provider, goal=LONG_GOAL, policy=no_retry_policy())
    assert end is Phase.COMPLETE, chain["transitions"][-1]  # no retry was needed, or allowed
    [planned] = [t for t in chain["transitions"] if t["from_phase"] == "PLAN"]
    assert planned["reason"].startswith("plan dropped, default approach: ")
    assert why in planned["reason"], planned["reason"]
    assert any(why in p for p in planned["payload"]["plan_dropped"])
    assert (repo / "calc" / "ops.py").read_text() == OPS_FIXED
    assert os.readlink(repo / "calc" / "link.py") == "ops.py"  # nothing followed a link


@pytest.mark.slow
async def test_a_declared_new_file_keeps_the_plan_and_lands(repo: Path):
    provider = ReplayProvider([ReplayTurn(purpose="plan", text=_plan(HELPER, new=True)),
                               ReplayTurn(purpose="generate", text=_candidate(HELPER))])
    end, chain = await run_op(repo, repo.parent / "l.sqlite3", "calc/ops.py",
                              provider=provider, goal=LONG_GOAL, policy=no_retry_policy())
    # The plan is kept and the candidate is judged: a new module no test imports is not
    # proven (its line never runs), so it waits on its review branch, the file with it.
    assert end is Phase.PROPOSED, chain["transitions"][-1]
    [planned] = [t for t in chain["transitions"] if t["from_phase"] == "PLAN"]
    assert planned["reason"] == "plan: clamp it" and "plan_dropped" not in planned["payload"]
    branch = chain["transitions"][-1]["payload"]["branch"]
    assert git(repo, "show", f"{branch}:{HELPER}") == "HELPER = 1\n"


async def test_a_kept_plan_still_holds_the_candidate_to_its_paths(repo: Path):
    """The plan survives (its paths are fine), so leaving out a file it declares is still
    refused: dropping bad plans did not switch the coverage check off."""
    provider = ReplayProvider([ReplayTurn(purpose="plan", text=_plan(HELPER, new=True)),
                               ReplayTurn(purpose="generate", text=_candidate())])
    end, chain = await run_op(repo, repo.parent / "l.sqlite3", "calc/ops.py",
                              provider=provider, goal=LONG_GOAL, policy=no_retry_policy())
    assert end is Phase.POSTMORTEM
    assert f"the plan declares changes to {HELPER}" in chain["transitions"][-1]["reason"]


@pytest.mark.parametrize("path,new,fine", [
    ("./calc//ops.py", False, True),  # canonical form: calc/ops.py
    ("calc/ops.py", True, True),  # declared new but exists: still a regular file
    (HELPER, True, True),
    ("calc/\x00x.py", True, False),
    ("a/" * 3000 + "x.py", True, False),
    ("calc/оps.py", True, False),  # a Cyrillic look-alike
    ("CALC/../.ENV", True, False),
    (".GIT/HOOKS/pre-commit", True, False),
])
def test_plan_path_problems_table(repo: Path, path, new, fine):
    plan = parse_plan(_plan(path, new))
    problems = plan_path_problems(repo, plan, ".ouroboros", (), allow_non_ascii=False)
    assert (problems == []) is fine, problems


@pytest.mark.slow
async def test_a_collapsed_plan_is_discarded_for_the_default_approach(repo: Path):
    """A plan reply that reads as collapsed is never a plan (it would have demanded its
    paths of the candidate); the op goes on with the default approach."""
    provider = ReplayProvider([
        ReplayTurn(purpose="plan", text=_plan(HELPER, new=True),
                   telemetry={"collapse_proximity": 0.93, "exit_reason": "collapse"}),
        ReplayTurn(purpose="generate", text=_candidate())])
    end, chain = await run_op(repo, repo.parent / "l.sqlite3", "calc/ops.py",
                              provider=provider, goal=LONG_GOAL, policy=no_retry_policy())
    assert end is Phase.COMPLETE, chain["transitions"][-1]
    [planned] = [t for t in chain["transitions"] if t["from_phase"] == "PLAN"]
    assert planned["reason"].startswith("plan discarded, default approach: the model collapsed")
    assert planned["payload"]["plan_collapsed"]["proximity"] == 0.93
    assert not (repo / HELPER).exists()
