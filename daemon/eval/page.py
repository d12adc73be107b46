"""The card as one self-contained HTML page with plots: inline SVG drawn here, no script,
no stylesheet or font from anywhere else, so it opens offline from the state dir.

The plots: where this run's tasks went (one bar, a segment per verdict); every finished
run on the same axis, oldest first (the comparison over time); each task's wall time,
coloured by its verdict; and, when the brain's training cutoff is configured, the tasks
dated before it against those after it. The tables beneath are the text card's numbers.
"""

from __future__ import annotations

import html
from pathlib import Path

from daemon.eval.card import Card, missing_tests_text
from daemon.eval.records import Run
from daemon.eval.render import ROWS, clip, duration, friction_line, spend_text, why_text
from daemon.eval.result import Verdict

COLOURS = {Verdict.RESOLVED: "#2e7d32", Verdict.FALSE_PROVEN: "#c62828",
           Verdict.PROPOSED_CORRECT: "#81c784", Verdict.PROPOSED_WRONG: "#ef6c00",
           Verdict.NO_CHANGE: "#b0bec5", Verdict.POSTMORTEM: "#546e7a",
           Verdict.NO_SIGNAL: "#d7ccc8"}
LABELS = {v: label for v, label, _ in ROWS}
BAR_H, GAP, LEFT, WIDTH = 22, 8, 230, 520  # pixels
HISTORY_MAX = 20  # runs in the comparison plot
STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:2px 10px;text-align:left;
border-bottom:1px solid #eee;white-space:nowrap}td.why{white-space:normal}
td.n{text-align:right}h1{font-size:1.4em}h2{font-size:1.1em;
margin-top:1.6em}.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;
width:11px;height:11px;margin-right:4px;vertical-align:middle}svg text{font:12px system-ui,
sans-serif}.dim{color:#666}"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def stacked(rows: list[tuple[str, dict[str, int]]], plot_id: str) -> str:
    """One horizontal bar per row, a segment per verdict in ROWS order, each row to 100%."""
    height = len(rows) * (BAR_H + GAP) + GAP
    parts = [f'<svg id="{plot_id}" class="plot" width="{LEFT + WIDTH + 60}" '
             f'height="{height}" role="img">']
    for i, (label, counts) in enumerate(rows):
        y = GAP + i * (BAR_H + GAP)
        total = sum(counts.get(v.value, 0) for v in COLOURS)
        parts.append(f'<text x="{LEFT - 8}" y="{y + 15}" text-anchor="end">{esc(label)}</text>')
        x = float(LEFT)
        for verdict, colour in COLOURS.items():
            n = counts.get(verdict.value, 0)
            if not n or not total:
                continue
            w = WIDTH * n / total
            parts.append(f'<rect class="seg {verdict.value}" x="{x:.1f}" y="{y}" '
                         f'width="{w:.1f}" height="{BAR_H}" fill="{colour}">'
                         f'<title>{esc(LABELS[verdict])}: {n}</title></rect>')
            x += w
        parts.append(f'<text x="{LEFT + WIDTH + 6}" y="{y + 15}">{total}</text>')
    return "".join([*parts, "</svg>"])


def timings(card: Card) -> str:
    """Each task's wall time, longest first, coloured by its verdict."""
    results = sorted(card.results, key=lambda r: -r.wall_s)
    longest = max((r.wall_s for r in results), default=0.0) or 1.0
    height = len(results) * (BAR_H // 2 + 4) + GAP
    parts = [f'<svg id="timings" class="plot" width="{LEFT + WIDTH + 80}" '
             f'height="{height}" role="img">']
    for i, r in enumerate(results):
        y = GAP + i * (BAR_H // 2 + 4)
        w = max(1.0, WIDTH * r.wall_s / longest)
        parts.append(f'<text x="{LEFT - 8}" y="{y + 10}" text-anchor="end">'
                     f'{esc(r.instance)}</text><rect class="seg {r.verdict.value}" '
                     f'x="{LEFT}" y="{y}" width="{w:.1f}" height="{BAR_H // 2}" '
                     f'fill="{COLOURS[r.verdict]}"><title>{esc(LABELS[r.verdict])}'
                     f'</title></rect><text x="{LEFT + w + 6:.1f}" y="{y + 10}">'
                     f'{esc(duration(r.wall_s))}</text>')
    return "".join([*parts, "</svg>"])


def legend() -> str:
    return '<p class="legend">' + "".join(
        f'<span><i class="sw" style="background:{c}"></i>{esc(LABELS[v])}</span>'
        for v, c in COLOURS.items()) + "</p>"


def numbers(card: Card) -> str:
    rows = []
    for verdict, label, meaning in ROWS:
        n = card.count(verdict)
        share = f"{n / card.tasks:.0%}" if card.tasks else "-"
        rows.append(f'<tr id="row-{verdict.value}"><th>{esc(label)}</th><td class="n">{n}</td>'
                    f'<td class="n">{share}</td><td>{esc(meaning)}</td></tr>')
    reasons = ", ".join(f"{k} {v}" for k, v in card.postmortem_reasons.items()) or "-"
    model = card.calls_model
    per = spend_text(card.per_correct, model) if card.per_correct else "no correct change"
    extra = [("postmortem by reason", reasons),
             ("deadline misses", f"{card.deadline_misses} model call(s) cut off"),
             ("missing tests", missing_tests_text(card)),
             ("friction", friction_line(card).removeprefix("friction").strip()),
             ("per correct change", per), ("in all", spend_text(card.total, model))]
    if card.by_date:
        extra.append((f"by task date (cutoff {card.cutoff})", "; ".join(
            f"{side}: {d.get('resolved', 0)} of {d.get('tasks', 0)} resolved"
            for side, d in card.by_date.items())))
    rows += [f'<tr><th>{esc(k)}</th><td class="why" colspan="3">{esc(v)}</td></tr>'
             for k, v in extra]
    return "<table id=\"card\">" + "".join(rows) + "</table>"


def why_cell(text: str, limit: int = 160) -> str:
    """The whole reason; a long one folded behind its first words cut at a word boundary
    (<details>: no script), so the table stays readable and nothing is lost."""
    if len(text) <= limit:
        return esc(text)
    return f"<details><summary>{esc(clip(text, limit))}</summary>{esc(text)}</details>"


def task_table(card: Card) -> str:
    head = ("<tr><th>task</th><th>date</th><th>verdict</th><th>why</th><th>$</th>"
            "<th>tokens</th><th>wall</th></tr>")
    model = card.calls_model
    rows = [f'<tr class="task {r.verdict.value}"><td>{esc(r.instance)}</td>'
            f"<td>{esc(r.date)}</td><td>{esc(LABELS[r.verdict])}</td>"
            f'<td class="why">{why_cell(why_text(r))}</td>'
            f'<td class="n">{f"{r.cost_usd:.4f}" if model else "-"}</td>'
            f'<td class="n">{f"{r.tokens:,}" if model else "-"}</td>'
            f'<td class="n">{esc(duration(r.wall_s))}</td></tr>' for r in card.results]
    return f'<table id="tasks">{head}{"".join(rows)}</table>'


def page(card: Card, history: list[Run]) -> str:
    finished = [r for r in history if r.card is not None][-HISTORY_MAX:]
    over_time = [(f"{Card.model_validate(r.card).brain} {r.run_id[3:18]}",
                  Card.model_validate(r.card).verdicts) for r in finished]
    sections = [f"<h1>ouroboros eval: {esc(card.brain)}</h1>",
                f'<p class="dim">run {esc(card.run_id)}, {card.tasks} tasks, samples '
                f"{card.samples}; tree {esc(card.facts.get('tree', '?'))}; "
                f"{esc(card.facts.get('machine', '?'))}; tests run with "
                f"{esc(card.facts.get('python', '?'))}</p>",
                "<h2>Where the tasks went</h2>", legend(),
                stacked([(card.brain, card.verdicts)], "verdicts"), numbers(card)]
    if card.friction and card.friction.refused:
        sections.append("<h2>Friction: the maintainers' own fixes not resolved</h2><ul>" +
                        "".join(f"<li>{esc(r['task'])}: {esc(r['verdict'])}: "
                                f"{why_cell(r['why'])}</li>" for r in card.friction.refused) +
                        "</ul>")
    if card.by_date:
        sections += [f"<h2>By task date (training cutoff {esc(card.cutoff)})</h2>",
                     stacked([(f"{side} {card.cutoff}", d) for side, d in
                              card.by_date.items()], "by-date")]
    sections += ["<h2>Runs over time</h2>", stacked(over_time or [(card.brain, card.verdicts)],
                                                    "history"),
                 "<h2>Wall time per task</h2>", timings(card), "<h2>Tasks</h2>",
                 task_table(card)]
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ouroboros eval:'
            f" {esc(card.brain)} {esc(card.run_id)}</title><style>{STYLE}</style></head>"
            f"<body>{''.join(sections)}</body></html>\n")


def write_page(path: Path, card: Card, history: list[Run]) -> None:
    path.write_text(page(card, history), encoding="utf-8")
