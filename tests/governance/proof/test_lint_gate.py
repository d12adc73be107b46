"""The lint gate through the real orchestrator and phase table, with the real ruff in the
real jail: what the repository's linter fixes safely is fixed before any test runs, and
the fixed bytes are the ones tested, committed and recorded; a new finding nothing fixes
sends the change to review with the finding named (never POSTMORTEM); a repository with no
linter configured is unaffected."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from daemon.cli.render import chain_text, review_text
from daemon.reviews import execute
from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches
from governance.phase import Phase
from ledger import Ledger
from tests.helpers import OPS_FIXED, commit_files, git, make_policy, run_op

PYPROJECT = "[tool.ruff.lint]\nselect = ['F', 'I']\n"
RETURN = "    return max(lo, min(x, hi))\n"
USED = "    return max(lo, min(x, hi, math.inf))\n"
# Out of isort's order (I001: ruff fixes it safely) and unused (F401: so does it), in the
# function the op is about.
UNSORTED = OPS_FIXED.replace(RETURN, "    import sys\n    import math\n" + USED)
SORTED = OPS_FIXED.replace(RETURN, "    import math\n" + USED)
# A local assigned and never used (F841): ruff's fix is unsafe, so nothing fixes it.
CARELESS = UNSORTED.replace(USED, "    span = hi - lo\n" + USED)


def _candidate(content: str) -> str:
    return json.dumps({"schema": "candidate.1", "file_path": "calc/ops.py",
                       "full_content": content, "rationale": "clamp into range"})


def _policy():
    return make_policy(l2_enabled=False, max_validate_retries=0, max_generate_retries=0)


def _validated(chain: dict) -> dict:
    [t] = [t for t in chain["transitions"] if t["from_phase"] == "VALIDATE"]
    return t


@pytest.mark.slow
async def test_what_ruff_fixes_safely_is_fixed_before_the_tests_and_lands_fixed(
        repo: Path, short_tmp: Path):
    """The candidate adds an unused import out of order; the repository selects F and I.
    ruff's safe fixes sort the block and drop the import; the fixed text is what the tests
    judged, what landed, and what the ledger shows line by line."""
    commit_files(repo, {"pyproject.toml": PYPROJECT})
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              _candidate(UNSORTED), policy=_policy())
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert (repo / "calc/ops.py").read_text() == SORTED
    assert git(repo, "show", "HEAD:calc/ops.py") == SORTED
    lint = _validated(chain)["payload"]["lint"]
    assert sorted(f.split(": ")[2].split()[0] for f in lint["fixed"]) == ["F401", "I001"]
    assert lint["new"] == [] and lint["not_fixed"] == {}
    assert lint["rewritten"] == [
        {"file": "calc/ops.py", "line": 9, "before": "    import sys", "after": None}]
    shown = chain_text(chain).splitlines()
    at = shown.index("       the repository's linter changed 1 line(s) of the candidate:")
    assert shown[at + 1:at + 3] == ["         calc/ops.py:9", "           - import sys"]
    assert not shown[at + 3].startswith("           +")  # removed: no "after" side


@pytest.mark.slow
async def test_a_finding_nothing_fixes_goes_to_review_named_with_the_fixed_lines(
        repo: Path, short_tmp: Path):
    """With no attempt left, a new F841 (ruff's fix for it is unsafe) neither refuses the
    candidate nor throws it away: the change, with its import block fixed, waits on a
    review branch whose evidence names the finding; `review OP` shows both."""
    commit_files(repo, {"pyproject.toml": PYPROJECT})
    head = git(repo, "rev-parse", "HEAD")
    ledger_path = short_tmp / "l.sqlite3"
    end, chain = await run_op(repo, ledger_path, "calc/ops.py", _candidate(CARELESS),
                              policy=_policy())
    assert end is Phase.PROPOSED, chain["transitions"][-1]["reason"]
    assert git(repo, "rev-parse", "HEAD") == head
    op = chain["operation"]["op_id"]
    branch = f"ouroboros/{op}"
    assert git(repo, "show", f"{branch}:calc/ops.py") == SORTED.replace(
        USED, "    span = hi - lo\n" + USED)
    lint = _validated(chain)["payload"]["lint"]
    assert lint["new"] == ["ruff: calc/ops.py:10: F841 Local variable `span` is assigned to "
                           "but never used"]  # line 10 of the fixed text
    assert "F841 Local variable `span`" in git(repo, "log", "-1", "--format=%B", branch)
    ledger = await Ledger.open(ledger_path)
    try:
        host = SimpleNamespace(reviews=ReviewBranches(GitOps(repo), "ouroboros/"),
                               ledger=ledger)
        reply = await execute(host, "review", op, None)
    finally:
        await ledger.close()
    shown = review_text(reply["data"])
    assert "why:   unproven: the repository's linters find 1 new finding(s) nothing " \
           "fixes: ruff: calc/ops.py:10: F841" in shown
    assert "    the repository's linter changed 1 line(s) of the candidate:\n" \
           "      calc/ops.py:9\n        - import sys\n" in shown


async def test_a_repository_with_no_linter_configured_is_unaffected(repo: Path,
                                                                    short_tmp: Path):
    careless = OPS_FIXED + "\n\nimport sys\n"
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py",
                              _candidate(careless), policy=_policy())
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    [passed] = [t for t in chain["transitions"] if t["from_phase"] == "VALIDATE"]
    assert "lint" not in passed["payload"]
