"""`ouroboros eval run`: a brain on every cached task, resumable, yielding to the host.

The run's order of business:
1. the spec (brain, kinds, tasks, samples, the settings' digest); an unfinished run of the
   same spec in the eval ledger is resumed: only the tasks it has no result for run;
2. the brain: a configured one built once (daemon.brains.providers) and its routes and speed
   resolved (daemon.brains.routes), or a replay stand-in built per task (daemon.eval.standins);
3. once, at the first task's base: the scratch's tests import the scratch's own code, not
   an editable install's working tree (daemon.eval.imports), else EvalError;
4. the tasks, `workers` at a time, each after the host gate clears (daemon.host.gate: the
   machine is its human's first), each result recorded the moment it is judged;
5. the card (daemon.eval.card), recorded, and written as JSON and HTML beside the ledger.

An interruption (Ctrl-C, a crash) loses at most the tasks in flight: their scratches are
removed and the next `eval run` does them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from daemon.brains.providers import build_provider, probe_forever
from daemon.brains.routes import know_brains
from daemon.config.settings import Settings
from daemon.eval import card as cards
from daemon.eval import imports, records, scratch
from daemon.eval.facts import facts_of
from daemon.eval.op import Parts, run_task
from daemon.eval.page import write_page
from daemon.eval.progress import Progress, with_heartbeat
from daemon.eval.records import Run, RunSpec
from daemon.eval.render import duration
from daemon.eval.settings import STAND_INS
from daemon.eval.suite import Suite
from daemon.eval.task import Kind, Task
from daemon.host.gate import HostGate, host_gate_for
from daemon.host.health import HostReader
from daemon.host.pause import host_yield
from ledger import Ledger
from ledger.errors import UnknownOperation

log = structlog.get_logger("daemon.eval")
Say = Callable[[str], None]


class EvalError(Exception):
    """A run that could not go on, or tasks that failed for reasons not the brain's."""


@dataclass(frozen=True)
class RunOptions:
    repo: Path
    state_dir: Path
    settings: Settings  # daemon.eval.settings.for_brain's
    brain: str
    kinds: tuple[Kind, ...]
    tasks: tuple[Task, ...]
    work: Path  # scratches
    jail_reason: str | None
    fresh: bool = False  # start anew even when an unfinished run of this spec exists
    host: HostReader | None = None  # the host gate's reader (tests: a fake tree)
    beat_s: float = 30.0  # a heartbeat line at least this often while a task runs
    max_s: float | None = None  # the time bound (--max-minutes); None: none


def spec_of(opts: RunOptions) -> RunSpec:
    return RunSpec(brain=opts.brain, kinds=[k.value for k in opts.kinds],
                   tasks=[t.id for t in opts.tasks], samples=opts.settings.generate.samples,
                   settings=opts.settings.work_digest())


async def run(opts: RunOptions, say: Say) -> cards.Card:
    ledger = await records.open_ledger(opts.state_dir)
    try:
        spec = spec_of(opts)
        current = None if opts.fresh else await records.unfinished(ledger, spec)
        if current is None:
            current = await records.start(ledger, spec, facts_of(opts.repo, opts.settings))
        else:
            say(f"resuming run {current.run_id}: {len(current.results)} task(s) done before")
        await _run_tasks(opts, ledger, current, say)
        return await finish(opts, ledger, current)
    finally:
        await ledger.close()


async def whereabouts(ledger: Ledger, op_id: str | None) -> str:
    """Where a task's op is, for its heartbeat: its phase and the model calls so far (a
    2-core box spends minutes in one phase; "its op runs" alone says nothing)."""
    if op_id is None:
        return "its signal is sensed (the changed tests run in the jail)"
    try:
        chain = await ledger.chain(op_id)
    except UnknownOperation:
        return "its op starts"
    phase = chain["transitions"][-1]["to_phase"] if chain["transitions"] else "CLASSIFY"
    calls = chain["model_calls"]
    if not calls:
        return f"its op is at {phase}, no model call answered yet"
    prompt = sum(c["prompt_tokens"] or 0 for c in calls)
    reply = sum(c["completion_tokens"] or 0 for c in calls)
    return (f"its op is at {phase}, {len(calls)} model call(s) so far ({prompt:,} prompt / "
            f"{reply:,} reply tokens)")


