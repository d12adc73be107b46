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
from tests.sensors.test_test_failure import _pytest

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
