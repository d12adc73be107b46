"""daemon.eval.card, render and page: the card's numbers from task results, friction from
the newest replay:fix run on the same tasks, the date split, and what is printed."""

from __future__ import annotations

from daemon.eval import card as cards
from daemon.eval.page import page
from daemon.eval.records import Run, RunSpec
from daemon.eval.render import card_text, history_text, tasks_text
from daemon.eval.result import TaskResult, Verdict, reason_class


def result(task: str, verdict: Verdict, date: str = "2024-01-01", **extra: object) -> TaskResult:
    return TaskResult(task=task, kind="repair", date=date, verdict=verdict, **extra)


def a_run(brain: str, results: list[TaskResult], run_id: str = "ev-1") -> Run:
    return Run(run_id, "2026-01-01T00:00:00", RunSpec(brain=brain, kinds=["repair"]),
               {"tree": "abc1234", "machine": "a CPU"}, results)


BRAIN = [result("a", Verdict.RESOLVED, cost_usd=0.02, prompt_tokens=900,
                completion_tokens=100, wall_s=30.0),
         result("b", Verdict.FALSE_PROVEN, "2025-02-01", cost_usd=0.01, wall_s=20.0),
         result("c", Verdict.PROPOSED_CORRECT, "2025-03-01", cost_usd=0.02,
                prompt_tokens=1000, wall_s=50.0),
         result("d", Verdict.POSTMORTEM, reason_class="tests failed", deadline_misses=2,
                wall_s=10.0),
         result("e", Verdict.POSTMORTEM, reason_class="tests failed", wall_s=10.0)]
FIX = [result(t, Verdict.RESOLVED) for t in "abce"] + [
    result("d", Verdict.PROPOSED_CORRECT, reason="waits for review")]


def test_the_card_sums_the_results() -> None:
    fix_run = a_run(cards.FIX_BRAIN, FIX, "ev-fix")
    card = cards.build(a_run("kernel", BRAIN), [fix_run], cutoff="2025-01-01")
    assert card.tasks == 5 and card.correct == 2
    assert card.verdicts == {"resolved": 1, "false_proven": 1, "proposed_correct": 1,
                             "postmortem": 2}
    assert card.postmortem_reasons == {"tests failed": 2}
    assert card.deadline_misses == 2 and card.false_proven == ["b:repair"]
    assert card.total.cost_usd == 0.05 and card.total.tokens == 2000
    assert card.per_correct is not None
    assert (card.per_correct.cost_usd, card.per_correct.tokens,
            card.per_correct.wall_s) == (0.025, 1000, 60.0)
    assert card.friction is not None and card.friction.run_id == "ev-fix"
    assert card.friction.refused == [{"task": "d:repair", "verdict": "proposed_correct",
                                      "why": "waits for review"}]
    assert card.by_date == {"before": {"tasks": 3, "resolved": 1, "postmortem": 2},
                            "after": {"tasks": 2, "false_proven": 1, "proposed_correct": 1}}


def test_friction_needs_a_fix_run_over_the_same_tasks() -> None:
    partial = a_run(cards.FIX_BRAIN, FIX[:2], "ev-fix")
    assert cards.build(a_run("kernel", BRAIN), [partial]).friction is None
    own = cards.build(a_run(cards.FIX_BRAIN, FIX, "ev-fix"), [])
    assert own.friction is not None and own.friction.run_id == "ev-fix"
    assert len(own.friction.refused) == 1 and own.friction.share == 0.2


def test_what_is_printed() -> None:
    card = cards.build(a_run("kernel", BRAIN), [a_run(cards.FIX_BRAIN, FIX, "ev-fix")],
                       cutoff="2025-01-01")
    text = card_text(card)
    for line in ("resolved              1  20%", "false-proven          1  20%",
                 "postmortem            2  40%  ended with nothing changed: tests failed 2",
                 "deadline misses       2", "friction            1 of 5 (20%)",
                 "  - d:repair: proposed_correct: waits for review",
                 "per correct change  $0.0250, 1,000 tokens, 1m00s wall (2 correct)",
                 "by task date        before 2025-01-01: 1 of 3 resolved; after 2025-01-01: 0 of 2",
                 "false-proven tasks: b:repair"):
        assert line in text, (line, text)
    assert "b:repair" in tasks_text(card)
    runs = [a_run("kernel", BRAIN, "ev-1"), a_run("kernel", BRAIN[:1], "ev-2")]
    runs[0].card = card.model_dump(mode="json")
    table = history_text(runs)
    assert "ev-1" in table and "(unfinished" in table
    html = page(card, runs)
    assert html.count("<svg") == 4 and 'id="by-date"' in html and "b:repair" in html


