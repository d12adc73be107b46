"""The report card: one run's task results summed into the numbers a maintainer acts on
(docs/eval.md says what each means and how it is measured).

- the verdicts (daemon.eval.result): resolved, false-proven (the trust number, target 0),
  proposed-correct and proposed-wrong (what review costs), no change, postmortem by
  reason class, no signal; and the model calls cut off by their deadline;
- cost, tokens and wall time in all and per correct change (resolved + proposed-correct);
- friction: the tasks on which the maintainer's own fix, played by `replay:fix`, is not
  resolved (the share of real fixes this repository's gates refuse), from the newest
  finished `replay:fix` run on the same tasks; every card prints it;
- the missing tests (issue 45): of the reviews whose brain was asked for the test that
  decides them, how many it proposed (wrote a test at all), how many were kept (checked to
  kill the mutant or to fail on the base) and how many accepted (a kept test that also
  passes on the maintainer's own fix); and why each of the others was not kept, by the
  step's verdict (refused by a check, or no test written), since "0 kept" alone cannot
  tell a brain that wrote nothing from one whose tests cheat;
- by task date, when the brain's training cutoff is configured ([eval] cutoffs): tasks
  from before it may be in the brain's training data, tasks after it cannot be.

The card is kept in the eval ledger (daemon.eval.records) as this model's JSON.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from daemon.eval.records import Run
from daemon.eval.result import CORRECT, TaskResult, Verdict, short_reason
from daemon.eval.settings import STAND_INS

FIX_BRAIN = "replay:fix"


class Friction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    run_id: str  # the replay:fix run it comes from
    tasks: int  # tasks that run judged
    refused: list[dict[str, str]] = Field(default_factory=list)  # task, verdict, why

    @property
    def share(self) -> float:
        return len(self.refused) / self.tasks if self.tasks else 0.0


class Spend(BaseModel):
    cost_usd: float = 0.0
    tokens: int = 0
    wall_s: float = 0.0


class Card(BaseModel):
    model_config = ConfigDict(extra="ignore")

    run_id: str
    brain: str
    started: str
    finished: str = ""
    facts: dict[str, Any] = Field(default_factory=dict)  # tree, machine, settings
    samples: int = 1
    tasks: int = 0
    kinds: dict[str, int] = Field(default_factory=dict)
    verdicts: dict[str, int] = Field(default_factory=dict)
    postmortem_reasons: dict[str, int] = Field(default_factory=dict)
    deadline_misses: int = 0
    total: Spend = Field(default_factory=Spend)
    per_correct: Spend | None = None  # None: no correct change
    friction: Friction | None = None  # None: no replay:fix run on these tasks yet
    cutoff: str = ""
    by_date: dict[str, dict[str, int]] = Field(default_factory=dict)  # before / after
    false_proven: list[str] = Field(default_factory=list)  # the tasks, named
    missing_tests: dict[str, int] = Field(default_factory=dict)  # asked, proposed, kept, ...
    missing_tests_not_kept: dict[str, int] = Field(default_factory=dict)  # verdict: count
    results: list[TaskResult] = Field(default_factory=list)

    def count(self, verdict: Verdict) -> int:
        return self.verdicts.get(verdict.value, 0)

    @property
    def correct(self) -> int:
        return sum(self.count(v) for v in CORRECT)

    @property
    def calls_model(self) -> bool:
        """False for a replay stand-in: a script, no model, so no cost and no tokens."""
        return self.brain not in STAND_INS


def build(run: Run, fix_runs: list[Run], cutoff: str = "") -> Card:
    """The card of `run`; `fix_runs`: finished replay:fix runs, newest last."""
    results = run.results
    verdicts = Counter(r.verdict.value for r in results)
    reasons = Counter(r.reason_class for r in results if r.verdict is Verdict.POSTMORTEM)
    total = _spend(results)
    correct = sum(r.correct for r in results)
    per = Spend(cost_usd=round(total.cost_usd / correct, 6), tokens=total.tokens // correct,
                wall_s=round(total.wall_s / correct, 1)) if correct else None
    return Card(run_id=run.run_id, brain=run.spec.brain, started=run.started,
                finished=run.finished, facts=run.facts, samples=run.spec.samples,
                tasks=len(results), kinds=dict(Counter(r.kind for r in results)),
                verdicts=dict(verdicts), postmortem_reasons=dict(reasons.most_common()),
                deadline_misses=sum(r.deadline_misses for r in results), total=total,
                per_correct=per, friction=friction(run, fix_runs), cutoff=cutoff,
                by_date=by_date(results, cutoff) if cutoff else {},
                false_proven=[r.instance for r in results
                              if r.verdict is Verdict.FALSE_PROVEN],
                missing_tests=missing_tests(results),
                missing_tests_not_kept=missing_tests_not_kept(results),
                results=results)


def rebuilt(runs: list[Run], cutoffs: dict[str, str]) -> list[Run]:
    """The finished runs, each card built again from its results (what `eval report`
    shows): the friction from the newest replay:fix run, the cutoffs as configured now.
    The card recorded when a run ended stays in the ledger as it was."""
    done = [r for r in runs if r.card is not None]
    fix_runs = [r for r in done if r.spec.brain == FIX_BRAIN]
    for run in done:
        card = build(run, fix_runs, cutoffs.get(run.spec.brain, ""))
        run.card = card.model_dump(mode="json")
    return done


def missing_tests(results: list[TaskResult]) -> dict[str, int]:
    """Reviews whose missing test was asked for, and how many the brain proposed, how many
    were kept and how many of those were accepted."""
    asked = [m for r in results if (m := r.missing_test) is not None]
    return {"asked": len(asked), "proposed": sum(m.proposed for m in asked),
            "kept": sum(m.kept for m in asked),
            "accepted": sum(m.accepted is True for m in asked)}


def missing_tests_not_kept(results: list[TaskResult]) -> dict[str, int]:
    """Each asked-for missing test that was not kept, counted by the step's verdict (the
    check that refused it, or "no answer" / "unusable reply": no test written), most first."""
    found = Counter(m.verdict for r in results
                    if (m := r.missing_test) is not None and not m.kept)
    return dict(found.most_common())


def missing_tests_text(card: Card) -> str:
    """The card's line of missing tests (without its label)."""
    m = card.missing_tests
    if not m.get("asked"):
        return "none asked for (only a review whose cause a test could decide asks one)"
    why = ", ".join(f"{k} {n}" for k, n in card.missing_tests_not_kept.items())
    return (f"{m.get('proposed', 0)} proposed / {m.get('kept', 0)} kept / "
            f"{m.get('accepted', 0)} accepted, of {m['asked']} asked for (a kept test is "
            "checked to decide its review; accepted: it passes on the maintainer's fix too)"
            + (f"; not kept: {why}" if why else ""))


