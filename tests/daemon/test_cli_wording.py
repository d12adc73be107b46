"""What the CLI says where a user looks (issue 43, item 4's wording): `verify` on a human's
commit, `review` with no daemon running, `review OP` on an op that did not end in a review,
`ledger OP` on a reason that quotes a whole model reply. Real git repositories, a real
signing key and ledger, a real daemon where one answers, the CLI's own `main`."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.cli.render import chain_text
from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches
from governance.git.signing import ensure_key
from governance.schemas import FileChange
from ledger import Ledger
from tests.helpers import OPS_FIXED, git, running_daemon, settings_for

STATE = ".ouroboros"  # the default state dir, where the CLI looks


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("keyed", [False, True], ids=["never ran here", "has its key"])
def test_verify_says_a_humans_commit_is_not_a_daemon_commit(repo, capsys, keyed):
    if keyed:
        if shutil.which("ssh-keygen") is None:
            pytest.skip("ssh-keygen (openssh-client) is not installed")
        assert ensure_key(repo / STATE).key is not None
    head = git(repo, "rev-parse", "HEAD").strip()
    code, out, _ = _cli(capsys, "verify", "HEAD", "--repo", str(repo))
    assert code == 0 and out == f"{head[:12]} is not a daemon commit (it has no Op-Id or " \
        "Integrity trailer and no signature by the daemon's key): nothing to verify\n"
    assert "FAIL" not in out and "NOT VERIFIED" not in out
    code, out, _ = _cli(capsys, "verify", "HEAD", "--json", "--repo", str(repo))
    answer = json.loads(out)
    assert code == 0 and answer["daemon_commit"] is False and answer["commit"] == head


def test_a_commit_that_claims_to_be_the_daemons_is_still_checked(repo, capsys):
    (repo / "notes.txt").write_text("x\n")
    git(repo, "commit", "-qam", "fix: it\n\nOp-Id: op-0123456789abcdef")
    code, out, _ = _cli(capsys, "verify", "HEAD", "--repo", str(repo))
    assert code == 1 and "FAIL trailers:" in out and out.endswith("NOT VERIFIED\n")


# -- review without a daemon, and `review OP` of an op that did not end in a review -------

REVIEWED = "op-1111111111111111"
FAILED = "op-3333333333333333"


def _propose(repo: Path, op_id: str = REVIEWED) -> str:
    """A review branch as APPROVE makes one."""
    message = (f"fix(calc): clamp x into range\n\nOp-Id: {op_id}\nSignal: todo_scanner\n"
               "Integrity: sha256:{integrity}\nEvidence: unproven: no test covers clamp\n")
    return ReviewBranches(GitOps(repo), "ouroboros/").propose(
        op_id, git(repo, "rev-parse", "HEAD").strip(),
        [FileChange(file_path="calc/ops.py", full_content=OPS_FIXED)], message,
        author_name="Ouroboros", author_email="o@localhost", sign_env=None)


async def _ledger_with(repo: Path) -> None:
    """The reviewed op, with a failing attempt before the candidate on its branch, and an
    op that ended in POSTMORTEM: as the daemon records them."""
    ledger = await Ledger.open(repo / STATE / "ledger.sqlite3")
    try:
        for op_id, ends, why in ((REVIEWED, "PROPOSED", "waits for review"),
                                 (FAILED, "POSTMORTEM", "every attempt failed:\n  "
                                  "test_clamp still fails")):
            await ledger.record_operation(op_id, source="todo_scanner", goal="clamp",
                                          session_id="s", envelope={})
            await ledger.append_transition(op_id, from_phase="VALIDATE",
                                           to_phase="VALIDATE_RETRY", reason="tests failed",
                                           payload={"failures": [FAILURE]})
            await ledger.append_transition(op_id, from_phase="VERIFY", to_phase=ends,
                                           reason=why)
    finally:
        await ledger.close()


FAILURE = {"test": "tests/test_ops.py::test_add", "message": "assert -1 == 5",
           "tail": "tests/test_ops.py:5: AssertionError"}


async def test_review_reads_git_and_the_ledger_when_no_daemon_runs(repo, capsys):
    _propose(repo)
    await _ledger_with(repo)
    code, out, err = await asyncio.to_thread(_cli, capsys, "review", "--repo", str(repo))
    assert code == 0 and out.startswith("1 change waits for review (cheapest decision first):\n")
    assert f"  {REVIEWED}  " in out and "why:   unproven: no test covers clamp" in out
    assert err.startswith("(the daemon is not running: review branches read from git")
    code, out, _ = await asyncio.to_thread(_cli, capsys, "review", REVIEWED[3:9], "--repo",
                                           str(repo))
    assert code == 0 and "+    return max(lo, min(x, hi))" in out
    assert "FAILED tests/test_ops.py::test_add: assert -1 == 5" in out  # the ledger's evidence


def test_review_with_no_daemon_and_no_ledger_yet(repo, capsys):
    code, out, _ = _cli(capsys, "review", "--repo", str(repo))
    assert code == 0 and out == "nothing waits for review\n"
    assert not (repo / STATE / "ledger.sqlite3").exists()  # reading made none
    code, _, err = _cli(capsys, "review", "beef", "--repo", str(repo))
    assert code == 1 and err.endswith("ouroboros: no review(s) match 'beef'\n")


async def test_review_of_an_op_that_ended_otherwise_says_how_and_points_to_its_ledger(
        repo, capsys):
    await _ledger_with(repo)
    code, _, err = await asyncio.to_thread(_cli, capsys, "review", FAILED[3:10], "--repo",
                                           str(repo))
    assert code == 1
    assert err.splitlines()[-1] == (
        f"ouroboros: no review(s) match '{FAILED[3:10]}': {FAILED} ended in POSTMORTEM (every "
        "attempt failed: test_clamp still fails), with no review waiting; "
        f"`ouroboros ledger {FAILED}` shows its whole chain")


@pytest.mark.slow
async def test_a_running_daemon_says_how_the_op_ended_and_what_became_of_its_review(repo,
                                                                                   capsys):
    _propose(repo)
    async with running_daemon(repo, settings_for(None)) as daemon:
        await daemon.ledger.record_operation(REVIEWED, source="todo_scanner", goal="clamp",
                                             session_id=daemon.session_id, envelope={})
        await daemon.ledger.append_transition(REVIEWED, from_phase="APPROVE",
                                              to_phase="PROPOSED", reason="waits for review")
        code, _, _ = await asyncio.to_thread(_cli, capsys, "reject", REVIEWED, "--repo",
                                             str(repo))
        again, _, err = await asyncio.to_thread(_cli, capsys, "review", REVIEWED, "--repo",
                                                str(repo))
    assert code == 0 and again == 1
    assert err.splitlines()[-1] == (
        f"ouroboros: no review(s) match '{REVIEWED}': {REVIEWED} ended in PROPOSED (waits for "
        "review), with no review waiting; its review: rejected by a human; "
        f"`ouroboros ledger {REVIEWED}` shows its whole chain")


def test_ledger_op_shows_the_head_of_a_long_reason_and_where_the_rest_is():
    reply = "I think the fix is " + "x" * 2000  # an unusable reply, quoted whole in the reason
    chain = {"operation": {"op_id": "op-1", "source": "s", "session_id": "x", "goal": "g"},
             "transitions": [{"seq": 3, "ts": "t", "from_phase": "GENERATE",
                              "to_phase": "POSTMORTEM", "cost_delta": 0.0, "payload": {},
                              "reason": f"no usable candidate after 3 unusable replies: {reply}"}],
             "model_calls": [], "tool_calls": [], "thoughts": []}
    [line] = [ln for ln in chain_text(chain).splitlines() if ln.startswith("#3")]
    assert line.startswith("#3   GENERATE -> POSTMORTEM: no usable candidate after 3 unusable")
    assert len(line) < 700 and line.endswith(
        f"... {len(chain['transitions'][0]['reason']) - 600} more chars (ouroboros ledger OP "
        "--json shows all)")
