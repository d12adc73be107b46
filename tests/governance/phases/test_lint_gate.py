"""The lint gate through the real orchestrator and phase table: a repository that
configures ruff refuses a candidate that adds a finding, with the finding for the model and
the ledger; a clean candidate lands; a repository with no linter configured is unaffected."""

from __future__ import annotations

import json
from pathlib import Path

from governance.phase import Phase
from tests.helpers import OPS_FIXED, commit_files, git, make_policy, run_op

PYPROJECT = "[tool.ruff.lint]\nselect = ['F']\n"


def _candidate(content: str) -> str:
    return json.dumps({"schema": "candidate.1", "file_path": "calc/ops.py",
                       "full_content": content, "rationale": "clamp into range"})


def _policy():
    return make_policy(l2_enabled=False, max_validate_retries=0, max_generate_retries=0)


async def test_a_finding_the_candidate_adds_refuses_it_and_a_clean_one_lands(repo: Path,
                                                                            short_tmp: Path):
    commit_files(repo, {"pyproject.toml": PYPROJECT})
    head = git(repo, "rev-parse", "HEAD")
    careless = OPS_FIXED.replace('"""Small arithmetic helpers."""\n',
                                 '"""Small arithmetic helpers."""\nimport sys\n')
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              _candidate(careless), policy=_policy())
    assert end is Phase.POSTMORTEM and git(repo, "rev-parse", "HEAD") == head
    [refused] = [t for t in chain["transitions"] if t["from_phase"] == "VALIDATE"]
    assert "ruff: calc/ops.py:2: F401 `sys` imported but unused" in refused["reason"]
    assert refused["payload"]["lint"]["judged"] == ["ruff"]
    end, chain = await run_op(repo, short_tmp / "m.sqlite3", "calc/ops.py",
                              _candidate(OPS_FIXED), policy=_policy())
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    [passed] = [t for t in chain["transitions"] if t["from_phase"] == "VALIDATE"]
    assert passed["payload"]["lint"]["new"] == []


async def test_a_repository_with_no_linter_configured_is_unaffected(repo: Path,
                                                                    short_tmp: Path):
    careless = OPS_FIXED + "\n\nimport sys\n"
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              _candidate(careless), policy=_policy())
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    [passed] = [t for t in chain["transitions"] if t["from_phase"] == "VALIDATE"]
    assert "lint" not in passed["payload"]
