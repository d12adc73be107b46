"""`ouroboros status` as text, rendered where the answer is built: the daemon sends it with
the typed answer (daemon.control.server), so the CLI's `status` prints it without loading
pydantic; the CLI renders it itself only for a daemon that sent none (an older one).

Times of day are the daemon's local time (it runs on the same machine as its CLI).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from daemon.console import brief, cost_column, cut
from daemon.status.outage_text import clock_time, down_lines

# governance.schemas.Source.TEST_FAILURE, not imported: the CLI's status client stays light
# (a test holds the two equal)
TEST_FAILURE = "test_failure"
# said after today's cost when part of it is the in-process model's nominal charge
NOMINAL = (" - nominal: the in-process model's charge (provider.usd_per_mtok) bounds its "
           "compute; no money is spent")

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


def _down(s: Status) -> list[str]:
    """The brains down; while none may be asked (QUEUE_ONLY) the queue waits for them too."""
    if s.failback is None:
        return []
    return down_lines(s.failback.down, len(s.queue) if s.failback.state == "QUEUE_ONLY" else 0)


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
             *(f"down:     {line}" for line in _down(s)),
             *(f"model:    {line}" for line in (s.failback.unlisted if s.failback else [])),
             *([f"brain:    {s.brain_note}"] if s.brain_note else []),
             f"dispatch: {_dispatch(s)}",
             f"cost:     {cost_column(s.cost_today_usd, s.cost_today_nominal_usd)} today of "
             f"${s.daily_budget_usd:.2f}" + (NOMINAL if s.cost_today_nominal_usd else "")
             + (" - daily budget spent: ops wait for the next UTC day"
                if s.budget_exhausted else ""),
             *_middle_lines(s),
             f"queue:    {len(s.queue)} waiting"]
    lines += [f"  - [{q.priority if isinstance(q, Queued) else 'after ' + q.waiting_for}] "
              f"{q.source}: {cut(q.goal, 90)}" for q in s.queue]
    if s.held_back:
        lines.append(f"held back: {len(s.held_back)} (failed work waits for its backoff or "
                     "a change of code, tests, brain or settings)")
        lines += [f"  - {h.source} {h.event}" + (f" until {h.until[:19]}" if h.until else "")
                  + f": {cut(h.reason or h.op_id, 90)}" for h in s.held_back]
    lines += _failing_lines(s)
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
    lines = [f"reflex:   {n_of(r.spooks, 'canary spook')}, {n_of(r.collapses, 'collapse')}, "
             f"{n_of(r.regrounds, 're-ground')}, {r.recoveries} recovered (since the daemon "
             "started)"]
    lines += [f"sensor:   {name}: {why}" for name, why in s.sensor_problems.items()]
    if g := s.grounding:  # the outcome records' calibration (ouroboros stats: more)
        lines.append(f"memory:   {g.outcomes} outcomes, Brier "
                     f"{'n/a' if g.brier is None else format(g.brier, '.3f')}, drift "
                     f"{'n/a' if g.drift is None else format(g.drift, '+.3f')}")
        if ls := g.lessons:  # governance.memory.lessons: this run's buffer
            lines.append(f"lessons:  {ls.count} of {ls.cap}, cleared {n_of(ls.cleared, 'time')}")
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
        kinds = ", ".join(f"{n} {kind}" for kind, n in (s.reviews.kinds or {}).items())
        lines.append(f"review:   {waiting_line(s.reviews.count)}"
                     + (f" ({kinds})" if kinds else ""))
    return lines


def profile_line(s: Status) -> str:
    """The suite profile: its tree, age and coverage, or that it is learnt or timed out."""
    p = s.suite_profile
    assert p is not None
    parts = []
    if p.tree is not None:
        refreshed = f", {n_of(p.rerun, 'test')} rerun at the last refresh" \
            if p.rerun is not None else ""
        parts.append(f"tree {p.tree} (HEAD {p.head}), {n_of(p.tests, 'test file')} over "
                     f"{n_of(p.files, 'code file')}, learnt {age_text(p.age_s or 0.0)} ago, "
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
            + "; ".join([*(host.reasons or ["?"]), *([host.bound] if host.bound else [])]))


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
    if op.waiting_for_brain_since is not None:
        flag += f"  waiting for a brain since {clock_time(op.waiting_for_brain_since)}"
    if op.l2_iteration:
        flag += f"  L2 iteration {op.l2_iteration}"
    return (f"  - {op.op_id} {op.phase} risk={op.risk} "
            f"{cost_column(op.cost_usd, op.nominal_usd)} {op.age_s}s{flag}\n"
            f"      {cut(op.goal, 100)}")


def n_of(count: int, noun: str) -> str:
    """`count` `noun`s, the noun in the plural unless the count is one."""
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


def _failing_lines(s: Status) -> list[str]:
    """The tests the suite's last runs left failing, and, when no work of theirs is queued,
    held back or in flight, that nothing is being done about them now."""
    if not s.failing_count:
        return []
    shown = ", ".join(brief(t, 70) for t in s.failing_tests[:3])  # repo text: no controls
    more = f", +{s.failing_count - 3}" if s.failing_count > 3 else ""
    out = [f"failing:  {s.failing_count} test(s) in the suite's last runs: {shown}{more}"]
    busy = any(w.source == TEST_FAILURE for w in [*s.queue, *s.held_back]) \
        or s.in_flight
    if not busy:
        out.append("  none of their work is queued, held back or in flight: the next suite "
                   "run or change of their code takes them again (`ouroboros ledger` says "
                   "how the last op ended)")
    return out
