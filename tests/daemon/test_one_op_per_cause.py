"""One op per cause, with a real daemon, real git and real pytest: a broken library function
fails nine tests (parametrisations of two tests and a third test) in the developer's own
runs; the daemon opens one op for them, whose fail-to-pass set is all nine, and proposes one
review. Further failing runs of the same cause, worded otherwise, join that review instead
of opening another."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.helpers import (
    candidate_turn,
    commit_files,
    explore_calls,
    git,
    running_daemon,
    settings_for,
    tool_call,
    wait_terminal,
    write_script,
)
from tests.sensors.test_failing_tests import _pytest

pytestmark = pytest.mark.slow

LIB = '''"""Ordinals, as a small inflection library does them."""


def ordinal(number):
    n = abs(int(number))
    if n % 100 in (11, 12):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def ordinalize(number):
    return f"{number}{ordinal(number)}"
'''
FIXED = LIB.replace("(11, 12)", "(11, 12, 13)")
TESTS = '''import pytest

import wordy
from wordy import ordinal


@pytest.mark.parametrize(("number", "suffix"), [(1, "st"), (13, "th"), (113, "th"),
                                                (213, "th"), (1013, "th")])
def test_ordinal(number, suffix):
    assert wordy.ordinal(number) == suffix


@pytest.mark.parametrize(("number", "expected"), [(2, "2nd"), (13, "13th"), (113, "113th"),
                                                  (213, "213th"), (1113, "1113th")])
def test_ordinalize(number, expected):
    assert wordy.ordinalize(number) == expected


def test_ordinal_thirteen():
    assert ordinal(13) == "th"
'''
FAILING = 9
EXPLORE = json.dumps({"purpose": "generate", "cost_usd": 0.0005, "text": "\n".join([
    explore_calls("tests/test_ordinal.py", "wordy/__init__.py"),
    tool_call("search_code", pattern="ordinal", path="wordy")])})
CANDIDATE = candidate_turn("wordy/__init__.py", FIXED, "13 is a teen too")


def reviews(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:short)",
               "refs/heads/ouroboros/op-*").split()


async def test_nine_failures_of_one_function_are_one_op_and_one_review(tmp_path, short_tmp):
    repo = commit_files(tmp_path / "repo", {"wordy/__init__.py": FIXED,
                                            "tests/test_ordinal.py": TESTS})
    script = write_script(short_tmp / "s.jsonl", *[EXPLORE, CANDIDATE] * 3)
    settings = settings_for(script, governance={"approval_globs": ["wordy/*"]})
    async with running_daemon(repo, settings) as daemon:
        (repo / "wordy/__init__.py").write_text(LIB)  # the human's breaking commit
        git(repo, "commit", "-qam", "ordinal: a shorter teen rule")
        for _ in range(2):
            run = await asyncio.to_thread(_pytest, repo)
            assert run.returncode == 1 and f"{FAILING} failed" in run.stdout, run.stdout
        [op] = await wait_terminal(daemon, timeout=120)
        assert op["phase"] == "PROPOSED", op
        assert daemon.ledger is not None
        chain = await daemon.ledger.chain(op["op_id"])
        evidence = chain["operation"]["envelope"]["evidence"]
        assert len(evidence["tests"]) == FAILING  # its fail-to-pass set: all nine
        proposed = chain["transitions"][-1]
        assert "proven (repair)" in proposed["reason"], proposed  # all nine pass with it
        [branch] = reviews(repo)
        body = git(repo, "log", "-1", "--format=%B", branch)
        assert "Cause: fn:wordy/__init__.py::ordinal" in body, body
        # The same cause fails a new test too (a new test id, another message): it joins
        # the review, which still stands (the human's commit left its file alone).
        with (repo / "tests/test_ordinal.py").open("a") as f:
            f.write("\n\ndef test_ordinalize_313():\n    assert wordy.ordinalize(313) == '313th'\n")
        git(repo, "commit", "-qam", "a test for 313")
        for _ in range(2):
            run = await asyncio.to_thread(_pytest, repo)
            assert f"{FAILING + 1} failed" in run.stdout, run.stdout
        found = await daemon.scan("test_failure")
        assert found.get("test_failure") == 0, found
        assert not daemon.ops and len(daemon.queue) == 0
        assert [o["op_id"] for o in await daemon.ledger.operations()] == [op["op_id"]]
    assert reviews(repo) == [branch]


# Two more tests of `ordinal`'s cause, committed while its op runs: its fix makes the first
# pass; the second fails with the fix too (a text is no number). That one reaches `ordinal`
# through a fixture, so the op's validation does not run it (its scope is the test files
# that import the changed module) and the op can land.
MORE = {"tests/test_more.py": '''from wordy import ordinalize


def test_ordinalize_313():
    assert ordinalize(313) == "313th"
''', "tests/test_text.py": '''def test_ordinal_of_a_text(words):
    assert words.ordinal("13th") == "th"
''', "tests/conftest.py": '''import importlib

import pytest


@pytest.fixture
def words():
    return importlib.import_module("wordy")
'''}
STILL = "tests/test_text.py::test_ordinal_of_a_text"


def _hold_generate(provider) -> tuple[asyncio.Event, asyncio.Event]:
    """The replay provider's first reply waits until the test lets it go: (entered, go)."""
    entered, go = asyncio.Event(), asyncio.Event()
    real = provider.generate

    async def held(prompt: str, **kwargs):
        entered.set()
        await go.wait()
        return await real(prompt, **kwargs)

    provider.generate = held
    return entered, go


