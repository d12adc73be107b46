"""The soak's invariants: what must hold after every kill, every restart and at the end.

Each check returns the problems it found as sentences (empty: it holds), so bench/soak.py
can print them all and tests/bench/test_soak.py can assert there are none:

- the ledger verifies as it stands (every hash chain, every archive segment), and no op
  has two terminal rows; after a restart, every op the kill left unfinished has one;
- the repository agrees with the ledger: an op is COMPLETE iff a commit on the human's
  branches names it, PROPOSED iff its review branch exists; git shows nothing dirty but
  the human's work and the files of ops still running; no `index.lock` outlives the
  daemon's refresh, no temporary index of a dead process is left;
- nothing of the human's is touched: staged, unstaged and untracked files, byte for byte;
- no work is lost or done twice: every item given has an op, no item has two COMPLETE or
  two PROPOSED ops, and no two ops of one item ran at the same time.

The ledger is read read-only; archived ops are read from their segments.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench.soak_human import Human, git
from bench.soak_world import HUMAN_STATUS, HUMAN_WIP, Item
from governance.git.index_sync import TEMP_INDEX_PREFIX
from ledger.segments import archive_dir, read_segment, segments
from ledger.store import TERMINAL_PHASES
from ledger.verify import report_text, verify_file
from tests.daemon_process import ledger_ro

ITEM = re.compile(r"\(item (\d+)\)")
REVIEW_PREFIX = "ouroboros/"
LOCK_GRACE_S = 2.0  # an index.lock older than this is no refresh of the daemon's
# daemon.recovery's reasons for the ops it closes (its `cause`s, daemon.host.state_gate's too)
CUT_SHORT = ("daemon stopped during", "the state dir had no room during")


@dataclass
class Op:
    op_id: str
    created: str
    goal: str
    targets: list[str]
    ends: list[tuple[str, str, str]] = field(default_factory=list)  # (phase, ts, reason)

    @property
    def item(self) -> int | None:
        m = ITEM.search(self.goal)
        return int(m.group(1)) if m else None

    @property
    def end(self) -> str | None:
        return self.ends[0][0] if self.ends else None

    @property
    def cut_short(self) -> bool:
        """Ended by the daemon's own recovery (a kill, a full state dir): its work is
        offered again, so it says nothing about the work."""
        return bool(self.ends) and self.ends[0][2].startswith(CUT_SHORT)


def read_ops(state: Path, archived: bool = False) -> dict[str, Op]:
    """Every op in the ledger (and, with `archived`, in its segments) with its ends."""
    ops: dict[str, Op] = {}
    with ledger_ro(state) as db:
        # One snapshot: a segment committed between the two SELECTs would leave its ops
        # read without their ends (and the soak once counted 50 such "unfinished" ops).
        db.execute("BEGIN")
        rows: list[tuple[str, tuple]] = []
        if archived:
            directory = archive_dir(state / "ledger.sqlite3")
            for seg in segments(db):
                rows += [(t, v) for t, _, v in read_segment(directory, seg)
                         if t in ("operations", "transitions")]
        rows += [("operations", r) for r in db.execute(
            "SELECT op_id, created_at, source, goal, session_id, envelope FROM operations "
            "ORDER BY rowid")]
        marks = ",".join("?" * len(TERMINAL_PHASES))
        rows += [("transitions", r) for r in db.execute(
            f"SELECT op_id, seq, ts, from_phase, to_phase, reason FROM transitions WHERE to_phase "
            f"IN ({marks}) ORDER BY rowid", TERMINAL_PHASES)]
    for table, v in rows:
        if table == "operations":
            targets = json.loads(v[5]).get("target_files", [])
            ops[v[0]] = Op(v[0], v[1], v[3], list(targets))
        elif v[4] in TERMINAL_PHASES and v[0] in ops:
            ops[v[0]].ends.append((v[4], v[2], v[5]))
    return ops


def ledger_problems(state: Path, ops: dict[str, Op]) -> list[str]:
    report = verify_file(state / "ledger.sqlite3")
    out = [] if report.ok else [f"ledger --verify fails: {report_text(report)[:2000]}"]
    out += [f"{o.op_id} has {len(o.ends)} terminal rows: {o.ends}"
            for o in ops.values() if len(o.ends) > 1]
    return out


def recovered_problems(ops: dict[str, Op], unfinished: Iterable[str]) -> list[str]:
    """Each op a kill left unfinished ended exactly once by the time the daemon served."""
    return [f"{op} (unfinished at the kill) has {len(ops[op].ends) if op in ops else 0} "
            "terminal rows after the restart" for op in unfinished
            if op not in ops or len(ops[op].ends) != 1]


def repo_problems(repo: Path, human: Human, before: dict[str, Op],
                  after: dict[str, Op]) -> list[str]:
    """The repository agrees with the ledger, and the human's work is as they left it.
    The daemon may be running: `before` is the ledger read before git is asked, `after`
    once it has answered, so an op that ends in between is judged by what each read can
    show (a commit or review branch is made before its op's terminal row)."""
    running = {t for o in (*before.values(), *after.values()) if not o.ends
               for t in o.targets} | {t for op, o in after.items() if op not in before
                                      for t in o.targets}
    out = _human_problems(repo, human)
    allowed = HUMAN_STATUS | {f"?? {rel}" for rel in human.saved}
    for line in git(repo, "status", "--porcelain", "--untracked-files=all").splitlines():
        if line not in allowed and line[3:] not in running:
            out.append(f"git status shows {line!r}: neither the human's nor a running op's")
    landed = _op_ids(git(repo, "log", f"--exclude={REVIEW_PREFIX}*", "--branches",
                         "--format=%(trailers:key=Op-Id,valueonly,separator=%x20)"))
    reviews = {ref.removeprefix(REVIEW_PREFIX) for ref in git(
        repo, "for-each-ref", "--format=%(refname:short)",
        f"refs/heads/{REVIEW_PREFIX}").split()}
    for made, phase, what in ((landed, "COMPLETE", "a commit on the human's branches"),
                              (reviews, "PROPOSED", "a review branch")):
        for o in before.values():
            if o.ends and (o.end == phase) != (o.op_id in made):
                out.append(f"{o.op_id} ended {o.end}, and {what} "
                           f"{'names it' if o.op_id in made else 'is missing'}")
        for op in made:
            later = after.get(op)
            if later is None:
                out.append(f"{what} names {op}, which is not in the ledger")
            elif later.ends and later.end != phase:
                out.append(f"{what} names {op}, which ended {later.end}")
    return out + _git_dir_problems(repo)


def _op_ids(text: str) -> set[str]:
    return {w for w in text.split() if w.startswith("op-")}


def _human_problems(repo: Path, human: Human) -> list[str]:
    out = []
    for rel, (text, how) in HUMAN_WIP.items():
        if (repo / rel).read_bytes() != text.encode():
            out.append(f"the human's {how} {rel} was changed")
    if git(repo, "show", ":notes.txt") != HUMAN_WIP["notes.txt"][0]:
        out.append("the human's staged notes.txt is no longer staged as it was")
    if git(repo, "diff", "--cached", "--name-only", "--", "README.md").strip():
        out.append("the human's unstaged README.md edit was staged")
    for rel, data in human.saved.items():
        path = repo / rel
        if not path.is_file() or path.read_bytes() != data:
            out.append(f"the human's untracked {rel} was changed or removed")
    return out


def _git_dir_problems(repo: Path) -> list[str]:
    git_dir = repo / ".git"
    out = []
    for temp in git_dir.glob(f"{TEMP_INDEX_PREFIX}*"):
        pid = temp.name.removeprefix(TEMP_INDEX_PREFIX).split(".")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            out.append(f"{temp.name} left by a dead process")
    deadline = time.monotonic() + LOCK_GRACE_S
    while (git_dir / "index.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # a refresh in progress lets go within milliseconds
    if (git_dir / "index.lock").exists():
        out.append(f".git/index.lock held for over {LOCK_GRACE_S:g} s")
    return out


def final_problems(state: Path, repo: Path, human: Human, given: dict[int, Item],
                   ops: dict[str, Op]) -> list[str]:
    """With the daemon stopped: every op ended once, the repository is exactly the
    human's, the state dir's scratch is gone, and no item was lost or done twice."""
    out = [f"{o.op_id} never ended" for o in ops.values() if not o.ends]
    status = set(git(repo, "status", "--porcelain", "--untracked-files=all").splitlines())
    expected = HUMAN_STATUS | {f"?? {rel}" for rel in human.saved}
    if status != expected:
        out.append(f"git status differs from the human's work: {sorted(status ^ expected)}")
    for scratch in ("sandboxes", "oracle", "rollback"):
        if (state / scratch).is_dir() and os.listdir(state / scratch):
            out.append(f"{scratch}/ left in the state dir: {os.listdir(state / scratch)[:5]}")
    return out + item_problems(given, ops)


def item_problems(given: dict[int, Item], ops: dict[str, Op]) -> list[str]:
    by_item: dict[int, list[Op]] = {n: [] for n in given}
    for o in ops.values():
        if o.item in by_item:
            by_item[o.item].append(o)
    out = []
    for n, mine in by_item.items():
        ends = [o.end for o in mine]
        if not mine:
            out.append(f"item {n} ({given[n].kind}) was given and never became an op")
        for phase in ("COMPLETE", "PROPOSED"):
            if ends.count(phase) > 1:
                out.append(f"item {n} has {ends.count(phase)} {phase} ops")
        mine.sort(key=lambda o: o.created)
        for a, b in itertools.pairwise(mine):
            if a.ends and b.created < a.ends[0][1]:
                out.append(f"item {n}: {b.op_id} began before {a.op_id} ended")
    return out
