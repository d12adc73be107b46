"""Text rendering for the CLI: status, op lists and an op's causal chain.

`status_text` reads a daemon.status.model.Status; the model is imported only for its types,
so the other verbs' light path never loads pydantic (the CLI imports it for `status`).
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from daemon.cli.evidence_text import failure_block, repairs_block

if TYPE_CHECKING:
    from daemon.status.model import Failback, HostSnapshot, InFlight, Status, StorageSnapshot


def _failback(f: Failback | None) -> str:
    if f is None:
        return ""
    down = [f"{name}: {what}" for name, what in f.providers.items() if what != "healthy"]
    probe = f", next probe in {f.next_probe_s:g}s" if f.next_probe_s is not None else ""
    note = " - ops wait in the queue until a provider answers a probe" \
        if f.state == "QUEUE_ONLY" else ""
    return f" ({f.state}{probe}{'; ' if down else ''}{'; '.join(down)}){note}"


def _dispatch(s: Status) -> str:
    if s.paused:
        return "PAUSED"
    if s.storage is not None and s.storage.waiting:
        return "waiting for room in the state dir"
    return "waiting for the host" if s.host.waiting else "running"


def status_text(s: Status) -> str:
    """`ouroboros status`: one line per part, then the queue, the questions and the ops."""
    from daemon.status.model import Queued  # loaded already: `s` is one of its models

    lines = [f"state:    {s.state}" + (f" - {s.degraded_reason}" if s.degraded_reason else ""),
             f"repo:     {s.repo}",
             f"provider: {s.provider or 'none'}" + _failback(s.failback),
             *([f"brain:    {s.brain_note}"] if s.brain_note else []),
             f"dispatch: {_dispatch(s)}",
             f"cost:     ${s.cost_today_usd:.4f} today of ${s.daily_budget_usd:.2f}"
             + (" - daily budget spent: ops wait for the next UTC day"
                if s.budget_exhausted else ""),
             *_middle_lines(s),
             f"queue:    {len(s.queue)} waiting"]
    lines += [f"  - [{q.priority if isinstance(q, Queued) else 'after ' + q.waiting_for}] "
              f"{q.source}: {q.goal[:90]}" for q in s.queue]
    if s.held_back:
        lines.append(f"held back: {len(s.held_back)} (failed work waits for its backoff or "
                     "a change of code, brain or settings)")
        lines += [f"  - {h.source} {h.event}" + (f" until {h.until[:19]}" if h.until else "")
                  + f": {(h.reason or h.op_id)[:90]}" for h in s.held_back]
    for op_id, question in s.questions.items():
        lines.append(f"QUESTION from {op_id}: {question}\n      reply: ouroboros answer "
                     f"{op_id} \"...\"")
    lines.append(f"in flight: {len(s.in_flight)}")
    lines += [_in_flight_line(op) for op in s.in_flight]
    return "\n".join(lines)


def _middle_lines(s: Status) -> list[str]:
    """The lines between cost and queue: reflex, sensors, memory, signing, host, live,
    review; each only when it has something to say (the reflex always does)."""
    r = s.reflex  # counters since the daemon started; the ledger keeps each event
    lines = [f"reflex:   {_n(r.spooks, 'canary spook')}, {_n(r.collapses, 'collapse')}, "
             f"{_n(r.regrounds, 're-ground')}, {r.recoveries} recovered (since the daemon "
             "started)"]
    lines += [f"sensor:   {name}: {why}" for name, why in s.sensor_problems.items()]
    if g := s.grounding:  # the outcome records' calibration (ouroboros stats: more)
        lines.append(f"memory:   {g.outcomes} outcomes, Brier "
                     f"{'n/a' if g.brier is None else format(g.brier, '.3f')}, drift "
                     f"{'n/a' if g.drift is None else format(g.drift, '+.3f')}")
        if ls := g.lessons:  # governance.memory.lessons: this run's buffer
            lines.append(f"lessons:  {ls.count} of {ls.cap}, cleared {_n(ls.cleared, 'time')}")
    if s.suite_profile is not None:  # daemon.suite_profile: what picks the affected scope
        lines.append(f"profile:  {profile_line(s)}")
    if s.commit_signing.warning:
        lines.append(f"signing:  {s.commit_signing.warning}")
    if s.host.waiting:  # daemon.host.gate
        lines.append(f"host:     {host_line(s.host)}")
    if s.storage is not None and s.storage.waiting:  # daemon.host.state_gate
        lines.append(f"storage:  {storage_line(s.storage)}")
    if s.live_view:  # daemon.live_port: the page, token included
        lines.append(f"live:     {s.live_view}")
    if s.reviews.count:
        lines.append(f"review:   {waiting_line(s.reviews.count)}")
    return lines


def profile_line(s: Status) -> str:
    """The suite profile: its tree, age and coverage, or that it is learnt or timed out."""
    p = s.suite_profile
    assert p is not None
    parts = []
    if p.tree is not None:
        refreshed = f", {_n(p.rerun, 'test')} rerun at the last refresh" \
            if p.rerun is not None else ""
        parts.append(f"tree {p.tree} (HEAD {p.head}), {_n(p.tests, 'test file')} over "
                     f"{_n(p.files, 'code file')}, learnt {age_text(p.age_s or 0.0)} ago, "
                     f"suite {p.suite_s or 0.0:.1f}s{refreshed}")
    if p.learning_since is not None:
        since = time.strftime("%H:%M:%S", time.localtime(p.learning_since))
        parts.append(f"being learnt since {since}")
    if p.timed_out is not None:
        parts.append(f"the run at HEAD {p.timed_out.head} timed out after "
                     f"{p.timed_out.limit_s:g}s (not retried until HEAD moves)")
    return "; ".join(parts) or "none yet: ops' scopes are the import closure only"


def host_line(host: HostSnapshot) -> str:
    """Why heavy work waits for the machine, and since when (local time)."""
    since = time.strftime("%H:%M:%S", time.localtime(host.since)) if host.since else "?"
    waited = f" ({age_text(host.waited_s)})" if host.waited_s is not None else ""
    return (f"heavy work waits for the host since {since}{waited}: "
            + "; ".join(host.reasons or ["?"]))


def storage_line(storage: StorageSnapshot) -> str:
    """Why new ops wait for room in the state dir, and since when (local time)."""
    since = time.strftime("%H:%M:%S", time.localtime(storage.since)) if storage.since else "?"
    waited = f" ({age_text(storage.waited_s)})" if storage.waited_s is not None else ""
    return f"new ops wait since {since}{waited}: {storage.reason}"


def _in_flight_line(op: InFlight) -> str:
    flag = ""
    if op.waiting_for_model_s is not None:
        flag += f"  waiting for the model {op.waiting_for_model_s}s"
    if op.waiting_for_host:
        flag += f"  waits for the host before {op.waiting_for_host}"
    if op.l2_iteration:
        flag += f"  L2 iteration {op.l2_iteration}"
    return (f"  - {op.op_id} {op.phase} risk={op.risk} "
            f"${op.cost_usd:.4f} {op.age_s}s{flag}\n      {op.goal[:100]}")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def waiting_line(count: int) -> str:
    """What status and watch say while changes wait on review branches."""
    return f"{count} change(s) wait for review: ouroboros review"


def age_text(seconds: float) -> str:
    """An age in the largest unit that fits: 45s, 12m, 5h, 3d."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{max(0, int(seconds))}s"


