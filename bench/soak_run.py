"""The soak's loop: a real `ouroboros run` on a real repository, sized by bench/soak_plan.py,
fed by the human, shaken by the events of bench/soak_events.py, sampled by
bench/soak_metrics.py and checked by bench/soak_checks.py (bench/soak.py is the command and
prints the report).

The loop reads the ledger (read-only) a few times a second. An item is settled once an op
of it ended on its own (not cut short by a kill or a full disk: that work is offered
again): COMPLETE, or PROPOSED (its review waits, and must not be proposed again), or
anything else, and then the human takes it over and writes the fix. An item with no such
end within `give_up_s` is taken over too. New items are given while fewer than
`outstanding` are open and the next item's slot is free; the feed stops at `ops` ended ops
or `hours`, whichever comes first, and the soak ends once every item given is settled (or
`drain_s` has passed).
"""

from __future__ import annotations

import contextlib
import random
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import soak_checks, soak_events, soak_metrics
from bench.soak_checks import Op
from bench.soak_human import Human
from bench.soak_plan import Plan
from bench.soak_world import Item, build_repo, plan, write_script
from tests.daemon_process import start, terminate, wait_ready
from tests.helpers import wait_sync

TICK_S = 0.2  # how often the loop reads the ledger


def config_text(p: Plan, script: Path, state: Path) -> str:
    """The daemon's ouroboros.toml for the soak: the defaults but for what a soak of hours
    must see happen (retention and the memory window it waits for, the state gate's
    marks on a small tmpfs, retries after backoff)."""
    lines = ["[provider]", 'name = "replay"', f'replay_script = "{script}"',
             "[daemon]", f'state_dir = "{state}"', f"workers = {p.workers}",
             "shutdown_grace_s = 5.0",
             "[intake]", f"scan_interval_s = {p.scan_interval_s}",
             # The box is shared: with the host gate on, others' load would pause the soak.
             "[health]", "enabled = false",
             "[ledger]", "keep_days = 0", f"keep_ops = {p.keep_ops}",
             f"segment_min_rows = {p.segment_min_rows}",
             f"archive_interval_s = {p.archive_interval_s}",
             f"quiet_every_ops = {p.quiet_every_ops}",
             "[storage]", "min_free_mb = 2", "resume_free_mb = 4", "poll_s = 0.5",
             "[governance]", f"memory_ttl_h = {p.memory_ttl_h}"]
    if p.notify_s is not None:
        lines.append(f"notify_apply_delay_s = {p.notify_s}")
    return "\n".join(lines) + "\n"


