"""`ouroboros stats`: the grounding memory's view of a real ledger, through the real CLI,
read-only and without a daemon."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ledger import Ledger
from tests.helpers import commit_files

ENTRY = "import sys; from daemon.cli import main; sys.exit(main())"


def _cli(repo, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUROBOROS_")}
    return subprocess.run([sys.executable, "-c", ENTRY, "stats", "--repo", str(repo), *argv],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.slow
async def test_stats_reads_reputation_trust_and_brier_from_the_ledger(tmp_path):
    repo = commit_files(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/core.py": "X = 1\n",
                                            "pkg/a.py": "from pkg.core import X\n",
                                            "b.py": "import pkg.core\n"})
    assert _cli(repo).returncode == 3  # no ledger yet: said, not a traceback
    ledger = await Ledger.open(repo / ".ouroboros" / "ledger.sqlite3")
    for n, (result, cls) in enumerate([("POSTMORTEM", "rolled_back")] * 2
                                      + [("COMPLETE", "")]):
        await ledger.record_outcome(f"op-{n}", files=["pkg/core.py"], source="todo_scanner",
                                    route="standard", provider="kernel", confidence=0.9,
                                    result=result, failure_class=cls)
    await ledger.close()
    before = (repo / ".ouroboros" / "ledger.sqlite3").read_bytes()
    proc = _cli(repo)
    assert proc.returncode == 0, proc.stderr
    assert "outcomes: 3 in the last 168 h" in proc.stdout
    assert "MEDIUM   0.52  pkg/core.py  ops=3 success=0.33 fragility=0.67 " \
        "dependents=2  -> escalates" in proc.stdout
    assert "0.400  kernel / todo_scanner / standard  (1 of 3 landed)" in proc.stdout
    data = json.loads(_cli(repo, "--json").stdout)
    assert data["brier"] == round((0.81 * 2 + 0.01) / 3, 4) and data["drift"] is None
    assert data["files"][0]["level"] == "MEDIUM" and data["files"][0]["escalates"]
    assert (repo / ".ouroboros" / "ledger.sqlite3").read_bytes() == before  # read-only
