"""kill -9 a real daemon in the middle of a three-file op, then recover: nothing is worse.

Each trial starts `python -m daemon.cli run` on a fresh repo holding the human's staged,
unstaged and untracked work, commits a TODO, and lets the replay model answer with a
three-file candidate (modify, modify, create). The daemon is SIGKILLed (with its process
group, git children included) either at a named crash point (governance/crashpoints.py)
or at a random moment of the op. Start-up recovery then runs, and the trial checks: the
op's files are all old or all new; all new iff its commit is in HEAD's history iff its
one terminal row is COMPLETE; `git status` shows exactly the human's work, byte for byte;
no index.lock, no temp file, no sandbox, no snapshot left.

OUROBOROS_CRASH_TRIALS sets the trial count (default 10, ~9 s each: every named point once
plus two random kills, of the daemon alone or of its process group; more trials alternate
random and named kills, and OUROBOROS_CRASH_TRIALS=22 is the old default's run);
OUROBOROS_CRASH_SEED changes the random kills.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from daemon.recovery import recover
from governance.crashpoints import ENV, POINTS
from governance.git.gitops import GitOps
from governance.git.index_sync import MARKER, TEMP_INDEX_PREFIX
from ledger import Ledger
from tests.daemon_process import ledger_ro, start, terminal_rows, wait_ready
from tests.helpers import CLAMP_TEST, OPS_FIXED, OPS_PY, explore_turn, git, make_repo, wait_sync

pytestmark = pytest.mark.slow

TODO_OPS = OPS_PY.replace("def clamp(x, lo, hi):\n",
                          "def clamp(x, lo, hi):\n    # TODO: clamp x into [lo, hi]\n")
# A proven two-file change (so APPLY writes, then creates): the TODO's fix, which makes the
# human's failing test pass, and a new module it imports (its one line runs at import).
OLD = {"calc/ops.py": TODO_OPS, "calc/extra.py": None}
NEW = {"calc/ops.py": OPS_FIXED.replace('"""Small arithmetic helpers."""\n',
                                        '"""Small arithmetic helpers."""\n'
                                        "from calc.extra import LIMIT  # noqa: F401\n"),
       "calc/extra.py": "LIMIT = 11\n"}
HUMAN_STATUS = {"M  notes.txt", " M README.md", "?? scratch.txt"}
HUMAN_FILES = ("notes.txt", "README.md", "scratch.txt")
# Named points, with the files each must leave (recovery then keeps or restores them).
LANDS = {"apply_after_snapshot": False, "atomic_before_rename": False,
         "apply_between_files": False, "commit_temp_index": False,
         "commit_before_update_ref": False,
         "commit_after_update_ref": True, "index_sync_locked": True,
         "before_terminal_row": True, "after_terminal_row": True}
RANDOM_KILLS = 2  # in the default run; more with OUROBOROS_CRASH_TRIALS
OP_WINDOW_S = 1.5  # random kills fall within this long after the op's first ledger row
TEMP = re.compile(r"\..+\.tmp")


def _trials() -> list[str]:
    assert set(LANDS) == set(POINTS), "every crash point is tried"
    named = list(LANDS)
    total = int(os.environ.get("OUROBOROS_CRASH_TRIALS") or len(named) + RANDOM_KILLS)
    plan = named[:total] + ["random"] * max(0, min(RANDOM_KILLS, total - len(named)))
    extra = 0
    while len(plan) < total:  # more trials locally: alternate random and named kills
        plan.append("random" if extra % 2 else named[extra // 2 % len(named)])
        extra += 1
    return [f"{kind}-{n}" for n, kind in enumerate(plan)]


def _setup(tmp: Path) -> tuple[Path, Path]:
    repo = make_repo(tmp)
    (repo / "tests" / "test_clamp.py").write_text(CLAMP_TEST)  # what the TODO will mean
    git(repo, "add", "tests/test_clamp.py")
    git(repo, "commit", "-qm", "a failing test for clamp")
    candidate = {"schema": "candidate.1", "rationale": "resolve the TODO",
                 "files": [{"file_path": p, "full_content": c} for p, c in NEW.items()]}
    turn = {"purpose": "generate", "text": json.dumps(candidate), "cost_usd": 0.001}
    explore = explore_turn("calc/ops.py")  # the file it changes
    (tmp / "script.jsonl").write_text(f"{explore}\n{json.dumps(turn)}\n")
    config = tmp / "ouroboros.toml"
    config.write_text(
        f'[provider]\nname = "replay"\nreplay_script = "{tmp / "script.jsonl"}"\n'
        '[daemon]\nshutdown_grace_s = 1.0\n[intake]\ndebounce_s = 0.1\n'
        '[governance]\nnotify_apply_delay_s = 0\n')
    # The human's work in progress, which nothing may touch.
    (repo / "notes.txt").write_text("staged by the human\n")
    git(repo, "add", "notes.txt")
    (repo / "README.md").write_text("# calc\nunstaged human edit\n")
    (repo / "scratch.txt").write_text("untracked human file\n")
    return repo, config


def _last_reasons(state: Path) -> list[tuple[str, str, str]]:
    """The newest transitions, for a failure message (why an op ended early)."""
    try:
        with ledger_ro(state) as db:
            return db.execute("SELECT from_phase, to_phase, reason FROM transitions "
                              "ORDER BY seq DESC LIMIT 3").fetchall()
    except sqlite3.Error as exc:
        return [("?", "?", str(exc))]


def _ops(state: Path) -> int:
    try:
        with ledger_ro(state) as db:
            return db.execute("SELECT COUNT(*) FROM operations").fetchone()[0]
    except sqlite3.Error:
        return 0


def _run_daemon_until_killed(repo: Path, config: Path, tmp: Path, crash_at: str,
                             rng: random.Random) -> int:
    """Start the daemon, start the op, and return the daemon's exit status (-9 = killed)."""
    log_path = tmp / "daemon.log"
    proc = start(repo, config, log_path, {ENV: crash_at if crash_at != "random" else ""})
    try:
        wait_ready(proc, log_path, 30)  # recovered, serving, the watcher in place
        (repo / "calc" / "ops.py").write_text(TODO_OPS)
        time.sleep(0.3)  # the human's pause: the watcher sees the TODO held, the commit frees it
        git(repo, "commit", "-qm", "note a TODO", "--", "calc/ops.py")
        _wait_for_op(proc, repo)
        if crash_at == "random":  # the daemon alone (kill -9 PID) or its whole group
            time.sleep(rng.uniform(0, OP_WINDOW_S))
            (os.killpg if rng.random() < 0.5 else os.kill)(proc.pid, signal.SIGKILL)
        else:  # the op reaches the point, or ends without reaching it (then we stop)
            wait_sync(lambda: proc.poll() is not None or _finished(repo), 60, "the crash",
                      interval=0.02)
            if proc.poll() is None:
                proc.terminate()  # never reached: exits 0, and the trial fails on that
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_for_op(proc: subprocess.Popen, repo: Path) -> None:
    """Until the op is in the ledger (touching the TODO file again if the watcher missed
    the first event) or the daemon is gone."""
    state = repo / ".ouroboros"
    deadline = time.monotonic() + 60
    touch = time.monotonic() + 3
    while proc.poll() is None and _ops(state) == 0:
        assert time.monotonic() < deadline, "no op started"
        if time.monotonic() > touch:
            os.utime(repo / "calc" / "ops.py")
            touch = time.monotonic() + 3
        time.sleep(0.02)


