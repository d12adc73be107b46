"""`watch` and the live view show the reviews per kind (issue 45, item 4): a real daemon,
reviews made as APPROVE makes them (a `Review-Cost:` trailer, a kept test beside one), a
watcher subscribed on the control socket; a reject publishes a `reviews` event read from
git again, and a snapshot taken once the kinds were read carries them."""

from __future__ import annotations

import asyncio

import pytest

from daemon.cli.watch import events, render
from daemon.control.client import ControlClient
from governance.git.kept_tests import kept_tests
from governance.git.review import ReviewBranches
from governance.schemas import FileChange
from tests.daemon.live.chromium import CHROMIUM, rendered_dom
from tests.daemon.live.test_http import free_port
from tests.helpers import OPS_FIXED, git, running_daemon, settings_for

pytestmark = pytest.mark.slow  # a real daemon

TESTED, PERSON = "op-3333333333333333", "op-4444444444444444"


def _propose(reviews: ReviewBranches, repo, op_id: str, cost: str, kept: bool) -> None:
    message = (f"fix(calc): clamp\n\nwhy\n\nOp-Id: {op_id}\nSignal: todo_scanner\n"
               f"Integrity: sha256:{{integrity}}\nEvidence: unproven\nReview-Cost: {cost}\n")
    sha = reviews.propose(op_id, git(repo, "rev-parse", "HEAD").strip(),
                          [FileChange(file_path="calc/ops.py", full_content=OPS_FIXED)],
                          message, author_name="O", author_email="o@localhost", sign_env=None)
    if kept:
        kept_tests(reviews).propose(op_id, sha, [FileChange(
            file_path="tests/test_kept.py", full_content="def test_k():\n    pass\n")],
            message.replace("fix(calc)", "test"), author_name="O", author_email="o@localhost",
            sign_env=None)


def _watch_a_reject(sock) -> tuple[dict, dict]:
    """Subscribe, reject PERSON, and take the stream's snapshot and its `reviews` event."""
    stream = events(sock)
    first = next(stream)
    assert ControlClient(sock).request("reject", PERSON, "no")["ok"]
    counts = next(e for e in stream if e.get("kind") == "reviews")
    stream.close()
    return first, counts


async def test_watch_and_the_live_view_count_the_reviews_per_kind(repo):
    async with running_daemon(repo, settings_for(None)) as daemon:
        _propose(daemon.reviews, repo, TESTED, "unchecked", kept=True)
        _propose(daemon.reviews, repo, PERSON, "person", kept=False)
        await daemon.ledger.record_operation(PERSON, source="todo_scanner", goal="clamp",
                                             session_id=daemon.session_id, envelope={})
        sock = daemon.state_dir / "control.sock"
        listed = await asyncio.to_thread(ControlClient(sock).request, "review")
        assert listed["ok"]  # the listing read the kinds: the snapshot shows them
        first, counts = await asyncio.to_thread(_watch_a_reject, sock)
    assert first["reviews"] == 2
    assert first["review_kinds"] == {"a kept test decides it": 1, "needs a person": 1}
    assert render(first).endswith("; 2 change(s) wait for review: ouroboros review "
                                  "(1 a kept test decides it, 1 needs a person)")
    assert (counts["count"], counts["kinds"]) == (1, {"a kept test decides it": 1})
    assert render(counts).endswith(" reviews      1 change(s) wait for review: ouroboros "
                                   "review (1 a kept test decides it)")


async def test_a_snapshot_shows_no_kinds_that_no_longer_add_up(repo):
    async with running_daemon(repo, settings_for(None)) as daemon:
        _propose(daemon.reviews, repo, PERSON, "person", kept=False)
        sock = daemon.state_dir / "control.sock"
        assert (await asyncio.to_thread(ControlClient(sock).request, "review"))["ok"]
        # made after the kinds were read, not by the daemon's own ReviewBranches either
        _propose(ReviewBranches(daemon.reviews.git, "ouroboros/"), repo, TESTED, "unchecked",
                 kept=False)
        daemon.reviews.count = 2  # as APPROVE's propose adjusts it
        first = await asyncio.to_thread(next, events(sock))
    assert first["reviews"] == 2 and first["review_kinds"] == {}
    assert render(first).endswith("; 2 change(s) wait for review: ouroboros review")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get "
                    "install chromium; `make setup` installs it)")
async def test_a_real_browser_shows_the_reviews_per_kind_as_they_change(repo):
    settings = settings_for(None, daemon={"live_port": free_port()})
    async with running_daemon(repo, settings) as daemon:
        _propose(daemon.reviews, repo, TESTED, "unchecked", kept=True)
        _propose(daemon.reviews, repo, PERSON, "person", kept=False)
        client = ControlClient(daemon.state_dir / "control.sock")
        # the kinds read (in a thread: the daemon answers on this loop): the snapshot has them
        assert (await asyncio.to_thread(client.request, "review"))["ok"]

        def reject(_dom: str) -> None:
            assert client.request("reject", PERSON, "no")["ok"]

        status = "document.getElementById('status').textContent"
        doms = await asyncio.to_thread(rendered_dom, daemon.live.url, [
            (f"{status}.includes('2 change(s) wait for review')", reject),
            (f"{status}.includes('1 change(s) wait for review')", None)])
    assert "2 change(s) wait for review (1 a kept test decides it, 1 needs a person)" in doms[0]
    assert "1 change(s) wait for review (1 a kept test decides it)" in doms[1]
