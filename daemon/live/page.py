"""The live view's page: one self-contained HTML document (no external assets, no
framework). It reads /snapshot, then follows /events, and shows the in-flight ops, the queue,
the last commits and a log of recent events. Every text from the daemon is set with
textContent, never parsed as HTML: a goal or a diff cannot inject markup."""

import json

from ledger.store import TERMINAL_PHASES

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ouroboros live</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .3em} h2{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%} td,th{text-align:left;padding:.25em .6em;
border-bottom:1px solid #ddd;vertical-align:top} code,.mono{font-family:ui-monospace,monospace}
#status{color:#555} .empty{color:#999;font-style:italic} .bad{color:#b00} .good{color:#070}
.warn{color:#a60} #log{font:12px ui-monospace,monospace;white-space:pre-wrap;max-height:20em;
overflow:auto;background:#fff;border:1px solid #ddd;padding:.5em}
</style></head>
<body>
<h1>ouroboros live</h1>
<div id="status">connecting&hellip;</div>
<h2>In flight</h2>
<table><thead><tr><th>op</th><th>phase</th><th>goal</th><th>files</th><th>model</th>
<th>note</th></tr></thead><tbody id="ops"></tbody></table>
<h2>Queue</h2><ol id="queue"></ol>
<h2>Last commits</h2><ul id="commits"></ul>
<h2>Events</h2><div id="log"></div>
<script>
"use strict";
const TERMINAL = new Set(@TERMINAL@);
const view = {state: "?", ops: new Map(), queue: [], commits: [], snapSeq: 0, seen: 0,
              dropped: 0, connected: false};
const LOG_MAX = 200;

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}
function op(id) {
  if (!view.ops.has(id)) view.ops.set(id, {op_id: id, phase: "CLASSIFY", goal: "", files: [],
                                           tokens: 0, proximity: null, note: ""});
  return view.ops.get(id);
}
function short(text, n) { text = String(text || ""); return text.length > n ?
  text.slice(0, n - 1) + "\\u2026" : text; }

function fromSnapshot(s) {
  view.snapSeq = s.seq || 0; view.state = s.state || "?"; view.ops = new Map();
  for (const o of s.in_flight || []) {
    const it = op(o.op_id); Object.assign(it, {phase: o.phase, goal: o.goal,
      files: o.files || [], note: ""});
  }
  view.queue = s.queue || [];
  view.commits = (s.commits || []).slice().reverse();
  view.reviews = {count: s.reviews || 0, kinds: s.review_kinds || {}};
}

function apply(e) {
  if (e.kind === "snapshot") { fromSnapshot(e); return; }
  if (e.kind === "dropped") { view.dropped += e.count; logLine(e); return; }
  if (e.kind === "heartbeat") return;
  if (e.seq && e.seq <= view.snapSeq) return;  // already in the snapshot
  logLine(e);
  const k = e.kind;
  if (k === "intent") Object.assign(op(e.op_id), {goal: e.goal, files: e.files || []});
  else if (k === "phase") {
    if (TERMINAL.has(e.to)) view.ops.delete(e.op_id); else op(e.op_id).phase = e.to;
  } else if (k === "model" && view.ops.has(e.op_id)) {
    const it = op(e.op_id); it.tokens += (e.prompt_tokens || 0) + (e.completion_tokens || 0);
    if (e.proximity !== null && e.proximity !== undefined) it.proximity = e.proximity;
  } else if (k === "notify_apply" && view.ops.has(e.op_id)) op(e.op_id).apply_at = e.apply_at;
  else if (k === "commit") {
    view.commits.unshift({sha: e.sha, goal: e.goal, op_id: e.op_id, ts: e.ts});
    view.commits = view.commits.slice(0, 10);
  } else if (k === "queue") view.queue = e.queue || [];
  else if (k === "service") view.state = e.state;
  else if (k === "reviews") view.reviews = {count: e.count || 0, kinds: e.kinds || {}};
}

function reviewsText() {  // as `ouroboros status` says it: cheapest decision first
  const r = view.reviews;
  if (!r || !r.count) return "";
  const kinds = Object.entries(r.kinds || {}).map(([k, n]) => n + " " + k).join(", ");
  return " \\u00b7 " + r.count + " change(s) wait for review" + (kinds ? " (" + kinds + ")" : "");
}

function logLine(e) {
  const log = document.getElementById("log");
  const t = e.ts ? new Date(e.ts * 1000).toLocaleTimeString() : "";
  let what = e.kind;
  if (e.kind === "phase") what += " " + (e.frm || "-") + " \\u2192 " + e.to;
  else if (e.kind === "tool") what += " " + e.tool + " " + e.verdict;
  else if (e.kind === "model") {
    what += " " + e.phase + " " + (e.prompt_tokens + e.completion_tokens) + " tok";
  }
  else if (e.kind === "commit") what += " " + short(e.sha, 12);
  else if (e.kind === "review") what += " on " + e.branch + ": " + e.evidence;
  else if (e.kind === "dropped") what += " " + e.count + " events (fell behind)";
  else if (e.kind === "queue") what += " " + e.change;
  else if (e.kind === "reviews") what += " " + e.count + " waiting";
  const line = el("div", t + " " + (e.op_id || "-") + " " + what);
  line.className = "ev-" + e.kind;
  log.prepend(line);
  while (log.childNodes.length > LOG_MAX) log.lastChild.remove();
}

function render() {
  const status = document.getElementById("status");
  status.textContent = "daemon " + view.state + (view.connected ? "" : " (disconnected)") +
    (view.dropped ? " \\u00b7 " + view.dropped + " events dropped" : "") + reviewsText();
  const ops = document.getElementById("ops"); ops.replaceChildren();
  for (const it of view.ops.values()) {
    const tr = el("tr"); tr.className = "op"; tr.dataset.op = it.op_id;
    let note = it.note;
    if (it.apply_at) {
      const left = Math.max(0, Math.round(it.apply_at - Date.now() / 1000));
      note = "applies in " + left + "s unless cancelled";
    }
    tr.append(el("td", it.op_id, "mono"), el("td", it.phase, "phase"),
              el("td", short(it.goal, 160)),
              el("td", it.files.join(", "), "mono"),
              el("td", it.tokens + " tok" + (it.proximity === null ? "" :
                 " \\u00b7 prox " + it.proximity.toFixed(2))), el("td", note, "warn"));
    ops.append(tr);
  }
  if (!view.ops.size) {
    const tr = el("tr"); tr.append(el("td", "nothing in flight", "empty")); ops.append(tr);
  }
  const queue = document.getElementById("queue"); queue.replaceChildren();
  for (const q of view.queue) queue.append(el("li", short(q.goal, 160) + " [" +
    (q.files || []).join(", ") + "]" + (q.waiting_for ? " (waits for " + q.waiting_for + ")" : ""),
    "queued"));
  if (!view.queue.length) queue.append(el("li", "empty", "empty"));
  const commits = document.getElementById("commits"); commits.replaceChildren();
  for (const c of view.commits) {
    const li = el("li", null, "commit"); li.dataset.sha = c.sha;
    li.append(el("code", short(c.sha, 12)), document.createTextNode(" " + short(c.goal, 160) +
              " (" + (c.op_id || "-") + ")"));
    commits.append(li);
  }
  if (!view.commits.length) commits.append(el("li", "none since the daemon started", "empty"));
}

const TOKEN = "?t=" + encodeURIComponent(new URLSearchParams(location.search).get("t") || "");

function connect() {
  const source = new EventSource("/events" + TOKEN);
  source.onopen = () => { view.connected = true; render(); };
  source.onerror = () => { view.connected = false; render(); };
  source.onmessage = (m) => {
    try { apply(JSON.parse(m.data)); } catch (err) { console.error(err); }
    render();
  };
}

fetch("/snapshot" + TOKEN).then((r) => r.json()).then((s) => { fromSnapshot(s); render(); })
  .catch(() => render()).finally(connect);
setInterval(render, 1000);
</script>
</body></html>
""".replace("@TERMINAL@", json.dumps(list(TERMINAL_PHASES)))
