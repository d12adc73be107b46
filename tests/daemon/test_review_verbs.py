"""`review`, `accept` and `reject` against a real in-process daemon (no provider: nothing is
dispatched, so an accepted review's envelope can be read in the queue), reviews made with
ReviewBranches.propose as the APPROVE phase makes them; `status` and `watch` say how many
wait; branches older than proof.review_max_age_days are pruned at start."""

from __future__ import annotations

import asyncio
import re
import sys

import pytest

from daemon.cli import main as cli_main
from daemon.cli.watch import events, render
from daemon.control.client import ControlClient
from daemon.status.model import Status, wire
from daemon.status.text import age_text, status_text
from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches
from governance.schemas import FileChange
from tests.helpers import OPS_FIXED, git, running_daemon, settings_for, wait_for

OP = "op-1111111111111111"
OLD = "op-2222222222222222"
EVIDENCE = "unproven: no test covers clamp"
FAILED = {"test": "tests/test_ops.py::test_add", "message": "assert -1 == 5",
          "tail": "tests/test_ops.py:5: AssertionError"}


def _propose(repo, op_id: str = OP, goal: str = "clamp x into range",
             reviews: ReviewBranches | None = None) -> str:
    """A review as APPROVE makes it (through the daemon's own ReviewBranches if given)."""
    message = (f"fix(calc): {goal}\n\nThe rationale.\n\nOp-Id: {op_id}\nSignal: todo_scanner\n"
               f"Integrity: sha256:{{integrity}}\nEvidence: {EVIDENCE}\n")
    changes = [FileChange(file_path="calc/ops.py", full_content=OPS_FIXED),
               FileChange(file_path="notes.txt", action="delete")]
    return (reviews or ReviewBranches(GitOps(repo), "ouroboros/")).propose(
        op_id, git(repo, "rev-parse", "HEAD").strip(), changes, message,
        author_name="Ouroboros", author_email="o@localhost", sign_env=None)


async def _record_op(daemon, op_id: str = OP) -> None:
    """The original op, as the ledger knows it once it ended PROPOSED."""
    await daemon.ledger.record_operation(op_id, source="todo_scanner", goal="clamp",
                                         session_id=daemon.session_id, envelope={})


LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")  # the in-process daemon's log


async def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    """The CLI in this process (its output without the daemon's log lines)."""
    capsys.readouterr()
    code = await asyncio.to_thread(cli_main, list(argv))
    out = capsys.readouterr()
    return code, *("".join(line for line in text.splitlines(True)
                           if not LOG_LINE.match(line)) for text in (out.out, out.err))


def _branches(repo) -> list[str]:
    out = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/ouroboros/")
    return out.split()


@pytest.mark.slow
async def test_review_lists_what_waits_and_shows_one_with_its_diff(repo, capsys):
    sha = _propose(repo)
    async with running_daemon(repo, settings_for(None)) as daemon:
        code, listed, _ = await _cli(capsys, "review", "--repo", str(repo))
        await _record_op(daemon)  # a refused attempt before the one on the branch
        await daemon.ledger.append_transition(OP, from_phase="VALIDATE", to_phase="VALIDATE_RETRY",
                                              reason="validation failed", payload={
                                                  "failures": [FAILED]})
        await daemon.ledger.append_transition(  # the candidate on the branch, gate-repaired
            OP, from_phase="GENERATE_RETRY", to_phase="VALIDATE", reason="candidate",
            payload={"ascii_repairs": [{"file": "calc/ops.py", "line": 2,
                                        "before": "x \u2212 1", "after": "x - 1"}]})
        one_code, one, _ = await _cli(capsys, "review", "1111", "--repo", str(repo))
        none_code, _, none_err = await _cli(capsys, "review", "beef", "--repo", str(repo))
    assert code == 0 and one_code == 0, (listed, one)
    assert listed.startswith("1 change waits for review (cheapest decision first):\n"), listed
    assert f"  {OP}  " in listed and "ago  +1 -2  2 files" in listed
    assert "goal:  clamp x into range" in listed and f"why:   {EVIDENCE}" in listed
    assert "files: calc/ops.py, notes.txt" in listed
    assert "ouroboros accept OP | reject: ouroboros reject OP [reason]" in listed
    assert f"why:   {EVIDENCE}" in one and f"-> {sha[:12]} on branch ouroboros/{OP}" in one
    assert "+    return max(lo, min(x, hi))" in one and "deleted file mode 100644" in one
    assert f"ouroboros accept {OP}" in one
    assert "failing attempt (ledger #0 VALIDATE -> VALIDATE_RETRY):" in one
    assert "FAILED tests/test_ops.py::test_add: assert -1 == 5" in one
    assert "failing attempt" not in listed
    assert "the ASCII gate changed 1 line(s) of the candidate:\n      calc/ops.py:2\n" \
        "        - x \\u2212 1\n        + x - 1" in one
    assert none_code == 1 and "no review(s) match 'beef'" in none_err


