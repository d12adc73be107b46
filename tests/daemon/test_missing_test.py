"""The missing test end to end (issue 45, items 1 and 2): a real daemon on a real git repo
notices a TODO the human committed with a loose test, the replay stand-in writes a change
whose new line no test checks, and the op waits for review; the brain's one missing-test
turn writes the test that kills the surviving mutant, the jail checks it, and it is kept as
a commit of its own beside the change, while the human's branch never moves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from governance.proof.missing_test_rules import PROMPT_TITLE, CauseKind, Verdict
from tests.helpers import (
    candidate_turn,
    commit_files,
    explore_turn,
    git,
    running_daemon,
    settings_for,
    tree_bytes,
    wait_terminal,
    write_script,
)
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

TOP = "def top(xs):\n    return xs\n"
TOP_TODO = "def top(xs):\n    # TODO: keep only the first three items\n    return xs\n"
TOP_DONE = "def top(xs):\n    limit = 3\n    return xs[:limit]\n"
LOOSE_TEST = ("from shop.top import top\n\n\n"
              "def test_top_is_shorter():\n    assert len(top([1, 2, 3, 4, 5])) < 5\n")
MISSING = ("from shop.top import top\n\n\n"
           "def test_top_keeps_three():\n    assert top([1, 2, 3, 4, 5]) == [1, 2, 3]\n")


def _missing_turn(files: dict[str, str]) -> str:
    """The brain's answer to the missing-test question (taken only by that prompt)."""
    text = json.dumps({"schema": "candidate.1", "rationale": "the boundary of three",
                       "files": [{"file_path": p, "full_content": t} for p, t in files.items()]})
    return json.dumps({"purpose": "generate", "match": PROMPT_TITLE, "text": text})


async def _op(tmp: Path, missing: dict[str, str]):
    """Serve a repo, commit a TODO with its loose test, and wait for the one op to end;
    the brain's missing test is `missing`. The repo, the op, its chain, HEAD and the tree
    as they were once the TODO was committed."""
    repo = commit_files(tmp / "repo", {"shop/__init__.py": "", "shop/top.py": TOP,
                                       "README.md": "# shop\n"})
    script = write_script(tmp / "script.jsonl", explore_turn("shop/top.py"),
                          candidate_turn("shop/top.py", TOP_DONE, "keep three"),
                          _missing_turn(missing))
    async with running_daemon(repo, settings_for(script)) as daemon:
        (repo / "shop" / "top.py").write_text(TOP_TODO)
        (repo / "tests").mkdir()
        (repo / "tests" / "test_top.py").write_text(LOOSE_TEST)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "a TODO and its loose test")
        head, before = git(repo, "rev-parse", "HEAD").strip(), tree_bytes(repo)
        [op] = await wait_terminal(daemon, timeout=120)
        chain = await daemon.ledger.chain(op["op_id"])
    return repo, op, chain, head, before


def _review_list(repo: Path) -> str:
    listed = subprocess.run([sys.executable, "-m", "daemon.cli", "review", "--repo",
                             str(repo)], capture_output=True, text=True)
    assert listed.stdout.startswith("1 change waits for review"), listed
    return listed.stdout


async def test_an_unchecked_line_gets_its_missing_test_beside_the_change(short_tmp):
    repo, op, chain, head, before = await _op(short_tmp, {"tests/test_top_three.py": MISSING})
    last = chain["transitions"][-1]
    assert op["phase"] == "PROPOSED", last
    missing = last["payload"]["missing_test"]
    assert missing["verdict"] == Verdict.KEPT and missing["kept"], missing
    assert missing["cause"] == CauseKind.SURVIVING_MUTANT
    assert missing["at"] == "shop/top.py:2 (`3` to `4`)"
    assert missing["tests"] == ["tests/test_top_three.py::test_top_keeps_three"]
    review, tests = f"ouroboros/{op['op_id']}", f"ouroboros/tests/{op['op_id']}"
    assert missing["branch"] == tests and missing["commit"] == git(
        repo, "rev-parse", tests).strip()
    # beside the change: one commit on the review commit, holding the test alone
    assert git(repo, "rev-parse", f"{tests}^").strip() == last["payload"]["commit"] == git(
        repo, "rev-parse", review).strip()
    assert git(repo, "diff", "--name-only", review, tests).split() == \
        ["tests/test_top_three.py"]
    assert git(repo, "show", f"{tests}:tests/test_top_three.py") == MISSING
    assert f"Op-Id: {op['op_id']}" in git(repo, "log", "-1", "--format=%B", tests)
    # the human's branch and tree never moved; `review` lists the change once
    assert git(repo, "rev-parse", "HEAD").strip() == head and tree_bytes(repo) == before
    listed = _review_list(repo)
    # what deciding it costs: an unchecked line when made, tested once its test was kept
    assert "Review-Cost: unchecked" in git(repo, "log", "-1", "--format=%B", review)
    assert "cost:  a kept test decides it" in listed, listed
    thoughts = [t["msg"] for t in chain["thoughts"]]
    assert "missing test kept" in thoughts, thoughts
    calls = [c for c in chain["model_calls"] if c["phase"] == "APPROVE"]
    assert len(calls) == 1, calls  # one bounded turn



CHEAT = "import builtins\n" + MISSING.replace("    assert top(", (
    "    assert not [k for k in vars(builtins) if k.startswith('_ouro' + 'boros')]\n"
    "    assert top("))


async def test_a_test_that_tells_the_check_from_a_run_is_refused_and_the_review_says_so(
        short_tmp):
    repo, op, chain, head, before = await _op(short_tmp, {"tests/test_top_three.py": CHEAT})
    last = chain["transitions"][-1]
    assert op["phase"] == "PROPOSED", last
    missing = last["payload"]["missing_test"]
    assert missing["verdict"] == Verdict.TELLS_THE_CHECK and not missing["kept"], missing
    assert "failed with no mutant switched on" in missing["why"]
    assert "commit" not in missing and "branch" not in missing
    refused = [t for t in chain["thoughts"] if t["msg"] == "missing test refused"]
    assert [t["data"]["verdict"] for t in refused] == [Verdict.TELLS_THE_CHECK]
    assert git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/ouroboros/"
               ).split() == [f"ouroboros/{op['op_id']}"]  # no test kept beside it
    assert git(repo, "rev-parse", "HEAD").strip() == head and tree_bytes(repo) == before
    assert "cost:  one unchecked line" in _review_list(repo)
