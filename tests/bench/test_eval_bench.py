"""bench/eval.py's checks of the stand-ins (issue 32, item 4), on cards made up here."""

from __future__ import annotations

from bench.eval import checks, pass_at_n
from daemon.eval.card import Card, Friction


def card(brain: str, friction: int = 0, samples: int = 1, **verdicts: int) -> Card:
    tasks = sum(verdicts.values())
    return Card(run_id="ev", brain=brain, started="t", tasks=tasks, verdicts=verdicts,
                samples=samples,
                friction=Friction(run_id="ev", tasks=tasks,
                                  refused=[{"task": str(n)} for n in range(friction)]))


def test_the_checks_hold_and_fail() -> None:
    good = {"replay:fix": card("replay:fix", 1, resolved=3, proposed_correct=1),
            "replay:none": card("replay:none", no_change=4),
            "replay:careless": card("replay:careless", postmortem=4)}
    assert all(ok for _, ok in checks(good))
    bad = {"replay:fix": card("replay:fix", 0, resolved=3, proposed_correct=1),
           "replay:none": card("replay:none", resolved=1, no_change=3),
           "replay:careless": card("replay:careless", false_proven=1, postmortem=3)}
    assert [ok for _, ok in checks(bad)] == [False, False, False, False]


def test_pass_at_one_against_best_of_n_one_row_a_count_for_brains_run_at_several() -> None:
    cards = {("replay:mixed", 1): card("replay:mixed", postmortem=2),
             ("replay:mixed", 4): card("replay:mixed", samples=4, resolved=1, postmortem=1),
             ("replay:fix", 1): card("replay:fix", resolved=2)}
    header, one, four = pass_at_n(cards)
    assert header.split()[:3] == ["brain", "samples", "resolved"]
    assert one.split()[:5] == ["replay:mixed", "1", "0", "of", "2"]
    assert four.split()[:5] == ["replay:mixed", "4", "1", "of", "2"]
    assert pass_at_n({("replay:fix", 1): cards[("replay:fix", 1)]}) == []  # nothing to compare