@pytest.mark.slow
async def test_review_with_nothing_waiting(repo, capsys):
    async with running_daemon(repo, settings_for(None)):
        code, out, _ = await _cli(capsys, "review", "--repo", str(repo))
        reply = await asyncio.to_thread(ControlClient(repo / ".ouroboros" / "control.sock")
                                        .request, "review")
    assert code == 0 and out.strip() == "nothing waits for review"
    assert reply == {"ok": True, "data": {"reviews": []}}


@pytest.mark.slow
async def test_reject_deletes_the_branch_and_notes_it_on_the_original_op(repo, capsys):
    sha = _propose(repo)
    async with running_daemon(repo, settings_for(None)) as daemon:
        await _record_op(daemon)
        code, out, _ = await _cli(capsys, "reject", OP[3:9], "not this way", "--repo",
                                  str(repo))
        again, _, err = await _cli(capsys, "reject", OP, "--repo", str(repo))
        chain = await daemon.ledger.chain(OP)
    assert code == 0 and out.strip() == (f"reject: op_id={OP}, branch=ouroboros/{OP}, "
                                          "deleted=True")
    assert again == 1 and "no review(s) match" in err
    assert _branches(repo) == []
    [thought] = chain["thoughts"]
    assert (thought["phase"], thought["msg"]) == ("REVIEW", "rejected by a human")
    assert thought["data"] == {"reason": "not this way", "branch": f"ouroboros/{OP}",
                               "sha": sha}


@pytest.mark.slow
async def test_reject_leaves_a_branch_someone_moved(repo):
    _propose(repo)
    async with running_daemon(repo, settings_for(None)) as daemon:
        item = await asyncio.to_thread(daemon.reviews.get, OP)
        git(repo, "update-ref", f"refs/heads/ouroboros/{OP}", item.base)  # a human moved it
        gone = await asyncio.to_thread(ControlClient(daemon.state_dir / "control.sock")
                                       .request, "reject", OP)
    assert gone["ok"] is False and "no review(s) match" in gone["error"]  # not ours now
    assert _branches(repo) == [f"ouroboros/{OP}"]


@pytest.mark.slow
async def test_accept_queues_an_accept_op_and_notes_it_on_the_original_op(repo, capsys):
    sha = _propose(repo)
    async with running_daemon(repo, settings_for(None)) as daemon:
        await _record_op(daemon)
        code, out, _ = await _cli(capsys, "accept", OP, "looks right", "--repo", str(repo))
        twice = await asyncio.to_thread(ControlClient(daemon.state_dir / "control.sock")
                                        .request, "accept", OP)
        queue = daemon.queue.snapshot()
        chain = await daemon.ledger.chain(OP)
    assert code == 0
    assert out.strip() == f"accept: op_id={OP}, queued=True, dedup_key=review:{sha}"
    assert [(q["source"], q["goal"], q["files"]) for q in queue] == [
        ("review", f"accept the review of {OP}: clamp x into range",
         ["calc/ops.py", "notes.txt"])]
    assert twice["ok"] and twice["data"]["queued"] is False and "accepted already" in \
        twice["data"]["why"]
    assert _branches(repo) == [f"ouroboros/{OP}"]  # the accept op lands it, not the verb
    [thought] = chain["thoughts"]
    assert (thought["phase"], thought["msg"]) == ("REVIEW", "accepted by a human")
    assert thought["data"] == {"reason": "looks right", "branch": f"ouroboros/{OP}",
                               "sha": sha, "dedup_key": f"review:{sha}"}


