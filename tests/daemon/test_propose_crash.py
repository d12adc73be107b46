"""kill -9 a real daemon at each point of a proposal, start it again: one review, whatever
the point. In 19 kill -9 trials of the old daemon, one kill during a proposal left the same
work proposed twice (two PROPOSED ops for one signal's key): the op was killed after its
review branch was made and before its work record was written, and the next start, finding
the failing tests again and no record, proposed them again.

Each trial: a library whose broken function fails nine tests of a parametrised suite, two
real pytest runs (the ouroboros_results plugin records them in the state dir), and a daemon
(`python -m daemon.cli run`, the replay brain proposing the fix for review) killed at one of
governance.crashpoints.PROPOSE_POINTS or before the PROPOSED row. A daemon started again
recovers, reads the same two runs again at start, and either joins the review the kill left
(its commit's Work-Key/Cause trailers, read from git) or, killed before any branch existed,
proposes once. Either way: one review branch, one PROPOSED op, every op ended once.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from governance.crashpoints import ENV, PROPOSE_POINTS
from tests.daemon.test_one_op_per_cause import CANDIDATE, EXPLORE, FIXED, LIB, TESTS, reviews
from tests.daemon_process import start, terminal_rows
from tests.helpers import commit_files, git, running_daemon, settings_for, wait_terminal
from tests.sensors.test_test_failure import _pytest

pytestmark = pytest.mark.slow

POINTS = [*PROPOSE_POINTS, "before_terminal_row"]
BRANCH_MADE = {"propose_before_branch": False, "propose_after_branch": True,
               "before_terminal_row": True, "before_work_record": True}


def _setup(tmp: Path) -> tuple[Path, Path, Path]:
    repo = commit_files(tmp / "repo", {"wordy/__init__.py": FIXED,
                                       "tests/test_ordinal.py": TESTS})
    (repo / "wordy/__init__.py").write_text(LIB)
    git(repo, "commit", "-qam", "ordinal: a shorter teen rule")  # the human breaks it
    (repo / ".ouroboros").mkdir()
    for _ in range(2):  # the developer's own runs, recorded by the plugin
        assert _pytest(repo).returncode == 1
    script = tmp / "script.jsonl"
    script.write_text("\n".join([EXPLORE, CANDIDATE] * 3) + "\n")
    config = tmp / "ouroboros.toml"
    config.write_text(f'[provider]\nname = "replay"\nreplay_script = "{script}"\n'
                      '[daemon]\nshutdown_grace_s = 1.0\n[intake]\ndebounce_s = 0.1\n'
                      '[governance]\napproval_globs = ["wordy/*"]\n')
    return repo, config, script


@pytest.mark.parametrize("point", POINTS)
async def test_a_kill_at_any_point_of_a_proposal_leaves_one_review(point, short_tmp):
    assert set(BRANCH_MADE) == set(POINTS)
    repo, config, script = _setup(short_tmp)
    log = short_tmp / "daemon.log"
    proc = start(repo, config, log, {ENV: point})
    code = await asyncio.to_thread(proc.wait, 120)
    tail = log.read_text(errors="replace")[-3000:]
    assert code == -signal.SIGKILL, f"crash point {point} never reached:\n{tail}"
    assert bool(reviews(repo)) is BRANCH_MADE[point], (reviews(repo), tail)
    settings = settings_for(script, governance={"approval_globs": ["wordy/*"]})
    async with running_daemon(repo, settings) as daemon:  # recovery, then the start-up scan
        await daemon.scan("test_failure")  # every run read (and emitted) by now
        if not BRANCH_MADE[point]:  # the killed op made nothing: the work is proposed once
            await wait_terminal(daemon, count=2, timeout=120)
        assert not daemon.ops and len(daemon.queue) == 0
        await daemon.scan("test_failure")
    rows = terminal_rows(repo / ".ouroboros")
    assert all(len(r) == 1 for r in rows.values()), rows
    assert sorted(r[0] for r in rows.values()).count("PROPOSED") == 1, rows
    assert len(rows) == (1 if BRANCH_MADE[point] else 2), rows  # no op even tried again
    [branch] = reviews(repo)
    assert rows[branch.removeprefix("ouroboros/")] == ["PROPOSED"]