def test_no_friction_yet_is_said() -> None:
    text = card_text(cards.build(a_run("kernel", BRAIN), []))
    assert "friction            not measured yet" in text


def test_postmortem_reasons_are_a_table() -> None:
    assert reason_class("GENERATE", "model deadline passed") == "deadline missed"
    assert reason_class("VALIDATE_RETRY", "failing: tests/test_x.py::t") == "tests failed"
    assert reason_class("GATE", "not proven") == "refused at the gate"
    assert reason_class("GENERATE", "replay script ran out") == "the brain gave no answer"
    assert reason_class("", "odd") == "other (no phase)"
    # a retry whose replies were all unusable (cachetools' 57d2e4813d98, stop 63)
    assert reason_class("VALIDATE_RETRY", "no usable candidate after 3 unusable replies: "
                        "a marker outside a whole block") == "no usable candidate"


def test_a_review_reason_loses_its_branch_name() -> None:
    from daemon.eval.result import short_reason

    assert short_reason("waits for review on ouroboros/op-1: unproven: x") == "review: unproven: x"
    assert reason_class("VALIDATE", "failing: t: failed (failing before the change too)") == \
        "a test fails before the change too"


def test_a_repairs_own_failing_test_still_failing_is_tests_failed() -> None:
    """Measured (stop 63): semver's f8a182f5ec52 was counted 'a test fails before the change
    too' though the test named was the one the repair was asked to make pass."""
    reason = ("the brain gave the same answer 4 times: failing: tests/test_bump.py::t_empty: "
              "failed (failing before the change too)")
    asked = frozenset({"tests/test_bump.py::t_empty"})
    assert reason_class("VALIDATE_RETRY", reason, asked) == "tests failed"
    assert reason_class("VALIDATE_RETRY", reason) == "a test fails before the change too"
    other = reason + "; tests/test_x.py::old: error (failing before the change too)"
    assert reason_class("VALIDATE_RETRY", other, asked) == "a test fails before the change too"


def test_a_cached_task_never_names_a_path_outside_the_scratch() -> None:
    import pytest
    from pydantic import ValidationError

    from daemon.eval.task import Task

    good = {"id": "0" * 12, "sha": "0" * 40, "parent": "1" * 40, "date": "2024-01-01",
            "subject": "s", "message": "m", "tests": {"tests/test_a.py": "x"},
            "fix": {"a.py": "y"}, "fail_to_pass": ["tests/test_a.py::t"], "pass_to_pass": [],
            "runs": 2, "suite_s": 1.0}
    assert Task.model_validate(good).test_files == ["tests/test_a.py"]
    for bad in ("../a.py", "/etc/passwd", "a/../../b.py", "./a.py"):
        with pytest.raises(ValidationError):
            Task.model_validate({**good, "fix": {bad: "y"}})


def test_a_report_rebuilds_each_card_with_the_newest_friction() -> None:
    old_fix = a_run(cards.FIX_BRAIN, [result(t, Verdict.POSTMORTEM) for t in "abcde"], "ev-0")
    brain = a_run("kernel", BRAIN, "ev-1")
    new_fix = a_run(cards.FIX_BRAIN, FIX, "ev-2")
    for run in (old_fix, brain, new_fix):
        run.card = cards.build(run, [old_fix]).model_dump(mode="json")
    unfinished = a_run("kernel", BRAIN[:1], "ev-3")
    done = cards.rebuilt([old_fix, brain, new_fix, unfinished], {"kernel": "2025-01-01"})
    assert [r.run_id for r in done] == ["ev-0", "ev-1", "ev-2"]
    card = cards.Card.model_validate(done[1].card)
    assert card.friction is not None and card.friction.run_id == "ev-2"
    assert card.cutoff == "2025-01-01" and card.by_date


