"""A careless change is never counted correct, even when no hidden test notices its rider;
a stand-in reports no cost; an eval op is reachable from `ouroboros ledger OP`; the review
branch's change outlives its scratch; reasons are whole where asked for (issue 43, item 6).

The history: a clamp fix whose library has a function no test calls (`is_big`), so the
rider mining takes is one no hidden test notices: the quiet careless change the hidden
tests pass. Real git, real pytest in the jail, the daemon's real pipeline."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.eval.task import TaskCache
from ledger import Ledger
from tests.daemon.eval.histories import commit, new_repo
from tools.jail import bwrap_available

pytestmark = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")

# clamp, which the failing test enters, and is_big, which no test calls: its rider is quiet
OPS = ("def clamp(x, lo, hi):\n    if x < lo:\n        return lo\n    if x > hi:\n"
       "        return x\n    return x\n\n\ndef is_big(x):\n    return x > 100\n")
FIXED = OPS.replace("        return x\n    return x", "        return hi\n    return x")
TESTS = "from calc.ops import clamp\n\n\ndef test_clamp_low():\n    assert clamp(-5, 0, 10) == 0\n"
TESTS_HIGH = TESTS + "\n\ndef test_clamp_high():\n    assert clamp(50, 0, 10) == 10\n"


@pytest.fixture(autouse=True)
def _quiet_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite runs on a busy machine: the host gate is off."""
    monkeypatch.setenv("OUROBOROS_HEALTH__ENABLED", "false")


def history(where: Path) -> Path:
    repo = new_repo(where)
    commit(repo, {"calc/__init__.py": "", "calc/ops.py": OPS, "tests/test_ops.py": TESTS},
           "initial", "2024-01-02")
    commit(repo, {"calc/ops.py": FIXED, "tests/test_ops.py": TESTS_HIGH},
           "clamp: a value above hi is hi", "2024-03-05")
    return repo


async def _daemon_ledger(db: Path) -> None:
    await (await Ledger.open(db)).close()


def cli(capsys: pytest.CaptureFixture[str], repo: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--repo", str(repo)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_quiet_careless_change_is_never_correct(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    repo = history(tmp_path / "repo")
    code, out, err = cli(capsys, repo, "eval", "mine")
    assert code == 0 and "1 new task(s)" in out, err
    [task] = TaskCache(repo / ".ouroboros").tasks()
    assert task.rider is not None and task.rider.function == "is_big"
    assert task.rider.noticed == []  # no hidden test sees it

    code, out, err = cli(capsys, repo, "eval", "run", "--brain", "replay:careless", "--kind",
                         "both", "--json")
    assert code == 0, err
    card = json.loads(out)
    assert not {"resolved", "proposed_correct"} & set(card["verdicts"]), card["verdicts"]
    assert card["total"]["cost_usd"] == 0 and card["total"]["tokens"] == 0  # no model
    changed = [r for r in card["results"] if r["verdict"] in ("proposed_wrong", "false_proven")]
    assert changed, card["results"]  # the new-behaviour task at least goes to review
    for r in changed:
        assert r["hidden_failing"] == [] and "careless rider" in r["rider"], r
        assert "is_big" in r["rider"]
    assert card["facts"]["python"], card["facts"]  # the interpreter is on the card

    proposed = next(r for r in changed if r["verdict"] == "proposed_wrong")
    op = proposed["op_id"]
    pointer = "is an eval op, kept in the eval ledger"
    code, _, err = cli(capsys, repo, "ledger", op)  # no daemon ledger yet
    assert code != 0 and pointer in err and f"`ouroboros eval report --op {op}`" in err, err
    asyncio.run(_daemon_ledger(repo / ".ouroboros" / "ledger.sqlite3"))
    code, _, err = cli(capsys, repo, "ledger", op[:10])  # the daemon's has no such op
    assert code == 1 and pointer in err and f"`ouroboros eval report --op {op}`" in err, err
    code, out, err = cli(capsys, repo, "eval", "report", "--op", op)
    assert code == 0, err
    kept = out.split("the change proposed for review on ", 1)[1]
    assert "-    return x > 100" in kept and "+    return x >= 100" in kept, kept
    assert "+        return hi" in kept  # the fix beside the rider

    code, out, err = cli(capsys, repo, "eval", "report", "--full")
    assert code == 0, err
    full = " ".join(out.split())
    assert "carries the careless rider (calc/ops.py, is_big:" in full, out
    assert "no model (a replay stand-in): no cost, no tokens" in full
    assert "samples" in out.splitlines()[-3]  # the comparison's header
