"""The eval card's missing tests (issue 45, item 5): the PROPOSED row's typed `missing_test`
(as governance.phases.missing_test_step writes it) read into a task's result, kept in the eval
ledger, and counted per brain: asked, proposed, kept, accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config.settings import load_settings
from daemon.eval import card as cards
from daemon.eval import kept_test, records
from daemon.eval import settings as eval_settings
from daemon.eval.page import page
from daemon.eval.records import Run, RunSpec
from daemon.eval.render import card_text, history_text
from daemon.eval.result import TaskResult, Verdict, missing_test_of
from daemon.eval.suite import Suite
from daemon.eval.task import Task
from governance.proof import missing_test_rules as tp
from tests.helpers import commit_files, git
from tools.jail import bwrap_available

CAUSE = tp.Cause(tp.CauseKind.SURVIVING_MUTANT, "shop/top.py", 2, "`3` to `4`")


def _row(verdict: tp.Verdict, **extra: object) -> dict:
    """A PROPOSED row's payload as APPROVE writes it."""
    tests = ("tests/test_top.py::test_three",) if verdict is tp.Verdict.KEPT else ()
    found = tp.ProposalVerdict(CAUSE, verdict, "why", ("tests/test_top.py",), tests).payload()
    return {"branch": "ouroboros/op-1", "commit": "abc",
            "missing_test": {**found, "seconds": 2.5, "other_causes": [], **extra}}


def _result(task: str, payload: dict, accepted: bool | None = None) -> TaskResult:
    found = missing_test_of(payload)
    if found is not None and accepted is not None:
        found = found.model_copy(update={"accepted": accepted})
    return TaskResult(task=task, kind="repair", date="2024-01-01",
                      verdict=Verdict.PROPOSED_CORRECT, missing_test=found)


RESULTS = [
    _result("a", _row(tp.Verdict.KEPT, branch="ouroboros/tests/op-1"), accepted=True),
    _result("b", _row(tp.Verdict.KEPT), accepted=False),
    _result("c", _row(tp.Verdict.KILLS_NOTHING)),
    _result("d", _row(tp.Verdict.TELLS_THE_CHECK)),
    _result("e", _row(tp.Verdict.NO_ANSWER)),
    _result("f", _row(tp.Verdict.UNUSABLE)),
    _result("g", {"branch": "ouroboros/op-2"}),  # nothing a test could decide: not asked
    TaskResult(task="h", kind="repair", date="2024-01-01", verdict=Verdict.RESOLVED),
]


def test_the_proposed_row_is_read_typed() -> None:
    kept = missing_test_of(_row(tp.Verdict.KEPT, branch="ouroboros/tests/op-1"))
    assert kept is not None and kept.kept and kept.proposed and kept.accepted is None
    assert (kept.cause, kept.at, kept.verdict) == (
        "surviving mutant", "shop/top.py:2 (`3` to `4`)", "kept")
    assert kept.branch == "ouroboros/tests/op-1" and kept.tests == [
        "tests/test_top.py::test_three"]
    silent = missing_test_of(_row(tp.Verdict.NO_ANSWER))
    assert silent is not None and not silent.proposed and not silent.kept
    assert missing_test_of({"branch": "ouroboros/op-2"}) is None
    assert missing_test_of({"missing_test": "text, not the typed field"}) is None


def test_the_card_counts_tests_proposed_kept_and_accepted() -> None:
    run = Run("ev-1", "2026-01-01T00:00:00", RunSpec(brain="kernel", kinds=["repair"]),
              {}, RESULTS)
    card = cards.build(run, [])
    assert card.missing_tests == {"asked": 6, "proposed": 4, "kept": 2, "accepted": 1}
    assert cards.Card.model_validate(card.model_dump(mode="json")).missing_tests == \
        card.missing_tests
    none = cards.build(Run("ev-2", "2026-01-01", RunSpec(brain="kernel", kinds=["repair"]),
                           {}, RESULTS[-2:]), [])
    assert none.missing_tests == {"asked": 0, "proposed": 0, "kept": 0, "accepted": 0}


def test_the_card_says_why_each_missing_test_was_not_kept() -> None:
    """0 kept alone cannot tell a brain that wrote no test from one whose tests cheat: the
    card counts the others by the step's verdict, the kept ones in none of them."""
    run = Run("ev-1", "2026-01-01T00:00:00", RunSpec(brain="kernel", kinds=["repair"]),
              {}, RESULTS)
    card = cards.build(run, [])
    assert card.missing_tests_not_kept == {
        "passes with the mutant switched on": 1, "fails the canary": 1, "no answer": 1,
        "unusable reply": 1}
    again = cards.Card.model_validate(card.model_dump(mode="json"))
    assert again.missing_tests_not_kept == card.missing_tests_not_kept
    assert ("; not kept: passes with the mutant switched on 1, fails the canary 1, "
            "no answer 1, unusable reply 1") in card_text(card)
    kept_only = cards.build(Run("ev-2", "2026-01-01", RunSpec(brain="kernel",
                                                              kinds=["repair"]), {},
                                RESULTS[:1]), [])
    assert kept_only.missing_tests_not_kept == {} and "not kept" not in card_text(kept_only)


