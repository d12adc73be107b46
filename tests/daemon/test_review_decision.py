"""`review OP` shows the decision and `accept OP [--tests]` queues what it lands (issue 45,
item 3), against a real in-process daemon (no provider: an accepted review's envelope is
read in the queue). Reviews and kept tests are made with ReviewBranches.propose as
governance.phases.propose and propose_test make them; the PROPOSED row's `missing_test`
is written as propose_test writes it (ProposalVerdict.payload)."""

from __future__ import annotations

import asyncio
import sys

import pytest

from governance.git.gitops import GitOps
from governance.git.kept_tests import kept_tests
from governance.git.review import ReviewBranches
from governance.proof.missing_test_rules import Cause, CauseKind, ProposalVerdict, Verdict
from governance.schemas import FileChange
from tests.daemon.test_review_verbs import _branches, _cli, _propose
from tests.helpers import git, running_daemon, settings_for

pytestmark = pytest.mark.slow  # a real daemon

OP = "op-1111111111111111"
KEPT = "from calc.ops import clamp\n\n\ndef test_clamp_high():\n    assert clamp(5, 0, 3) == 3\n"
NODE = "tests/test_kept.py::test_clamp_high"
CAUSE = Cause(CauseKind.SURVIVING_MUTANT, "calc/ops.py", 9, "returns None")


def _keep(repo, review_sha: str, files: dict[str, str] | None = None) -> str:
    """The kept test's commit on the review commit, as propose_test's _keep makes it."""
    message = (f"test: the missing test\n\nkept\n\nOp-Id: {OP}\nSignal: todo_scanner\n"
               "Integrity: sha256:{integrity}\nEvidence: missing test: kept\n")
    tests = kept_tests(ReviewBranches(GitOps(repo), "ouroboros/"))
    return tests.propose(OP, review_sha, [FileChange(file_path=p, full_content=t) for p, t in
                                          (files or {"tests/test_kept.py": KEPT}).items()],
                         message, author_name="O", author_email="o@localhost", sign_env=None)


async def _proposed(daemon, verdict: ProposalVerdict, **more) -> None:
    """The original op's PROPOSED row with its missing test, as propose.py writes it."""
    await daemon.ledger.record_operation(OP, source="todo_scanner", goal="clamp",
                                         session_id=daemon.session_id, envelope={})
    await daemon.ledger.append_transition(OP, from_phase="APPROVE", to_phase="PROPOSED",
                                          reason="waits", payload={"missing_test": {
                                              **verdict.payload(), **more}})


async def test_review_shows_the_mutant_and_the_kept_test_and_accept_lands_both(repo, capsys):
    review = _propose(repo)
    test = _keep(repo, review)
    kept = ProposalVerdict(CAUSE, Verdict.KEPT, "fails with calc/ops.py:9 (returns None)",
                       ("tests/test_kept.py",), (NODE,))
    async with running_daemon(repo, settings_for(None)) as daemon:
        await _proposed(daemon, kept, branch=f"ouroboros/tests/{OP}", commit=test)
        code, one, _ = await _cli(capsys, "review", OP, "--repo", str(repo))
        acode, accepted, _ = await _cli(capsys, "accept", OP, "--repo", str(repo))
        queue = daemon.queue.snapshot()
        chain = await daemon.ledger.chain(OP)
    assert code == 0 and acode == 0, one
    assert "    unchecked: surviving mutant at calc/ops.py:9 (returns None)\n" in one
    assert "    the mutant no test of yours kills:\n" in one
    assert "+    return None" in one  # the mutant's line, as a diff against the change
    assert (f"    missing test: kept on ouroboros/tests/{OP}: fails with calc/ops.py:9 "
            f"(returns None)\n      decides it: {NODE}\n") in one
    assert "+def test_clamp_high():" in one
    assert (f"    ouroboros accept {OP}: lands the change and this test\n"
            f"    ouroboros accept {OP} --tests: lands the test alone (it lands alone if it "
            "passes on your HEAD without the change)\n") in one
    assert one.index("unchecked:") < one.index("+    return max(lo, min(x, hi))")  # then the diff
    assert accepted.strip() == (f"accept: op_id={OP}, queued=True, dedup_key=review:{review}, "
                                "lands=the change and its kept test")
    assert [(q["goal"], q["files"]) for q in queue] == [
        (f"accept the review of {OP}: clamp x into range",
         ["calc/ops.py", "notes.txt", "tests/test_kept.py"])]
    assert chain["thoughts"][-1]["data"]["test_sha"] == test


