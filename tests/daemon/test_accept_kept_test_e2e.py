"""Every review leaves the suite stronger (issue 45, item 3), end to end on a real daemon,
real git and real pytest in the jail: an unproven change waits for review with its kept
missing test; `accept` lands the change and the test through the pipeline; a later op that
changes the same line is then proven and auto-committed. Accepted without its test (the
test's branch removed first), the same later op waits for review: no test of the suite
notices its `3` becoming `4`."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from daemon.control.client import ControlClient
from tests.daemon.test_missing_test import (
    LOOSE_TEST,
    MISSING,
    TOP,
    TOP_DONE,
    TOP_TODO,
    _missing_turn,
)
from tests.helpers import (
    candidate_turn,
    commit_files,
    explore_turn,
    git,
    running_daemon,
    settings_for,
    wait_terminal,
    write_script,
)
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

# The later work: the same function, its `limit = 3` line rewritten. The human's test asks
# for a list back and says nothing of the limit: only the kept test notices `3` -> `4`.
TOP_ANY = ("def top(xs):\n    # TODO: take any iterable and give a list back\n"
           "    limit = 3\n    return xs[:limit]\n")
TOP_ANY_DONE = "def top(xs):\n    items, limit = list(xs), 3\n    return items[:limit]\n"
ANY_TEST = ("from shop.top import top\n\n\n"
            "def test_top_gives_a_list():\n    assert top((1, 2)) == [1, 2]\n")
KEPT_FILE = "tests/test_top_three.py"


async def _ended(daemon, count: int) -> list[dict]:
    """The first `count` terminal ops, oldest first."""
    done = await wait_terminal(daemon, count, timeout=180)
    return sorted(done, key=lambda o: o["created_at"])[:count]


def _commit(repo, files: dict[str, str], message: str) -> None:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


# The control (no kept test: the next change waits as the first did) is the full lane's, 23 s
# of a 2-core suite: test_missing_test.py holds an unchecked line waiting in every run.
@pytest.mark.parametrize("with_test", [True, pytest.param(False, marks=pytest.mark.full)],
                         ids=["accepted-with-test", "without"])
async def test_an_accepted_kept_test_lets_the_next_change_to_its_line_be_proven(
        short_tmp, with_test):
    repo = commit_files(short_tmp / "repo", {"shop/__init__.py": "", "shop/top.py": TOP,
                                             "README.md": "# shop\n"})
    script = write_script(short_tmp / "script.jsonl", explore_turn("shop/top.py"),
                          candidate_turn("shop/top.py", TOP_DONE, "keep three"),
                          _missing_turn({KEPT_FILE: MISSING}), explore_turn("shop/top.py"),
                          candidate_turn("shop/top.py", TOP_ANY_DONE, "any iterable"))
    async with running_daemon(repo, settings_for(script)) as daemon:
        _commit(repo, {"shop/top.py": TOP_TODO, "tests/test_top.py": LOOSE_TEST}, "a TODO")
        [first] = await _ended(daemon, 1)
        assert first["phase"] == "PROPOSED", first
        op = first["op_id"]
        assert git(repo, "rev-parse", "--verify", "-q", f"ouroboros/tests/{op}").strip()
        if not with_test:  # the control: the same accept, no kept test beside the review
            git(repo, "update-ref", "-d", f"refs/heads/ouroboros/tests/{op}")
        reply = await asyncio.to_thread(
            ControlClient(daemon.state_dir / "control.sock").request, "accept", op)
        assert reply["ok"] and reply["data"]["queued"], reply
        accept = (await _ended(daemon, 2))[1]
        assert accept["phase"] == "COMPLETE", accept
        landed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
        assert landed == (["shop/top.py", KEPT_FILE] if with_test else ["shop/top.py"])
        assert git(repo, "for-each-ref", "refs/heads/ouroboros/").strip() == ""
        _commit(repo, {"shop/top.py": TOP_ANY, "tests/test_any.py": ANY_TEST}, "next TODO")
        later = (await _ended(daemon, 3))[2]
        chain = await daemon.ledger.chain(later["op_id"])
    last = chain["transitions"][-1]
    if with_test:  # proven: the kept test kills `3` -> `4`; the change is on HEAD
        assert later["phase"] == "COMPLETE", last
        assert (repo / "shop" / "top.py").read_text() == TOP_ANY_DONE
        assert "Evidence: proven" in git(repo, "log", "-1", "--format=%B", "HEAD")
    else:  # it waits, as the first did, for the same unchecked line
        assert later["phase"] == "PROPOSED", last
        assert "`3` to `4`" in last["reason"], last["reason"]


@pytest.mark.full  # 25 s of a 2-core suite; its refusal is the phase's test
# (tests/governance/phases/test_accept_kept_test.py::test_the_kept_test_lands_alone)
async def test_a_kept_test_that_fails_without_its_change_cannot_land_alone(short_tmp):
    """`accept OP --tests` runs the kept test on the human's HEAD without the change: this
    one asks for three items where HEAD still gives five, so it is refused, saying so, and
    both branches stay; `accept OP` then lands the change with it."""
    repo = commit_files(short_tmp / "repo", {"shop/__init__.py": "", "shop/top.py": TOP,
                                             "README.md": "# shop\n"})
    script = write_script(short_tmp / "script.jsonl", explore_turn("shop/top.py"),
                          candidate_turn("shop/top.py", TOP_DONE, "keep three"),
                          _missing_turn({KEPT_FILE: MISSING}))
    async with running_daemon(repo, settings_for(script)) as daemon:
        _commit(repo, {"shop/top.py": TOP_TODO, "tests/test_top.py": LOOSE_TEST}, "a TODO")
        op = (await _ended(daemon, 1))[0]["op_id"]
        head = git(repo, "rev-parse", "HEAD").strip()
        client = ControlClient(daemon.state_dir / "control.sock")
        alone = await asyncio.to_thread(client.request, "accept", op, "", {"tests": True})
        assert alone["ok"] and alone["data"]["lands"] == "the kept test alone", alone
        refused = (await _ended(daemon, 2))[1]
        branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/ouroboros/")
        both = await asyncio.to_thread(client.request, "accept", op)
        landed = (await _ended(daemon, 3))[2]
        chain = await daemon.ledger.chain(refused["op_id"])
    why = chain["transitions"][-1]["reason"]
    assert refused["phase"] == "POSTMORTEM" and why.startswith(
        "the kept test fails on your HEAD without its change, so it cannot land alone "
        f"(`ouroboros accept {op}` lands it with the change)"), why
    assert branches.split() == [f"ouroboros/{op}", f"ouroboros/tests/{op}"]
    assert both["ok"] and landed["phase"] == "COMPLETE", landed
    assert git(repo, "rev-parse", "HEAD^").strip() == head
    assert git(repo, "show", f"HEAD:{KEPT_FILE}") == MISSING


# A kept test that holds on HEAD without the change too: it only forbids four of five.
NEVER_FOUR = ("from shop.top import top\n\n\n"
              "def test_top_never_keeps_four_of_five():\n"
              "    assert top([1, 2, 3, 4, 5]) != [1, 2, 3, 4]\n")


@pytest.mark.full  # 32 s of a 2-core suite; its parts are held in every run: the landing's
# own (test_accept_kept_test.py::test_the_kept_test_lands_alone), the review that says it
# landed and still waits (test_review_decision.py), the list's "checked now" (test_landed_tests)
async def test_a_kept_test_that_passes_without_its_change_lands_alone(short_tmp):
    """`accept OP --tests`: the check without the change. The test lands on HEAD, the review
    waits on, and its reason is stale: `review` lists it as checked now (re-checked from git:
    the kept test is on HEAD as it was kept), `review OP` says the test landed, a second
    `accept --tests` is refused, and `accept OP` lands the change alone, retiring both
    branches."""
    repo = commit_files(short_tmp / "repo", {"shop/__init__.py": "", "shop/top.py": TOP,
                                             "README.md": "# shop\n"})
    script = write_script(short_tmp / "script.jsonl", explore_turn("shop/top.py"),
                          candidate_turn("shop/top.py", TOP_DONE, "keep three"),
                          _missing_turn({"tests/test_never_four.py": NEVER_FOUR}))
    async with running_daemon(repo, settings_for(script)) as daemon:
        _commit(repo, {"shop/top.py": TOP_TODO, "tests/test_top.py": LOOSE_TEST}, "a TODO")
        first = (await _ended(daemon, 1))[0]
        op, head = first["op_id"], git(repo, "rev-parse", "HEAD").strip()
        assert first["phase"] == "PROPOSED", first
        client = ControlClient(daemon.state_dir / "control.sock")
        assert "cost:  a kept test decides it" in _listed(repo)
        alone = await asyncio.to_thread(client.request, "accept", op, "", {"tests": True})
        assert alone["ok"] and alone["data"]["queued"], alone
        landed = (await _ended(daemon, 2))[1]
        shown = await asyncio.to_thread(client.request, "review", op)
        listed = _listed(repo)
        again = await asyncio.to_thread(client.request, "accept", op, "", {"tests": True})
        branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/ouroboros/")
        test_commit = git(repo, "rev-parse", "HEAD").strip()
        change = await asyncio.to_thread(client.request, "accept", op)
        accepted = (await _ended(daemon, 3))[2]
    assert landed["phase"] == "COMPLETE", landed
    assert git(repo, "rev-parse", f"{test_commit}^").strip() == head
    assert git(repo, "show", "--name-only", "--format=", test_commit).split() == \
        ["tests/test_never_four.py"]
    # the change still waited, its test's branch kept as the record of the landing
    assert branches.split() == [f"ouroboros/{op}", f"ouroboros/tests/{op}"]
    decision = shown["data"]["review"]["decision"]
    assert decision["kept"] and decision["landed_alone"]["accept_op"] == landed["op_id"]
    assert "cost:  checked now: accept to land" in listed, listed
    assert not again["ok"] and "is on your branch already" in again["error"], again
    # accept lands the change alone: the test is there already
    assert change["ok"] and change["data"]["lands"] == \
        "the change (its kept test is on your branch already)", change
    assert accepted["phase"] == "COMPLETE", accepted
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["shop/top.py"]
    assert (repo / "shop" / "top.py").read_text() == TOP_DONE
    assert git(repo, "for-each-ref", "refs/heads/ouroboros/").strip() == ""


def _listed(repo) -> str:
    return subprocess.run([sys.executable, "-m", "daemon.cli", "review", "--repo", str(repo)],
                          capture_output=True, text=True).stdout
