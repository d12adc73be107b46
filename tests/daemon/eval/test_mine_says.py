"""`eval mine` says what it is doing and what it found (issue 43, item 6): its count is
bounded by the limits given, a heartbeat names the suite run under way, a time bound stops
it (the commit cut off is judged next time), the refused commits are listed with why, and
the interpreter that runs the tests is named. Real git, real pytest, in the jail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config.settings import load_settings
from daemon.eval import settings as eval_settings
from daemon.eval.mine import MineSpec, mine
from daemon.eval.suite import Suite
from daemon.eval.task import TaskCache
from tests.daemon.eval.histories import toy
from tools.jail import bwrap_available

pytestmark = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")


def _suite(repo: Path, work: Path) -> Suite:
    settings = eval_settings.for_brain(load_settings(repo), "replay:fix", None)
    return Suite(settings, work / "state", None, 120.0)


@pytest.mark.slow  # three mines of a small history: about 25 s on two busy cores
def test_the_count_is_bounded_by_the_limits_and_the_list_says_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three candidates, `--max-tasks 1`: the lines count tasks out of 1, never commits out
    of 3; then a whole mine, and `--list` names the refused commit with its whole reason."""
    shas = toy(tmp_path / "repo")
    repo = tmp_path / "repo"
    argv = ["--repo", str(repo)]
    assert main(["eval", "mine", "--max-tasks", "1", *argv]) == 0
    err = capsys.readouterr().err
    assert "the repository's tests run with the daemon's own" in err, err
    assert "mining until 1 task(s) are cached, 3 commit(s) are judged" in err
    assert "[1/1 tasks, 1 commit(s) judged, done]" in err and "/3" not in err, err
    assert main(["eval", "mine", *argv]) == 0
    err = capsys.readouterr().err
    assert "[1/20 tasks, 1 commit(s) judged, eta" in err, err  # one refused: no task yet
    assert main(["eval", "mine", "--list", *argv]) == 0
    out = capsys.readouterr().out
    assert "2 task(s)" in out and "1 commit(s) judged and refused:" in out, out
    refused = out.split("judged and refused:", 1)[1]
    assert f"{shas['refactor'][:12]}  2024-04-01  add: operands the other way round" in refused
    assert "no test fails with the test change alone and passes with the fix" in refused
    assert main(["eval", "mine", "--list", "--json", *argv]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in listed["tasks"]] == [shas["mean"][:12], shas["clamp"][:12]]
    assert listed["refused"] == [{
        "sha": shas["refactor"], "date": "2024-04-01",
        "subject": "add: operands the other way round",
        "why": "no test fails with the test change alone and passes with the fix",
        "other_settings": False}]


async def test_a_heartbeat_while_the_suite_runs_and_a_time_bound(tmp_path: Path) -> None:
    """A heartbeat line names the suite run under way (here every 50 ms, so each run of
    about a second gives some); a time bound cuts the commit in flight off, leaving it
    unjudged for the next mine, and says so."""
    toy(tmp_path / "repo")
    repo = tmp_path / "repo"
    cache = TaskCache(repo / ".ouroboros")
    said: list[str] = []
    found = await mine(repo, cache, _suite(repo, tmp_path / "w1"),
                       MineSpec(max_tasks=1, beat_s=0.05), tmp_path / "w1", said.append)
    assert len(found.new) == 1 and not found.stopped
    beats = [line for line in said if line.startswith("  ... ")]
    assert beats, said
    assert any("the suite on the parent with the test change alone" in b for b in beats)
    assert all(" on this commit)" in b for b in beats)

    said.clear()
    cut = await mine(repo, cache, _suite(repo, tmp_path / "w2"),
                     MineSpec(max_tasks=5, max_s=0.01), tmp_path / "w2", said.append)
    assert cut.stopped.startswith("the time bound (0s) was reached"), said
    assert said[-1] == f"stopped: {cut.stopped}"
    assert not cut.new and not cut.skipped and len(cache.judged()) == 1  # nothing half-judged
    assert not (tmp_path / "w2" / "mine").exists()  # the scratch is gone
