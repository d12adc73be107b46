"""A daemon stopped (SIGTERM, as systemd stops it) while an op's missing test is asked for
(issue 45): the review branch is made before the step, so the stop must not lose it. A
real `ouroboros run` (tests/daemon_process.py): a TODO's change waits for review, the
brain's missing-test turn is slow (the replay stand-in's delay), and the daemon is stopped
meanwhile. The op ends PROPOSED, its review listed, its PROPOSED row saying the step was
cut by the stop and no test kept; the stop does not wait out the brain's turn."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from governance.proof.missing_test_rules import PROMPT_TITLE, Verdict
from tests.daemon.test_missing_test import LOOSE_TEST, MISSING, TOP, TOP_DONE, TOP_TODO
from tests.daemon_process import ledger_ro, start, terminal_rows, terminate, wait_ready
from tests.helpers import candidate_turn, commit_files, explore_turn, git, wait_sync
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]


# A right test that takes its time in the jail: the stop comes while it runs.
SLOW = MISSING.replace("def test_top_keeps_three():\n", "def test_top_keeps_three():\n"
                       "    __import__('time').sleep(120)\n")


def _slow_missing_turn(delay_s: float, test: str) -> str:
    text = json.dumps({"schema": "candidate.1", "rationale": "the boundary of three",
                       "files": [{"file_path": "tests/test_top_three.py",
                                  "full_content": test}]})
    return json.dumps({"purpose": "generate", "match": PROMPT_TITLE, "text": text,
                       "delay_s": delay_s})


# Where the stop comes: the brain's turn (the replay stand-in's delay), or the jail (the
# proposal's sandboxes, sandboxes/<op>-missing-test, are made, and its test sleeps).
WHEN = {"the brain's turn": (120.0, MISSING, ""),
        "the jailed checks": (0.0, SLOW, "missing-test")}


def _ended(state: Path) -> bool:
    return any(terminal_rows(state).values())


def _payload(state: Path, op: str) -> dict:
    with ledger_ro(state) as db:
        row = db.execute("SELECT payload FROM transitions WHERE op_id = ? AND to_phase = "
                         "'PROPOSED'", (op,)).fetchone()
    return json.loads(row[0])


@pytest.mark.parametrize("when", list(WHEN))
async def test_a_stop_during_the_missing_test_step_leaves_the_review(short_tmp, when):
    delay_s, test, box = WHEN[when]
    repo = commit_files(short_tmp / "repo", {"shop/__init__.py": "", "shop/top.py": TOP,
                                             "README.md": "# shop\n"})
    script = short_tmp / "script.jsonl"
    script.write_text("\n".join([explore_turn("shop/top.py"),
                                 candidate_turn("shop/top.py", TOP_DONE, "keep three"),
                                 _slow_missing_turn(delay_s, test)]) + "\n")
    config = short_tmp / "ouroboros.toml"
    config.write_text(f'[provider]\nname = "replay"\nreplay_script = "{script}"\n'
                      '[daemon]\nshutdown_grace_s = 1.0\n[intake]\ndebounce_s = 0.1\n')
    log, state = short_tmp / "daemon.log", repo / ".ouroboros"
    proc = start(repo, config, log)
    try:
        await asyncio.to_thread(wait_ready, proc, log)
        (repo / "shop" / "top.py").write_text(TOP_TODO)
        (repo / "tests").mkdir()
        (repo / "tests" / "test_top.py").write_text(LOOSE_TEST)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "a TODO and its loose test")
        await asyncio.to_thread(wait_sync, lambda: git(
            repo, "for-each-ref", "refs/heads/ouroboros/").strip(), 120, "a review branch")
        if box:  # in the jail, or (a failure to explain) ended without getting there
            await asyncio.to_thread(wait_sync, lambda: any(
                (state / "sandboxes").glob(f"*-{box}")) or _ended(state), 120,
                "the jailed checks")
            assert not _ended(state), log.read_text(errors="replace")[-3000:]
        began = time.monotonic()
        code = await asyncio.to_thread(terminate, proc, 60)
        stopped_s = time.monotonic() - began
    finally:
        terminate(proc)
    tail = log.read_text(errors="replace")[-3000:]
    assert code == 0, tail
    rows = terminal_rows(state)
    [(op, ends)] = rows.items()
    assert ends == ["PROPOSED"], (rows, tail)
    missing = _payload(state, op)["missing_test"]
    assert missing["verdict"] == Verdict.NOT_RUN and not missing["kept"], missing
    assert missing["why"].startswith("cancelled while it ran: daemon shutting down"), missing
    assert missing["cut"] == missing["why"]
    assert git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/ouroboros/"
               ).split() == [f"ouroboros/{op}"]
    listed = subprocess.run([sys.executable, "-m", "daemon.cli", "review", "--repo",
                             str(repo)], capture_output=True, text=True)
    assert listed.stdout.startswith("1 change waits for review"), listed
    assert stopped_s < 30, stopped_s  # the stop does not wait out the brain's turn