@dataclass
class Soak:
    plan: Plan
    where: Path
    rng: random.Random = field(init=False)
    repo: Path = field(init=False)
    state: Path = field(init=False)
    config: Path = field(init=False)
    human: Human = field(init=False)
    proc: subprocess.Popen | None = None
    lives: int = 0
    began: float = field(default_factory=time.monotonic)
    items: list[Item] = field(default_factory=list)
    given: dict[int, Item] = field(default_factory=dict)
    given_at: dict[int, float] = field(default_factory=dict)
    open: dict[int, Item] = field(default_factory=dict)
    settled: dict[int, str] = field(default_factory=dict)  # item -> its first own end
    seen: dict[str, Op] = field(default_factory=dict)
    samples: list[soak_metrics.Sample] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    hold: threading.Lock = field(default_factory=threading.Lock)  # no sample meanwhile
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.plan.seed)
        self.items = plan(self.plan.ops, self.plan.slots, self.plan.seed)

    # -- set-up ---------------------------------------------------------------------

    def setup(self) -> None:
        self.repo = build_repo(self.where / "repo", self.plan.slots)
        self.human = Human(self.repo)
        fs = soak_events.mount_tmpfs(self.where / "fs", self.plan.disk_mb)
        self.state = (fs or self.where) / "state"
        self.events.append({"event": "state dir", "tmpfs": fs is not None,
                            "path": str(self.state)})
        script = write_script(self.where / "script.jsonl", self.items)
        self.config = self.where / "ouroboros.toml"
        self.config.write_text(config_text(self.plan, script, self.state))

    def launch(self) -> float:
        """Start the daemon; seconds until it serves (start-up recovery included)."""
        self.lives += 1
        log = self.where / f"daemon-{self.lives}.log"
        self.proc = start(self.repo, self.config, log)
        return wait_ready(self.proc, log, timeout=120)

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    # -- the loop -------------------------------------------------------------------

    def run(self) -> None:
        self.setup()
        self.launch()
        self.began = time.monotonic()
        sampler = threading.Thread(target=self._sample_forever, name="soak-sampler",
                                   daemon=True)
        sampler.start()
        schedule = soak_events.schedule(self.plan, self.rng)
        try:
            while not self._finished():
                self.read()
                self.settle()
                self.feed()
                while schedule and schedule[0][0] <= self.progress():
                    _, kind = schedule.pop(0)
                    self.events.append(soak_events.fire(self, kind))
                self.done.wait(TICK_S)
            self.finish()
        finally:
            self.done.set()
            sampler.join(timeout=30)
            if self.proc is not None:
                terminate(self.proc)
            self._keep_state()

    def _keep_state(self) -> None:
        """The state dir copied out of its tmpfs (the report reads it), then unmounted."""
        kept = self.where / "state-final"
        if self.state.is_dir() and self.state != kept:
            shutil.copytree(self.state, kept, symlinks=True, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.sock", "sandboxes", "oracle"))
            self.state = kept
        soak_events.unmount(self.where / "fs")

    def progress(self) -> float:
        ended = sum(1 for o in self.seen.values() if o.ends)
        return max(ended / self.plan.ops, self.elapsed() / (self.plan.hours * 3600))

    def feeding(self) -> bool:
        return self.progress() < 1.0 and len(self.given) < len(self.items)

    def _finished(self) -> bool:
        if self.feeding():
            return False
        return not self.open or self.elapsed() > self.plan.hours * 3600 + self.plan.drain_s

    def read(self) -> dict[str, Op]:
        """The ledger's ops now, merged into what the soak has seen (archived ops stay)."""
        ops = soak_checks.read_ops(self.state)
        self.seen.update(ops)
        return ops

    def settle(self) -> None:
        """An item settles with its first op that ended on its own (not cut short by a
        kill or a full disk: that work is offered again). A failure is taken over by
        the human; so is an item with no such end after `give_up_s`."""
        ends: dict[int, list[Op]] = {}
        for o in self.seen.values():
            if o.item in self.open and o.ends and not o.cut_short:
                ends.setdefault(o.item, []).append(o)
        for n, item in list(self.open.items()):
            mine = sorted(ends.get(n, []), key=lambda o: o.created)
            if mine:
                how = str(mine[0].end)
            elif time.monotonic() - self.given_at[n] > self.plan.give_up_s:
                how = "given up"
            else:
                continue
            if how not in ("COMPLETE", "PROPOSED"):
                self.human.take_over(item)
            self.settled[n] = how
            del self.open[n]

    def feed(self) -> None:
        """Give the next items while few enough are open and the next one's slot is free
        (the items of a slot come in order)."""
        while self.feeding() and len(self.open) < self.plan.outstanding:
            item = self.items[len(self.given)]
            if any(o.slot == item.slot for o in self.open.values()):
                return
            self.human.give(item)
            self.given[item.n] = self.open[item.n] = item
            self.given_at[item.n] = time.monotonic()
            if len(self.given) % self.plan.journal_every == 0:
                self.human.write_journal()

    def _sample_forever(self) -> None:
        while not self.done.wait(self.plan.sample_s):
            with self.hold:
                proc = self.proc
                if proc is None or proc.poll() is not None:
                    continue
                ended = sum(1 for o in self.seen.values() if o.ends)
                try:
                    self.samples.append(soak_metrics.take(self.elapsed(), proc.pid,
                                                          self.state, ended))
                except (OSError, ValueError) as exc:  # the process went meanwhile
                    self.events.append({"event": "sample skipped", "why": str(exc)})

    # -- checks ---------------------------------------------------------------------

    def check_running(self, when: str) -> None:
        """The checks that hold while the daemon runs."""
        found = soak_checks.ledger_problems(self.state, self.read())
        before = dict(self.seen)
        self.read()
        found += soak_checks.repo_problems(self.repo, self.human, before, dict(self.seen))
        self.problems += [f"{when}: {p}" for p in found]

    def finish(self) -> None:
        """Wait for the daemon to be idle, check it running, stop it, check at rest."""
        soak_events.wait_idle(self, timeout_s=120)
        policy = self._policy_problems()  # the daemon's own passes, while it is idle
        self.check_running("at the end, running")
        with self.hold:
            assert self.proc is not None
            code = terminate(self.proc)
            self.proc = None
        self.events.append({"event": "stopped", "exit": code})
        ops = soak_checks.read_ops(self.state, archived=True)
        self.seen.update(ops)
        found = soak_checks.ledger_problems(self.state, ops)
        found += soak_checks.repo_problems(self.repo, self.human, ops, ops)
        found += soak_checks.final_problems(self.state, self.repo, self.human, self.given,
                                            ops)
        found += policy
        verified = subprocess.run([sys.executable, "-m", "daemon.cli", "ledger", "--verify",
                                   "--repo", str(self.repo), "--config", str(self.config)],
                                  capture_output=True, text=True, check=False)
        if verified.returncode != 0:
            found.append(f"ouroboros ledger --verify exits {verified.returncode}: "
                         f"{verified.stdout[-1500:]}{verified.stderr[-500:]}")
        self.problems += [f"at the end: {p}" for p in found]

    def _policy_problems(self) -> list[str]:
        """Retention keeps up: once the daemon is idle, its next passes leave the newest
        keep_ops inline, the ops since the quiet point before them (at most one in every
        quiet_every_ops: retention cuts there) and at most what a segment's least would
        hold (about ten rows an op)."""
        p = self.plan
        bound = p.keep_ops + p.quiet_every_ops + p.segment_min_rows // 10

        def inline() -> int:
            with soak_checks.ledger_ro(self.state) as db:
                return db.execute("SELECT COUNT(*) FROM operations").fetchone()[0]

        # The archive thread runs at nice 19: on a box another test run keeps busy it gets
        # a sliver of a core, so it is given minutes, not seconds (it ends as soon as done).
        with contextlib.suppress(AssertionError):
            wait_sync(lambda: inline() <= bound, 2 * p.archive_interval_s + 150,
                      "retention to catch up", interval=0.5)
        found = inline()
        return [] if found <= bound else [
            f"the ledger is outside its policy: {found} ops inline, at most {bound}"]
