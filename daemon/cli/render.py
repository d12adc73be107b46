"""Text rendering for the CLI: reviews, op lists and an op's causal chain (`status` is
daemon/status/text.py: the daemon renders it)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from daemon.cli.decision_text import decision_lines
from daemon.cli.evidence_text import failure_block, repairs_block
from daemon.console import cost_column, cut
from daemon.status.text import age_text, n_of

LINT_FIXER = "the repository's linter"  # its safe fixes (governance.oracle.lint_fix)


def review_text(data: dict[str, Any]) -> str:
    """`review`: the list of what waits, or one review with its evidence and diff."""
    if "review" in data:
        r = data["review"]
        return "\n".join([_review_head(r), f"    base {r['base'][:12]} -> {r['sha'][:12]} "
                          f"on branch {r['branch']}", *_review_failures(r.get("failed")),
                          *_review_repairs(r.get("ascii_repairs")),
                          *_review_repairs(r.get("lint_fixes"), LINT_FIXER),
                          *decision_lines(r.get("decision"), r["op_id"]), "",
                          r["diff"].rstrip("\n"), "", _review_hint(r["op_id"])])
    items = data.get("reviews") or []
    if not items:
        return "nothing waits for review"
    verb = "waits" if len(items) == 1 else "wait"
    lines = [f"{n_of(len(items), 'change')} {verb} for review (cheapest decision first):"]
    lines += [_review_head(r) for r in items]
    return "\n".join([*lines, "", _review_hint("OP")])


def _review_head(r: dict[str, Any]) -> str:
    files = ", ".join(r["files"][:8]) + (f" and {len(r['files']) - 8} more"
                                          if len(r["files"]) > 8 else "")
    return (f"  {r['op_id']}  {age_text(r['age_s'])} ago  +{r['insertions']} "
            f"-{r['deletions']}  {n_of(len(r['files']), 'file')}\n"
            f"    goal:  {cut(r['goal'], 100)}\n"
            + (f"    cost:  {r['cost']}\n" if r.get("cost") else "")
            + f"    why:   {r['evidence'] or '(no Evidence trailer)'}\n"
            f"    files: {files}")


def _review_failures(failed: Any) -> list[str]:
    """A review's evidence of its op's failing attempts: the newest ledger transition that
    kept failure texts (daemon.reviews), shown as `ledger OP` shows it."""
    block = failure_block(failed.get("failures"), "    ") if isinstance(failed, dict) else ""
    if not block:
        return []
    head = (f"    failing attempt (ledger #{failed.get('seq')} {failed.get('from_phase')} -> "
            f"{failed.get('to_phase')}):")
    return [head, block.lstrip("\n")]


def _review_repairs(repairs: Any, by: str = "the ASCII gate") -> list[str]:
    """What the ASCII gate, or the repository's linter, changed in the candidate on the
    branch (daemon.reviews)."""
    block = repairs_block(repairs, "    ", by)
    return [block.lstrip("\n")] if block else []


def _review_hint(op: str) -> str:
    return (f"accept: ouroboros accept {op} | reject: ouroboros reject {op} [reason] | "
            f"diff: ouroboros review {op}")


def op_list_text(ops: list[dict[str, Any]]) -> str:
    if not ops:
        return "no operations recorded yet"
    rows = [f"{o['op_id']}  {o['created_at'][:19]}  {o['phase'] or '?':<17} "
            f"{cost_column(o['cost_usd'], o.get('nominal_usd') or 0.0)}  {cut(o['goal'], 70)}"
            for o in ops]
    return "\n".join(rows)


def chain_text(chain: dict[str, Any]) -> str:
    op = chain["operation"]
    lines = [f"{op['op_id']}  source={op['source']}  session={op['session_id']}",
             f"goal: {op['goal']}", ""]
    events: list[Event] = []
    for t in chain["transitions"]:
        arrow = f"{t['from_phase'] or '-'} -> {t['to_phase']}"
        cost = f"  (+${t['cost_delta']:.4f})" if t["cost_delta"] else ""
        lint = t["payload"].get("lint")
        detail = _payload_line(t["payload"]) + failure_block(t["payload"].get("failures")) \
            + repairs_block(t["payload"].get("ascii_repairs")) \
            + repairs_block(lint.get("rewritten") if isinstance(lint, dict) else None,
                            by=LINT_FIXER)
        events.append(Event("transition", t["ts"], f"#{t['seq']:<3} {arrow}: "
                            f"{_capped(t['reason'])}{cost}{detail}", t["to_phase"],
                            t["from_phase"]))
    for m in chain["model_calls"]:
        events.append(Event("model", m["ts"], _model_line(m), m["phase"]))
    for c in chain["tool_calls"]:  # no phase column: a tool call follows its model reply
        events.append(Event("tool", c["ts"], f"     tool   {c['tool']} {c['verdict']} "
                                     f"{c['result_bytes']}B "
                                     f"{json.dumps(c['arguments'])[:80]}", None))
    for th in chain["thoughts"]:
        data = th.get("data") or {}
        events.append(Event("thought", th["ts"], f"     think  {th['phase']}: {th['msg']}"
                            + _thought_detail(data) + failure_block(data.get("failures")),
                            th["phase"]))
    lines += [e.text for e in in_time_order(events)]
    return "\n".join(lines)


@dataclass
class Event:
    kind: str  # transition, model, tool, thought
    ts: str
    text: str
    phase: str | None  # the phase it happened in (a transition: the phase it enters)
    left: str | None = None  # a transition: the phase it leaves

    @property
    def transition(self) -> bool:
        return self.kind == "transition"


def in_time_order(events: list[Event]) -> list[Event]:
    """By timestamp; the ledger's are milliseconds and its tables have no common sequence,
    so within one millisecond an event goes before the transition that leaves its phase
    (and after the one that enters it), never simply after every transition."""
    ordered = sorted(events, key=lambda e: (e.ts, not e.transition))
    phase = None
    for e in ordered:  # a tool call is in the phase of the model reply that asked for it
        if e.kind == "model":
            phase = e.phase
        elif e.phase is None and not e.transition:
            e.phase = phase
    out: list[Event] = []
    for _, same in itertools.groupby(ordered, key=lambda e: e.ts):
        out += _tie_broken(list(same))
    return out


def _tie_broken(group: list[Event]) -> list[Event]:
    trans = [e for e in group if e.transition]
    slots: list[list[Event]] = [[] for _ in range(len(trans) + 1)]  # slot i: before trans[i]
    for e in (e for e in group if not e.transition):
        leaves = [i for i, t in enumerate(trans) if t.left == e.phase != t.phase]
        enters = [i + 1 for i, t in enumerate(trans) if t.phase == e.phase]
        slots[leaves[0] if leaves else enters[-1] if enters else len(trans)].append(e)
    return [e for i, slot in enumerate(slots) for e in [*slot, *trans[i:i + 1]]]


# Thought data worth a line of its own in the chain (the rest is in --json), in reading
# order: which attempt or L2 iteration, what failed and why (`problems` is the only word on
# a refused, unusable or syntax failure), the decision; L2's two clocks and the winning cap;
# the reflex's proximities, the budget a spook deflated, the re-grounds spent of the budget.
THOUGHT_KEYS = ("attempt", "iteration", "max_iterations", "entry_class", "on_live",
                "failure_class", "failing", "problems", "signature", "decision", "why", "stop",
                "left_s", "pipeline_remaining_s", "l2_timebox_s", "downstream_s",
                "effective_s", "winning_cap", "round", "exit_reason", "source",
                "proximity_before", "proximity_after", "factor", "remaining_s", "token_scale",
                "regrounds", "budget", "passed", "calls", "waited_s", "deadline_s")
THOUGHT_SHOWN_CHARS = 600
# Said only when true: a repair of an applied change (on_live), a tool-loop round (round 0
# is a single turn outside the tool loop).
HIDDEN_WHEN_FALSY = ("on_live", "round")


def _thought_detail(data: dict[str, Any]) -> str:
    keep = {k: data[k] for k in THOUGHT_KEYS if data.get(k) not in (None, [], "")}
    for key in HIDDEN_WHEN_FALSY:
        if not keep.get(key):
            keep.pop(key, None)
    if "why" in keep and keep["why"] == keep.get("decision"):  # "converged", twice
        del keep["why"]
    return f"\n       {json.dumps(keep)[:THOUGHT_SHOWN_CHARS]}" if keep else ""


def _model_line(m: dict[str, Any]) -> str:
    status = "ok" if m["ok"] else f"FAILED {m['error']}"
    extra = _telemetry_words(m.get("telemetry") or {})
    nominal = (m.get("telemetry") or {}).get("nominal") is True  # the kernel's charge, no money
    return (f"     model  {m['phase']} {m['provider']}/{m['model']} in={m['prompt_tokens']} "
            f"out={m['completion_tokens']} {cost_column(m['cost_usd'], m['cost_usd'] * nominal)} "
            f"{m['latency_ms']:.0f}ms "
            f"{status}" + (f" {extra}" if extra else "") + _reply_lines(m.get("reply_text") or ""))


def _telemetry_words(tele: dict[str, Any]) -> str:
    """A model call's telemetry as words: exit reason, depth, canary maximum (the kernel's
    per-token peak), and the reflex's collapse proximity with its source."""
    words = [f"{k}={tele[k]}" for k in ("exit_reason", "mean_depth", "canary_max_proximity")
             if tele.get(k) not in (None, "")]
    collapse = tele.get("collapse")
    if isinstance(collapse, dict) and collapse.get("proximity") is not None:
        words.append(f"collapse_proximity={collapse['proximity']}"
                     f"({collapse.get('source') or '?'})")
    return " ".join(words)


REPLY_SHOWN_CHARS = 600  # the ledger keeps up to 16 KiB; the chain shows the head
MORE = "... {n} more chars (ouroboros ledger OP --json shows all)"


def _capped(reason: str) -> str:
    """A transition's reason, its head only: an unusable reply's whole text can be in it."""
    if len(reason) <= REPLY_SHOWN_CHARS:
        return reason
    return reason[:REPLY_SHOWN_CHARS] + MORE.format(n=len(reason) - REPLY_SHOWN_CHARS)


def _reply_lines(text: str) -> str:
    """The model's reply under its call line, indented and capped."""
    if not text:
        return ""
    shown = text[:REPLY_SHOWN_CHARS]
    more = ("\n       " + MORE.format(n=len(text) - REPLY_SHOWN_CHARS)
            if len(text) > REPLY_SHOWN_CHARS else "")
    body = "\n".join(f"       | {line}" for line in shown.splitlines())
    return f"\n{body}{more}"


def _payload_line(payload: dict[str, Any]) -> str:
    keep = {k: v for k, v in payload.items() if k in ("tier", "route", "files", "failed",
                                                      "summary", "commit", "rolled_back")}
    return f"\n       {json.dumps(keep)}" if keep else ""
