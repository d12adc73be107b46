"""The card as text (`eval run`, `eval report`) and the table that compares runs.

ROWS is the card's table as data: each verdict's label and what it means, in the order
printed; the HTML page (daemon.eval.page) reads the same rows. A reason too long for its
column is cut at a word boundary and says so (clip); `eval report --tasks --full` and the
JSON hold it whole.
"""

from __future__ import annotations

import textwrap

from daemon.eval.card import Card, Spend, missing_tests_short, missing_tests_text
from daemon.eval.records import Run
from daemon.eval.result import TaskResult, Verdict, short_reason

ROWS: tuple[tuple[Verdict, str, str], ...] = (
    (Verdict.RESOLVED, "resolved", "landed proven; the hidden tests pass"),
    (Verdict.FALSE_PROVEN, "false-proven", "landed; a hidden test fails or it carries "
     "the careless rider (target 0)"),
    (Verdict.PROPOSED_CORRECT, "proposed-correct", "on a review branch; hidden tests pass"),
    (Verdict.PROPOSED_WRONG, "proposed-wrong", "on a review branch; a hidden test fails "
     "or it carries the careless rider"),
    (Verdict.NO_CHANGE, "no change", "the brain said nothing needs changing"),
    (Verdict.POSTMORTEM, "postmortem", "ended with nothing changed"),
    (Verdict.NO_SIGNAL, "no signal", "the daemon's sensor made no work of it"),
)


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, s = divmod(seconds, 60)
    return f"{minutes}m{s:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


ELLIPSIS = "\u2026"


def clip(text: str, limit: int) -> str:
    """`text` on one line, cut at the last word boundary within `limit` characters with an
    ellipsis when longer (a word cut in half reads as a different word)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[:limit - 1]
    cut = head.rfind(" ")
    return (head[:cut] if cut > limit // 2 else head).rstrip(" ,;:") + ELLIPSIS


def spend_text(s: Spend, model: bool = True) -> str:
    """Cost, tokens and wall time; `model` False: a replay stand-in, which calls no model
    and so costs nothing and reads no tokens (its script's lengths are no tokens)."""
    if not model:
        return f"no model (a replay stand-in): no cost, no tokens; {duration(s.wall_s)} wall"
    return f"${s.cost_usd:.4f}, {s.tokens:,} tokens, {duration(s.wall_s)} wall"


W = 20  # the label column


def _share(n: int, of: int) -> str:
    return f"{n / of:4.0%}" if of else "   -"


def friction_line(card: Card) -> str:
    f = card.friction
    if f is None:
        return (f"{'friction':<{W}}not measured yet: `ouroboros eval run --brain replay:fix` "
                "plays the maintainers' own fixes")
    return (f"{'friction':<{W}}{len(f.refused)} of {f.tasks} ({f.share:.0%}): the "
            f"maintainer's own fix is not resolved (replay:fix, {f.run_id})")


def card_text(card: Card) -> str:
    """The card, as printed at the end of `eval run` and by `eval report`."""
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(card.kinds.items()))
    facts = card.facts
    lines = [f"ouroboros eval: brain {card.brain}, run {card.run_id}, {card.tasks} tasks "
             f"({kinds or 'none'}), samples {card.samples}",
             f"  tree {facts.get('tree', '?')}, {facts.get('machine', '?')}"]
    if facts.get("python"):
        lines.append(f"  tests run with {facts['python']}")
    lines.append("")
    for verdict, label, meaning in ROWS:
        n = card.count(verdict)
        extra = ""
        if verdict is Verdict.POSTMORTEM and card.postmortem_reasons:
            extra = ": " + ", ".join(f"{k} {v}" for k, v in card.postmortem_reasons.items())
        lines.append(f"{label:<{W}}{n:>3} {_share(n, card.tasks)}  {meaning}{extra}")
    lines += [f"{'deadline misses':<{W}}{card.deadline_misses:>3}       model calls cut off "
              "by their deadline", f"{'missing tests':<{W}}{missing_tests_text(card)}",
              friction_line(card)]
    if card.friction:
        lines += [f"  - {r['task']}: {r['verdict']}: {clip(r['why'], 110)}"
                  for r in card.friction.refused]
    per, model = card.per_correct, card.calls_model
    lines.append(f"{'per correct change':<{W}}" + (
        f"{spend_text(per, model)} ({card.correct} correct)" if per else "no correct change"))
    lines.append(f"{'in all':<{W}}{spend_text(card.total, model)}")
    if card.by_date:
        lines.append(f"{'by task date':<{W}}" + "; ".join(
            f"{side} {card.cutoff}: {d.get('resolved', 0)} of {d.get('tasks', 0)} resolved"
            for side, d in card.by_date.items()))
    if card.false_proven:
        lines.append(f"false-proven tasks: {', '.join(card.false_proven)}")
    return "\n".join(lines)


