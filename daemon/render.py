"""Text rendering for the CLI: status, op lists and an op's causal chain."""

from __future__ import annotations

import json
from typing import Any


def status_text(s: dict[str, Any]) -> str:
    lines = [f"state:    {s['state']}" + (f" - {s['degraded_reason']}"
                                           if s.get("degraded_reason") else ""),
             f"repo:     {s['repo']}",
             f"provider: {s['provider'] or 'none'}",
             f"dispatch: {'PAUSED' if s['paused'] else 'running'}",
             f"cost:     ${s['cost_today_usd']:.4f} today of ${s['daily_budget_usd']:.2f}"
             + (" - daily budget spent: ops wait for the next UTC day"
                if s.get("budget_exhausted") else ""),
             f"queue:    {len(s['queue'])} waiting"]
    if "reflex" in s:  # since the daemon started
        r = s["reflex"]
        lines.insert(-1, f"reflex:   {r['spooks']} canary spooks, {r['collapses']} collapses, "
                         f"{r['regrounds']} re-grounds, {r['recoveries']} recovered")
    lines += [f"  - [{q['priority']}] {q['source']}: {q['goal'][:90]}" for q in s["queue"]]
    for op_id, question in s.get("questions", {}).items():
        lines.append(f"QUESTION from {op_id}: {question}\n      reply: ouroboros answer "
                     f"{op_id} \"...\"")
    lines.append(f"in flight: {len(s['in_flight'])}")
    for op in s["in_flight"]:
        flag = "  AWAITING APPROVAL" if op["awaiting_approval"] else ""
        if op.get("waiting_for_model_s") is not None:
            flag += f"  waiting for the model {op['waiting_for_model_s']}s"
        lines.append(f"  - {op['op_id']} {op['phase']} risk={op['risk']} "
                     f"${op['cost_usd']:.4f} {op['age_s']}s{flag}\n      {op['goal'][:100]}")
    return "\n".join(lines)


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
    events: list[tuple[str, int, str]] = []
    for t in chain["transitions"]:
        arrow = f"{t['from_phase'] or '-'} -> {t['to_phase']}"
        cost = f"  (+${t['cost_delta']:.4f})" if t["cost_delta"] else ""
        detail = _payload_line(t["payload"])
        events.append((t["ts"], 0, f"#{t['seq']:<3} {arrow}: {t['reason']}{cost}{detail}"))
    for m in chain["model_calls"]:
        status = "ok" if m["ok"] else f"FAILED {m['error']}"
        tele = m.get("telemetry") or {}
        extra = " ".join(f"{k}={tele[k]}" for k in ("exit_reason", "mean_depth",
                                                    "canary_max_proximity") if k in tele)
        collapse = tele.get("collapse")
        if isinstance(collapse, dict) and collapse.get("proximity"):
            extra += f" collapse={collapse['proximity']}({collapse.get('source', '?')})"
        events.append((m["ts"], 1, f"     model  {m['phase']} {m['provider']}/{m['model']} "
                                   f"in={m['prompt_tokens']} out={m['completion_tokens']} "
                                   f"${m['cost_usd']:.4f} {m['latency_ms']:.0f}ms {status}"
                                   + (f" {extra}" if extra else "")
                                   + _reply_lines(m.get("reply_text") or "")))
    for c in chain["tool_calls"]:
        events.append((c["ts"], 1, f"     tool   {c['tool']} {c['verdict']} "
                                   f"{c['result_bytes']}B {json.dumps(c['arguments'])[:80]}"))
    for th in chain["thoughts"]:
        events.append((th["ts"], 1, f"     think  {th['phase']}: {th['msg']}"
                                    + _thought_detail(th.get("data") or {})))
    lines += [text for _, _, text in sorted(events, key=lambda e: (e[0], e[1]))]
    return "\n".join(lines)


# Thought data worth a line of its own in the chain (the rest is in --json): L2's
# iterations and clocks, and the reflex's proximities.
THOUGHT_KEYS = ("entry_class", "failure_class", "failing", "signature", "decision", "why",
                "stop", "winning_cap", "effective_s", "pipeline_remaining_s",
                "proximity_before", "proximity_after")


def _thought_detail(data: dict[str, Any]) -> str:
    keep = {k: data[k] for k in THOUGHT_KEYS if data.get(k) not in (None, [], "")}
    return f"\n       {json.dumps(keep)[:600]}" if keep else ""


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