LONG = ("waits for review on ouroboros/op-1: unproven: the change touches "
        "calc/ops.py lines that no failing test executes, and removes the public name "
        "calc.ops.clamp_high that callers outside the repository may import; a reviewer "
        "decides whether that is intended")


def test_a_reason_is_cut_at_a_word_and_is_whole_when_asked_for() -> None:
    from daemon.eval.render import ELLIPSIS, clip

    assert clip("one two three", 20) == "one two three"
    assert clip("alpha beta gamma delta", 13) == "alpha beta" + ELLIPSIS
    long = result("a", Verdict.PROPOSED_WRONG, reason=LONG, reason_class="")
    card = cards.build(a_run("kernel", [long]), [a_run(cards.FIX_BRAIN, [long], "ev-f")])
    short = tasks_text(card)
    row = next(line for line in short.splitlines() if line.startswith("a:repair"))
    assert len(row) <= 110 and row.endswith(ELLIPSIS), row
    assert row.removesuffix(ELLIPSIS).split()[-1] in LONG.split()  # a whole word
    assert "--full" in short
    whole = " ".join(tasks_text(card, full=True).split())
    assert "review: unproven: the change touches" in whole
    assert whole.endswith("a reviewer decides whether that is intended")
    text = card_text(card)
    line = next(x for x in text.splitlines() if x.startswith("  - a:repair"))
    assert line.endswith(ELLIPSIS) and line.removesuffix(ELLIPSIS).split()[-1] in LONG.split()
    assert card.friction is not None and card.friction.refused[0]["why"].endswith("intended")
    html = page(card, [])
    assert "<details><summary>" in html and "decides whether that is intended</details>" in html


def test_the_comparison_has_a_samples_column() -> None:
    one = a_run("kernel", BRAIN, "ev-1")
    four = Run("ev-4", "2026-01-01T00:00:00", RunSpec(brain="kernel", kinds=["repair"],
                                                       samples=4), {}, BRAIN)
    for run in (one, four):
        run.card = cards.build(run, []).model_dump(mode="json")
    table = history_text([one, four]).splitlines()
    assert table[0].split()[:5] == ["run", "brain", "tasks", "samples", "resolved"]
    assert table[2].split()[:4] == ["ev-1", "kernel", "5", "1"]
    assert table[3].split()[:4] == ["ev-4", "kernel", "5", "4"]


def test_a_stand_in_costs_nothing_and_reads_no_tokens() -> None:
    from daemon.eval.result import spend

    chain = {"model_calls": [{"cost_usd": 0.01, "prompt_tokens": 900,
                              "completion_tokens": 80}]}
    assert spend(chain)["cost_usd"] == 0.01 and spend(chain)["prompt_tokens"] == 900
    assert spend(chain, model=False) | {"model_calls": 0} == {
        "cost_usd": 0.0, "prompt_tokens": 0, "completion_tokens": 0, "model_calls": 0,
        "deadline_misses": 0}
    card = cards.build(a_run(cards.FIX_BRAIN, FIX, "ev-fix"), [])
    text = card_text(card)
    assert "no model (a replay stand-in): no cost, no tokens" in text and "$" not in text
    row = history_text([_finished(a_run(cards.FIX_BRAIN, FIX, "ev-fix"))]).splitlines()[2]
    assert "no model" in row and "$" not in row


def _finished(run: Run) -> Run:
    run.card = cards.build(run, []).model_dump(mode="json")
    return run


def test_a_careless_rider_is_seen_in_the_tree() -> None:
    import ast

    from daemon.eval.rider import carries, mutants, public_functions

    text = ("def add(a, b):\n    return a + b\n\n\ndef sign(x):\n    if x > 0:\n"
            "        return 1\n    return 0\n")
    name, fn = next((n, f) for n, f in public_functions(ast.parse(text)) if n == "sign")
    mutant = next(mutants("m.py", text, name, fn))
    assert not carries(text, mutant.text, "sign") and carries(mutant.text, mutant.text, "sign")
    moved = "import os\n\n\n" + mutant.text  # the rider, further down the file
    assert carries(moved, mutant.text, "sign") and not carries(None, mutant.text, "sign")
    assert not carries("def sign(:\n", mutant.text, "sign")  # does not parse: not there
