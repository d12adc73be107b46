"""A real daemon on a repository beside an untracked, unignored `.venv/` (pyvenv.cfg, a
site-packages full of TODOs and tangled functions), a venv under another name,
`node_modules/`, a build's output, a cache, a nested repository and an ignored file (issue
51, item 2): its start-up scan, a rescan and the watcher's events give no queue entry, no op
and no console line from any of them, while the TODO and the tangled function the project
commits are found."""

from __future__ import annotations

import json

import pytest
from structlog.testing import capture_logs

from tests.helpers import git, make_repo, running_daemon, settings_for, wait_for
from tests.sensors.env_trees import FINDINGS, TANGLED, add_envs, mentions_envs


@pytest.mark.slow
async def test_what_the_repository_does_not_track_gives_no_work_and_no_line(tmp_path):
    repo = make_repo(tmp_path)
    ops = repo / "calc" / "ops.py"
    ops.write_text(ops.read_text() + "\n\n# TODO: ours to find\n" + TANGLED)
    git(repo, "commit", "-qam", "a TODO and a tangled function of ours")
    add_envs(repo)
    settings = settings_for(None, intake={"test_failure": False})  # no suite run: cheap
    with capture_logs() as seen:
        async with running_daemon(repo, settings) as daemon:
            await wait_for(lambda: _events(seen, "sensor scan"), what="the start-up scan")
            for rel in (".venv/lib/python3.11/site-packages/late.py",
                        "node_modules/left-pad/late.py", "env311/lib/late.py",
                        "calc/ours_late.py"):  # written in this order: ours last
                (repo / rel).parent.mkdir(parents=True, exist_ok=True)
                (repo / rel).write_text(FINDINGS)
            await wait_for(lambda: [e for e in _events(seen, "todo held until committed")
                                    if e["file"] == "calc/ours_late.py"],
                           what="the watcher's batch with our new file")
            rescan = await daemon.scan()  # the safety net's rescan
            assert daemon.ledger is not None
            queued = await daemon.ledger.wal_pending()
            ops_run = await daemon.ledger.operations()
    scans = _events(seen, "sensor scan")
    assert scans[0]["found"]["todo"] == 1 and scans[0]["found"]["opportunity"] == 1
    assert rescan["todo"] == 2  # ours, offered again, and our new file (held: uncommitted)
    # ours: the TODO and the function committed, and the new file's tangled function (the
    # refactor sensor does not wait for a commit)
    assert sorted((e["source"], *e["target_files"]) for e in queued) == [
        ("opportunity_miner", "calc/ops.py"), ("opportunity_miner", "calc/ours_late.py"),
        ("todo_scanner", "calc/ops.py")]
    assert not [o for o in ops_run if mentions_envs(json.dumps(o, default=str))]
    # the one line that names the .venv is not a sensor's: the daemon says which test
    # environment VALIDATE would run (this .venv has no interpreter: refused, said once)
    lines = [e for e in seen if mentions_envs(json.dumps(e, default=str))]
    assert [e["event"] for e in lines] == ["test environment"]


def _events(seen: list[dict], name: str) -> list[dict]:
    return [e for e in seen if e["event"] == name]
