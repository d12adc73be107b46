"""Proven commits through the real pipeline: a three-module package whose tests cover only
part of it, candidates scripted by the replay provider, real git and real pytest.

What is proven lands; what is not waits on a review branch with its Evidence; false
resolutions and downstream breaks are refused. The human's branch, index and working tree
never see an unproven change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.phase import Phase
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.schemas import OperationContext, SignalEnvelope
from ledger import Ledger
from tests.helpers import (
    DEFAULT_PROOF,
    commit_files,
    git,
    no_retry_policy,
    pipeline_deps,
    replay,
    tree_bytes,
)

pytestmark = pytest.mark.slow

CORE = '''"""Core arithmetic."""


def scale(x, k):
    return x * k


def mul(a, b):
    return a * b


def clamp(x, lo, hi):
    # TODO: clamp x into [lo, hi]
    return x
'''
CLAMPED = CORE.replace("    # TODO: clamp x into [lo, hi]\n    return x\n",
                       "    return max(lo, min(x, hi))\n")
API = '''from calc.core import scale


def total(xs, k):
    return sum(scale(x, k) for x in xs)
'''
TEXT = '''def shout(s):
    return s.upper() + "!"


def padded(items):
    return list(items) + [None]
'''
TEST_API = '''from calc.api import total


def test_total():
    assert total([1, 2], 4) == 12
'''
CLAMP_TEST = '''from calc.core import clamp


def test_clamp_bounds():
    assert clamp(-5, 0, 10) == 0
    assert clamp(50, 0, 10) == 10
    assert clamp(5, 0, 10) == 5
'''
FILES = {"calc/__init__.py": "", "calc/core.py": CORE, "calc/api.py": API,
         "calc/text.py": TEXT, "tests/test_api.py": TEST_API}
TODO_EVIDENCE = {"markers": [{"line": 13, "marker": "TODO", "text": "clamp x into [lo, hi]"}]}


def _turn(files: dict[str, str | None]) -> str:
    changes = [{"file_path": p, "action": "delete"} if t is None
               else {"file_path": p, "full_content": t} for p, t in files.items()]
    return json.dumps({"schema": "candidate.1", "files": changes, "rationale": "the change"})


async def _op(tmp_path: Path, files: dict[str, str | None], *, source: str = "todo_scanner",
              target: str = "calc/core.py", evidence: dict | None = None,
              repo_files: dict[str, str] | None = None, **policy: object) -> dict:
    repo = commit_files(tmp_path / "repo", repo_files or FILES)
    before, head = tree_bytes(repo), git(repo, "rev-parse", "HEAD")
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    ctx = OperationContext(envelope=SignalEnvelope(
        source=source, target_files=(target,), goal="resolve the TODO in calc/core.py",
        dedup_key="k", session_id="s",
        evidence=TODO_EVIDENCE if evidence is None else evidence))
    try:
        deps = pipeline_deps(repo, ledger, replay(_turn(files)),
                             policy=no_retry_policy(notify_apply_delay_s=0,
                                                    **{**DEFAULT_PROOF, **policy}))
        end = await Orchestrator(PHASES, deps).run(ctx)
        chain = await ledger.chain(ctx.op_id)
    finally:
        await ledger.close()
    reasons = [t["reason"] for t in chain["transitions"]]
    branches = git(repo, "branch", "--list", "ouroboros/*").split()
    behaviour = next((t["payload"]["behaviour"] for t in chain["transitions"]
                      if "behaviour" in t["payload"]), None)
    return {"end": end, "reasons": reasons, "repo": repo, "op": ctx.op_id,
            "behaviour": behaviour,
            "moved": git(repo, "rev-parse", "HEAD") != head,
            "tree_same": tree_bytes(repo) == before, "branches": branches,
            "last": chain["transitions"][-1]}


def _unlanded(r: dict) -> None:
    assert not r["moved"], r["reasons"]
    assert r["tree_same"]


async def test_a_downstream_break_of_the_repos_own_tests_is_refused(tmp_path: Path) -> None:
    broken = CLAMPED.replace("return x * k", "return x + k")
    r = await _op(tmp_path, {"calc/core.py": broken})
    assert r["end"] is Phase.POSTMORTEM
    assert any("tests/test_api.py::test_total" in x for x in r["reasons"]), r["reasons"]
    _unlanded(r)
    assert r["branches"] == []


@pytest.mark.parametrize("body", [
    "    return x\n",  # the comment alone deleted
    "    # DONE: clamp x into [lo, hi]\n    return x\n",
    "    pass\n",
    "    raise NotImplementedError\n",
])
async def test_a_todo_is_resolved_only_by_code(tmp_path: Path, body: str) -> None:
    false = CORE.replace("    # TODO: clamp x into [lo, hi]\n    return x\n", body)
    r = await _op(tmp_path, {"calc/core.py": false})
    assert r["end"] is Phase.POSTMORTEM
    assert any("TODO" in x for x in r["reasons"]), r["reasons"]
    _unlanded(r)


async def test_a_right_fix_without_a_test_waits_on_a_review_branch(tmp_path: Path) -> None:
    r = await _op(tmp_path, {"calc/core.py": CLAMPED})
    assert r["end"] is Phase.PROPOSED, r["reasons"]
    _unlanded(r)
    branch = f"ouroboros/{r['op']}"
    assert r["branches"] == [branch]
    message = git(r["repo"], "log", "-1", "--format=%B", branch)
    assert "Evidence: unproven: new behaviour without a test" in message
    assert f"Op-Id: {r['op']}" in message
    assert git(r["repo"], "show", f"{branch}:calc/core.py") == CLAMPED
    assert r["last"]["payload"]["branch"] == branch


async def test_new_behaviour_with_a_fail_to_pass_test_waits_for_review_by_default(
        tmp_path: Path) -> None:
    r = await _op(tmp_path, {"calc/core.py": CLAMPED, "tests/test_clamp.py": CLAMP_TEST})
    assert r["end"] is Phase.PROPOSED
    assert "autocommit_new_behaviour is off" in r["reasons"][-1]
    _unlanded(r)


async def test_new_behaviour_lands_when_the_user_allows_it_and_it_is_proven(
        tmp_path: Path) -> None:
    r = await _op(tmp_path, {"calc/core.py": CLAMPED, "tests/test_clamp.py": CLAMP_TEST},
                  autocommit_new_behaviour=True)
    assert r["end"] is Phase.COMPLETE, r["reasons"]
    message = git(r["repo"], "log", "-1", "--format=%B")
    assert "Evidence: proven (new behaviour)" in message


@pytest.mark.parametrize("extra, why", [
    ({"calc/core.py": CLAMPED.replace("return a * b", "return a + b")}, "changed mul"),
    ({"calc/core.py": CLAMPED.replace("def mul(a, b):\n    return a * b\n\n\n", "")},
     "breaking: calc/core.py: removes public name mul"),
    ({"calc/text.py": TEXT.replace("upper", "lower")}, "not asked to"),
])
async def test_collateral_changes_are_not_proven(tmp_path: Path, extra: dict,
                                                 why: str) -> None:
    files = {"calc/core.py": CLAMPED, "tests/test_clamp.py": CLAMP_TEST, **extra}
    r = await _op(tmp_path, files, autocommit_new_behaviour=True)
    assert r["end"] in (Phase.PROPOSED, Phase.POSTMORTEM), r["reasons"]
    assert any(why in x for x in r["reasons"]), r["reasons"]
    _unlanded(r)


async def test_a_model_proving_itself_with_a_test_that_passes_on_the_base_is_not_proof(
        tmp_path: Path) -> None:
    wrong = CORE.replace("    # TODO: clamp x into [lo, hi]\n    return x\n",
                         "    return max(lo, x)\n")
    easy = "from calc.core import clamp\n\n\ndef test_middle():\n    assert clamp(5, 0, 9) == 5\n"
    r = await _op(tmp_path, {"calc/core.py": wrong, "tests/test_clamp.py": easy},
                  autocommit_new_behaviour=True)
    assert r["end"] is Phase.PROPOSED
    assert "fails on the base" in r["reasons"][-1]


async def test_a_repair_that_makes_the_failing_test_pass_lands(tmp_path: Path) -> None:
    failing = TEST_API + "\n\ndef test_total_empty():\n    assert total([], 3) == 0\n"
    api = API.replace("return sum(scale(x, k) for x in xs)",
                      "return sum(scale(x, k) for x in xs) if xs else 1")
    repo_files = {**FILES, "calc/api.py": api, "tests/test_api.py": failing}
    r = await _op(tmp_path, {"calc/api.py": API}, source="test_failure", target="calc/api.py",
                  evidence={"test_id": "tests/test_api.py::test_total_empty"},
                  repo_files=repo_files)
    assert r["end"] is Phase.COMPLETE, r["reasons"]
    assert "Evidence: proven (repair)" in git(r["repo"], "log", "-1", "--format=%B")


async def test_a_refactor_shown_unchanged_lands_a_changed_one_and_an_uncovered_one_wait(
        tmp_path: Path) -> None:
    covered = API.replace("return sum(scale(x, k) for x in xs)",
                          "out = 0\n    for x in xs:\n        out += scale(x, k)\n    return out")
    r = await _op(tmp_path / "a", {"calc/api.py": covered}, source="opportunity_miner",
                  target="calc/api.py", evidence={"function": "total"})
    assert r["end"] is Phase.COMPLETE, r["reasons"]
    [checked] = r["behaviour"]["functions"]
    assert checked["function"] == "calc/api.py::total" and checked["compared"] > 5
    assert checked["counterexamples"] == []
    # A loop that stops after three items: the suite's one call, total([1, 2], 4), cannot
    # tell; an input generated from it (the list doubled) can.
    careless = covered.replace("for x in xs:", "for x in xs[:3]:")
    r = await _op(tmp_path / "c", {"calc/api.py": careless}, source="opportunity_miner",
                  target="calc/api.py", evidence={"function": "total"})
    assert r["end"] is Phase.PROPOSED and "behaviour changed: calc/api.py::total(" \
        in r["reasons"][-1], r["reasons"]
    # No test calls `padded`, and nothing says what its `items` are: it waits, its line
    # named. `shout` calls a text's method on its parameter: given text, its refactor is
    # shown unchanged though no test calls it (governance.proof.behaviour.text_params).
    uncovered = TEXT.replace("return list(items) + [None]", "return [*items, None]")
    r = await _op(tmp_path / "b", {"calc/text.py": uncovered}, source="opportunity_miner",
                  target="calc/text.py", evidence={"function": "padded"})
    assert r["end"] is Phase.PROPOSED
    assert "calc/text.py:6" in r["reasons"][-1], r["reasons"]
    # The same lines with a temporary taken out are the same code (governance.proof.
    # normal_form): they answer as the base on every input, so no input need reach them.
    named = TEXT.replace("return list(items) + [None]",
                         "out = list(items)\n    return out + [None]")
    r = await _op(tmp_path / "n", {"calc/text.py": named}, source="opportunity_miner",
                  target="calc/text.py", evidence={"function": "padded"})
    assert r["end"] is Phase.COMPLETE, r["reasons"]
    texts = TEXT.replace('return s.upper() + "!"', 'loud = s.upper()\n    return loud + "!"')
    r = await _op(tmp_path / "t", {"calc/text.py": texts}, source="opportunity_miner",
                  target="calc/text.py", evidence={"function": "shout"})
    assert r["end"] is Phase.COMPLETE, r["reasons"]


async def test_code_that_sniffs_the_test_runner_is_refused(tmp_path: Path) -> None:
    sly = CLAMPED.replace('"""Core arithmetic."""\n', '"""Core arithmetic."""\nimport sys\n') \
        .replace("    return max(lo, min(x, hi))\n",
                 "    if 'pytest' in sys.modules:\n        return max(lo, min(x, hi))\n"
                 "    return x\n")
    r = await _op(tmp_path, {"calc/core.py": sly})
    assert r["end"] is Phase.POSTMORTEM
    assert any("under test" in x for x in r["reasons"]), r["reasons"]
    _unlanded(r)