def _finished(repo: Path) -> bool:
    try:
        rows = terminal_rows(repo / ".ouroboros")
    except sqlite3.Error:
        return False
    return bool(rows) and all(rows.values())


def _evidence(repo: Path, point: str) -> None:
    """The kill left the state the point is about (else the trial tests nothing)."""
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    if point == "atomic_before_rename":
        assert [p for p in (repo / "calc").iterdir() if TEMP.fullmatch(p.name)], status
    if point == "commit_after_update_ref":
        assert "MM calc/ops.py" in status.splitlines(), status
    if point == "index_sync_locked":
        assert (repo / ".git" / "index.lock").exists() and (repo / ".git" / MARKER).exists()
    if point == "commit_temp_index":
        assert list((repo / ".git").glob(f"{TEMP_INDEX_PREFIX}*")), status


async def _recover(repo: Path) -> list[str]:
    ledger = await Ledger.open(repo / ".ouroboros" / "ledger.sqlite3")
    try:
        return await recover(ledger, GitOps(repo), repo / ".ouroboros")
    finally:
        await ledger.close()


def _files(repo: Path) -> dict[str, str | None]:
    return {rel: (repo / rel).read_text() if (repo / rel).exists() else None for rel in NEW}


def _check(repo: Path, human: dict, todo_head: str) -> dict[str, str]:
    """Every invariant of a recovered repo; returns {op_id: terminal phase}."""
    state = repo / ".ouroboros"
    files = _files(repo)
    assert files in (OLD, NEW), f"files neither all-old nor all-new: {files}"
    rows = terminal_rows(state)
    assert all(len(r) == 1 for r in rows.values()), f"terminal rows per op: {rows}"
    committed = GitOps(repo).op_commits()
    for op_id, [phase] in rows.items():
        assert (phase == "COMPLETE") == (op_id in committed), (op_id, phase, committed)
    head = git(repo, "rev-parse", "HEAD").strip()
    if files == NEW:
        assert len(committed) == 1 and git(repo, "rev-parse", "HEAD~1").strip() == todo_head
        shown = git(repo, "show", "--name-only", "--format=", "HEAD").split()
        assert sorted(shown) == sorted(NEW)
    else:
        assert head == todo_head and not committed
    status = set(git(repo, "status", "--porcelain", "--untracked-files=all").splitlines())
    assert status == HUMAN_STATUS, status
    assert {"staged": git(repo, "diff", "--cached"), "unstaged": git(repo, "diff"),
            **{f: (repo / f).read_bytes() for f in HUMAN_FILES}} == human
    assert not (repo / ".git" / "index.lock").exists()
    assert not (repo / ".git" / MARKER).exists()
    assert not list((repo / ".git").glob(f"{TEMP_INDEX_PREFIX}*"))
    temps = [p for p in repo.rglob("*") if TEMP.fullmatch(p.name) and ".git" not in p.parts]
    assert temps == []
    for scratch in ("sandboxes", "oracle", "rollback"):
        assert not (state / scratch).exists() or not list((state / scratch).iterdir())
    return {op: r[0] for op, r in rows.items()}