def test_the_comparison_has_the_missing_tests_per_brain() -> None:
    runs = [Run("ev-1", "2026-01-01T00:00:00", RunSpec(brain="served", kinds=["repair"]),
                {}, RESULTS),
            Run("ev-2", "2026-01-01T00:00:00", RunSpec(brain="kernel", kinds=["repair"]),
                {}, RESULTS[-2:])]
    for run in runs:
        run.card = cards.build(run, []).model_dump(mode="json")
    head, _, served, kernel = history_text(runs).splitlines()
    at = head.index("tests p/k/a")
    assert served[at:at + len("tests p/k/a")].strip() == "4/2/1 of 6", (head, served)
    assert kernel[at:at + len("tests p/k/a")].strip() == "-", (head, kernel)


async def test_the_missing_test_is_kept_in_the_eval_ledger(tmp_path: Path) -> None:
    ledger = await records.open_ledger(tmp_path)
    try:
        spec = RunSpec(brain="kernel", kinds=["repair"], tasks=["a", "g"])
        run = await records.start(ledger, spec, {})
        for r in (RESULTS[0], RESULTS[6]):
            await records.record_task(ledger, run, r)
        [back] = await records.runs(ledger)
    finally:
        await ledger.close()
    assert back.results == [RESULTS[0], RESULTS[6]]
    assert back.results[0].missing_test is not None and back.results[0].missing_test.accepted
    assert back.results[1].missing_test is None


def test_the_card_says_the_missing_tests() -> None:
    run = Run("ev-1", "2026-01-01T00:00:00", RunSpec(brain="kernel", kinds=["repair"]),
              {}, RESULTS)
    text = card_text(cards.build(run, []))
    assert "missing tests" in text and "4 proposed / 2 kept / 1 accepted, of 6 asked for" \
        in text, text
    none = Run("ev-2", "2026-01-01", RunSpec(brain="kernel", kinds=["repair"]), {}, RESULTS[-2:])
    assert "none asked for" in card_text(cards.build(none, []))


BASE = {"calc/__init__.py": "", "calc/top.py": "def top(xs):\n    return xs\n",
        "tests/test_top.py": "from calc.top import top\n\n\ndef test_top():\n"
                             "    assert len(top([1, 2, 3, 4, 5])) <= 5\n"}
KEPT_TEST = "from calc.top import top\n\n\ndef test_top_three():\n" \
            "    assert top([1, 2, 3, 4, 5]) == [1, 2, 3]\n"


@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
@pytest.mark.parametrize(("brain_fix", "maintainer_fix", "want"), [
    ("xs[:3]", "xs[:3]", True),  # the kept test asks for what the maintainer wanted
    ("xs[:3]", "xs[:4]", False)])  # it asks for the brain's choice, not the maintainer's
async def test_a_kept_test_is_accepted_when_it_passes_on_the_maintainers_fix(
        tmp_path: Path, brain_fix: str, maintainer_fix: str, want: bool) -> None:
    repo = commit_files(tmp_path / "repo", BASE)
    parent = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "ouroboros/tests/op-1")
    (repo / "calc" / "top.py").write_text(f"def top(xs):\n    return {brain_fix}\n")
    (repo / "tests" / "test_top_three.py").write_text(KEPT_TEST)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the change, then its kept test")
    task = Task(id=parent[:12], sha=parent, parent=parent, date="2024-01-01", subject="top",
                message="top three", tests={},
                fix={"calc/top.py": f"def top(xs):\n    return {maintainer_fix}\n"},
                fail_to_pass=["tests/test_top.py::test_top"], pass_to_pass=[], runs=2,
                suite_s=1.0)
    found = missing_test_of(_row(tp.Verdict.KEPT, branch="ouroboros/tests/op-1"))
    assert found is not None
    found = found.model_copy(update={"tests": ["tests/test_top_three.py::test_top_three"]})
    settings = eval_settings.for_brain(load_settings(repo), "replay:fix", None)
    suite = Suite(settings, tmp_path / "state", None, 120.0)
    assert await kept_test.accepted(suite, task, repo, tmp_path / "work", found) is want
    refused = missing_test_of(_row(tp.Verdict.KILLS_NOTHING))
    assert refused is not None
    assert await kept_test.accepted(suite, task, repo, tmp_path / "work", refused) is None


def test_the_page_says_the_missing_tests() -> None:
    run = Run("ev-1", "2026-01-01T00:00:00", RunSpec(brain="kernel", kinds=["repair"]),
              {}, RESULTS)
    assert "4 proposed / 2 kept / 1 accepted" in page(cards.build(run, []), [run])