def missing_tests_short(card: Card) -> str:
    """proposed/kept/accepted of asked, for the table that compares runs ("-": none asked)."""
    m = card.missing_tests
    if not m.get("asked"):
        return "-"
    return (f"{m.get('proposed', 0)}/{m.get('kept', 0)}/{m.get('accepted', 0)} "
            f"of {m['asked']}")


def _spend(results: list[TaskResult]) -> Spend:
    return Spend(cost_usd=round(sum(r.cost_usd for r in results), 6),
                 tokens=sum(r.tokens for r in results),
                 wall_s=round(sum(r.wall_s for r in results), 1))


def friction(run: Run, fix_runs: list[Run]) -> Friction | None:
    """From the newest finished replay:fix run that judged every task of `run` (the run
    itself when it is one)."""
    wanted = {r.instance for r in run.results}
    source = run if run.spec.brain == FIX_BRAIN else next(
        (f for f in reversed(fix_runs) if wanted <= f.done), None)
    if source is None:
        return None
    mine = [r for r in source.results if r.instance in wanted]
    refused = [{"task": r.instance, "verdict": r.verdict.value,
                "why": r.reason_class or short_reason(r.reason)}
               for r in mine if r.verdict is not Verdict.RESOLVED]
    return Friction(run_id=source.run_id, tasks=len(mine), refused=refused)


def by_date(results: list[TaskResult], cutoff: str) -> dict[str, dict[str, int]]:
    """Verdict counts of the tasks dated before the cutoff, and on or after it."""
    out: dict[str, Counter[str]] = {"before": Counter(), "after": Counter()}
    for r in results:
        side = out["before" if r.date < cutoff else "after"]
        side["tasks"] += 1
        side[r.verdict.value] += 1
    return {k: dict(v) for k, v in out.items()}