def review_text(data: dict[str, Any]) -> str:
    """`review`: the list of what waits, or one review with its evidence and diff."""
    if "review" in data:
        r = data["review"]
        return "\n".join([_review_head(r), f"    base {r['base'][:12]} -> {r['sha'][:12]} "
                          f"on branch {r['branch']}", *_review_failures(r.get("failed")),
                          *_review_repairs(r.get("ascii_repairs")), "",
                          r["diff"].rstrip("\n"), "", _review_hint(r["op_id"])])
    items = data.get("reviews") or []
    if not items:
        return "nothing waits for review"
    verb = "waits" if len(items) == 1 else "wait"
    lines = [f"{_n(len(items), 'change')} {verb} for review (newest first):"]
    lines += [_review_head(r) for r in items]
    return "\n".join([*lines, "", _review_hint("OP")])


def _review_head(r: dict[str, Any]) -> str:
    files = ", ".join(r["files"][:8]) + (f" and {len(r['files']) - 8} more"
                                          if len(r["files"]) > 8 else "")
    return (f"  {r['op_id']}  {age_text(r['age_s'])} ago  +{r['insertions']} "
            f"-{r['deletions']}  {_n(len(r['files']), 'file')}\n"
            f"    goal:  {r['goal'][:100]}\n"
            f"    why:   {r['evidence'] or '(no Evidence trailer)'}\n"
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


def _review_repairs(repairs: Any) -> list[str]:
    """What the ASCII gate changed in the candidate on the branch (daemon.reviews)."""
    block = repairs_block(repairs, "    ")
    return [block.lstrip("\n")] if block else []


def _review_hint(op: str) -> str:
    return (f"accept: ouroboros accept {op} | reject: ouroboros reject {op} [reason] | "
            f"diff: ouroboros review {op}")


def op_list_text(ops: list[dict[str, Any]]) -> str:
    if not ops:
        return "no operations recorded yet"
    rows = [f"{o['op_id']}  {o['created_at'][:19]}  {o['phase'] or '?':<17} "
            f"${o['cost_usd']:.4f}  {o['goal'][:70]}" for o in ops]
    return "\n".join(rows)


def chain_text(chain: dict[str, Any]) -> str:
    op = chain["operation"]
    lines = [f"{op['op_id']}  source={op['source']}  session={op['session_id']}",
             f"goal: {op['goal']}", ""]
    events: list[Event] = []
    for t in chain["transitions"]:
        arrow = f"{t['from_phase'] or '-'} -> {t['to_phase']}"
        cost = f"  (+${t['cost_delta']:.4f})" if t["cost_delta"] else ""
        detail = _payload_line(t["payload"]) + failure_block(t["payload"].get("failures")) \
            + repairs_block(t["payload"].get("ascii_repairs"))
        events.append(Event("transition", t["ts"], f"#{t['seq']:<3} {arrow}: {t['reason']}"
                            f"{cost}{detail}", t["to_phase"], t["from_phase"]))
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
    return (f"     model  {m['phase']} {m['provider']}/{m['model']} in={m['prompt_tokens']} "
            f"out={m['completion_tokens']} ${m['cost_usd']:.4f} {m['latency_ms']:.0f}ms "
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


def _reply_lines(text: str) -> str:
    """The model's reply under its call line, indented and capped."""
    if not text:
        return ""
    shown = text[:REPLY_SHOWN_CHARS]
    more = (f"\n       ... {len(text) - REPLY_SHOWN_CHARS} more chars (ouroboros ledger OP "
            "--json shows all)") if len(text) > REPLY_SHOWN_CHARS else ""
    body = "\n".join(f"       | {line}" for line in shown.splitlines())
    return f"\n{body}{more}"


def _payload_line(payload: dict[str, Any]) -> str:
    keep = {k: v for k, v in payload.items() if k in ("tier", "route", "files", "failed",
                                                      "summary", "commit", "rolled_back")}
    return f"\n       {json.dumps(keep)}" if keep else ""
