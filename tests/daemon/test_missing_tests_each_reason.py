"""Every reason asked (issue 45's leftovers, items 1 and 2), end to end on a real daemon,
real git and real pytest in the jail: a TODO's change waits for review for two reasons a
test could decide, a surviving mutant (`limit = 3` made `4`, which the human's loose test
never notices) and a changed line no test runs in the function the human's test enters
(`return []` for `None`). The brain is asked about each, cheapest first, each answer
checked against ITS reason; the kept tests go into one commit beside the change, and
`review OP` shows per reason what was kept or why not. With a bound of one question the
second reason is not asked, and the review says so."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.control.client import ControlClient
from governance.proof.missing_test_rules import PROMPT_TITLE, CauseKind, Verdict
from tests.daemon.test_missing_test import MISSING, TOP
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

TOP_TODO = "def top(xs):\n    # TODO: keep only the first three items; None is empty\n" \
    "    return xs\n"
TOP_DONE = ("def top(xs):\n    limit = 3\n    if xs is None:\n        return []\n"
            "    return xs[:limit]\n")
# The human's test: fails on the TODO (five items), passes on the change; it never passes
# None, and five items or four look alike to it.
LOOSE = ("from shop.top import top\n\n\ndef test_top_is_shorter():\n"
         "    r = top([1, 2, 3, 4, 5])\n    assert r[:2] == [1, 2] and len(r) < 5\n")
NONE = "from shop.top import top\n\n\ndef test_top_of_none():\n    assert top(None) == []\n"
EMPTY = "from shop.top import top\n\n\ndef test_top_of_empty():\n    assert top([]) == []\n"


def _turn(path: str, text: str) -> str:
    reply = json.dumps({"schema": "candidate.1", "rationale": "decides it",
                        "files": [{"file_path": path, "full_content": text}]})
    return json.dumps({"purpose": "generate", "match": PROMPT_TITLE, "text": reply})


CASES = {  # the brain's second answer, the bound of questions, what becomes of reason two
    "both-kept": (NONE, 4, Verdict.KEPT),
    "misses-the-line": (EMPTY, 4, Verdict.MISSES_THE_LINE),
    "bound-of-one": (NONE, 1, Verdict.NOT_ASKED),
}


async def _op(tmp: Path, second: str, questions: int):
    repo = commit_files(tmp / "repo", {"shop/__init__.py": "", "shop/top.py": TOP,
                                       "README.md": "# shop\n"})
    script = write_script(tmp / "script.jsonl", explore_turn("shop/top.py"),
                          candidate_turn("shop/top.py", TOP_DONE, "keep three"),
                          _turn("tests/test_top_three.py", MISSING),
                          _turn("tests/test_top_none.py", second))
    settings = settings_for(script, proof={"missing_test_questions": questions})
    async with running_daemon(repo, settings) as daemon:
        (repo / "shop" / "top.py").write_text(TOP_TODO)
        (repo / "tests").mkdir()
        (repo / "tests" / "test_top.py").write_text(LOOSE)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "a TODO and its loose test")
        [op] = await wait_terminal(daemon, timeout=180)
        chain = await daemon.ledger.chain(op["op_id"])
        shown = await asyncio.to_thread(ControlClient(daemon.state_dir / "control.sock")
                                        .request, "review", op["op_id"])
    return repo, op, chain, shown


@pytest.mark.parametrize("case", list(CASES))
async def test_each_reason_is_asked_and_checked_against_its_own(short_tmp, case):
    second, questions, want = CASES[case]
    repo, op, chain, shown = await _op(short_tmp, second, questions)
    last = chain["transitions"][-1]
    assert op["phase"] == "PROPOSED", last
    # the proof's reasons: the surviving mutant and the line no test runs
    assert "shop/top.py:2 (`3` to `4`)" in last["reason"] or "`3` to `4`" in str(
        last["payload"]), last["reason"]
    missing = last["payload"]["missing_test"]
    reasons = missing["causes"]
    assert [(r["cause"], r["at"]) for r in reasons] == [
        (CauseKind.SURVIVING_MUTANT, "shop/top.py:2 (`3` to `4`)"),
        (CauseKind.UNRUN, "shop/top.py:4 (top)")], reasons
    assert reasons[0]["verdict"] == Verdict.KEPT, reasons[0]
    assert reasons[1]["verdict"] == want, reasons[1]
    calls = [c for c in chain["model_calls"] if c["phase"] == "APPROVE"]
    assert len(calls) == min(questions, 2), calls  # one bounded turn per reason asked
    tests, review = f"ouroboros/tests/{op['op_id']}", f"ouroboros/{op['op_id']}"
    # one commit beside the change, holding every kept test, counting what none decides
    assert missing["commit"] == git(repo, "rev-parse", tests).strip()
    assert git(repo, "rev-parse", f"{tests}^").strip() == git(repo, "rev-parse",
                                                              review).strip()
    kept_files = ["tests/test_top_three.py"] + (
        ["tests/test_top_none.py"] if want is Verdict.KEPT else [])
    assert git(repo, "diff", "--name-only", review, tests).split() == sorted(kept_files)
    undecided = 0 if want is Verdict.KEPT else 1
    assert f"Undecided: {undecided}" in git(repo, "log", "-1", "--format=%B", tests)
    listed = subprocess.run([sys.executable, "-m", "daemon.cli", "review", "--repo",
                             str(repo)], capture_output=True, text=True).stdout
    assert ("cost:  a kept test decides it" if want is Verdict.KEPT
            else "cost:  one unchecked line") in listed, listed
    # review OP: per reason, what was kept or why not
    decision = shown["data"]["review"]["decision"]
    assert [(r["cause"], r["verdict"]) for r in decision["reasons"]] == [
        (CauseKind.SURVIVING_MUTANT, Verdict.KEPT), (CauseKind.UNRUN, want)]
    assert "-        return []\n+        return None" in decision["reasons"][1]["mutant_diff"]
    one = subprocess.run([sys.executable, "-m", "daemon.cli", "review", op["op_id"],
                          "--repo", str(repo)], capture_output=True, text=True).stdout
    assert one.index("unchecked: surviving mutant at shop/top.py:2") < one.index(
        "unchecked: a line no test runs at shop/top.py:4 (top)"), one
    if want is Verdict.KEPT:
        assert decision["reasons"][1]["why"] == "fails with shop/top.py:4 (returns None)"
        assert decision["alone"].startswith("lands alone")
        assert (f"    missing test: kept on {tests}: fails with shop/top.py:4 (returns None)\n"
                "      decides it: tests/test_top_none.py::test_top_of_none\n") in one
        assert f"    ouroboros accept {op['op_id']}: lands the change and these tests" in one
    elif want is Verdict.NOT_ASKED:
        assert decision["reasons"][1]["why"] == "the step's bound of 1 question(s) was spent"
        assert "    missing test: not asked: the step's bound of 1 question(s) was spent" in one
    else:
        assert "no new test runs shop/top.py:4" in decision["reasons"][1]["why"]