@pytest.mark.parametrize("trial", _trials())
def test_kill_9_then_recover(trial: str, short_tmp: Path):
    kind, n = trial.rsplit("-", 1)
    seed = int(os.environ.get("OUROBOROS_CRASH_SEED", "8")) * 1000 + int(n)
    repo, config = _setup(short_tmp)
    human = {"staged": git(repo, "diff", "--cached"), "unstaged": git(repo, "diff"),
             **{f: (repo / f).read_bytes() for f in HUMAN_FILES}}
    crash_at = (f"atomic_before_rename:{repo}/calc/ops.py"
                if kind == "atomic_before_rename" else kind)
    code = _run_daemon_until_killed(repo, config, short_tmp, crash_at, random.Random(seed))
    log = (short_tmp / "daemon.log").read_text(errors="replace")[-3000:]
    if kind != "random":
        assert code == -signal.SIGKILL, (f"crash point {kind} never reached:\n{log}\n"
                                         f"ledger: {_last_reasons(repo / '.ouroboros')}")
        _evidence(repo, kind)
    todo_head = git(repo, "log", "--format=%H", "-1", "--grep=note a TODO").strip()
    killed_in = _last_phases(repo / ".ouroboros")
    notes = asyncio.run(_recover(repo))
    phases = _check(repo, human, todo_head)
    if kind != "random":
        expected = "COMPLETE" if LANDS[kind] else "POSTMORTEM"
        assert list(phases.values()) == [expected], (phases, notes, log)
    # Recovery is idempotent: a second run (a kill during the first) changes nothing.
    assert asyncio.run(_recover(repo)) == []
    assert _check(repo, human, todo_head) == phases
    print(f"{trial}: killed in {killed_in or 'no op yet'} -> {sorted(phases.values())}")


def _last_phases(state: Path) -> list[str]:
    if not (state / "ledger.sqlite3").exists():
        return []
    with ledger_ro(state) as db:
        return [r[0] for r in db.execute(
            "SELECT (SELECT to_phase FROM transitions t WHERE t.op_id = o.op_id "
            "ORDER BY seq DESC LIMIT 1) FROM operations o")]