async def test_accept_tests_queues_the_kept_test_alone_and_the_repl_takes_it(repo, capsys):
    review = _propose(repo)
    test = _keep(repo, review)
    async with running_daemon(repo, settings_for(None)) as daemon:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "daemon.cli", "repl", "--repo", str(repo),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(proc.communicate(
            f"accept {OP[3:]} --tests the check without the change\nquit\n".encode()), 60)
        queue = daemon.queue.snapshot()
    assert (f"accept: op_id={OP}, queued=True, dedup_key=review-test:{test}, "
            "lands=the kept test alone") in out.decode()
    assert [(q["goal"], q["files"]) for q in queue] == [
        (f"accept the kept test of the review of {OP}: clamp x into range",
         ["tests/test_kept.py"])]
    assert _branches(repo) == [f"ouroboros/{OP}", f"ouroboros/tests/{OP}"]  # the op lands it


async def test_no_kept_test_the_review_says_why_and_accept_tests_is_refused(repo, capsys):
    _propose(repo)
    refused = ProposalVerdict(CAUSE, Verdict.KILLS_NOTHING, "every new test passes with "
                          "calc/ops.py:9 (returns None)", ("tests/test_kept.py",), (NODE,))
    async with running_daemon(repo, settings_for(None)) as daemon:
        await _proposed(daemon, refused)
        _, one, _ = await _cli(capsys, "review", OP, "--repo", str(repo))
        code, _, err = await _cli(capsys, "accept", OP, "--tests", "--repo", str(repo))
        queue = daemon.queue.snapshot()
    assert ("    missing test: none kept: passes with the mutant switched on: every new test "
            "passes with calc/ops.py:9 (returns None)") in one
    assert "--tests" not in one
    assert code == 1 and err.strip() == (
        f"ouroboros: no kept test waits beside the review of {OP}: there is nothing to land "
        "alone (`ouroboros review` shows why none was kept)")
    assert queue == []


async def test_a_review_the_ledger_knows_nothing_of_shows_no_decision(repo, capsys):
    _propose(repo)
    async with running_daemon(repo, settings_for(None)):
        code, one, _ = await _cli(capsys, "review", OP, "--repo", str(repo))
    assert code == 0 and "unchecked:" not in one and "missing test" not in one
    assert git(repo, "rev-parse", "--verify", "-q", f"ouroboros/{OP}").strip()


async def test_a_kept_test_landed_alone_is_said_and_the_change_still_waits(repo, capsys):
    review = _propose(repo)
    _keep(repo, review)
    kept = ProposalVerdict(CAUSE, Verdict.KEPT, "fails with calc/ops.py:9 (returns None)",
                       ("tests/test_kept.py",), (NODE,))
    async with running_daemon(repo, settings_for(None)) as daemon:
        await _proposed(daemon, kept)
        git(repo, "update-ref", "-d", f"refs/heads/ouroboros/tests/{OP}")  # as it lands alone
        await daemon.ledger.record_thought(OP, "REVIEW", "its kept test landed by an accept op",
                                           {"accept_op": "op-9999999999999999",
                                            "commit": "ab" * 20, "test_alone": True})
        _, one, _ = await _cli(capsys, "review", OP, "--repo", str(repo))
    assert (f"    missing test: kept, and landed alone on your branch (commit ababababab"
            f"ab, by op-9999999999999999): the line is checked now (`ouroboros accept {OP}` "
            "lands the change)") in one