async def _run_tasks(opts: RunOptions, ledger: Ledger, current: Run, say: Say) -> None:
    todo = [(t, k) for t in opts.tasks for k in opts.kinds
            if f"{t.id}:{k.value}" not in current.done]
    total = len(opts.tasks) * len(opts.kinds)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + opts.max_s if opts.max_s else None  # the time bound
    progress = Progress(total, total - len(todo), say, max_s=opts.max_s)
    say(f"run {current.run_id}: brain {opts.brain}, {len(todo)} of {total} task(s) to run")
    if not todo:
        return
    await imports_checked(opts, todo[0][0], say)
    gate = host_gate_for(opts.settings.health, _host_note(say), opts.host)
    parts = await _parts(opts, ledger, gate)
    await gate.sample()  # before the first task: a busy host holds it back
    failures: list[str] = []
    slots = asyncio.Semaphore(opts.settings.eval.workers)

    async def one(task: Task, kind: Kind) -> None:
        # a busy host holds the task back, but as long as the daemon's own work at most
        # (health.max_wait_s, then on the bound's pass: daemon.host.gate)
        async with slots, gate.turn(f"eval {task.id}:{kind.value}"):
            started, ops = time.monotonic(), []

            async def beat() -> None:
                where = await whereabouts(ledger, ops[-1] if ops else None)
                say(f"  ... {task.id}:{kind.value}: {where} "
                    f"({duration(time.monotonic() - started)} so far)")

            try:
                result = await with_heartbeat(run_task(parts, task, kind, ops.append),
                                              opts.beat_s, beat)
            except Exception as exc:  # not the brain's doing: the task stays to be run
                log.exception("eval task failed", task=task.id, kind=kind.value)
                failures.append(f"{task.id}:{kind.value}: {type(exc).__name__}: {exc}")
                return
            await records.record_task(ledger, current, result)
            progress.tick(result)

    try:
        async with asyncio.timeout_at(deadline), asyncio.TaskGroup() as tg:
            watchers = [tg.create_task(gate.watch(), name="eval-host-gate"),  # and the brain's
                        tg.create_task(probe_forever(parts.provider), name="eval-probes")]
            async with asyncio.TaskGroup() as work:
                for task, kind in todo:
                    work.create_task(one(task, kind))
            for watcher in watchers:
                watcher.cancel()
    except TimeoutError:  # the tasks in flight were cancelled: they stay to be run
        raise EvalError(f"stopped at the time bound ({duration(opts.max_s or 0)}): "
                        f"{progress.done} of {total} task(s) done; the run stays unfinished, "
                        "and `eval run` again with the same brain and tasks resumes it"
                        ) from None
    finally:
        await _close(parts.provider)
    if failures:
        raise EvalError(f"{len(failures)} task(s) could not be run (the run stays unfinished; "
                        "`eval run` again resumes it): " + "; ".join(failures[:5]))


async def imports_checked(opts: RunOptions, first: Task, say: Say) -> None:
    """EvalError unless a scratch's tests import the scratch's own code (daemon.eval.imports),
    checked once, at the first task's base, before any task runs."""
    where = opts.work / "imports"
    try:
        root = await asyncio.to_thread(scratch.clone, opts.repo, where / "repo", first.parent)
        suite = Suite(opts.settings, where / "state", opts.jail_reason,
                      opts.settings.eval.suite_timeout_s, repo=opts.repo)
        found = await imports.check(suite, root, opts.repo)
    finally:
        await asyncio.to_thread(scratch.remove, where)
    for note in found.notes:
        say(f"note: {note}")
    if found.refusal:
        raise EvalError(found.refusal)


def _host_note(say: Say) -> Callable[[str, dict[str, Any]], Any]:
    async def note(msg: str, data: dict[str, Any]) -> None:
        say(msg)

    return note


async def _parts(opts: RunOptions, ledger: Ledger, gate: HostGate) -> Parts:
    """The brain (a configured one built now; a stand-in per task) and what it shares:
    its routes and speed, and the host gate a running op yields to (daemon.host.pause)."""
    provider = None
    if opts.brain not in STAND_INS:
        provider, why = await build_provider(opts.settings, opts.repo)
        if provider is None:
            raise EvalError(f"brain {opts.brain}: {why}")
        health = await provider.health()
        if not health.healthy:
            await _close(provider)
            raise EvalError(f"brain {opts.brain} is not healthy: {health.detail}")
    brains = await know_brains(opts.settings, provider, ledger)
    return Parts(repo=opts.repo, settings=opts.settings, brain=opts.brain, provider=provider,
                 ledger=ledger, work=opts.work, jail_reason=opts.jail_reason,
                 speeds=brains.speeds, plans=brains.plans, routes=brains.routes,
                 host_yield=host_yield(gate, {}, _op_note(ledger)))


def _op_note(ledger: Ledger) -> Callable[[str, str, dict[str, Any]], Any]:
    async def note(op_id: str, msg: str, data: dict[str, Any]) -> None:
        await ledger.record_thought(op_id, "HOST", msg, data)

    return note


async def _close(provider: object) -> None:
    """Close the HTTP brains' clients (the chain's members too); a close that fails is
    nothing to the run's results."""
    for member in [*getattr(provider, "providers", []), provider]:
        if (close := getattr(member, "aclose", None)) is not None:
            with contextlib.suppress(Exception):
                await close()


async def finish(opts: RunOptions, ledger: Ledger, current: Run) -> cards.Card:
    """The card of a run whose every task has a result: recorded, and written out."""
    every = await records.runs(ledger)
    fix_runs = [r for r in every if r.spec.brain == cards.FIX_BRAIN and r.card is not None]
    cutoff = opts.settings.eval.cutoffs.get(opts.brain, "")
    card = cards.build(current, fix_runs, cutoff)
    await records.record_card(ledger, current, card.model_dump(mode="json"))
    finished = [r for r in await records.runs(ledger) if r.card is not None]
    write_outputs(opts.state_dir, card, finished)
    return card


def out_dir(state_dir: Path, run_id: str) -> Path:
    return state_dir / "eval" / "runs" / run_id


def write_outputs(state_dir: Path, card: cards.Card, history: list[Run]) -> Path:
    """card.json and card.html in the run's directory; the directory."""
    where = out_dir(state_dir, card.run_id)
    where.mkdir(parents=True, exist_ok=True)
    (where / "card.json").write_text(card.model_dump_json(indent=1) + "\n", encoding="utf-8")
    write_page(where / "card.html", card, history)
    return where