@pytest.mark.slow
async def test_status_and_watch_say_how_many_wait(repo, capsys):
    async with running_daemon(repo, settings_for(None)) as daemon:
        await asyncio.to_thread(daemon.reviews.list)  # counted once (the start-up prune)
        await asyncio.to_thread(_propose, repo, OP, "clamp x into range", daemon.reviews)
        assert daemon.reviews.count == 1  # the live snapshot's count, kept without git
        status = (await asyncio.to_thread(ControlClient(daemon.state_dir / "control.sock")
                                          .request, "status"))["data"]
        first = await asyncio.to_thread(next, events(daemon.state_dir / "control.sock"))
    assert status["reviews"]["count"] == 1
    [item] = status["reviews"]["items"]
    assert item["op_id"] == OP and item["goal"] == "clamp x into range"
    assert item["evidence"] == EVIDENCE and item["files"] == ["calc/ops.py", "notes.txt"]
    assert 0 <= item["age_s"] < 600
    assert wire(Status.model_validate(status)) == status  # the model keeps every key
    assert ("review:   1 change(s) wait for review: ouroboros review"
            in status_text(Status.model_validate(status)))
    assert first["kind"] == "snapshot" and first["reviews"] == 1
    # the status read the kinds: the snapshot shows them (daemon.live.sources)
    assert render(first).endswith("; 1 change(s) wait for review: ouroboros review "
                                  "(1 needs a person)")


@pytest.mark.slow
async def test_an_old_review_is_pruned_at_start_and_noted_on_its_op(repo, monkeypatch):
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1000000000 +0000")  # 2001
    old_sha = _propose(repo, OLD, "an old idea")
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    _propose(repo)
    settings = settings_for(None, proof={"review_max_age_days": 30})
    async with running_daemon(repo, settings) as daemon:
        await wait_for(lambda: _branches(repo) == [f"ouroboros/{OP}"], 30, "the prune")
        await _record_op(daemon, OLD)

        async def noted() -> list[dict]:
            return (await daemon.ledger.chain(OLD))["thoughts"]

        deadline = asyncio.get_running_loop().time() + 30
        while not (thoughts := await noted()):
            assert asyncio.get_running_loop().time() < deadline, "no prune thought"
            await asyncio.sleep(0.05)
    [thought] = thoughts
    assert thought["phase"] == "REVIEW" and thought["msg"].startswith("review branch pruned")
    assert thought["data"]["sha"] == old_sha and thought["data"]["max_age_days"] == 30
    assert thought["data"]["age_days"] > 365


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59.9, "59s"), (60, "1m"),
                                           (3599, "59m"), (7200, "2h"), (86400 * 3.5, "3d")])
def test_ages_in_human_units(seconds, text):
    assert age_text(seconds) == text


@pytest.mark.slow
async def test_the_repl_drives_review_and_reject(repo):
    _propose(repo)
    async with running_daemon(repo, settings_for(None)):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "daemon.cli", "repl", "--repo", str(repo),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(proc.communicate(
            f"review\nreview {OP[3:]}\nreject {OP} not now\nreview\napprove {OP}\n"
            "quit\n".encode()), 60)
    text = out.decode()
    assert "1 change waits for review" in text and f"on branch ouroboros/{OP}" in text
    assert f"reject: op_id={OP}, branch=ouroboros/{OP}, deleted=True" in text
    assert "nothing waits for review" in text
    assert "unknown verb 'approve'" in text
    assert _branches(repo) == []


async def test_status_shows_the_newest_reviews_and_counts_them_all(repo, monkeypatch):
    """Hundreds may wait after months: `status` counts them all and shows the newest few
    (`ouroboros review` lists every one)."""
    from daemon import reviews as verbs

    monkeypatch.setattr(verbs, "STATUS_ITEMS", 2)
    branches = ReviewBranches(GitOps(repo), "ouroboros/")
    for n in range(3):
        _propose(repo, f"op-{n:016x}", f"goal {n}", branches)
    entry = await verbs.status_entry(branches)
    assert entry["count"] == 3
    newest = [i.op_id for i in branches.list()][:2]
    assert [i["op_id"] for i in entry["items"]] == newest