async def test_failures_of_a_running_ops_cause_wait_for_it_and_are_settled_by_its_commit(
        tmp_path, short_tmp):
    repo = commit_files(tmp_path / "repo", {"wordy/__init__.py": FIXED,
                                            "tests/test_ordinal.py": TESTS})
    script = write_script(short_tmp / "s.jsonl", EXPLORE, CANDIDATE)
    # No suite profile is learnt while this test runs: with one, VALIDATE's scope is every
    # test that entered `ordinal` (test_text.py too, through its fixture), and a test of the
    # change's reach still failing after it is held against the change, as it should be.
    # Under load the learner's first poll (30 s) used to land mid-test and fail it.
    unprofiled = {"profile_poll_s": 3600.0}
    async with running_daemon(repo, settings_for(script, proof=unprofiled)) as daemon:
        entered, go = _hold_generate(daemon.provider)
        (repo / "wordy/__init__.py").write_text(LIB)
        git(repo, "commit", "-qam", "ordinal: a shorter teen rule")
        for _ in range(2):
            await asyncio.to_thread(_pytest, repo)
        await daemon.scan("test_failure")
        await asyncio.wait_for(entered.wait(), 120)  # the op for the nine runs, held
        [(op_key, handle)] = [(h.ctx.envelope.dedup_key, h) for h in daemon.ops.values()]
        op_id = handle.ctx.op_id
        for name, text in MORE.items():
            (repo / name).write_text(text)
        git(repo, "add", *MORE)
        git(repo, "commit", "-qm", "two more tests of ordinal")
        for _ in range(2):
            run = await asyncio.to_thread(_pytest, repo)
            assert f"{FAILING + 2} failed" in run.stdout, run.stdout
        await daemon.scan("test_failure")
        router = daemon.queue.router
        parked = router.parked[op_key]  # parked with the op, not dropped, not queued
        assert {"tests/test_more.py::test_ordinalize_313", STILL} <= set(
            parked.evidence["tests"])
        assert not router.queued
        go.set()
        done = await wait_terminal(daemon, count=2, timeout=240)
        first = next(o for o in done if o["op_id"] == op_id)
        chain = await daemon.ledger.chain(op_id)
        assert first["phase"] == "COMPLETE", [t["reason"][:300] for t in chain["transitions"]]
        notes = [t for t in chain["thoughts"] if t["msg"].startswith("fixed by this op")]
        assert [n["data"]["tests"] for n in notes] == [["tests/test_more.py::test_ordinalize_313"]]
        [second] = [o for o in done if o["op_id"] != op_id]
        evidence = (await daemon.ledger.chain(second["op_id"]))["operation"]["envelope"][
            "evidence"]
        assert evidence["tests"] == [STILL]
        assert evidence["after"] == op_id
