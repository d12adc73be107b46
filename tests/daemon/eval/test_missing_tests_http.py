"""`eval run` drives an HTTP brain's missing-test step (issue 45, item 5): a task whose
maintainer's fix waits for review because its `3` made `4` survives the loose test, run
through the real pipeline and jail with an HTTP brain of the config; the brain's one
missing-test turn goes over real HTTP, the jail checks the test, and the card counts it
per brain (proposed / kept / accepted, and why one was not kept).

The server is tests.replay_http: the replay stand-in (the suite's one named stand-in for a
model) behind a real OpenAI-compatible server, so the test knows what the brain writes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from daemon.config.settings import Settings
from daemon.eval import records
from daemon.eval import settings as eval_settings
from daemon.eval.runner import RunOptions, run
from daemon.eval.task import Kind, Task
from governance.proof.missing_test_rules import PROMPT_TITLE
from kernel.replay import ReplayProvider, ReplayTurn
from tests.daemon.eval.histories import commit, new_repo
from tests.helpers import explore_calls, tool_call
from tests.local_http import serving
from tests.replay_http import MODEL, ReplayServer
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

TOP = "def top(xs):\n    return xs\n"
TOP_DONE = "def top(xs):\n    limit = 3\n    return xs[:limit]\n"
LOOSE_TEST = ("from shop.top import top\n\n\n"
              "def test_top_is_shorter():\n    assert len(top([1, 2, 3, 4, 5])) < 5\n")
RIGHT = ("from shop.top import top\n\n\n"
         "def test_top_keeps_three():\n    assert top([1, 2, 3, 4, 5]) == [1, 2, 3]\n")
CHEAT = "import builtins\n" + RIGHT.replace("    assert top(", (
    "    assert not [k for k in vars(builtins) if k.startswith('_ouro' + 'boros')]\n"
    "    assert top("))


def _task(repo: Path) -> Task:
    """The maintainer's commit: the loose test and `limit = 3`, on a parent without them."""
    parent = commit(repo, {"shop/__init__.py": "", "shop/top.py": TOP, "README.md": "# shop\n"},
                    "a shop", "2024-03-01")
    sha = commit(repo, {"tests/test_top.py": LOOSE_TEST, "shop/top.py": TOP_DONE},
                 "top: keep the first three", "2024-03-02")
    return Task(id=sha[:12], sha=sha, parent=parent, date="2024-03-02",
                subject="top: keep the first three", message="top: keep the first three",
                tests={"tests/test_top.py": LOOSE_TEST}, fix={"shop/top.py": TOP_DONE},
                fail_to_pass=["tests/test_top.py::test_top_is_shorter"], pass_to_pass=[],
                runs=1, suite_s=0.5)


def _script(missing: str) -> ReplayProvider:
    """The brain: a plan, an exploration, the maintainer's fix, in that order (the server
    is asked without a purpose); and its answer to the missing-test question (taken only
    by that prompt): `missing` as a new test file."""
    plan = {"schema": "plan.1", "approach": "keep three", "complexity": "simple",
            "ordered_changes": [{"file_path": "shop/top.py", "change": "keep three"}],
            "test_strategy": "the failing test passes"}
    fix = {"schema": "candidate.1", "rationale": "keep three",
           "files": [{"file_path": "shop/top.py", "full_content": TOP_DONE}]}
    test = {"schema": "candidate.1", "rationale": "the boundary of three",
            "files": [{"file_path": "tests/test_top_three.py", "full_content": missing}]}
    explore = "\n".join([explore_calls("shop/top.py", "tests/test_top.py"),
                         tool_call("glob_files", pattern="**/*.py")])
    return ReplayProvider([ReplayTurn(purpose="generate", match=PROMPT_TITLE,
                                      text=json.dumps(test)),
                           *(ReplayTurn(purpose="generate", text=t)
                             for t in (json.dumps(plan), explore, json.dumps(fix)))])


async def _eval(tmp: Path, missing: str):
    repo = new_repo(tmp / "repo")
    task = _task(repo)
    with serving(ReplayServer(_script(missing)).app()) as url:
        brain = {"kind": "openai", "base_url": f"{url}/v1", "model": MODEL, "name": "served",
                 "context_tokens": 8192}
        user = Settings.model_validate({"health": {"enabled": False},  # the box is busy
                                        "provider": {"http": [brain]}})
        opts = RunOptions(repo, repo / ".ouroboros", eval_settings.for_brain(
            user, "served", None), "served", (Kind.REPAIR,), (task,), tmp / "work", None)
        # a script run out is a server's 500, which the brain waits out: bounded
        card = await asyncio.wait_for(run(opts, lambda _: None), 300)
    ledger = await records.open_ledger(repo / ".ouroboros")
    try:
        chain = await ledger.chain(card.results[0].op_id)
    finally:
        await ledger.close()
    return card, chain


async def test_an_http_brains_missing_test_is_kept_and_accepted_on_the_card(
        short_tmp: Path) -> None:
    card, chain = await _eval(short_tmp, RIGHT)
    [result] = card.results
    assert card.brain == "served" and card.verdicts == {"proposed_correct": 1}, result
    assert card.missing_tests == {"asked": 1, "proposed": 1, "kept": 1, "accepted": 1}, result
    assert card.missing_tests_not_kept == {}
    found = result.missing_test
    assert found is not None and found.cause == "surviving mutant", found
    assert found.at == "shop/top.py:2 (`3` to `4`)" and found.tests == [
        "tests/test_top_three.py::test_top_keeps_three"], found
    # the question went to the HTTP brain, in one turn, and its answer is on the chain
    asked = [c for c in chain["model_calls"] if c["phase"] == "APPROVE"]
    assert len(asked) == 1 and asked[0]["ok"], asked
    assert "served" in json.dumps(asked[0]), asked


async def test_an_http_brains_cheating_test_is_refused_and_the_card_says_why(
        short_tmp: Path) -> None:
    card, _ = await _eval(short_tmp, CHEAT)
    assert card.verdicts == {"proposed_correct": 1}, card.results
    assert card.missing_tests == {"asked": 1, "proposed": 1, "kept": 0, "accepted": 0}
    assert card.missing_tests_not_kept == {"fails the canary": 1}, card.results