def why_text(r: TaskResult) -> str:
    """A task's whole why: the evidence of what landed, else its reason class and reason,
    and the careless rider it carries."""
    why = r.evidence if r.verdict is Verdict.RESOLVED else (
        r.reason_class + (": " if r.reason_class else "") + short_reason(r.reason))
    if r.rider:
        why = f"carries {r.rider}; {why}"
    return " ".join(why.split())


def tasks_text(card: Card, width: int = 110, full: bool = False) -> str:
    """One row per task: id, kind, date, verdict, seconds, and why (cut at a word to fit
    `width`; `full`: whole, on the lines below the row)."""
    rows = [f"{'task':<20}{'date':<12}{'verdict':<18}{'s':>7}  why", "-" * width]
    for r in card.results:
        head = f"{r.instance:<20}{r.date:<12}{r.verdict.value:<18}{r.wall_s:>7.1f}  "
        if full:
            rows += [head.rstrip(), *textwrap.wrap(why_text(r), width - 4, initial_indent="    ",
                                          subsequent_indent="    ")]
        else:
            rows.append(head + clip(why_text(r), width - len(head)))
    if not full and any(len(why_text(r)) > width - 59 for r in card.results):
        rows.append("(reasons cut at a word: `eval report --full` or --json says them whole)")
    return "\n".join(rows)


def history_text(runs: list[Run]) -> str:
    """Every finished run, oldest first: the numbers to compare over time. `tests p/k/a`:
    the missing tests proposed / kept / accepted of those asked for, per brain."""
    head = (f"{'run':<26}{'brain':<18}{'tasks':>6}{'samples':>8}{'resolved':>10}"
            f"{'false-pr.':>10}"
            f"{'prop.ok':>8}{'prop.bad':>9}{'friction':>9}{'tests p/k/a':>13}{'$/correct':>11}"
            f"{'wall/corr.':>11}")
    rows = [head, "-" * len(head)]
    for run in runs:
        if run.card is None:
            rows.append(f"{run.run_id:<26}{run.spec.brain:<18}{len(run.results):>6}"
                        f"{run.spec.samples:>8}  "
                        "(unfinished: `eval run` with the same brain resumes it)")
            continue
        c = Card.model_validate(run.card)
        per = c.per_correct
        fr = f"{len(c.friction.refused)}/{c.friction.tasks}" if c.friction else "-"
        cost = (f"${per.cost_usd:.4f}" if c.calls_model else "no model") if per else "-"
        rows.append(f"{c.run_id:<26}{c.brain[:17]:<18}{c.tasks:>6}{c.samples:>8}"
                    f"{c.count(Verdict.RESOLVED):>10}{c.count(Verdict.FALSE_PROVEN):>10}"
                    f"{c.count(Verdict.PROPOSED_CORRECT):>8}"
                    f"{c.count(Verdict.PROPOSED_WRONG):>9}{fr:>9}"
                    f"{missing_tests_short(c):>13}{cost:>11}"
                    f"{(duration(per.wall_s) if per else '-'):>11}")
    return "\n".join(rows)
